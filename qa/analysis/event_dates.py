"""The day a sentence describes, read against its article's publication date.

- explicit: "22 April", "April 22", "March 20, 2015", "20 March 2015", "2015-03-20"; a date
  without a year takes the publication year, or the year before when that would put it more than a
  month after publication (news reports what happened);
- relative: "today", "tonight", "yesterday", "two days ago", "on Tuesday", "last Friday", "began
  Monday" (a weekday is the most recent one on or before publication: "on Wednesday" in a
  Wednesday article is that day, "last Friday" is never the publication day itself; in a sentence
  about what is to come, "will air … on Sunday", "next Friday", it is the next one on or after it);
- spans: "last week", "this week", "last month", "for the past month" (kept as a span);
- otherwise the publication date, marked ``published``.

Only what the text says is used: no date is inferred from anything but these words and the
article's date, and an undated article gives an undated sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from corpus.text.vocabulary import MONTHS as MONTH_NAMES
from corpus.text.vocabulary import SMALL_NUMBERS, WEEKDAY_PATTERN
from corpus.text.vocabulary import WEEKDAYS as WEEKDAY_NAMES
from qa.timing import stage

MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}
WEEKDAYS = {d: i for i, d in enumerate(WEEKDAY_NAMES)}
NUMBERS = {w: i for w, i in SMALL_NUMBERS.items() if i <= 10}

_MON = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_EXPLICIT = [
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b"),
    re.compile(rf"\b{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>(?:19|20)\d\d))?\b", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}(?:,?\s+(?P<y>(?:19|20)\d\d))?\b", re.I),
]
_WEEKDAY = re.compile(r"\b(?P<last>last\s+|this\s+|on\s+|early\s+|late\s+|began\s+|since\s+)?"
                      rf"(?P<wd>{WEEKDAY_PATTERN})\b", re.I)
# a sentence about what is to come: its weekday is the next one, not the last
_FUTURE = re.compile(r"\b(?:will|won't|shall|is going to|are going to|plans? to|planned to|scheduled|set to|"
                     r"expected to|due to|to be held|upcoming|next)\b|'ll\b", re.I)
_USA = re.compile(r"\bUSA\s+$", re.I)  # "told USA TODAY": a newspaper, not a day
_AGO = re.compile(r"\b(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?P<unit>days?|weeks?)\s+ago\b", re.I)
_DAY_WORDS = [(re.compile(r"\b(today|tonight|this (?:morning|afternoon|evening))\b", re.I), 0),
              (re.compile(r"\b(yesterday|last night)\b", re.I), 1)]
_SPANS = [(re.compile(r"\b(?:for|over|in|during) the (?:past|last) month\b", re.I), "past_month"),
          (re.compile(r"\blast week\b", re.I), "last_week"), (re.compile(r"\bthis week\b", re.I), "this_week"),
          (re.compile(r"\blast month\b", re.I), "last_month"),
          (re.compile(r"\b(?:for|over|in|during) the (?:past|last) (?:week|seven days)\b", re.I), "past_week")]


@dataclass(frozen=True)
class Dated:
    """The day (or span) a sentence describes and how it was found."""

    date: str | None  # YYYY-MM-DD: the day, or the first day of a span
    dated_by: str  # explicit | relative | published | none
    until: str | None = None  # the last day of a span
    phrase: str | None = None  # the words that gave the date

    def to_dict(self) -> dict:
        return {"event_date": self.date, "dated_by": self.dated_by, "event_until": self.until, "date_phrase": self.phrase}


def date_sentence(text: str, published: str | None) -> Dated:
    """The day ``text`` (one sentence) describes; see the module docstring."""
    pub = _day(published)
    found = _explicit(text, pub)
    if found:
        return found
    if pub is None:
        return Dated(None, "none")
    for rule, back in _DAY_WORDS:
        m = next((m for m in rule.finditer(text) if not _USA.search(text, 0, m.start())), None)
        if m:
            return Dated((pub - timedelta(days=back)).isoformat(), "relative", phrase=m.group(0))
    m = _AGO.search(text)
    if m:
        n = NUMBERS.get(m.group("n").lower()) if not m.group("n").isdigit() else int(m.group("n"))
        days = n * (7 if m.group("unit").lower().startswith("week") else 1)
        return Dated((pub - timedelta(days=days)).isoformat(), "relative", phrase=m.group(0))
    m = _WEEKDAY.search(text)
    if m:
        wd = WEEKDAYS[m.group("wd").lower()]
        last = (m.group("last") or "").strip().lower()
        said = re.search(r"\b(?:said|says|told|\w+ed)\s+(?:on\s+)?$", text[: m.start()] + (m.group("last") or ""), re.I)
        ahead = last not in ("last", "since", "began") and not said and (
            text[max(0, m.start() - 5) : m.start()].lower().endswith("next ") or bool(_FUTURE.search(text, 0, m.start())))
        if ahead:
            forward = (wd - pub.weekday()) % 7
            if forward == 0 and text[max(0, m.start() - 5) : m.start()].lower().endswith("next "):
                forward = 7
            return Dated((pub + timedelta(days=forward)).isoformat(), "relative", phrase=m.group(0).strip())
        back = (pub.weekday() - wd) % 7
        if back == 0 and last == "last":
            back = 7
        return Dated((pub - timedelta(days=back)).isoformat(), "relative", phrase=m.group(0).strip())
    for rule, kind in _SPANS:
        m = rule.search(text)
        if m:
            a, b = _span(kind, pub)
            return Dated(a.isoformat(), "relative", until=b.isoformat(), phrase=m.group(0))
    return Dated(pub.isoformat(), "published")


def _explicit(text: str, pub: date | None) -> Dated | None:
    for rule in _EXPLICIT:
        for m in rule.finditer(text):
            g = m.groupdict()
            try:
                key = (g.get("mon") or "").lower().rstrip(".")
                month = int(g["m"]) if g.get("m") else MONTHS.get(key) or MONTHS[key[:3]]
                day_n = int(g["d"])
                if g.get("y"):
                    d = date(int(g["y"]), month, day_n)
                elif pub is not None:
                    d = date(pub.year, month, day_n)
                    if d > pub + timedelta(days=31):
                        d = date(pub.year - 1, month, day_n)
                else:
                    continue
            except (ValueError, KeyError):
                continue
            return Dated(d.isoformat(), "explicit", phrase=m.group(0))
    return None


def _span(kind: str, pub: date) -> tuple[date, date]:
    monday = pub - timedelta(days=pub.weekday())
    if kind == "this_week":
        return monday, pub
    if kind == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if kind == "past_week":
        return pub - timedelta(days=7), pub
    if kind == "last_month":
        first = pub.replace(day=1)
        prev_last = first - timedelta(days=1)
        return prev_last.replace(day=1), prev_last
    return pub - timedelta(days=30), pub  # the past month


def _day(iso: str | None) -> date | None:
    if not iso:
        return None
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


_TIME_QUESTION = re.compile(r"\b(when|what day|what date|which day|on what|how long ago|since when)\b|"
                            r"\b(?:on|last|this|next)\s+(?:the\s+(?:night|morning|evening|afternoon)\s+of\s+)?"
                            rf"(?:{WEEKDAY_PATTERN})\b", re.I)


def is_time_question(question: str) -> bool:
    return bool(_TIME_QUESTION.search(question))


class DatingAnnotator:
    """Gives each evidence span the day it describes (``event_date``, ``dated_by``)."""

    def annotate(self, question: str, evidence):
        with stage("dating"):
            return tuple(replace(e, event=date_sentence(e.text, e.date).to_dict()) for e in evidence)


def with_calendar_date(text: str, event: dict | None) -> str:
    """"… on Tuesday …" -> "… on Tuesday (2015-03-24) …": the calendar date after the words that gave it."""
    if not event or event.get("dated_by") not in ("relative", "explicit") or not event.get("date_phrase"):
        return text
    phrase = event["date_phrase"]
    i = text.find(phrase)
    if i < 0 or event["event_date"] in text:
        return text
    j = i + len(phrase)
    day = event["event_date"] + (f" to {event['event_until']}" if event.get("event_until") else "")
    return f"{text[:j]} ({day}){text[j:]}"


def prefer_dated(question: str, as_of: date, bonus: float):
    """A bonus for sentences about the day a question names ("on Tuesday", "March 20"), read against
    ``as_of``; a "when" question prefers sentences that state a day at all, at half the bonus."""
    if bonus <= 0 or not is_time_question(question):
        return None
    asked = date_sentence(question, as_of.isoformat())
    day = asked.date if asked.dated_by in ("relative", "explicit") else None
    until = asked.until or day

    def prefer(e) -> float:
        ev = e.event or {}
        if ev.get("dated_by") not in ("relative", "explicit"):
            return 0.0
        if day is None:
            return bonus / 2
        return bonus if day <= ev["event_date"] <= until else 0.0

    return prefer


def combine(*prefers):
    """The sum of several score bonuses (None ones left out); None when there are none."""
    live = [p for p in prefers if p is not None]
    if not live:
        return None
    return lambda e: sum(p(e) for p in live)
