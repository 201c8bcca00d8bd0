"""What an answer is made of: citations that point at exact spans of articles."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(float(self.score), 4)
        return d

    @property
    def quote_in_passage(self) -> tuple[int, int]:
        """Offsets of the quote inside ``passage``."""
        return self.start - self.passage_start, self.end - self.passage_start


@dataclass(frozen=True)
class Answer:
    """An extractive answer whose every sentence ends with a citation marker ``[n]``.

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

    def to_dict(self) -> dict:
        """The stable JSON shape (``qa ask --json``, the web API)."""
        out = {
            "question": self.question,
            "text": self.text,
            "not_found": self.not_found,
            "citations": [c.to_dict() for c in self.citations],
        }
        if self.closest:
            out["closest"] = [c.to_dict() for c in self.closest]
        if self.searched and self.searched != self.question:
            out["searched"] = self.searched
        if self.time_window:
            out["time_window"] = list(self.time_window)
        return out

    def to_markdown(self) -> str:
        """The answer and its numbered sources, for reading or export."""
        lines = [f"**Q:** {_md_escape(self.question)}", ""]
        if self.searched and self.searched != self.question:
            lines += [f"_Searched for: {_md_escape(self.searched)}_", ""]
        if self.time_window:
            lines += [f"_Preferring articles published {self.time_window[0]} to {self.time_window[1]}_", ""]
        lines += [_md_escape(self.text), ""]
        cites = self.citations or self.closest
        if cites:
            lines.append("**Sources**" if self.citations else "**Closest passages (they do not answer the question)**")
            lines.append("")
            for c in cites:
                meta = ", ".join(x for x in (_md_escape(c.source), c.date or "") if x)
                head = f"[{c.marker}] {_md_escape(c.title)}" + (f" ({meta})" if meta else "")
                if c.url:
                    head += f" <{c.url}>" if c.url.startswith(("http://", "https://")) else f" {_md_escape(c.url)}"
                lines.append(head)
                lines.append(f"> {_md_escape(c.quote)}")
                lines.append(f"> (article `{c.article_id}`, characters {c.start}–{c.end})")
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"


_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]()<>#+!|~"})


def _md_escape(s: str) -> str:
    """Make article text literal in Markdown (no links, images or HTML from the source)."""
    return " ".join(s.split("\n")).translate(_MD_SPECIAL)
