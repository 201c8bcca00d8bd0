"""Open an index for reading: one consistent version, however many ingests run meanwhile.

``IndexSnapshot`` is the FAISS + BM25 + SQLite implementation of ``index.backend.SearchBackend``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.text.sentences import unpack_spans
from corpus.text.terms import tokenize
from index import dense
from index.db import VISIBLE, connect, db_version, select_in
from index.errors import IndexCorrupt, IndexNotFound, ModelMismatch
from index.files import REPAIR_HINT, damaged
from index.lexical import Lexical
from index.lru import LRU
from index.manifest import Manifest, Paths, read_manifest
from index.types import Filters, StoredPassage, day_number

_PASSAGE_SQL = """SELECT p.pid, p.id, a.id, p.position, p.start, p."end", p.text,
                         a.title, a.source, a.date, a.url, p.sentences, a.aid
                  FROM passages p JOIN articles a ON a.aid = p.aid WHERE p.pid IN ({qs})"""


CACHED_PASSAGES = 20_000  # passages of a version kept in memory once read
CACHED_ARTICLES = 5_000  # articles whose attribution relations are kept parsed
_UNREAD = object()


class IndexSnapshot:
    """One version of the index: FAISS, BM25, filter arrays and the passage table."""

    def __init__(self, paths: Paths, manifest: Manifest, faiss_index, lexical: Lexical, meta: dict, con,
                 ef_search: int = 128):
        self.paths = paths
        self.manifest = manifest
        self._faiss = faiss_index
        self._lexical = lexical
        self._meta = meta
        self._con = con
        self._lock = threading.Lock()
        self.ef_search = ef_search
        self._masks = LRU(32)  # filters -> row mask
        self._last_scores: tuple[str, np.ndarray] | None = None
        # a version never changes: what was read of it once is kept (the passages and relations the
        # questions of one story keep coming back to)
        self._passage_cache = LRU(CACHED_PASSAGES)  # pid -> StoredPassage
        self._relation_cache = LRU(CACHED_ARTICLES)  # article id -> its relations, None when it has none
        self._copies: dict | None = None  # the groups of copies of this version, read on first use

    @classmethod
    def open(cls, home: Path, expected_model: str | None = None, ef_search: int = 128) -> IndexSnapshot:
        """Open the current version under ``home``.

        Raises:
            IndexNotFound: nothing has been ingested there.
            IndexCorrupt: a file is missing, truncated or inconsistent (the message names it).
            ModelMismatch: the index was built with another model than ``expected_model``.
        """
        import faiss

        paths = Paths(Path(home))
        try:
            manifest = read_manifest(paths.manifest)
        except FileNotFoundError:
            if paths.db.exists():
                raise IndexCorrupt(f"manifest.json is missing in {paths.home}; {REPAIR_HINT}") from None
            raise IndexNotFound(
                f"no index in {paths.home}: run `qa ingest PATH` first (e.g. `qa ingest corpus/articles`)"
            ) from None
        if expected_model and manifest.model != expected_model:
            raise ModelMismatch(
                f"the index in {paths.home} was built with {manifest.model!r}, but the configured "
                f"embedding model is {expected_model!r}; use that model or re-ingest into a new home"
            )
        if not paths.db.exists():
            raise IndexCorrupt(f"passage table passages.sqlite is missing in {paths.home}; "
                               "it holds the articles: restore it from a backup or re-ingest into a new home")
        try:
            con = connect(paths.db, readonly=True)
            have = db_version(con)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"passage table passages.sqlite is unreadable ({exc}); "
                               "restore it from a backup or re-ingest into a new home") from None
        if have < manifest.version:
            raise IndexCorrupt(
                f"passage table is at version {have} but manifest.json names version {manifest.version}; {REPAIR_HINT}"
            )
        problem = damaged(paths, manifest)
        if problem:
            con.close()
            raise IndexCorrupt(problem)
        f = {k: paths.data / v for k, v in manifest.files.items()}
        try:
            big = f["faiss"].stat().st_size > 256 * 2**20
            flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if big else 0
            vec = faiss.read_index(str(f["faiss"]), flags)
        except Exception as exc:  # noqa: BLE001 - any failure to read it means the file is damaged
            con.close()
            raise IndexCorrupt(f"vector index data/{f['faiss'].name} is unreadable ({_first_line(exc)}); {REPAIR_HINT}") from None
        try:
            lex = Lexical.load(f["lexical"])
        except Exception as exc:  # noqa: BLE001
            con.close()
            raise IndexCorrupt(f"BM25 index data/{f['lexical'].name} is unreadable ({_first_line(exc)}); {REPAIR_HINT}") from None
        try:
            with np.load(f["meta"], allow_pickle=False) as z:
                meta = {k: z[k] for k in z.files}
            for key in ("pids", "source", "day", "article", "sources", "article_ids"):
                meta[key]  # noqa: B018 - every array must be there
        except Exception as exc:  # noqa: BLE001
            con.close()
            raise IndexCorrupt(f"filter data data/{f['meta'].name} is unreadable ({_first_line(exc)}); {REPAIR_HINT}") from None
        n = manifest.passages
        if vec.ntotal != n or lex.size != n or len(meta["pids"]) != n:
            con.close()
            raise IndexCorrupt(
                f"counts differ: manifest {n}, vectors {vec.ntotal}, BM25 {lex.size}, filter rows {len(meta['pids'])}; {REPAIR_HINT}"
            )
        return cls(paths, manifest, vec, lex, meta, con, ef_search=ef_search)

    @property
    def version(self) -> int:
        return self.manifest.version

    def close(self) -> None:
        self._con.close()

    # ----- SearchBackend -----
    @property
    def size(self) -> int:
        return int(len(self._meta["pids"]))

    @property
    def dim(self) -> int:
        return self.manifest.dim

    def dense_topk(self, vector: np.ndarray, k: int, filters: Filters | None = None):
        m = self._mask(filters)
        allowed = None if m is None else self._meta["pids"][m]
        return dense.search(self._faiss, vector, k, allowed, ef_search=self.ef_search)

    def dense_topk_many(self, vectors: np.ndarray, k: int):
        return dense.search_many(self._faiss, vectors, k, ef_search=self.ef_search)

    def lexical_topk(self, query: str, k: int, filters: Filters | None = None):
        scores = self._scores(query)
        m = self._mask(filters)
        if m is not None:
            scores = scores * m
        rows = _top_positive(scores, k)
        rows = rows[np.lexsort((self._meta["pids"][rows], -scores[rows]))]
        return self._meta["pids"][rows], scores[rows].astype(np.float32)

    def lexical_scores(self, query: str, pids: Sequence[int]) -> np.ndarray:
        return self._scores(query)[self._rows(pids)]

    def count(self, filters: Filters | None) -> int:
        m = self._mask(filters)
        return self.size if m is None else int(m.sum())

    def matches(self, pids: Sequence[int], filters: Filters | None) -> np.ndarray:
        m = self._mask(filters)
        if m is None:
            return np.ones(len(pids), dtype=bool)
        return m[self._rows(pids)]

    def vectors(self, pids: Sequence[int]) -> np.ndarray:
        """Stored vectors of ``pids`` (from the FAISS index)."""
        if not len(pids):
            return np.zeros((0, self.manifest.dim), np.float32)
        return self._faiss.reconstruct_batch(np.asarray(pids, dtype=np.int64))

    def passages(self, pids: Sequence[int]) -> list[StoredPassage]:
        pids = [int(p) for p in pids]
        found = {p: v for p in dict.fromkeys(pids) if (v := self._passage_cache.get(p)) is not None}
        missing = [p for p in dict.fromkeys(pids) if p not in found]
        if missing:
            with self._lock:
                rows = list(select_in(self._con, _PASSAGE_SQL, missing))
            groups = self._copy_groups()
            for r in rows:
                g = groups["of"].get(r[12])
                found[r[0]] = StoredPassage(*r[:11], unpack_spans(r[11]), copy_group=g and g["name"],
                                            copies=len(g["members"]) if g else 1)
                self._passage_cache.put(r[0], found[r[0]])
        return [found[p] for p in pids if p in found]

    def analyze(self, texts: Sequence[str]) -> list[list[str]]:
        return tokenize(texts)

    def doc_freq(self, term: str) -> int:
        return self._lexical.doc_freq(term)

    # ----- internals of this implementation -----
    def _rows(self, pids: Sequence[int]) -> np.ndarray:
        return np.searchsorted(self._meta["pids"], np.asarray(pids, dtype=np.int64))

    def _scores(self, query: str) -> np.ndarray:
        """BM25 scores of every passage, for the last query asked (retrieval asks several times)."""
        last = self._last_scores
        if last is not None and last[0] == query:
            return last[1]
        scores = self._lexical.scores(query)
        self._last_scores = (query, scores)
        return scores

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        """A boolean mask over passages (in pid order) for ``filters``; None when no filter."""
        if filters is None or not filters.active:
            return None
        m = self._masks.get(filters)
        if m is not None:
            return m
        m = np.ones(self.size, dtype=bool)
        if filters.sources:
            names = self._meta["sources"].tolist()
            wanted = {s.casefold() for s in filters.sources}
            codes = [i for i, s in enumerate(names) if s.casefold() in wanted]
            m &= np.isin(self._meta["source"], codes)
        day = self._meta["day"]
        if filters.since:
            m &= day >= day_number(filters.since)
        if filters.until:
            m &= (day >= 0) & (day <= day_number(filters.until))
        self._masks.put(filters, m)
        return m

    # ----- the catalogue -----
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

    def attributions(self, article_ids: Sequence[str]) -> dict[str, list[dict]]:
        """The stored attribution relations of each article (articles without any are left out).

        The lists are this snapshot's own, shared by every caller: read them, do not change them.
        """
        found = {a: self._relation_cache.get(a, _UNREAD) for a in dict.fromkeys(article_ids)}
        missing = [a for a, v in found.items() if v is _UNREAD]
        if missing:
            with self._lock:
                rows = list(select_in(
                    self._con,
                    f"""SELECT a.id, t.relations FROM articles a JOIN attributions t ON t.aid = a.aid
                        WHERE {VISIBLE.format(t='a').replace(':v', '?')} AND a.id IN ({{qs}})""",
                    missing, params=(self.version, self.version),
                ))
            fresh = dict.fromkeys(missing) | {aid: json.loads(rel) for aid, rel in rows}
            for a, rels in fresh.items():
                self._relation_cache.put(a, rels)
            found.update(fresh)
        return {a: rels for a, rels in found.items() if rels is not None}

    def sources(self) -> list[str]:
        return [s for s in self._meta["sources"].tolist() if s]

    # ----- copies (index.copies) -----
    def copies_of(self, article_id: str) -> list[dict]:
        """The articles of this version carrying the same report as ``article_id`` (it included), first
        indexed first; empty when it has no copies."""
        g = self._copy_groups()["by_id"].get(article_id)
        return [dict(m) for m in g["members"]] if g else []

    def copy_stats(self) -> dict:
        """``{"groups", "articles"}``: groups of copies in this version and the articles in them."""
        groups = self._copy_groups()["groups"]
        return {"groups": len(groups), "articles": sum(len(g["members"]) for g in groups.values())}

    def _copy_groups(self) -> dict:
        """Groups of two or more visible articles, read once per version: ``{"groups": grp -> {"name",
        "members"}, "of": aid -> group, "by_id": article id -> group}``. An index written before copies
        were kept has none."""
        if self._copies is None:
            visible = VISIBLE.format(t="a")
            try:
                with self._lock:
                    rows = self._con.execute(
                        f"""SELECT a.aid, c.grp, a.id, a.source, a.title, a.date FROM articles a
                            JOIN copies c ON c.aid = a.aid WHERE {visible} ORDER BY a.aid""", {"v": self.version}).fetchall()
                    members: dict[int, list] = {}
                    for r in rows:
                        members.setdefault(r[1], []).append(r)
                    members = {g: m for g, m in members.items() if len(m) > 1}
                    names = dict(select_in(self._con, "SELECT aid, id FROM articles WHERE aid IN ({qs})", list(members)))
            except sqlite3.OperationalError:  # no copy tables yet (written before them, opened read-only)
                members, names = {}, {}
            groups = {g: {"name": names.get(g, m[0][2]),
                          "members": [{"id": r[2], "source": r[3], "title": r[4], "date": r[5]} for r in m]}
                      for g, m in members.items()}
            self._copies = {"groups": groups, "of": {r[0]: groups[g] for g, m in members.items() for r in m},
                            "by_id": {r[2]: groups[g] for g, m in members.items() for r in m}}
        return self._copies

    def all_pids(self) -> np.ndarray:
        """Every passage id of this version, ascending."""
        return self._meta["pids"]

    # ----- integrity -----
    def check(self) -> list[str]:
        """Deep consistency check of this version against the passage table (empty when healthy)."""
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
            problems.append(f"passages.sqlite fails SQLite's check: {quick}")
        m = self.manifest
        files = m.files
        if len(live) != m.passages:
            problems.append(f"passages.sqlite has {len(live)} passages, manifest.json says {m.passages}")
        if n_articles != m.articles:
            problems.append(f"passages.sqlite has {n_articles} articles, manifest.json says {m.articles}")
        if self._faiss.ntotal != len(live):
            problems.append(f"data/{files['faiss']} has {self._faiss.ntotal} vectors for {len(live)} passages; {REPAIR_HINT}")
        elif not np.array_equal(np.sort(dense.ids_of(self._faiss)), live):
            problems.append(f"vector ids in data/{files['faiss']} do not match the passage table; {REPAIR_HINT}")
        if self._lexical.size != len(live) or not np.array_equal(np.sort(self._lexical.pids), live):
            problems.append(f"data/{files['lexical']} has {self._lexical.size} passages that do not match the passage table; {REPAIR_HINT}")
        if not np.array_equal(self._meta["pids"], live):
            problems.append(f"data/{files['meta']} does not match the passage table; {REPAIR_HINT}")
        if orphans:
            problems.append(f"{orphans} passages in passages.sqlite have no stored vector")
        return problems


def _top_positive(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest positive scores."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        return positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return positive


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
