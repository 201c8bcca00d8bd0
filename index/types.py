"""Values that cross the index's boundary: stored passages, hits, filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

_EPOCH = date(1970, 1, 1)


def titled(title: str, text: str) -> str:
    """The text a passage is embedded, scored and reranked as: its article's title, a newline, the text.

    An article without a title contributes the text alone.
    """
    return f"{title}\n{text}" if title else text


def day_number(iso: str | None) -> int:
    """Days since 1970-01-01 of an ISO date; -1 when unknown or unreadable."""
    if not iso:
        return -1
    try:
        return (date.fromisoformat(iso[:10]) - _EPOCH).days
    except ValueError:
        return -1


@dataclass(frozen=True)
class StoredPassage:
    """A passage as stored, with the metadata of its article needed to cite it."""

    pid: int
    id: str
    article_id: str
    position: int
    start: int
    end: int
    text: str
    title: str
    source: str
    date: str | None
    url: str
    sentences: tuple[tuple[int, int], ...] | None = field(default=None, compare=False)  # relative to ``text``; None: not stored
    copy_group: str | None = field(default=None, compare=False)  # the first article of its copies (index.copies); None: no copies
    copies: int = field(default=1, compare=False)  # articles of this version carrying the report (1: no copies)

    @property
    def titled_text(self) -> str:
        return titled(self.title, self.text)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage and its scores (``score`` is the one the results are sorted by)."""

    passage: StoredPassage
    score: float
    scores: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some outlets and a published-date range (ISO dates, inclusive).

    A value object: each search backend translates it (FAISS: an id selector; BM25: a weight mask).
    """

    sources: tuple[str, ...] | None = None
    since: str | None = None
    until: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.sources) or bool(self.since) or bool(self.until)

    def within(self, since: str, until: str) -> Filters:
        """These filters narrowed to the days ``since``..``until`` (ISO, inclusive)."""
        return Filters(self.sources, max(since, self.since or since), min(until, self.until or until))


def as_filters(filters: Filters | None) -> Filters:
    return filters if filters is not None else Filters()
