"""Reranking stage: re-scores the fused top candidates."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod

import numpy as np

from index.types import Hit


class Reranker(ABC):
    """Re-orders hits for a query."""

    name: str

    @abstractmethod
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Return the same hits, best first, with a ``rerank`` score."""


class CrossEncoderReranker(Reranker):
    """Any sentence-transformers ``CrossEncoder`` (hub name or local folder), loaded on first use."""

    def __init__(self, model: str, device: str = "cpu", max_length: int = 256):
        self.name = model
        self._device = device
        self._max_length = max_length
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                from index.errors import ModelError

                try:
                    self._model = CrossEncoder(self.name, device=self._device, max_length=self._max_length)
                except (OSError, ValueError) as exc:
                    raise ModelError(f"cannot load reranker {self.name!r}: {exc}") from exc
        return self._model

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        from qa.retrieve import with_rerank_scores

        if not hits:
            return hits
        model = self.warm_up()
        pairs = [(query, f"{h.passage.title}\n{h.passage.text}") for h in hits]
        scores = np.asarray(model.predict(pairs, show_progress_bar=False, batch_size=32), dtype=np.float32)
        if scores.ndim > 1:
            scores = scores[:, -1]
        return with_rerank_scores(hits, scores)


def default_reranker() -> Reranker | None:
    """The offline reranker used when no ``rerank_model`` is configured (None: fusion order)."""
    return None
