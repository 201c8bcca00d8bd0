"""An attribution relation and its character spans."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Relation:
    """One attribution. ``article_text[s.start:s.end] == s.text`` for each span ``s``."""

    article_id: str
    source: Span | None
    cue: Span
    content: Span
    speaker: str | None
    kind: str  # direct | indirect | according_to
    role: str | None
    affiliation: str | None
    leaning: str | None
    carrier: str | None

    def to_dict(self) -> dict:
        return asdict(self)
