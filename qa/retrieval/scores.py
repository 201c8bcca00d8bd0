"""Score arithmetic shared by the retrieval and reranking stages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from index.types import Hit


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; all-equal scores become 1 (if positive) or 0."""
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x, dtype=np.float32) if hi > 0 else np.zeros_like(x, dtype=np.float32)
    return ((x - lo) / (hi - lo)).astype(np.float32)


def rrf(x: np.ndarray, k: int) -> np.ndarray:
    """Reciprocal-rank scores ``1 / (k + rank)`` of ``x`` (rank 1 is the highest)."""
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[np.argsort(-x, kind="stable")] = np.arange(1, len(x) + 1)
    return 1.0 / (k + ranks)


def with_rerank_scores(hits: list[Hit], scores: np.ndarray) -> list[Hit]:
    """Re-sort hits by new scores, recording them as the ``rerank`` score."""
    order = np.argsort(-scores, kind="stable")
    return [replace(hits[i], score=float(scores[i]), scores={**hits[i].scores, "rerank": float(scores[i])}) for i in order]


def with_time_preference(hits: list[Hit], boost: float) -> list[Hit]:
    """Add ``boost`` to the score of hits published in the question's time window (``in_window``) and
    re-sort: a reranker judges relevance alone, the question's time still counts in full."""
    if boost <= 0 or not any(h.scores.get("in_window") for h in hits):
        return hits
    scores = np.array([h.score + boost * h.scores.get("in_window", 0.0) for h in hits], dtype=np.float32)
    order = np.argsort(-scores, kind="stable")
    return [replace(hits[i], score=float(scores[i])) for i in order]
