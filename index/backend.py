"""The search seam: what retrieval and answer composition may ask of an index, and nothing more.

``qa/`` reads an index only through this protocol: search, passages and vectors, term statistics,
and the catalogue (articles, their attribution relations, outlets). Filters are a value object
(``index.types.Filters``) that each implementation translates itself (the FAISS+BM25 store: an id
selector and a BM25 weight mask). Any other store (a server-based vector database, say) is a second
implementation; the contract suite in ``tests/index/backend_contract.py`` is what it has to pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from index.types import Filters, StoredPassage


@runtime_checkable
class SearchBackend(Protocol):
    """Top-k by vector and by keywords with a filter, and lookups by passage id (``pid``)."""

    @property
    def size(self) -> int:
        """Passages in this version of the index."""

    @property
    def dim(self) -> int:
        """Dimension of the stored vectors."""

    def dense_topk(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(pids, inner products)`` of the ``k`` nearest passages that pass ``filters``, best first.

        ``k`` come back whenever ``k`` passages pass the filters.
        """

    def dense_topk_many(self, vectors: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """``dense_topk`` of each row of ``vectors`` without a filter, in one pass where the index allows."""

    def lexical_topk(self, query: str, k: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(pids, BM25 scores)`` of up to ``k`` passages with a positive score that pass ``filters``."""

    def lexical_scores(self, query: str, pids: Sequence[int]) -> np.ndarray:
        """BM25 score of each of ``pids`` for ``query`` (0 where no term matches)."""

    def count(self, filters: Filters | None) -> int:
        """How many passages pass ``filters``."""

    def matches(self, pids: Sequence[int], filters: Filters | None) -> np.ndarray:
        """A boolean per pid: does it pass ``filters``."""

    def vectors(self, pids: Sequence[int]) -> np.ndarray:
        """The stored ``(len(pids), dim)`` vectors of ``pids``."""

    def passages(self, pids: Sequence[int]) -> list[StoredPassage]:
        """The stored passages of ``pids``, in the same order (unknown pids are left out)."""

    def all_pids(self) -> np.ndarray:
        """Every passage id of this version, ascending (for checks and maintenance, not the query path)."""

    def analyze(self, texts: Sequence[str]) -> list[list[str]]:
        """The keyword terms of each text, as the lexical index sees them (stemmed, no stop words)."""

    def doc_freq(self, term: str) -> int:
        """How many passages contain ``term`` (a term from ``analyze``)."""

    # the catalogue: what attribution, corroboration, timelines and outlet profiles read
    def attributions(self, article_ids: Sequence[str]) -> dict[str, list[dict]]:
        """The attribution relations stored for each article (``corpus.text.attribution.Relation.to_dict``),
        by article id; articles indexed without attribution, and unknown ids, are left out. The lists
        are shared: read them, do not change them."""

    def article(self, article_id: str) -> dict | None:
        """The article with this id (id, title, source, date, url, metadata, text, passages), or None."""

    def articles(self, limit: int | None = None) -> list[dict]:
        """The articles (id, title, source, date, url, passages; no text), newest first."""

    def sources(self) -> list[str]:
        """The outlets of the indexed articles, each once."""

    def copies_of(self, article_id: str) -> list[dict]:
        """The articles carrying the same report as ``article_id`` (it included: ``id``, ``source``,
        ``title``, ``date``), or empty when it has no copies (``index.copies``)."""

    def copy_stats(self) -> dict:
        """``{"groups", "articles"}``: the groups of copies and the articles in them."""
