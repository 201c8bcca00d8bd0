"""Values read back from the index."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Hit:
    """A retrieved passage and its scores (``score`` is the one the results are sorted by)."""

    passage: StoredPassage
    score: float
    scores: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some outlets and a published-date range (ISO dates, inclusive)."""

    sources: tuple[str, ...] | None = None
    since: str | None = None
    until: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.sources) or bool(self.since) or bool(self.until)
