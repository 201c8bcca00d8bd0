"""One question and everything asked with it, validated once: every interface (CLI, web chat, REST,
MCP, ``qa.ask``) builds an ``AskRequest`` and hands it to ``Assistant.answer``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from index.types import Filters
from qa.answer.validate import (
    as_of_day,
    check_k,
    check_mode,
    check_names,
    check_question,
    make_filters,
)
from qa.errors import BadQuestion

UNREAD = ("leanings", "sources", "since", "history")  # what a question's words may set that can be declined


@dataclass(frozen=True)
class AskRequest:
    """A validated question. Build it with ``AskRequest.build``; fields left None take the settings' defaults.

    Attributes:
        question: the question as asked.
        k: passages to consider (1–100; default ``retrieval.k``).
        filters: only these outlets and publication days (inclusive), or None.
        as_of: the day the question is asked ("this week", "yesterday" are read against it; default today).
        speakers: quote only sentences attributed to one of these sources (a name or part of it).
        leanings: quote only sources with one of these stated leanings ("pro-Kurdish").
        corroborate: find other articles' reports of each cited claim (default ``answer.corroboration``).
        mode: ``extractive`` (quoted) or ``llm`` (written and verified; default ``answer.mode``).
        history: earlier ``(question, answer text)`` turns, oldest first.
        searched: the query to search instead of the question (a follow-up rewritten from the history).
        retrieval: per-call overrides of ``RetrievalSettings`` (e.g. ``{"rerank": False}``).
        unread: what not to read from the question's words (``UNREAD``): the chat's removed
            "Read as" chips ("leanings", "sources", "since"; "history": not a follow-up).
        user: who asked, on a server with logins (named in the audit log).
    """

    question: str
    k: int | None = None
    filters: Filters | None = None
    as_of: date | None = None
    speakers: tuple[str, ...] | None = None
    leanings: tuple[str, ...] | None = None
    corroborate: bool | None = None
    mode: str | None = None
    history: tuple[tuple[str, str], ...] = ()
    searched: str | None = None
    retrieval: Mapping[str, Any] = field(default_factory=dict)
    unread: tuple[str, ...] = ()
    user: str | None = None

    @classmethod
    def build(
        cls,
        question: Any,
        *,
        k: Any = None,
        sources: Iterable[str] | str | None = None,
        since: Any = None,
        until: Any = None,
        as_of: str | date | None = None,
        speakers: Iterable[str] | str | None = None,
        leanings: Iterable[str] | str | None = None,
        corroborate: bool | None = None,
        mode: str | None = None,
        history: Iterable[tuple[str, str]] | None = None,
        searched: str | None = None,
        retrieval: Mapping[str, Any] | None = None,
        unread: Iterable[str] | None = None,
        user: str | None = None,
    ) -> AskRequest:
        """Check every part and return the request.

        Raises:
            BadQuestion: an empty or over-long question, an unknown mode, a bad speaker or leaning list.
            BadFilter: a bad ``k``, outlet list, date or as-of day.
        """
        question = check_question(question)
        speakers, leanings = check_names("speakers", speakers), check_names("leanings", leanings)
        mode = check_mode(mode) if mode else None
        searched = check_question(searched) if searched else None
        k = check_k(k)
        filters = make_filters(sources, since, until)
        day = as_of_day(as_of) if as_of not in (None, "") else None
        turns = tuple((str(q), str(a)) for q, a in (history or []))
        unread = tuple(unread or ())
        if any(u not in UNREAD for u in unread):
            raise BadQuestion(f"unread takes {', '.join(UNREAD)}; got {', '.join(map(str, unread))}")
        return cls(question, k, filters, day, speakers, leanings, corroborate, mode, turns, searched, dict(retrieval or {}),
                   unread, str(user) if user else None)
