"""Hybrid retrieval: dense (FAISS) + BM25, fused, de-duplicated, reranked.

Every candidate gets both scores (the exact cosine from its stored vector and its BM25 score), so
fusion never has to guess a missing score. Filters (outlet, date range) are applied inside both
searches, so ``k`` results come back whenever ``k`` passages match.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    ) -> list[Hit]:
        """Return up to ``opts.k`` hits, best first."""
        if not (opts.dense or opts.bm25):
            raise ValueError("at least one of dense and bm25 retrieval must be on")
        cands = self.candidates(snap, query, opts, filters)
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
            hits.append(Hit(p, float(cands.fused[i]), scores))
        if opts.rerank and self.reranker is not None and hits:
            depth = opts.rerank_depth
            head = self.reranker.rerank(query, hits[:depth])
            hits = head + hits[depth:]
        return hits[: opts.k]

    def candidates(self, snap: IndexSnapshot, query: str, opts: RetrievalSettings, filters: Filters | None) -> Candidates:
        mask = snap.mask(filters)
        n = opts.candidates
        pid_all = snap.meta["pids"]
        qv = self.embedder.embed_query(query) if opts.dense else None
        lex_all = snap.lexical.scores(query) if opts.bm25 else None
        if lex_all is not None and mask is not None:
            lex_all = lex_all * mask
        pools = []
        if qv is not None:
            d_pids, _ = snap.search_dense(qv, n, mask)
            pools.append(d_pids)
        if lex_all is not None:
            positive = np.flatnonzero(lex_all > 0)
            if len(positive) > n:
                top = positive[np.argpartition(-lex_all[positive], n - 1)[:n]]
            else:
                top = positive
            pools.append(pid_all[top])
        pids = np.unique(np.concatenate(pools)) if pools else np.zeros(0, np.int64)
        if not len(pids):
            return Candidates(pids, *(np.zeros(0, np.float32) for _ in range(3)), np.zeros((0, snap.manifest.dim), np.float32))
        vecs = snap.vectors(pids)
        d = vecs @ qv if qv is not None else np.zeros(len(pids), np.float32)
        rows = np.searchsorted(pid_all, pids)
        b = lex_all[rows] if lex_all is not None else np.zeros(len(pids), np.float32)
        fused = fuse(d if opts.dense else None, b if opts.bm25 else None, opts)
        order = np.lexsort((pids, -fused))
        return Candidates(pids[order], fused[order], d[order], b[order], vecs[order])


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
