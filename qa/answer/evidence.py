"""Selecting evidence: which sentences of the retrieved passages answer the question.

Each candidate sentence of the strongest passages is scored by its meaning (cosine to the
question), its keyword coverage of the question (IDF-weighted, stemmed) and the rank of its passage
(weights: ``AnswerSettings``). The best, non-redundant sentences are returned in reading order (by
article, then position). When the evidence is too weak, nothing is selected and the nearest
passages are returned as ``closest``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from corpus.text.sentences import passage_spans
from index.embed import Embedder
from index.types import Hit
from qa.retrieval.term_weights import TermWeights
from qa.settings import AnswerSettings
from qa.timing import stage
from qa.types import Evidence

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Selection:
    """The evidence chosen for an answer (reading order), or, when there is none, the closest passages."""

    evidence: tuple[Evidence, ...] = ()
    closest: tuple[Evidence, ...] = ()
    found: bool = False
    vectors: np.ndarray | None = field(default=None, compare=False)  # of ``evidence``, when embedded


def passage_strength(query: str, hits: list[Hit], qv: np.ndarray | None, pvecs: np.ndarray | None,
                     terms: TermWeights, s: AnswerSettings) -> list[float]:
    """Evidence strength of each passage in [0, 1]: meaning and coverage of the question's topic words together."""
    cover = terms.coverages(query, [h.passage.titled_text for h in hits], topic_only=True)
    w = s.passage_meaning_weight
    out = []
    for i, c in enumerate(cover):
        dense = float(pvecs[i] @ qv) if qv is not None and pvecs is not None else c
        out.append(w * max(dense, 0.0) + (1 - w) * float(c))
    return out


