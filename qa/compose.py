"""Compose an extractive, cited answer from retrieved passages.

Each candidate sentence of the top passages is scored by its meaning (cosine to the question), its
keyword overlap with the question (IDF-weighted, stemmed) and the rank of its passage. The best
sentences are quoted in reading order (by article, then position), each ending with ``[n]``.
When the evidence is too weak, the answer says the articles do not answer the question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.embed import Embedder
from index.lexical import tokenize
from index.sentences import sentence_spans
from index.types import Hit
from qa.settings import AnswerSettings
from qa.types import Answer, Citation

NOT_FOUND = "The indexed articles do not answer this."
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Sentence:
    hit_rank: int
    hit: Hit
    start: int  # in the article
    end: int
    text: str


def relevance(question: str, hits: list[Hit], qv: np.ndarray | None, pvecs: np.ndarray | None, idf) -> list[float]:
    """Evidence strength of each passage in [0, 1]: meaning and keyword coverage together."""
    cover = coverages(question, [f"{h.passage.title}\n{h.passage.text}" for h in hits], idf)
    out = []
    for i, c in enumerate(cover):
        dense = float(pvecs[i] @ qv) if qv is not None and pvecs is not None else c
        out.append(0.5 * max(dense, 0.0) + 0.5 * float(c))
    return out


def coverages(question: str, texts: list[str], idf) -> np.ndarray:
    """IDF-weighted share of the question's (stemmed, non-stop) words that occur in each of ``texts``."""
    toks = tokenize([question, *texts])
    q = set(toks[0])
    w = {term: idf(term) for term in q}
    total = sum(w.values())
    if not total:
        return np.zeros(len(texts))
    sets = [set(t) for t in toks[1:]]
    return np.array([sum(v for term, v in w.items() if term in t) / total for t in sets])


def compose(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    settings: AnswerSettings,
    *,
    passage_vectors: np.ndarray | None,
    idf,
    searched: str | None = None,
    query_vector: np.ndarray | None = None,
) -> Answer:
    """Build the ``Answer`` for ``question`` from ranked ``hits``."""
    query = searched or question
    if not hits:
        return Answer(question, NOT_FOUND, not_found=True, searched=searched)
    qv = query_vector if query_vector is not None else embedder.embed_query(query)
    rel = relevance(query, hits, qv, passage_vectors, idf)
    best = max(rel)
    if best < settings.min_relevance:
        closest = tuple(_citation(i + 1, h, h.passage.start, h.passage.end, rel[i]) for i, h in enumerate(hits[:3]))
        return Answer(question, NOT_FOUND, not_found=True, closest=closest, searched=searched)

    keep = [i for i, r in enumerate(rel) if r >= max(settings.min_relevance, 0.6 * best)]
    sentences: list[_Sentence] = []
    for rank in keep:
        h = hits[rank]
        for s, e in sentence_spans(h.passage.text):
            text = h.passage.text[s:e]
            if len(_WORD.findall(text)) >= 3:
                sentences.append(_Sentence(rank, h, h.passage.start + s, h.passage.start + e, text))
    if not sentences:
        return Answer(question, NOT_FOUND, not_found=True, searched=searched)
    uniq: dict[tuple[str, int, int], _Sentence] = {}
    for s in sentences:  # overlapping passages repeat sentences
        uniq.setdefault((s.hit.passage.article_id, s.start, s.end), s)
    sentences = list(uniq.values())
    lex = coverages(query, [s.text for s in sentences], idf)
    prior = np.array([1.0 / (1 + s.hit_rank) for s in sentences])
    # published in the time the question names ("this week"): the retriever preferred it, so does the answer
    timely = np.array([s.hit.scores.get("in_window", 0.0) for s in sentences])
    score = 0.4 * lex + 0.15 * prior + 0.2 * timely
    # embedding every sentence of five news passages costs ~0.5 s on one core: embed only the
    # best few by the cheap terms; the rest get no semantic credit (they rank below anyway)
    head = np.argsort(-score, kind="stable")[: settings.embedded_sentences]
    vecs = embedder.embed_light([sentences[i].text for i in head])
    svecs = np.zeros((len(sentences), vecs.shape[1]), dtype=np.float32)
    svecs[head] = vecs
    score = score + 0.45 * np.clip(svecs @ qv, 0, None)

    chosen: list[int] = []
    for i in np.argsort(-score, kind="stable"):
        if len(chosen) >= settings.max_sentences:
            break
        if chosen and score[i] < 0.8 * score[chosen[0]]:
            break
        if chosen and float(np.max(svecs[chosen] @ svecs[i])) > 0.9:
            continue
        chosen.append(int(i))

    article_rank: dict[str, int] = {}
    for s in sentences:
        article_rank.setdefault(s.hit.passage.article_id, s.hit_rank)
    for i in chosen:
        a = sentences[i].hit.passage.article_id
        article_rank[a] = min(article_rank[a], sentences[i].hit_rank)
    chosen.sort(key=lambda i: (article_rank[sentences[i].hit.passage.article_id], sentences[i].start))

    citations, parts = [], []
    for marker, i in enumerate(chosen, 1):
        s = sentences[i]
        citations.append(_citation(marker, s.hit, s.start, s.end, float(score[i])))
        parts.append(f"{_sentence_end(s.text)} [{marker}]")
    return Answer(question, " ".join(parts), tuple(citations), searched=searched)


def _sentence_end(text: str) -> str:
    return " ".join(text.split())


def _citation(marker: int, h: Hit, start: int, end: int, score: float) -> Citation:
    p = h.passage
    quote = p.text[start - p.start : end - p.start]
    return Citation(
        marker=marker, article_id=p.article_id, title=p.title, source=p.source, date=p.date, url=p.url,
        passage=p.text, quote=quote, start=start, end=end, score=score, passage_id=p.id, passage_start=p.start,
    )


def idf_from(snap) -> Callable[[str], float]:
    """IDF of a stemmed term from the snapshot's BM25 vocabulary (unknown terms: the maximum)."""
    bm25 = snap.lexical.bm25
    n = max(snap.lexical.size, 1)
    vocab = getattr(bm25, "vocab_dict", None) or {}
    indptr = None
    scores = getattr(bm25, "scores", None)
    if isinstance(scores, dict) and "indptr" in scores:
        indptr = scores["indptr"]
    cache: dict[str, float] = {}

    def idf(term: str) -> float:
        if term in cache:
            return cache[term]
        col = vocab.get(term)
        df = int(indptr[col + 1] - indptr[col]) if indptr is not None and col is not None and col + 1 < len(indptr) else 0
        value = math.log(1 + (n - df + 0.5) / (df + 0.5))
        cache[term] = value
        return value

    return idf
