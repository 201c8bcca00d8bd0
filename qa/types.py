"""What an answer is made of: claims, each backed by evidence, an exact span of an article.

``Evidence`` is the unit every analysis layer works on (attribution fills ``attribution``;
corroboration and timelines group evidence). A ``Claim`` is one sentence of an answer and the
evidence it rests on; ``how`` says whether it was quoted or generated (a generated claim must be
verified against its evidence before it is shown). ``Citation`` is the stable JSON view of one
piece of cited evidence, numbered by its marker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from index.types import Hit

How = Literal["quoted", "generated"]


@dataclass(frozen=True)
class Evidence:
    """An exact span of an article: ``text == article.text[start:end]``, inside passage ``passage``."""

    article_id: str
    title: str
    source: str
    date: str | None
    url: str
    start: int
    end: int
    text: str
    passage_id: str
    passage_start: int
    passage: str
    score: float = 0.0  # the score it was selected by
    scores: dict[str, float] = field(default_factory=dict, compare=False, hash=False)  # how it was found
    attribution: dict | None = field(default=None, compare=False, hash=False)  # who the article says is speaking
    event: dict | None = field(default=None, compare=False, hash=False)  # the day it describes (qa.analysis.event_dates)
    copy_group: str | None = field(default=None, compare=False, hash=False)  # its article's copies (index.copies)
    copies: int = field(default=1, compare=False, hash=False)  # articles carrying that report

    @classmethod
    def from_hit(cls, hit: Hit, start: int, end: int, score: float, **scores: float) -> Evidence:
        """The span ``start``..``end`` (article offsets) of a retrieved passage."""
        p = hit.passage
        return cls(
            article_id=p.article_id, title=p.title, source=p.source, date=p.date, url=p.url, start=start, end=end,
            text=p.text[start - p.start : end - p.start], passage_id=p.id, passage_start=p.start, passage=p.text,
            score=float(score), scores={**hit.scores, **scores}, copy_group=p.copy_group, copies=p.copies,
        )

    @property
    def key(self) -> tuple[str, int, int]:
        return self.article_id, self.start, self.end


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer and the evidence it rests on."""

    text: str
    evidence: tuple[Evidence, ...]
    how: How = "quoted"


@dataclass(frozen=True)
class Citation:
    """One cited sentence: ``quote == article.text[start:end]``, inside passage ``passage``."""

    marker: int
    article_id: str
    title: str
    source: str
    date: str | None
    url: str
    passage: str
    quote: str
    start: int
    end: int
    score: float
    passage_id: str = ""
    passage_start: int = 0
    attribution: dict | None = field(default=None, compare=False, hash=False)  # who the article says is speaking
    event_date: str | None = field(default=None, compare=False, hash=False)  # the day the quote describes
    dated_by: str | None = field(default=None, compare=False, hash=False)  # explicit | relative | published
    corroboration: dict | None = field(default=None, compare=False, hash=False)  # other articles' reports (qa.analysis.corroboration)
    copy_group: str | None = field(default=None, compare=False, hash=False)  # the first article of its copies; None: none
    copies: int = field(default=1, compare=False, hash=False)  # articles carrying the same report (1: no copies)

    @classmethod
    def of(cls, marker: int, e: Evidence) -> Citation:
        ev = e.event or {}
        return cls(
            marker=marker, article_id=e.article_id, title=e.title, source=e.source, date=e.date, url=e.url,
            passage=e.passage, quote=e.text, start=e.start, end=e.end, score=e.score, passage_id=e.passage_id,
            passage_start=e.passage_start, attribution=e.attribution, event_date=ev.get("event_date"),
            dated_by=ev.get("dated_by"), copy_group=e.copy_group, copies=e.copies,
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(float(self.score), 4)
        if self.attribution is None:
            del d["attribution"]
        if self.dated_by is None:
            del d["event_date"], d["dated_by"]
        if self.corroboration is None:
            del d["corroboration"]
        return d

    @property
    def quote_in_passage(self) -> tuple[int, int]:
        """Offsets of the quote inside ``passage``."""
        return self.start - self.passage_start, self.end - self.passage_start


@dataclass(frozen=True)
class Answer:
    """An answer whose every sentence (a claim) ends with the markers ``[n]`` of its citations.

    ``not_found`` answers say so in ``text``, cite nothing, and list the nearest passages in
    ``closest``.
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    not_found: bool = False
    closest: tuple[Citation, ...] = ()
    searched: str | None = None
    index_version: str = ""
    timings: dict = field(default_factory=dict, compare=False)
    time_window: tuple[str, str] | None = None  # the days "this week" etc. was read as (preferred, not filtered)
    claims: tuple[Claim, ...] = field(default=(), compare=False)
    mode: str = "extractive"  # extractive (quoted) | llm (written, every sentence verified)
    model: str | None = None  # the LLM asked, in llm mode (also when it fell back)
    notice: str | None = None  # why a written answer fell back to quotes
    unsupported: tuple[dict, ...] = ()  # written sentences dropped by the verifier: {"text", "reason"}
    kind: str | None = None  # the kind of question it was read as (qa.answer.reading.KINDS)
    read_as: dict | None = None  # the topic and the filters taken from the question's words (and the history)
    filters: dict | None = None  # the filters the answer was found with: sources, since, until, speakers, leanings

    def to_dict(self) -> dict:
        """The stable JSON shape (``qa ask --json``, the web API)."""
        out = {
            "question": self.question,
            "text": self.text,
            "not_found": self.not_found,
            "citations": [c.to_dict() for c in self.citations],
            "mode": self.mode,
        }
        if self.kind:
            out["kind"] = self.kind
        if self.read_as:
            out["read_as"] = dict(self.read_as)
        if self.filters:
            out["filters"] = dict(self.filters)
        if self.model:
            out["model"] = self.model
        if self.notice:
            out["notice"] = self.notice
        if self.unsupported:
            out["unsupported"] = [dict(u) for u in self.unsupported]
        if self.closest:
            out["closest"] = [c.to_dict() for c in self.closest]
        if self.searched and self.searched != self.question:
            out["searched"] = self.searched
        if self.time_window:
            out["time_window"] = list(self.time_window)
        if self.claims:
            marker = {(c.article_id, c.start, c.end): c.marker for c in self.citations}
            out["claims"] = [{"text": cl.text, "how": cl.how, "markers": [marker[e.key] for e in cl.evidence if e.key in marker]}
                             for cl in self.claims]
        return out

    def to_markdown(self) -> str:
        """The answer and its numbered sources, for reading or export (``qa.answer.markdown``)."""
        from qa.answer.markdown import answer_markdown

        return answer_markdown(self)
