"""Hybrid retrieval: dense (FAISS) + BM25, fused, de-duplicated, reranked.

Every candidate gets both scores (the exact cosine from its stored vector and its BM25 score), so
fusion never has to guess a missing score. Filters (outlet, date range) are applied inside both
searches, so ``k`` results come back whenever ``k`` passages match.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from index.embed import Embedder
from index.store import IndexSnapshot
from index.types import Filters, Hit
from qa.rerank import Reranker
from qa.settings import RetrievalSettings


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
    """Finds the passages that answer a query in one index snapshot."""

    def __init__(self, embedder: Embedder, reranker: Reranker | None = None):
        self.embedder = embedder
        self.reranker = reranker

    def retrieve(
        self,
        snap: IndexSnapshot,
        query: str,
        opts: RetrievalSettings,
        filters: Filters | None = None,
        window: tuple[date, date] | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """Return up to ``opts.k`` hits, best first.

        ``window``: the days a question's relative time refers to (``qa.when.time_window``); passages
        of articles published then are searched for too and get ``opts.time_boost`` added.
        ``query_vector``: the query's embedding when the caller already has it.
        """
        if not (opts.dense or opts.bm25):
            raise ValueError("at least one of dense and bm25 retrieval must be on")
        cands = self.candidates(snap, query, opts, filters, window, query_vector)
        if not len(cands.pids):
            return []
        order = np.arange(len(cands.pids))
        if opts.dedupe:
            order = _dedupe(cands.vectors, order, opts.dedupe_threshold)
        stored = snap.passages(cands.pids[order])
        by_pid = {p.pid: p for p in stored}
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
        if opts.rerank and self.reranker is not None and hits:
            depth = opts.rerank_depth
            head = self.reranker.rerank(query, hits[:depth])
            hits = head + hits[depth:]
        return hits[: opts.k]

    def candidates(
        self, snap: IndexSnapshot, query: str, opts: RetrievalSettings, filters: Filters | None,
        window: tuple[date, date] | None = None, query_vector: np.ndarray | None = None,
    ) -> Candidates:
        mask = snap.mask(filters)
        in_win = self._window_mask(snap, filters, window) if opts.time_boost > 0 else None
        n = opts.candidates
        pid_all = snap.meta["pids"]
        qv = None
        if opts.dense:
            qv = query_vector if query_vector is not None else self.embedder.embed_query(query)
        lex_all = snap.lexical.scores(query) if opts.bm25 else None
        if lex_all is not None and mask is not None:
            lex_all = lex_all * mask
        pools = []
        for m in (mask, in_win) if in_win is not None else (mask,):
            if qv is not None:
                pools.append(snap.search_dense(qv, n, m)[0])
            if lex_all is not None:
                pools.append(pid_all[_top_positive(lex_all if m is mask else lex_all * m, n)])
        pids = np.unique(np.concatenate(pools)) if pools else np.zeros(0, np.int64)
        if not len(pids):
            empty = np.zeros(0, np.float32)
            return Candidates(pids, empty, empty, empty, np.zeros((0, snap.manifest.dim), np.float32))
        vecs = snap.vectors(pids)
        d = vecs @ qv if qv is not None else np.zeros(len(pids), np.float32)
        rows = np.searchsorted(pid_all, pids)
        b = lex_all[rows] if lex_all is not None else np.zeros(len(pids), np.float32)
        fused = fuse(d if opts.dense else None, b if opts.bm25 else None, opts)
        inside = None
        if in_win is not None:
            inside = in_win[rows].astype(np.float32)
            fused = (fused + opts.time_boost * inside).astype(np.float32)
        order = np.lexsort((pids, -fused))
        return Candidates(pids[order], fused[order], d[order], b[order], vecs[order],
                          None if inside is None else inside[order])

    @staticmethod
    def _window_mask(snap: IndexSnapshot, filters: Filters | None, window: tuple[date, date] | None) -> np.ndarray | None:
        """Passages inside the time window (and the filters); None when there is none or it is empty."""
        if window is None:
            return None
        since, until = window[0].isoformat(), window[1].isoformat()
        if filters is not None:
            since = max(since, filters.since or since)
            until = min(until, filters.until or until)
        m = snap.mask(Filters(filters.sources if filters else None, since, until))
        return m if m is not None and m.any() else None


def _top_positive(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest positive scores."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        return positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return positive


def fuse(dense: np.ndarray | None, bm25: np.ndarray | None, opts: RetrievalSettings) -> np.ndarray:
    """Combine the two score lists of the same candidates into one score (higher is better)."""
    if dense is None:
        return _minmax(bm25)
    if bm25 is None:
        return dense.astype(np.float32)
    if opts.fusion == "rrf":
        return (_rrf(dense, opts.rrf_k) + _rrf(bm25, opts.rrf_k)).astype(np.float32)
    return (opts.alpha * _minmax(dense) + (1 - opts.alpha) * _minmax(bm25)).astype(np.float32)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x, dtype=np.float32) if hi > 0 else np.zeros_like(x, dtype=np.float32)
    return ((x - lo) / (hi - lo)).astype(np.float32)


def _rrf(x: np.ndarray, k: int) -> np.ndarray:
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[np.argsort(-x, kind="stable")] = np.arange(1, len(x) + 1)
    return 1.0 / (k + ranks)


def _dedupe(vectors: np.ndarray, order: np.ndarray, threshold: float) -> np.ndarray:
    """Keep the first of each group of near-identical passages (wire copies of one story)."""
    kept: list[int] = []
    for i in order:
        if kept and float(np.max(vectors[kept] @ vectors[i])) >= threshold:
            continue
        kept.append(int(i))
    return np.array(kept, dtype=np.int64)


def with_rerank_scores(hits: list[Hit], scores: np.ndarray) -> list[Hit]:
    """Re-sort hits by new scores, recording them as the ``rerank`` score."""
    order = np.argsort(-scores, kind="stable")
    return [replace(hits[i], score=float(scores[i]), scores={**hits[i].scores, "rerank": float(scores[i])}) for i in order]
