"""Hybrid retrieval: dense + BM25, fused, de-duplicated, reranked.

Every candidate gets both scores (the exact cosine from its stored vector and its BM25 score), so
fusion never has to guess a missing score. Filters (outlet, date range) are applied inside both
searches, so ``k`` results come back whenever ``k`` passages match. The index is reached only
through ``index.backend.SearchBackend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from index.backend import SearchBackend
from index.embed import Embedder
from index.types import Filters, Hit, as_filters
from qa.retrieval.rerank import Reranker, rerank_windows
from qa.retrieval.scores import minmax, rrf, with_time_preference
from qa.retrieval.term_weights import TermWeights
from qa.settings import RetrievalSettings
from qa.timing import stage


@dataclass(frozen=True)
class Candidates:
    """Fused candidates before reranking, best first."""

    pids: np.ndarray
    fused: np.ndarray
    dense: np.ndarray
    bm25: np.ndarray
    vectors: np.ndarray
    in_window: np.ndarray | None = None  # 1.0 for passages of articles published in the question's time window


class HybridRetriever:
    """Finds the passages that answer a query in one search backend."""

    def __init__(self, embedder: Embedder, reranker: Reranker | None = None):
        self.embedder = embedder
        self.reranker = reranker

    def retrieve(
        self,
        backend: SearchBackend,
        query: str,
        opts: RetrievalSettings,
        filters: Filters | None = None,
        window: tuple[date, date] | None = None,
        query_vector: np.ndarray | None = None,
        dense_pids: np.ndarray | None = None,
    ) -> list[Hit]:
        """Return up to ``opts.k`` hits, best first.

        ``window``: the days a question's relative time refers to (``qa.retrieval.time_window.time_window``); passages
        of articles published then are searched for too and get ``opts.time_boost`` added.
        ``query_vector``: the query's embedding when the caller already has it.
        ``dense_pids``: the unfiltered dense top ``opts.candidates`` of ``query_vector`` when the caller
        searched already (several queries at once: ``SearchBackend.dense_topk_many``).
        """
        cands = self.candidates(backend, query, opts, filters, window, query_vector, dense_pids)
        if not len(cands.pids):
            return []
        with stage("fusion"):
            hits = self._hits(backend, cands, opts)
        if opts.rerank and self.reranker is not None and hits and not confident(hits, opts.rerank_margin):
            depth = opts.rerank_depth
            with stage("rerank"):
                head = hits[:depth]
                texts = (rerank_windows(query, head, TermWeights(backend), opts.rerank_tokens)
                         if opts.rerank_window == "sentences" else None)
                hits = with_time_preference(self.reranker.rerank(query, head, texts), opts.time_boost) + hits[depth:]
        return hits[: opts.k]

    @staticmethod
    def _hits(backend: SearchBackend, cands: Candidates, opts: RetrievalSettings) -> list[Hit]:
        order = np.arange(len(cands.pids))
        if opts.dedupe:
            order = dedupe(cands.vectors, order, opts.dedupe_threshold)
        by_pid = {p.pid: p for p in backend.passages(cands.pids[order])}
        hits = []
        for i in order:
            p = by_pid.get(int(cands.pids[i]))
            if p is None:
                continue
            scores = {"fused": float(cands.fused[i])}
            if opts.dense:
                scores["dense"] = float(cands.dense[i])
            if opts.bm25:
                scores["bm25"] = float(cands.bm25[i])
            if cands.in_window is not None:
                scores["in_window"] = float(cands.in_window[i])
            hits.append(Hit(p, float(cands.fused[i]), scores))
        return hits

    def candidates(
        self, backend: SearchBackend, query: str, opts: RetrievalSettings, filters: Filters | None,
        window: tuple[date, date] | None = None, query_vector: np.ndarray | None = None,
        dense_pids: np.ndarray | None = None,
    ) -> Candidates:
        """The union of each retriever's top ``opts.candidates`` (and of the time window's), fused."""
        in_win = window_filters(backend, filters, window) if opts.time_boost > 0 else None
        n = opts.candidates
        qv = None
        if opts.dense:
            if query_vector is not None:
                qv = query_vector
            else:
                with stage("encode"):
                    qv = self.embedder.embed_query(query)
        pools = []
        for f in (filters, in_win) if in_win is not None else (filters,):
            if qv is not None and dense_pids is not None and f is None:
                pools.append(dense_pids)
            elif qv is not None:
                with stage("dense"):
                    pools.append(backend.dense_topk(qv, n, f)[0])
            if opts.bm25:
                with stage("bm25"):
                    pools.append(backend.lexical_topk(query, n, f)[0])
        pids = np.unique(np.concatenate(pools)) if pools else np.zeros(0, np.int64)
        if not len(pids):
            empty = np.zeros(0, np.float32)
            return Candidates(pids, empty, empty, empty, np.zeros((0, backend.dim), np.float32))
        with stage("fusion"):
            vecs = backend.vectors(pids)
            d = vecs @ qv if qv is not None else np.zeros(len(pids), np.float32)
        with stage("bm25"):
            b = backend.lexical_scores(query, pids) if opts.bm25 else np.zeros(len(pids), np.float32)
        with stage("fusion"):
            fused = fuse(d if opts.dense else None, b if opts.bm25 else None, opts)
        inside = None
        if in_win is not None:
            inside = backend.matches(pids, in_win).astype(np.float32)
            fused = (fused + opts.time_boost * inside).astype(np.float32)
        order = np.lexsort((pids, -fused))
        return Candidates(pids[order], fused[order], d[order], b[order], vecs[order],
                          None if inside is None else inside[order])


def confident(hits: list[Hit], margin: float) -> bool:
    """Fusion is sure enough of its first candidate that reranking cannot pay for itself."""
    return margin > 0 and (len(hits) < 2 or hits[0].score - hits[1].score >= margin)


def window_filters(backend: SearchBackend, filters: Filters | None, window: tuple[date, date] | None) -> Filters | None:
    """The filters narrowed to the time window; None when there is no window or nothing is in it."""
    if window is None:
        return None
    f = as_filters(filters).within(window[0].isoformat(), window[1].isoformat())
    return f if backend.count(f) > 0 else None


def fuse(dense: np.ndarray | None, bm25: np.ndarray | None, opts: RetrievalSettings) -> np.ndarray:
    """Combine the two score lists of the same candidates into one score (higher is better)."""
    if dense is None:
        return minmax(bm25)
    if bm25 is None:
        return dense.astype(np.float32)
    if opts.fusion == "rrf":
        return (rrf(dense, opts.rrf_k) + rrf(bm25, opts.rrf_k)).astype(np.float32)
    return (opts.alpha * minmax(dense) + (1 - opts.alpha) * minmax(bm25)).astype(np.float32)


def dedupe(vectors: np.ndarray, order: np.ndarray, threshold: float) -> np.ndarray:
    """Keep the first of each group of near-identical passages (wire copies of one story)."""
    kept: list[int] = []
    for i in order:
        if kept and float(np.max(vectors[kept] @ vectors[i])) >= threshold:
            continue
        kept.append(int(i))
    return np.array(kept, dtype=np.int64)
