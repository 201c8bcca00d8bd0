"""BM25 over passages with bm25s (English stemmer and stop words); doc i is ``pids[i]``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

import numpy as np

from corpus.text.terms import tokenize

# bm25s cannot index an empty token list: such a row gets this placeholder token
_EMPTY = "\x00empty"


def _token_ids(texts: list[str], vocab: dict[str, int]) -> list[list[int]]:
    """Token ids of ``texts``, adding new tokens to ``vocab`` in order of first appearance."""
    out = []
    for tokens in tokenize(texts):
        out.append([vocab.setdefault(t, len(vocab)) for t in (tokens or [_EMPTY])])
    return out


class Lexical:
    """A bm25s index and the passage pid of each of its documents."""

    def __init__(self, bm25, pids: np.ndarray):
        self.bm25 = bm25
        self.pids = pids
        self._row_of = None

    @property
    def size(self) -> int:
        return int(len(self.pids))

    @classmethod
    def build(
        cls, texts: Iterable[str], pids: np.ndarray, k1: float = 1.2, b: float = 0.75, chunk: int = 4096
    ) -> Lexical:
        """Index ``texts`` (any iterable, read ``chunk`` at a time) as documents ``pids``.

        Only token ids are kept, never the texts, so memory follows the token count, not the corpus.
        """
        import bm25s

        pids = np.asarray(pids, dtype=np.int64)
        bm25 = bm25s.BM25(k1=k1, b=b)
        vocab: dict[str, int] = {}
        ids: list[list[int]] = []
        it = iter(texts)
        while batch := list(islice(it, chunk)):
            ids.extend(_token_ids(batch, vocab))
        if len(ids) != len(pids):
            raise ValueError(f"BM25 build got {len(ids)} texts for {len(pids)} passages")
        if ids:
            bm25.index((ids, vocab), show_progress=False)
        return cls(bm25, pids)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self.bm25.save(str(folder), show_progress=False)
        np.save(folder / "pids.npy", self.pids, allow_pickle=False)
        (folder / "done.json").write_text(json.dumps({"docs": self.size}))
        for f in folder.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> Lexical:
        import bm25s

        pids = np.load(folder / "pids.npy", allow_pickle=False)
        meta = json.loads((folder / "done.json").read_text())
        if meta.get("docs") != len(pids):
            raise ValueError(f"BM25 folder {folder} is incomplete")
        bm25 = bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False, verbosity=0) if len(pids) else bm25s.BM25()
        return cls(bm25, pids)

    def doc_freq(self, term: str) -> int:
        """How many documents contain the (analysed) ``term``; 0 when it is not in the vocabulary."""
        col = (getattr(self.bm25, "vocab_dict", None) or {}).get(term)
        scores = getattr(self.bm25, "scores", None)
        indptr = scores.get("indptr") if isinstance(scores, dict) else None
        if col is None or indptr is None or col + 1 >= len(indptr):
            return 0
        return int(indptr[col + 1] - indptr[col])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document (in pid order) for ``query``; zeros when no term matches."""
        out = np.zeros(self.size, dtype=np.float32)
        if not self.size:
            return out
        q = [t for t in tokenize([query])[0] if t in self.bm25.vocab_dict]
        if q:
            out[:] = self.bm25.get_scores(q)
        return out

    def search(self, query: str, k: int, allowed_rows: np.ndarray | None = None):
        """Return ``(pids, scores)`` of the top-``k`` passages with a positive score.

        ``allowed_rows``: a 0/1 mask over documents (a filter), or None.
        """
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not self.size or k <= 0:
            return empty
        q = [t for t in tokenize([query])[0] if t in self.bm25.vocab_dict]
        if not q:
            return empty
        k = min(k, self.size)
        docs, scores = self.bm25.retrieve(
            [q], k=k, show_progress=False, weight_mask=allowed_rows, n_threads=1
        )
        docs, scores = docs[0], scores[0]
        keep = scores > 0
        return self.pids[docs[keep]], scores[keep].astype(np.float32)
