"""Writing claims from selected evidence.

A ``ClaimWriter`` turns evidence into the sentences of an answer. The quoting writer (the offline
default) makes one claim per evidence sentence, its words exactly the article's. A generating
writer drafts claims of its own; such claims carry ``how="generated"`` and must pass a verifier
against the evidence they cite before they are shown.
"""

from __future__ import annotations

from typing import Protocol

from qa.analysis.attribution import label
from qa.analysis.event_dates import is_time_question, with_calendar_date
from qa.types import Claim, Evidence


class ClaimWriter(Protocol):
    """Turns the selected evidence into claims (each citing at least one piece of that evidence)."""

    name: str

    def write(self, question: str, evidence: tuple[Evidence, ...]) -> list[Claim]: ...


class QuoteWriter:
    """One quoted claim per evidence sentence, in the order given (whitespace normalised).

    When the quoted sentence does not itself name who says it, a short label follows the quote
    ("— ANHA, pro-Kurdish"); a time question gets the calendar date after the words that give it
    ("on Tuesday (2015-03-24)"). The citation's quote stays exactly the article's words.
    """

    name = "quote"

    def write(self, question: str, evidence: tuple[Evidence, ...]) -> list[Claim]:
        dated = is_time_question(question)
        out = []
        for e in evidence:
            text = " ".join(e.text.split())
            if dated:  # a time question is answered with the calendar date
                text = with_calendar_date(text, e.event)
            who = label(e.attribution, e.start, e.end)
            out.append(Claim(f"{text} — {who}" if who else text, (e,), "quoted"))
        return out
