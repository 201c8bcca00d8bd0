"""Term weights: the IDF of the lexical index's terms, and how much of a question a text covers."""

from __future__ import annotations

import math

import numpy as np

from index.backend import SearchBackend


class TermWeights:
    """IDF of analysed terms, from a backend's document frequencies (cached per term)."""

    def __init__(self, backend: SearchBackend):
        self._backend = backend
        self._n = max(backend.size, 1)
        self._cache: dict[str, float] = {}

    def analyze(self, texts: list[str]) -> list[list[str]]:
        return self._backend.analyze(texts)

    def idf(self, term: str) -> float:
        value = self._cache.get(term)
        if value is None:
            df = self._backend.doc_freq(term)
            value = math.log(1 + (self._n - df + 0.5) / (df + 0.5))
            self._cache[term] = value
        return value

    def coverages(self, question: str, texts: list[str]) -> np.ndarray:
        """IDF-weighted share of the question's terms that occur in each of ``texts``."""
        toks = self.analyze([question, *texts])
        w = {term: self.idf(term) for term in set(toks[0])}
        total = sum(w.values())
        if not total:
            return np.zeros(len(texts))
        sets = [set(t) for t in toks[1:]]
        return np.array([sum(v for term, v in w.items() if term in t) / total for t in sets])
