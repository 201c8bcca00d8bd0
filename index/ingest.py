"""Write to an index: incremental, resumable, crash-safe ingest and removal.

Flow: articles stream in batches → unchanged ones are skipped → passages whose embedding text
already has a vector reuse it → the rest are embedded and *staged* (committed per batch, so a killed
ingest resumes without re-embedding) → one transaction publishes the new version → derived files
(FAISS, BM25, filter arrays) are written under new names → the manifest is replaced atomically.
Readers only follow the manifest, so they see the old version or the new one, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from corpus import Article, Skipped
from index.build import build_version, remove_old_versions, version_files
from index.chunk import Chunker, Passage
from index.db import connect, db_version, get_info, set_info
from index.embed import Embedder
from index.errors import IndexBusy, IndexCorrupt, IndexNotFound, ModelMismatch
from index.manifest import Manifest, Paths, read_manifest, write_manifest

Progress = Callable[[str, int, int | None, dict], None]


@dataclass
class IngestReport:
    """What an ingest did."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    resumed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    passages_embedded: int = 0
    passages_reused: int = 0
    vectors_borrowed: int = 0  # copied from another home (``reuse_vectors_from``) instead of embedded
    embed_seconds: float = 0.0
    seconds: float = 0.0
    version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)

    def summary(self) -> str:
        rate = self.passages_embedded / self.embed_seconds if self.embed_seconds else 0.0
        return (
            f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped; {self.passages_embedded} passages embedded "
            f"({rate:.1f}/s), {self.passages_reused} reused"
            + (f" ({self.vectors_borrowed} vectors from another home)" if self.vectors_borrowed else "")
            + f"; {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class WriterSettings:
    """The parts of the settings a writer needs."""

    max_tokens: int = 200
    overlap_tokens: int = 32
    index_type: str = "auto"
    hnsw_threshold: int = 100_000
    hnsw_m: int = 32
    batch_articles: int = 256
    batch_passages: int = 1024
    embed_batch: int = 64
    lock_timeout: float = 0.0
    reuse_vectors_from: Path | None = None  # another home built with the same model: its vectors are copied, not recomputed

    @property
    def chunking(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens, "title_prefix": True}


def make_home(home: Path) -> None:
    """Create the data home with user-only permissions."""
    home.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(home, 0o700)
    except OSError:
        pass


class IndexWriter:
    """Holds the home's write lock; use as a context manager."""

    def __init__(self, home: Path, embedder: Embedder, settings: WriterSettings | None = None, log=None):
        self.paths = Paths(Path(home))
        self.embedder = embedder
        self.settings = settings or WriterSettings()
        self.log = log or (lambda msg: None)
        self._lock = None
        self.con = None
        self._donor: sqlite3.Connection | None = None
        self._donor_checked = False

    def __enter__(self) -> IndexWriter:
        make_home(self.paths.home)
        self._lock = FileLock(str(self.paths.lock))
        try:
            self._lock.acquire(timeout=self.settings.lock_timeout)
        except Timeout:
            raise IndexBusy(
                f"another ingest is writing to {self.paths.home}; wait for it to finish and try again"
            ) from None
        try:
            self.con = connect(self.paths.db)
            self._check_model()
            self._recover()
            self._open_donor()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._donor is not None:
            self._donor.close()
            self._donor = None
        if self.con is not None:
            self.con.close()
            self.con = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # ----- set-up -----
    def _manifest(self) -> Manifest | None:
        try:
            return read_manifest(self.paths.manifest)
        except FileNotFoundError:
            return None
        except IndexCorrupt:
            self.log("manifest unreadable: it will be rewritten from the passage table")
            return None

    def _check_model(self) -> None:
        built = get_info(self.con, "model")
        if built and built != self.embedder.name:
            raise ModelMismatch(
                f"the index in {self.paths.home} was built with {built!r}, but the configured embedding "
                f"model is {self.embedder.name!r}; use that model or ingest into a new home"
            )

    def _open_donor(self) -> None:
        """Open ``reuse_vectors_from``'s passage database read-only, refusing another model's vectors."""
        src = self.settings.reuse_vectors_from
        if src is None:
            return
        db = Paths(Path(src)).db
        if not db.is_file():
            raise IndexNotFound(f"no index to reuse vectors from in {src} (missing {db.name})")
        if db.resolve() == Path(self.paths.db).resolve():
            return
        self._donor = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        model = get_info(self._donor, "model")
        if model and model != self.embedder.name:
            raise ModelMismatch(f"vectors in {src} were made with {model!r}, not {self.embedder.name!r}; they cannot be reused")

    def _borrow(self, need: dict[str, str]) -> int:
        """Copy the vectors of ``need`` (key -> text) that the donor home has; returns how many."""
        if self._donor is None or not need:
            return 0
        keys = list(need)
        rows: list[tuple[str, bytes]] = []
        for i in range(0, len(keys), 900):
            part = keys[i : i + 900]
            rows += self._donor.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
        if not rows:
            return 0
        dim = self._dim()
        if any(len(v) != 4 * dim for _, v in rows):
            raise ModelMismatch(f"vectors in {self.settings.reuse_vectors_from} are not {dim}-d; they cannot be reused")
        if not self._donor_checked:  # an unpublished donor has no model name: check one vector against ours
            key, blob = rows[0]
            mine = self.embedder.embed([need[key]])[0]
            if float(np.dot(mine, np.frombuffer(blob, dtype=np.float32))) < 0.99:  # bf16 vs fp32 of one model: ~0.999
                raise ModelMismatch(f"vectors in {self.settings.reuse_vectors_from} differ from this model's; they cannot be reused")
            self._donor_checked = True
        with self.con:
            self._claim_model()
            self.con.executemany("INSERT OR IGNORE INTO vectors(key, vec) VALUES (?, ?)", rows)
        for key, _ in rows:
            del need[key]
        return len(rows)

    def _claim_model(self) -> None:
        """Record the model with the first vectors (a killed first ingest must not resume with another)."""
        if get_info(self.con, "model") is None:
            set_info(self.con, "model", self.embedder.name)
            set_info(self.con, "dim", str(self.embedder.dim))

    def _recover(self) -> None:
        """Finish a publish that was interrupted after its transaction committed."""
        m = self._manifest()
        have = db_version(self.con)
        if have == 0 and m is None:
            return
        if m is not None and m.version > have:
            raise IndexCorrupt(f"manifest names version {m.version} but the passage table is at {have}")
        if m is None or m.version < have or not all((self.paths.data / f).exists() for f in m.files.values()):
            self.log(f"finishing interrupted publish of version {have}")
            self._publish_files(have, m)

    # ----- ingest -----
    def ingest(self, items: Iterable[Article | Skipped], progress: Progress | None = None, total: int | None = None) -> IngestReport:
        """Add or replace articles; returns what was done. Skipped inputs are only reported."""
        t0 = time.time()
        report = IngestReport()
        progress = progress or (lambda *a: None)
        chunker = Chunker(self.settings.max_tokens, self.settings.overlap_tokens, self.embedder.count_tokens)
        sig = self._signature()
        live = dict(self.con.execute("SELECT id, content_hash FROM articles WHERE removed IS NULL"))
        staged = dict(self.con.execute("SELECT article_id, content_hash FROM staged"))
        todo: list[str] = []
        seen = 0
        pending: list[tuple[Article, str]] = []
        for item in items:
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            seen += 1
            h = self._article_hash(item, sig)
            if live.get(item.id) == h:
                report.unchanged += 1
            elif staged.get(item.id) == h:
                report.resumed += 1
                todo.append(item.id)
            else:
                pending.append((item, h))
                todo.append(item.id)
                if len(pending) >= self.settings.batch_articles:
                    self._stage(pending, chunker, report, progress, seen, total)
                    pending = []
            progress("articles", seen, total, {"embedded": report.passages_embedded})
        if pending:
            self._stage(pending, chunker, report, progress, seen, total)
        if todo:
            report.version = self._publish(todo, report)
        else:
            report.version = db_version(self.con)
        report.seconds = time.time() - t0
        return report

    def _signature(self) -> str:
        blob = json.dumps([self.embedder.name, self.settings.chunking], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @staticmethod
    def _article_hash(a: Article, sig: str) -> str:
        return hashlib.sha256(f"{a.content_hash}:{sig}".encode()).hexdigest()[:32]

    def _stage(self, pending, chunker: Chunker, report: IngestReport, progress, seen, total) -> None:
        articles = [a for a, _ in pending]
        all_passages = chunker.split_many(articles)
        keys = {p.key for ps in all_passages for p in ps}
        have = self._have_vectors(keys)
        need: dict[str, str] = {}
        for ps in all_passages:
            for p in ps:
                if p.key not in have and p.key not in need:
                    need[p.key] = p.embed_text
        report.vectors_borrowed += self._borrow(need)
        report.passages_reused += sum(len(ps) for ps in all_passages) - len(need)
        items = sorted(need.items(), key=lambda kv: len(kv[1]))  # similar lengths pad less
        step = self.settings.batch_passages
        for i in range(0, len(items), step):
            batch = items[i : i + step]
            t = time.time()
            vecs = self.embedder.embed([t for _, t in batch], batch_size=self.settings.embed_batch)
            report.embed_seconds += time.time() - t
            if vecs.shape[1] != self._dim():
                raise ModelMismatch(f"model gives {vecs.shape[1]}-d vectors, index has {self._dim()}")
            with self.con:
                self._claim_model()
                self.con.executemany(
                    "INSERT OR IGNORE INTO vectors(key, vec) VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(batch, vecs, strict=True)],
                )
            report.passages_embedded += len(batch)
            progress("articles", seen, total, {"embedded": report.passages_embedded})
        with self.con:
            self.con.executemany(
                "INSERT OR REPLACE INTO staged(article_id, content_hash, article, passages) VALUES (?,?,?,?)",
                [(a.id, h, _article_json(a), _passages_json(ps)) for (a, h), ps in zip(pending, all_passages, strict=True)],
            )

    def _have_vectors(self, keys: set[str]) -> set[str]:
        found: set[str] = set()
        ks = list(keys)
        for i in range(0, len(ks), 900):
            part = ks[i : i + 900]
            found.update(r[0] for r in self.con.execute(f"SELECT key FROM vectors WHERE key IN ({','.join('?' * len(part))})", part))
        return found

    def _dim(self) -> int:
        d = get_info(self.con, "dim")
        return int(d) if d else self.embedder.dim

    def _publish(self, article_ids: list[str], report: IngestReport) -> int:
        version = db_version(self.con) + 1
        with self.con:
            self.con.execute("BEGIN IMMEDIATE")
            for aid in article_ids:
                row = self.con.execute(
                    "SELECT content_hash, article, passages FROM staged WHERE article_id = ?", (aid,)
                ).fetchone()
                if row is None:
                    continue
                h, art_json, ps_json = row
                old = self.con.execute("SELECT aid FROM articles WHERE id = ? AND removed IS NULL", (aid,)).fetchone()
                if old:
                    self.con.execute("UPDATE articles SET removed = ? WHERE aid = ?", (version, old[0]))
                    self.con.execute("UPDATE passages SET removed = ? WHERE aid = ? AND removed IS NULL", (version, old[0]))
                    report.replaced += 1
                else:
                    report.added += 1
                a = json.loads(art_json)
                ps = json.loads(ps_json)
                cur = self.con.execute(
                    """INSERT INTO articles(id, content_hash, title, source, date, url, metadata, text, n_passages, added)
                       VALUES (?,?,?,?,?,?,?,?,?,?)""",
                    (aid, h, a["title"], a["source"], a["date"], a["url"], json.dumps(a["metadata"], ensure_ascii=False),
                     a["text"], len(ps), version),
                )
                row_id = cur.lastrowid
                self.con.executemany(
                    """INSERT INTO passages(aid, id, position, start, "end", text, key, added)
                       VALUES (?,?,?,?,?,?,?,?)""",
                    [(row_id, p["id"], p["position"], p["start"], p["end"], p["text"], p["key"], version) for p in ps],
                )
            self.con.execute("DELETE FROM staged")
            self._set_version(version)
        self._publish_files(version, self._manifest())
        return version

    def _set_version(self, version: int) -> None:
        set_info(self.con, "version", str(version))
        set_info(self.con, "model", self.embedder.name)
        if get_info(self.con, "dim") is None:
            set_info(self.con, "dim", str(self.embedder.dim))

    def _publish_files(self, version: int, previous: Manifest | None) -> None:
        dim = self._dim()
        s = self.settings
        files, kind, n_articles, n_passages = build_version(
            self.con, self.paths, version, dim=dim, index_type=s.index_type,
            hnsw_threshold=s.hnsw_threshold, hnsw_m=s.hnsw_m, previous=previous, log=self.log,
        )
        manifest = Manifest(
            version=version,
            model=get_info(self.con, "model") or self.embedder.name,
            backend=self.embedder.backend,
            dim=dim,
            chunking=s.chunking,
            index_type=kind,
            articles=n_articles,
            passages=n_passages,
            files=files,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        write_manifest(self.paths.manifest, manifest)
        keep = set(files.values())
        if previous is not None:
            keep |= set(previous.files.values())  # readers may still be opening the previous version
        remove_old_versions(self.paths, keep | set(version_files(version - 1).values()))
        self._gc(version)

    def _gc(self, version: int) -> None:
        """Drop rows removed before the previous version and vectors nothing refers to."""
        with self.con:
            old = version - 1
            self.con.execute("DELETE FROM passages WHERE removed IS NOT NULL AND removed <= ?", (old,))
            self.con.execute("DELETE FROM articles WHERE removed IS NOT NULL AND removed <= ?", (old,))
            staged = self.con.execute("SELECT COUNT(*) FROM staged").fetchone()[0]
            if not staged:
                self.con.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM passages)")

    # ----- removal -----
    def remove(self, article_ids: Iterable[str]) -> list[str]:
        """Remove articles by id; returns the ids that were found and removed."""
        ids = list(dict.fromkeys(article_ids))
        found = [i for i in ids if self.con.execute("SELECT 1 FROM articles WHERE id = ? AND removed IS NULL", (i,)).fetchone()]
        if not found:
            return []
        version = db_version(self.con) + 1
        with self.con:
            self.con.execute("BEGIN IMMEDIATE")
            for aid in found:
                (row_id,) = self.con.execute("SELECT aid FROM articles WHERE id = ? AND removed IS NULL", (aid,)).fetchone()
                self.con.execute("UPDATE articles SET removed = ? WHERE aid = ?", (version, row_id))
                self.con.execute("UPDATE passages SET removed = ? WHERE aid = ? AND removed IS NULL", (version, row_id))
            self._set_version(version)
        self._publish_files(version, self._manifest())
        return found


def _article_json(a: Article) -> str:
    return json.dumps(
        {"title": a.title, "text": a.text, "source": a.source, "date": a.date, "url": a.url, "metadata": dict(a.metadata)},
        ensure_ascii=False, default=str,
    )


def _passages_json(ps: list[Passage]) -> str:
    return json.dumps(
        [{"id": p.id, "position": p.position, "start": p.start, "end": p.end, "text": p.text, "key": p.key} for p in ps],
        ensure_ascii=False,
    )
