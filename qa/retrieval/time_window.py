"""Relative time in a question ("this week", "yesterday", "recently"), resolved against an as-of date.

News questions are usually about recent events: "Which country's leader resigned this week?" means
the week before the day it is asked. Such a question gets a *time window*; the retriever then also
searches inside the window and gives passages of articles published in it a bonus (a soft
preference, never a filter: an article outside the window can still win). A question without such
words gets no window. ``as_of`` is the day the question is asked (today unless given).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from corpus import parse_date
from corpus.text.vocabulary import WEEKDAY_PATTERN

# (pattern, days back from as_of); the narrowest window that matches wins
_RULES: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"\b(today|tonight|this (morning|afternoon|evening))\b", re.I), 1),
    (re.compile(r"\byesterday\b", re.I), 2),
    (re.compile(r"\b(this|past|the past|previous) (week|weekend)\b", re.I), 7),
    (re.compile(r"\b(last|past two|past couple of) weeks?(end)?\b", re.I), 14),
    (re.compile(r"\b(this|past|the past) month\b", re.I), 31),
    (re.compile(r"\blast month\b", re.I), 62),
    # a weekday without a date ("announced on Tuesday", "early Thursday") is one of the past seven days
    (re.compile(rf"\b(on|early|late|last|this|since|by) ({WEEKDAY_PATTERN})\b", re.I), 7),
    (re.compile(r"\b(recently|recent|lately|latest|currently|current|right now|now|soon|upcoming|ongoing)\b", re.I), 31),
    (re.compile(r"\bthis (spring|summer|fall|autumn|winter|season)\b", re.I), 92),
]
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_THIS_YEAR = re.compile(r"\b(this|the past) year\b", re.I)
SLACK_DAYS = 1  # articles dated a day after the question (time zones, late updates)


def as_of_date(value: str | date | None) -> date:
    """The as-of day from an ISO (or other readable) date; today when None."""
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    try:
        iso = parse_date(str(value))
    except ValueError:
        iso = None
    if iso is None:
        raise ValueError(f"cannot read the as-of date {value!r}; use YYYY-MM-DD")
    return date.fromisoformat(iso[:10])


def time_window(question: str, as_of: date, recent_days: int = 0) -> tuple[date, date] | None:
    """``(first_day, last_day)`` the question refers to, or None.

    Relative time words set the window. Without them, ``recent_days`` > 0 prefers the last
    ``recent_days`` days (news questions are mostly about recent events), unless the question names
    another year than the as-of year ("the 2019 election"): then it gets no window.
    """
    days = [d for rule, d in _RULES if rule.search(question)]
    end = as_of + timedelta(days=SLACK_DAYS)
    if days:
        return as_of - timedelta(days=min(days)), end
    if _THIS_YEAR.search(question):
        return date(as_of.year, 1, 1), end
    if recent_days > 0 and all(int(y) == as_of.year for y in _YEAR.findall(question)):
        return as_of - timedelta(days=recent_days), end
    return None
