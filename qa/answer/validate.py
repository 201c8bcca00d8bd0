"""Checking what a caller passes in: questions and filter values. Bad input gets a domain error."""

from __future__ import annotations

from datetime import date
from typing import Any

from index.types import Filters
from qa.errors import BadFilter, BadQuestion

MAX_QUESTION_CHARS = 2000


def check_question(question: Any) -> str:
    """Validate a question: a non-empty string of at most ``MAX_QUESTION_CHARS`` characters.

    Raises:
        BadQuestion: with the reason.
    """
    if not isinstance(question, str):
        raise BadQuestion(f"the question must be text, got {type(question).__name__}")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
    return cleaned


def make_filters(sources: Any = None, since: Any = None, until: Any = None) -> Filters | None:
    """Validate filter values into ``Filters`` (None when no filter is set).

    Raises:
        BadFilter: a value of the wrong type or format.
    """
    from corpus import parse_date

    sources = check_names("sources", sources)
    dates = []
    for name, value in (("since", since), ("until", until)):
        if value is not None and not isinstance(value, str):
            if not isinstance(value, date):
                raise BadFilter(f"{name} must be a date (YYYY-MM-DD), got {type(value).__name__}")
        try:
            dates.append(parse_date(value) if value not in (None, "") else None)
        except ValueError as exc:
            raise BadFilter(f"{name}: {exc}") from None
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise BadFilter(f"since ({dates[0]}) is after until ({dates[1]})")
    f = Filters(sources, dates[0], dates[1])
    return f if f.active else None


MODES = ("extractive", "llm")


def check_mode(mode: Any) -> str:
    """``extractive`` or ``llm``.

    Raises:
        BadQuestion: any other value.
    """
    if mode not in MODES:
        raise BadQuestion(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    return mode


def check_names(what: str, values: Any) -> tuple[str, ...] | None:
    """A list of names (a single string counts as one); None when empty.

    Raises:
        BadFilter: not a list of strings.
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    try:
        values = tuple(values)
    except TypeError:
        raise BadFilter(f"{what} must be a list of names, got {type(values).__name__}") from None
    if not all(isinstance(v, str) for v in values):
        raise BadFilter(f"{what} must be a list of names (strings)")
    return tuple(v.strip() for v in values if v.strip()) or None


MAX_TEXT_CHARS = 200_000


def check_text(text: Any, what: str = "text") -> str:
    """Validate an article text passed in (e.g. to ``stance``): non-empty, at most ``MAX_TEXT_CHARS``.

    Raises:
        BadQuestion: with the reason.
    """
    if not isinstance(text, str):
        raise BadQuestion(f"the {what} must be text, got {type(text).__name__}")
    if not text.strip():
        raise BadQuestion(f"the {what} is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise BadQuestion(f"the {what} is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}")
    return text


def check_k(k: Any) -> int | None:
    """``k`` (passages to consider) when it is an integer from 1 to 100; None stays None.

    Raises:
        BadFilter: anything else.
    """
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k <= 0 or k > 100):
        raise BadFilter(f"k must be an integer from 1 to 100, got {k!r}")
    return k


def as_of_day(value: Any) -> date:
    """The day a question is asked, from an ISO (or other readable) date; today when None or "".

    Raises:
        BadFilter: a value that is no date.
    """
    from qa.retrieval.time_window import as_of_date

    try:
        return as_of_date(value)
    except (TypeError, ValueError) as exc:
        raise BadFilter(str(exc)) from None