def select_evidence(query: str, hits: list[Hit], embedder: Embedder, s: AnswerSettings, *, terms: TermWeights,
                    passage_vectors: np.ndarray | None, query_vector: np.ndarray | None = None,
                    annotate: Callable[[tuple[Evidence, ...]], tuple[Evidence, ...]] | None = None,
                    keep: Callable[[Evidence], bool] | None = None,
                    prefer: Callable[[Evidence], float] | None = None, on_topic: bool = False,
                    lead: Callable[[Evidence], bool] | None = None) -> Selection:
    """Choose the sentences of ``hits`` that best answer ``query``.

    ``annotate`` adds to candidate sentences (who says each) before ``keep`` (a filter: only
    these may be quoted) and ``prefer`` (a bonus added to a sentence's score) look at them. The
    chosen sentences for which ``lead`` holds (those answering the question's "who") come first.
    """
    if not hits:
        return Selection()
    qv = query_vector if query_vector is not None else embedder.embed_query(query)
    rel = passage_strength(query, hits, qv, passage_vectors, terms, s)
    every = passage_sentences(hits, s)
    notes: dict[tuple[str, int, int], Evidence] = {}  # each sentence annotated once, however often it is needed
    bonus: dict[tuple[str, int, int], float] = {}

    def annotated(evs: list[Evidence]) -> list[Evidence]:
        if annotate is None:
            return evs
        new = list({e.key: e for e in evs if e.key not in notes}.values())
        if new:
            notes.update((e.key, e) for e in annotate(tuple(new)))
        return [replace(notes[e.key], scores=e.scores) for e in evs]  # this occurrence's scores

    def preferred(e: Evidence) -> float:
        if e.key not in bonus:
            bonus[e.key] = prefer(e)
        return bonus[e.key]

    if prefer is not None and annotate is not None:  # a passage quoting the source the question names is strong evidence
        lift = [0.0] * len(hits)
        floor = s.passage_keep_ratio * max(rel) if keep is not None and on_topic else float("-inf")
        for e in annotated(_first_of(every, range(len(hits)))):
            if keep is None or keep(e):
                r = int(e.scores["passage_rank"])
                if rel[r] < floor:
                    continue  # the question names a topic: a source it asks for does not make a passage about it
                lift[r] = max(lift[r], preferred(e))
        rel = [r + b for r, b in zip(rel, lift, strict=True)]
    best = max(rel)
    if best < s.min_relevance:
        closest = tuple(Evidence.from_hit(h, h.passage.start, h.passage.end, rel[i]) for i, h in enumerate(hits[:3]))
        return Selection(closest=closest)

    strong = [i for i, r in enumerate(rel) if r >= max(s.min_relevance, s.passage_keep_ratio * best)]
    sentences = annotated(_first_of(every, strong))
    if keep is not None:
        sentences = [e for e in sentences if keep(e)]
    if not sentences:
        return Selection()
    texts = [e.text for e in sentences]
    rank = np.array([e.scores["passage_rank"] for e in sentences])
    lex = terms.coverages(query, texts)
    prior = 1.0 / (1 + rank)
    # published in the time the question names ("this week"): the retriever preferred it, so does the answer
    timely = np.array([e.scores.get("in_window", 0.0) for e in sentences])
    score = s.keyword_weight * lex + s.rank_weight * prior + s.time_weight * timely
    if prefer is not None:
        score = score + np.array([preferred(e) for e in sentences])
    # embedding every sentence of five news passages is slow on a small CPU: embed only the best
    # few by the cheap terms; the rest get no semantic credit (they rank below anyway)
    head = np.argsort(-score, kind="stable")[: s.embedded_sentences]
    with stage("sentence_encode"):
        vecs = embedder.embed_sentences([texts[i] for i in head])
    svecs = np.zeros((len(sentences), vecs.shape[1]), dtype=np.float32)
    svecs[head] = vecs
    score = score + s.meaning_weight * np.clip(svecs @ qv, 0, None)

    chosen: list[int] = []
    said: set[str] = set()  # a sentence carried by several copies of a report is quoted once
    for i in np.argsort(-score, kind="stable"):
        if len(chosen) >= s.max_sentences:
            break
        if chosen and score[i] < s.score_ratio * score[chosen[0]]:
            break
        words = " ".join(_WORD.findall(texts[i].casefold()))
        if words in said or (chosen and float(np.max(svecs[chosen] @ svecs[i])) > s.redundancy):
            continue
        said.add(words)
        chosen.append(int(i))

    article_rank: dict[str, int] = {}
    for e in sentences:
        article_rank.setdefault(e.article_id, int(e.scores["passage_rank"]))
    for i in chosen:
        e = sentences[i]
        article_rank[e.article_id] = min(article_rank[e.article_id], int(e.scores["passage_rank"]))
    chosen.sort(key=lambda i: (article_rank[sentences[i].article_id], sentences[i].start))
    if lead is not None:
        chosen.sort(key=lambda i: not lead(sentences[i]))
    picked = tuple(replace(sentences[i], score=float(score[i])) for i in chosen)
    return Selection(evidence=picked, found=True, vectors=svecs[chosen])


def _first_of(sentences: list[Evidence], ranks) -> list[Evidence]:
    """The sentences of the passages ``ranks``, each once: overlapping passages repeat sentences, the best-ranked counts."""
    wanted = set(ranks)
    once: dict[tuple[str, int, int], Evidence] = {}
    for e in sentences:
        if e.scores["passage_rank"] in wanted:
            once.setdefault(e.key, e)
    return list(once.values())


def passage_sentences(hits: list[Hit], s: AnswerSettings) -> list[Evidence]:
    """Every quotable sentence of every passage, in rank order, each with its ``passage_rank``."""
    out = []
    for rank, h in enumerate(hits):
        for a, b in passage_spans(h.passage):
            if len(_WORD.findall(h.passage.text[a:b])) >= s.min_sentence_words:
                out.append(Evidence.from_hit(h, h.passage.start + a, h.passage.start + b, 0.0, passage_rank=float(rank)))
    return out
