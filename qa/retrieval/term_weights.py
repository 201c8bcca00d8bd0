"""Term weights: the IDF of the lexical index's terms, and how much of a question a text covers."""

from __future__ import annotations

import math

import numpy as np

from index.backend import SearchBackend

_FILLER: frozenset[str] | None = None  # the question-only words as the index's analyser stems them


class TermWeights:
    """IDF of analysed terms, from a backend's document frequencies (cached per term)."""

    def __init__(self, backend: SearchBackend):
        self._backend = backend
        self._n = max(backend.size, 1)
        self._cache: dict[str, float] = {}

    def analyze(self, texts: list[str]) -> list[list[str]]:
        return self._backend.analyze(texts)

    def _filler(self) -> frozenset[str]:
        global _FILLER
        if _FILLER is None:
            from corpus.text.vocabulary import QUESTION_FILLER

            _FILLER = frozenset(t for toks in self.analyze(sorted(QUESTION_FILLER)) for t in toks)
        return _FILLER

    def idf(self, term: str) -> float:
        value = self._cache.get(term)
        if value is None:
            df = self._backend.doc_freq(term)
            value = math.log(1 + (self._n - df + 0.5) / (df + 0.5))
            self._cache[term] = value
        return value

    def coverages(self, question: str, texts: list[str], topic_only: bool = False) -> np.ndarray:
        """IDF-weighted share of the question's terms that occur in each of ``texts``.

        ``topic_only``: the words that only make it a question ("what", "happened", "tell":
        ``QUESTION_FILLER``) are not terms to cover: a passage about Kobani is about "What happened
        near Kobani?" without saying "happened" (unless the question has no other words)."""
        toks = self.analyze([question, *texts])
        asked = (set(toks[0]) - self._filler() or set(toks[0])) if topic_only else set(toks[0])
        w = {term: self.idf(term) for term in asked}
        total = sum(w.values())
        if not total:
            return np.zeros(len(texts))
        sets = [set(t) for t in toks[1:]]
        return np.array([sum(v for term, v in w.items() if term in t) / total for t in sets])
