"""Split articles into passages that fit the embedding model's window.

Passages are runs of whole sentences (never a sentence cut in half, except a single "sentence"
longer than ``hard_limit`` tokens, which is cut at a word boundary). Each passage keeps its
character span in the article, so ``article.text[p.start:p.end] == p.text``. The article title is
prepended to the text that gets embedded and counted against the token budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from corpus import Article
from corpus.text.sentences import sentence_spans
from index.types import titled

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Passage:
    """A span of an article: the unit that is embedded, retrieved and cited."""

    id: str
    article_id: str
    position: int
    start: int
    end: int
    text: str
    embed_text: str
    sentences: tuple[tuple[int, int], ...] = ()  # (start, end) of each sentence, relative to ``text``

    @property
    def key(self) -> str:
        """Content hash of what is embedded: equal keys share one vector."""
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()[:32]


def whitespace_counter(texts: Sequence[str]) -> list[int]:
    """A crude token counter (words × 1.3) for when no tokenizer is at hand."""
    return [int(len(t.split()) * 1.3) + 1 for t in texts]


class Chunker:
    """Packs sentences into passages of at most ``max_tokens`` (title included).

    Args:
        max_tokens: budget per passage, counted with ``count`` on title + text.
        overlap_tokens: whole trailing sentences of up to this many tokens are repeated at the
            start of the next passage.
        count: returns the token count of each text (the embedder's own tokenizer).
    """

    def __init__(self, max_tokens: int = 200, overlap_tokens: int = 32, count: TokenCounter | None = None):
        if max_tokens < 16:
            raise ValueError(f"max_tokens must be >= 16, got {max_tokens}")
        if not 0 <= overlap_tokens < max_tokens:
            raise ValueError(f"overlap_tokens must be in [0, max_tokens), got {overlap_tokens}")
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.count = count or whitespace_counter

    def split(self, article: Article) -> list[Passage]:
        """Return the passages of one article, in order."""
        return self.split_many([article])[0]

    def split_many(self, articles: Sequence[Article]) -> list[list[Passage]]:
        """Split several articles, counting all their sentences' tokens in one batch."""
        spans_per = [self._spans(a.text) for a in articles]
        flat = [a.text[s:e] for a, spans in zip(articles, spans_per, strict=True) for s, e in spans]
        titles = [a.title for a in articles]
        counts = self.count(flat + titles) if flat or titles else []
        out, i = [], 0
        for j, (a, spans) in enumerate(zip(articles, spans_per, strict=True)):
            n = len(spans)
            title_tokens = counts[len(flat) + j] + 1
            out.append(self._pack(a, spans, counts[i : i + n], title_tokens))
            i += n
        return out

    def _spans(self, text: str) -> list[tuple[int, int]]:
        spans = sentence_spans(text)
        limit = self.max_tokens * 3  # characters per token is ~4: this is a very long sentence
        result = []
        for s, e in spans:
            if e - s <= limit * 4:
                result.append((s, e))
                continue
            pos = s
            while pos < e:  # cut a run-on "sentence" at word boundaries
                cut = min(e, pos + limit * 4)
                if cut < e:
                    space = text.rfind(" ", pos + 1, cut)
                    cut = space if space > pos else cut
                piece = text[pos:cut]
                lead = len(piece) - len(piece.lstrip())
                trail = len(piece) - len(piece.rstrip())
                if cut - pos - lead - trail > 0:
                    result.append((pos + lead, cut - trail))
                pos = cut
        return result

    def _pack(self, a: Article, spans, counts, title_tokens: int) -> list[Passage]:
        budget = max(8, self.max_tokens - title_tokens)
        groups: list[list[int]] = []
        current: list[int] = []
        used = 0
        for i, c in enumerate(counts):
            if current and used + c > budget:
                groups.append(current)
                carry: list[int] = []
                carried = 0
                for j in reversed(current):
                    if carried + counts[j] > self.overlap_tokens or len(carry) + 1 >= len(current):
                        break
                    carry.insert(0, j)
                    carried += counts[j]
                if carried + c > budget:
                    carry, carried = [], 0
                current, used = carry, carried
            current.append(i)
            used += c
        if current:
            groups.append(current)
        passages = []
        for pos, g in enumerate(groups):
            start, end = spans[g[0]][0], spans[g[-1]][1]
            text = a.text[start:end]
            embed_text = titled(a.title, text)
            pid = hashlib.sha256(f"{a.id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()[:24]
            sentences = tuple((spans[i][0] - start, spans[i][1] - start) for i in g)
            passages.append(Passage(pid, a.id, pos, start, end, text, embed_text, sentences))
        return passages
