"""Open an index for reading: one consistent version, however many ingests run meanwhile."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from index import dense
from index.build import day_number
from index.db import VISIBLE, connect, db_version
from index.errors import IndexCorrupt, IndexNotFound, ModelMismatch
from index.lexical import Lexical
from index.manifest import Manifest, Paths, read_manifest
from index.types import Filters, StoredPassage

_PASSAGE_SQL = """SELECT p.pid, p.id, a.id, p.position, p.start, p."end", p.text,
                         a.title, a.source, a.date, a.url
                  FROM passages p JOIN articles a ON a.aid = p.aid WHERE p.pid IN ({qs})"""


class IndexSnapshot:
    """One version of the index: FAISS, BM25, filter arrays and the passage table."""

    def __init__(self, paths: Paths, manifest: Manifest, faiss_index, lexical: Lexical, meta: dict, con):
        self.paths = paths
        self.manifest = manifest
        self.dense = faiss_index
        self.lexical = lexical
        self.meta = meta
        self._con = con
        self._lock = threading.Lock()

    @classmethod
    def open(cls, home: Path, expected_model: str | None = None) -> IndexSnapshot:
        """Open the current version under ``home``.

        Raises:
            IndexNotFound: nothing has been ingested there.
            IndexCorrupt: a file is missing, truncated or inconsistent.
            ModelMismatch: the index was built with another model than ``expected_model``.
        """
        import faiss

        paths = Paths(Path(home))
        try:
            manifest = read_manifest(paths.manifest)
        except FileNotFoundError:
            raise IndexNotFound(
                f"no index in {paths.home}: run `qa ingest PATH` first (e.g. `qa ingest corpus/articles`)"
            ) from None
        if expected_model and manifest.model != expected_model:
            raise ModelMismatch(
                f"the index in {paths.home} was built with {manifest.model!r}, but the configured "
                f"embedding model is {expected_model!r}; use that model or re-ingest into a new home"
            )
        if not paths.db.exists():
            raise IndexCorrupt(f"passage table {paths.db} is missing")
        try:
            con = connect(paths.db, readonly=True)
            have = db_version(con)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"passage table {paths.db} is unreadable ({exc})") from None
        if have < manifest.version:
            raise IndexCorrupt(
                f"passage table is at version {have} but the manifest names version {manifest.version}"
            )
        f = {k: paths.data / v for k, v in manifest.files.items()}
        for name, p in f.items():
            if not p.exists():
                raise IndexCorrupt(f"index file {p.name} ({name}) is missing")
        try:
            big = f["faiss"].stat().st_size > 256 * 2**20
            flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if big else 0
            vec = faiss.read_index(str(f["faiss"]), flags)
        except RuntimeError as exc:
            raise IndexCorrupt(f"vector index {f['faiss'].name} is unreadable ({str(exc).splitlines()[0]})") from None
        try:
            lex = Lexical.load(f["lexical"])
            with np.load(f["meta"], allow_pickle=False) as z:
                meta = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise IndexCorrupt(f"BM25 or filter data of version {manifest.version} is unreadable ({exc})") from None
        n = manifest.passages
        if vec.ntotal != n or lex.size != n or len(meta["pids"]) != n:
            raise IndexCorrupt(
                f"counts differ: manifest {n}, vectors {vec.ntotal}, BM25 {lex.size}, table rows {len(meta['pids'])}"
            )
        return cls(paths, manifest, vec, lex, meta, con)

    @property
    def version(self) -> int:
        return self.manifest.version

    def close(self) -> None:
        self._con.close()

    # ----- lookups -----
    def passages(self, pids) -> list[StoredPassage]:
        """The stored passages for ``pids``, in the same order (unknown pids are left out)."""
        pids = [int(p) for p in pids]
        if not pids:
            return []
        found: dict[int, StoredPassage] = {}
        with self._lock:
            for i in range(0, len(pids), 900):
                part = pids[i : i + 900]
                sql = _PASSAGE_SQL.format(qs=",".join("?" * len(part)))
                for r in self._con.execute(sql, part):
                    found[r[0]] = StoredPassage(*r)
        return [found[p] for p in pids if p in found]

    def article(self, article_id: str) -> dict | None:
        """The live article with this id (all fields, with its text), or None."""
        with self._lock:
            row = self._con.execute(
                f"""SELECT id, title, source, date, url, metadata, text, n_passages FROM articles a
                    WHERE id = :id AND {VISIBLE.format(t='a')}""",
                {"id": article_id, "v": self.version},
            ).fetchone()
        if row is None:
            return None
        keys = ("id", "title", "source", "date", "url", "metadata", "text", "passages")
        out = dict(zip(keys, row, strict=True))
        out["metadata"] = json.loads(out["metadata"])
        return out

    def articles(self, limit: int | None = None) -> list[dict]:
        """Article list (no text), newest first."""
        with self._lock:
            rows = self._con.execute(
                f"""SELECT id, title, source, date, url, n_passages FROM articles a
                    WHERE {VISIBLE.format(t='a')} ORDER BY date DESC, title LIMIT :lim""",
                {"v": self.version, "lim": -1 if limit is None else int(limit)},
            ).fetchall()
        keys = ("id", "title", "source", "date", "url", "passages")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def sources(self) -> list[str]:
        return [s for s in self.meta["sources"].tolist() if s]

    def article_of(self, pids: np.ndarray) -> np.ndarray:
        """Article index (dense int) of each pid, for grouping passages by article."""
        rows = np.searchsorted(self.meta["pids"], pids)
        return self.meta["article"][rows]

    # ----- filters and search -----
    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """A 0/1 mask over passages (in pid order) for ``filters``; None when no filter."""
        if filters is None or not filters.active:
            return None
        m = np.ones(len(self.meta["pids"]), dtype=bool)
        if filters.sources:
            names = self.meta["sources"].tolist()
            wanted = {s.casefold() for s in filters.sources}
            codes = [i for i, s in enumerate(names) if s.casefold() in wanted]
            m &= np.isin(self.meta["source"], codes)
        day = self.meta["day"]
        if filters.since:
            m &= day >= day_number(filters.since)
        if filters.until:
            m &= (day >= 0) & (day <= day_number(filters.until))
        return m

    def search_dense(self, query_vec: np.ndarray, k: int, mask: np.ndarray | None = None, ef_search: int = 128):
        allowed = None if mask is None else self.meta["pids"][mask]
        return dense.search(self.dense, query_vec, k, allowed, ef_search=ef_search)

    def search_lexical(self, query: str, k: int, mask: np.ndarray | None = None):
        weight = None if mask is None else mask.astype(np.float32)
        if weight is not None and not weight.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self.lexical.search(query, k, weight)

    def vectors(self, pids) -> np.ndarray:
        """Stored vectors of ``pids`` (from the FAISS index)."""
        return np.vstack([self.dense.reconstruct(int(p)) for p in pids]) if len(pids) else np.zeros((0, self.manifest.dim), np.float32)

    # ----- integrity -----
    def check(self) -> list[str]:
        """Deep integrity check; returns the problems found (empty when healthy)."""
        problems = []
        v = self.version
        with self._lock:
            live = np.array(
                [r[0] for r in self._con.execute(f"SELECT pid FROM passages p WHERE {VISIBLE.format(t='p')} ORDER BY pid", {"v": v})],
                dtype=np.int64,
            )
            n_articles = self._con.execute(
                f"SELECT COUNT(*) FROM articles a WHERE {VISIBLE.format(t='a')}", {"v": v}
            ).fetchone()[0]
            orphans = self._con.execute(
                f"""SELECT COUNT(*) FROM passages p LEFT JOIN vectors x ON x.key = p.key
                    WHERE {VISIBLE.format(t='p')} AND x.key IS NULL""",
                {"v": v},
            ).fetchone()[0]
            quick = self._con.execute("PRAGMA quick_check").fetchone()[0]
        if quick != "ok":
            problems.append(f"passage table fails SQLite's check: {quick}")
        m = self.manifest
        if len(live) != m.passages:
            problems.append(f"passage table has {len(live)} passages, manifest says {m.passages}")
        if n_articles != m.articles:
            problems.append(f"passage table has {n_articles} articles, manifest says {m.articles}")
        if self.dense.ntotal != len(live):
            problems.append(f"vector index has {self.dense.ntotal} vectors for {len(live)} passages")
        elif not np.array_equal(np.sort(dense.ids_of(self.dense)), live):
            problems.append("vector ids do not match the passage table")
        if self.lexical.size != len(live) or not np.array_equal(np.sort(self.lexical.pids), live):
            problems.append(f"BM25 has {self.lexical.size} passages that do not match the passage table")
        if not np.array_equal(self.meta["pids"], live):
            problems.append("filter data does not match the passage table")
        if orphans:
            problems.append(f"{orphans} passages have no stored vector")
        return problems
