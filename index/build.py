"""Build the files derived from the passage table for one version: FAISS, BM25, filter arrays."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np

from index import dense
from index.db import VISIBLE
from index.lexical import Lexical
from index.manifest import Manifest, Paths, fsync_dir
from index.types import day_number, titled


def version_files(version: int) -> dict:
    stem = f"v{version:06d}"
    return {"faiss": f"{stem}.faiss", "lexical": f"{stem}.bm25", "meta": f"{stem}.meta.npz"}


def build_version(
    con: sqlite3.Connection,
    paths: Paths,
    version: int,
    *,
    dim: int,
    index_type: str,
    hnsw_threshold: int,
    hnsw_m: int,
    previous: Manifest | None,
    log=lambda msg: None,
) -> tuple[dict, str, int, int]:
    """Write the derived files of ``version``; return ``(files, index_type, articles, passages)``."""
    import faiss

    paths.data.mkdir(parents=True, exist_ok=True)
    pids, source, day, article, sources, article_ids = _passage_meta(con, version)
    n = len(pids)
    kind = dense.choose_type(index_type, n, hnsw_threshold)
    files = version_files(version)

    t0 = time.time()
    index = None
    if previous is not None and previous.dim == dim:
        prev_file = paths.data / previous.files["faiss"]
        if prev_file.exists():
            index = faiss.read_index(str(prev_file))
            if dense.index_kind(index) != kind or dense.outdated(index):
                index = None
    if index is not None:
        gone = np.array(
            [r[0] for r in con.execute("SELECT pid FROM passages WHERE removed = ?", (version,))],
            dtype=np.int64,
        )
        if len(gone) and kind == dense.HNSW:
            index = None  # HNSW cannot delete: rebuild
        elif len(gone):
            index.remove_ids(faiss.IDSelectorBatch(gone))
    if index is not None:
        new = con.execute(
            "SELECT p.pid, v.vec FROM passages p JOIN vectors v ON v.key = p.key WHERE p.added = ? ORDER BY p.pid",
            (version,),
        )
        _add(index, new, dim)
        if index.ntotal != n or not np.array_equal(np.sort(dense.ids_of(index)), pids):
            log("incremental vector update did not match the passage table; rebuilding")
            index = None
    if index is None:
        index = dense.new_index(kind, dim, hnsw_m=hnsw_m)
        cur = con.execute(
            f"""SELECT p.pid, v.vec FROM passages p JOIN vectors v ON v.key = p.key
                WHERE {VISIBLE.format(t='p')} ORDER BY p.pid""",
            {"v": version},
        )
        _add(index, cur, dim)
    if index.ntotal != n:
        raise RuntimeError(f"vector index has {index.ntotal} vectors for {n} passages (vectors missing)")
    tmp = paths.data / (files["faiss"] + ".tmp")
    faiss.write_index(index, str(tmp))
    _fsync(tmp)
    tmp.replace(paths.data / files["faiss"])
    log(f"vector index: {n} vectors ({kind}) in {time.time() - t0:.1f}s")
    del index  # written: free its memory before BM25 is built

    t0 = time.time()
    texts = _visible_passages(con, version, "a.title, p.text")
    lex = Lexical.build((titled(title, text) for title, text in texts), pids)
    lex_dir = paths.data / files["lexical"]
    tmp_dir = paths.data / (files["lexical"] + ".tmp")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    shutil.rmtree(lex_dir, ignore_errors=True)
    lex.save(tmp_dir)
    tmp_dir.rename(lex_dir)
    log(f"BM25 index: {n} passages in {time.time() - t0:.1f}s")

    meta_tmp = paths.data / (files["meta"] + ".tmp.npz")
    np.savez(
        meta_tmp,
        pids=pids,
        source=source,
        day=day,
        article=article,
        sources=np.array(sources, dtype=str) if sources else np.zeros(0, dtype="<U1"),
        article_ids=np.array(article_ids, dtype=str) if article_ids else np.zeros(0, dtype="<U1"),
    )
    _fsync(meta_tmp)
    meta_tmp.replace(paths.data / files["meta"])
    fsync_dir(paths.data)
    return files, kind, len(article_ids), n


def _visible_passages(con: sqlite3.Connection, version: int, columns: str) -> sqlite3.Cursor:
    """A cursor over ``columns`` of the passages (``p``) and their articles (``a``) visible in
    ``version``, in pid order: every pass over them lines up row for row."""
    return con.execute(
        f"""SELECT {columns} FROM passages p JOIN articles a ON a.aid = p.aid
            WHERE {VISIBLE.format(t='p')} ORDER BY p.pid""",
        {"v": version},
    )


def _passage_meta(con: sqlite3.Connection, version: int, batch: int = 8192):
    """Pids, source/day/article arrays and the sorted source and article-id lists of ``version``.

    Read in batches into arrays: no per-passage Python objects are kept.
    """
    cur = _visible_passages(con, version, "p.pid, a.source, a.date, a.id")
    src_seen: dict[str, int] = {}
    art_seen: dict[str, int] = {}
    cols: tuple[list[np.ndarray], ...] = ([], [], [], [])
    while chunk := cur.fetchmany(batch):
        m = len(chunk)
        cols[0].append(np.fromiter((r[0] for r in chunk), dtype=np.int64, count=m))
        cols[1].append(np.fromiter((src_seen.setdefault(r[1], len(src_seen)) for r in chunk), dtype=np.int32, count=m))
        cols[2].append(np.fromiter((day_number(r[2]) for r in chunk), dtype=np.int32, count=m))
        cols[3].append(np.fromiter((art_seen.setdefault(r[3], len(art_seen)) for r in chunk), dtype=np.int32, count=m))
    pids, source, day, article = (
        np.concatenate(c) if c else np.zeros(0, dtype=dt)
        for c, dt in zip(cols, (np.int64, np.int32, np.int32, np.int32), strict=True)
    )
    # number sources and articles in sorted order, as readers expect
    sources, src_rank = _sorted_codes(src_seen)
    article_ids, art_rank = _sorted_codes(art_seen)
    return pids, src_rank[source], day, art_rank[article], sources, article_ids


def _sorted_codes(seen: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """The keys of ``seen`` sorted, and an array mapping each first-seen code to its sorted rank."""
    keys = sorted(seen)
    rank = np.zeros(len(seen), dtype=np.int32)
    for i, k in enumerate(keys):
        rank[seen[k]] = i
    return keys, rank


def _add(index, cursor, dim: int, batch: int = 8192) -> None:
    while True:
        chunk = cursor.fetchmany(batch)
        if not chunk:
            return
        ids = np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
        vecs = np.frombuffer(b"".join(r[1] for r in chunk), dtype=np.float32).reshape(len(chunk), dim)
        index.add_with_ids(vecs, ids)


def _fsync(path: Path) -> None:
    import os

    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def remove_old_versions(paths: Paths, keep: set[str]) -> None:
    """Delete derived files of versions no reader should still be opening."""
    if not paths.data.exists():
        return
    for f in paths.data.iterdir():
        if f.name not in keep:
            if f.is_dir():
                shutil.rmtree(f, ignore_errors=True)
            else:
                f.unlink(missing_ok=True)
