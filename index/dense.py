"""FAISS vector index: a full scan (flat) while small, HNSW past a threshold; ids are passage pids.

The flat index stores each vector as float16 (``IndexScalarQuantizer``, QT_fp16): a scan reads half
the bytes, which is what a scan costs once the vectors have left the cache, with nearly the same
ranking as float32 (bench/README.md, *Speed and scale*). The float32 vectors stay in the passage
table; only this derived file holds them in float16.
"""

from __future__ import annotations

import numpy as np

FLAT, HNSW = "flat", "hnsw"
EXACT_SUBSET = 10_000  # a filter leaving at most this many passages scores just those (exact, and cheap)


def choose_type(setting: str, n: int, threshold: int) -> str:
    """Resolve ``auto`` to flat or hnsw by corpus size."""
    if setting not in {"auto", FLAT, HNSW}:
        raise ValueError(f"index_type must be auto, flat or hnsw, got {setting!r}")
    if setting != "auto":
        return setting
    return HNSW if n >= threshold else FLAT


def new_index(kind: str, dim: int, hnsw_m: int = 32, ef_construction: int = 200):
    import faiss

    if kind == FLAT:
        inner = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    else:
        inner = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = ef_construction
    return faiss.IndexIDMap2(inner)


def _inner(index):
    """The index inside the id map, as its own FAISS class."""
    import faiss

    return faiss.downcast_index(index.index) if hasattr(index, "index") else index


def index_kind(index) -> str:
    import faiss

    return HNSW if isinstance(_inner(index), faiss.IndexHNSW) else FLAT


def outdated(index) -> bool:
    """A flat index of float32 vectors, as earlier versions wrote: rebuilt in float16 at the next publish."""
    import faiss

    return isinstance(_inner(index), faiss.IndexFlat)


def ids_of(index) -> np.ndarray:
    import faiss

    return faiss.vector_to_array(index.id_map).astype(np.int64)


def search(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None, ef_search: int = 128):
    """Top-``k`` by inner product. ``allowed``: the only pids that may be returned (a filter).

    A filter that leaves at most ``EXACT_SUBSET`` passages is searched exactly over just those: a
    full Flat scan would be wasted, and an HNSW walk mostly visits passages the filter rejects and
    can come back short. On HNSW a wider filter walks the graph with a proportionally larger
    ``efSearch`` and falls back to exact search when it still finds fewer than ``k``.

    Returns:
        ``(pids, scores)`` arrays, without the -1 padding FAISS uses when fewer than k match.
    """
    import faiss

    if index.ntotal == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    k = min(k, index.ntotal)
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    kind = index_kind(index)
    params = _params(index, k, ef_search)
    if allowed is not None:
        if len(allowed) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        allowed = np.ascontiguousarray(allowed, dtype=np.int64)
        if len(allowed) <= EXACT_SUBSET:
            return exact_subset(index, q[0], k, allowed)
        params.sel = faiss.IDSelectorBatch(allowed)
        if kind == HNSW:
            params.efSearch = int(min(max(ef_search, k) * index.ntotal / len(allowed), 16 * max(ef_search, k)))
    scores, ids = index.search(q, k, params=params)
    keep = ids[0] >= 0
    pids, found = ids[0][keep], scores[0][keep]
    if allowed is not None and kind == HNSW and len(pids) < min(k, len(allowed)):
        return exact_subset(index, q[0], k, allowed)
    return pids, found


def exact_subset(index, query: np.ndarray, k: int, allowed: np.ndarray, chunk: int = 16384):
    """Exact top-``k`` among the ``allowed`` pids, reading their stored vectors in chunks."""
    best_ids = np.zeros(0, dtype=np.int64)
    best = np.zeros(0, dtype=np.float32)
    for i in range(0, len(allowed), chunk):
        ids = allowed[i : i + chunk]
        s = index.reconstruct_batch(ids) @ query
        ids, s = np.concatenate([best_ids, ids]), np.concatenate([best, s])
        if len(s) > k:
            top = np.argpartition(-s, k - 1)[:k]
            ids, s = ids[top], s[top]
        best_ids, best = ids, s
    order = np.argsort(-best, kind="stable")
    return best_ids[order], best[order].astype(np.float32)


def _params(index, k: int, ef_search: int):
    """Search parameters without a filter: HNSW walks at least ``max(ef_search, k)`` candidates."""
    import faiss

    if index_kind(index) != HNSW:
        return faiss.SearchParameters()
    params = faiss.SearchParametersHNSW()
    params.efSearch = max(ef_search, k)
    return params


def search_many(index, queries: np.ndarray, k: int, ef_search: int = 128) -> list[tuple[np.ndarray, np.ndarray]]:
    """``search`` of each row of ``queries`` without a filter, as one FAISS call: a Flat scan reads
    the stored vectors once for all of them, not once a row. Under 20 rows FAISS
    scores them as it scores one (the same results); from 20 on through BLAS (equal to ~1e-6)."""

    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if index.ntotal == 0 or k <= 0:
        return [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)) for _ in queries]
    k = min(k, index.ntotal)
    scores, ids = index.search(queries, k, params=_params(index, k, ef_search))
    return [(row_ids[row_ids >= 0], row_scores[row_ids >= 0]) for row_ids, row_scores in zip(ids, scores, strict=True)]
