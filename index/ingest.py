"""Write to an index: incremental, resumable, crash-safe ingest, removal and repair.

Flow: articles stream in batches → unchanged ones are skipped (``changes``) → passages whose
embedding text already has a vector reuse it, or borrow it from another home (``borrow``) → the
rest are embedded and *staged* (committed per batch, so a killed ingest resumes without
re-embedding) → one transaction publishes the new version → derived files (FAISS, BM25, filter
arrays) are written under new names → the manifest is replaced atomically (``publish``).
Readers only follow the manifest, so they see the old version or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from corpus import Article, Skipped
from corpus.text.attribution import VERSION as ATTRIBUTION_VERSION
from corpus.text.sentences import pack_spans, sentence_spans
from index.borrow import VectorDonor
from index.changes import Change, ChangeDetector, signature
from index.chunk import Chunker, Passage
from index.copies import CopyFinder
from index.db import connect, db_version, get_info, select_in, set_info
from index.embed import Embedder
from index.errors import IndexBusy, IndexCorrupt, ModelMismatch, SettingsError
from index.manifest import Manifest, Paths, read_manifest
from index.publish import ModelInfo, publish_files, publish_staged, remove_articles
from index.settings import ChunkSettings, IndexSettings

Progress = Callable[[str, int, int | None, dict], None]


@dataclass
class IngestReport:
    """What an ingest did."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    resumed: int = 0
    removed: list[str] = field(default_factory=list)  # ids retired in the same version (``remove``)
    skipped: list[Skipped] = field(default_factory=list)
    passages_embedded: int = 0
    passages_reused: int = 0
    vectors_borrowed: int = 0  # copied from another home (``reuse_vectors_from``) instead of embedded
    copies: int = 0  # new articles found to be copies of a report already in (index.copies)
    embed_seconds: float = 0.0
    attribution_seconds: float = 0.0
    copy_seconds: float = 0.0
    seconds: float = 0.0
    version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed)

    def summary(self) -> str:
        rate = self.passages_embedded / self.embed_seconds if self.embed_seconds else 0.0
        return (
            f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped; {self.passages_embedded} passages embedded "
            f"({rate:.1f}/s), {self.passages_reused} reused"
            + (f" ({self.vectors_borrowed} vectors from another home)" if self.vectors_borrowed else "")
            + (f"; {self.copies} cop{'y' if self.copies == 1 else 'ies'} of a report already in" if self.copies else "")
            + (f"; {len(self.removed)} removed" if self.removed else "")
            + f"; {self.seconds:.1f}s"
        )


def make_home(home: Path) -> None:
    """Create the data home with user-only permissions."""
    home.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(home, 0o700)
    except OSError:
        pass


class IndexWriter:
    """Holds the home's write lock; use as a context manager.

    Args:
        chunk, index: the settings groups of the one settings object (``qa.settings.Settings``).
        embed_batch: texts per forward pass.
        reuse_vectors_from: another home built with the same model; its vectors are copied, not recomputed.
    """

    def __init__(self, home: Path, embedder: Embedder, chunk: ChunkSettings | None = None,
                 index: IndexSettings | None = None, *, embed_batch: int = 64,
                 reuse_vectors_from: Path | None = None, log=None):
        self.paths = Paths(Path(home))
        self.embedder = embedder
        self.chunk = chunk or ChunkSettings()
        self.index = index or IndexSettings()
        self.embed_batch = embed_batch
        self.reuse_vectors_from = Path(reuse_vectors_from) if reuse_vectors_from else None
        self.log = log or (lambda msg: None)
        self._lock = None
        self.con = None
        self._donor: VectorDonor | None = None

    def __enter__(self) -> IndexWriter:
        make_home(self.paths.home)
        self._lock = FileLock(str(self.paths.lock))
        try:
            self._lock.acquire(timeout=self.index.lock_timeout)
        except Timeout:
            raise IndexBusy(
                f"another ingest is writing to {self.paths.home}; wait for it to finish and try again"
            ) from None
        try:
            self.con = connect(self.paths.db)
            self._check_model()
            self._recover()
            if self.reuse_vectors_from is not None:
                self._donor = VectorDonor(self.reuse_vectors_from, self.paths.db, self.embedder)
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

    def _model(self) -> ModelInfo:
        return ModelInfo(self.embedder.name, self.embedder.backend, self._dim())

    def _claim_model(self) -> None:
        """Record the model with the first vectors (a killed first ingest must not resume with another)."""
        if get_info(self.con, "model") is None:
            set_info(self.con, "model", self.embedder.name)
            set_info(self.con, "dim", str(self.embedder.dim))

    def _dim(self) -> int:
        d = get_info(self.con, "dim")
        return int(d) if d else self.embedder.dim

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

    def repair(self) -> Manifest:
        """Rebuild every derived file (FAISS, BM25, filter arrays) and the manifest from the passage table.

        Raises:
            IndexCorrupt: the passage table itself is missing or unreadable, or holds no version yet.
        """
        version = db_version(self.con)
        if version == 0:
            raise IndexCorrupt(f"the passage table in {self.paths.home} holds no published version: nothing to repair")
        manifest = self._publish_files(version, None)
        self._backfill_sentences()
        self._group_copies()
        return manifest

    def _publish_files(self, version: int, previous: Manifest | None) -> Manifest:
        return publish_files(self.con, self.paths, version, self._model(), self.chunk.signature, self.index,
                             previous, log=self.log)

    # ----- ingest -----
    def ingest(self, items: Iterable[Article | Skipped], progress: Progress | None = None, total: int | None = None,
               remove: Iterable[str] = ()) -> IngestReport:
        """Add or replace articles, and remove the articles ``remove`` in the same version; returns what
        was done. Skipped inputs are only reported.

        Raises:
            SettingsError: passages would be longer than the embedding model reads.
        """
        if self.chunk.max_tokens > self.embedder.max_tokens:
            raise SettingsError(f"chunk.max_tokens is {self.chunk.max_tokens}, but {self.embedder.name} reads at most "
                                f"{self.embedder.max_tokens} wordpieces of text; longer passages would be cut silently")
        t0 = time.time()
        report = IngestReport()
        progress = progress or (lambda *a: None)
        chunker = Chunker(self.chunk.max_tokens, self.chunk.overlap_tokens, self.embedder.count_tokens)
        changes = ChangeDetector(self.con, signature(self.embedder.name, self.chunk.signature))
        todo: list[str] = []
        seen = 0
        pending: list[tuple[Article, str]] = []
        for item in items:
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            seen += 1
            change, h = changes.classify(item)
            if change is Change.UNCHANGED:
                report.unchanged += 1
            elif change is Change.STAGED:
                report.resumed += 1
                todo.append(item.id)
            else:
                pending.append((item, h))
                todo.append(item.id)
                if len(pending) >= self.index.batch_articles:
                    self._stage(pending, chunker, report, progress, seen, total)
                    pending = []
            progress("articles", seen, total, {"embedded": report.passages_embedded})
        if pending:
            self._stage(pending, chunker, report, progress, seen, total)
        coming = set(todo)
        gone = [i for i in dict.fromkeys(remove) if i not in coming]
        if gone:  # only ids that are live now make a new version
            gone = [r[0] for r in select_in(self.con, "SELECT id FROM articles WHERE removed IS NULL AND id IN ({qs})", gone)]
        if todo or gone:
            version = db_version(self.con) + 1
            report.added, report.replaced, report.removed = publish_staged(self.con, todo, version, self._model(), gone)
            self._group_copies(report)  # before the manifest names the version: its readers find the groups
            self._publish_files(version, self._manifest())
            report.version = version
        else:
            report.version = db_version(self.con)
        self._backfill_attributions(report)
        self._backfill_sentences()
        self._group_copies(report)  # articles indexed before copies were kept
        report.seconds = time.time() - t0
        return report

    def _stage(self, pending, chunker: Chunker, report: IngestReport, progress, seen, total) -> None:
        articles = [a for a, _ in pending]
        all_passages = chunker.split_many(articles)
        with ThreadPoolExecutor(1) as pool:
            # who says what is found while the passages are embedded: spaCy's parser keeps one core
            # busy, and the encoder does not keep both fully busy (bench/attribution.py --ingest)
            relations = pool.submit(self._relations, articles, report)
            self._embed_new(all_passages, report, progress, seen, total)
            relations = relations.result()
        staged_relations = [None if r is None else json.dumps({"extractor": ATTRIBUTION_VERSION, "relations": r}, ensure_ascii=False)
                            for r in relations]
        with self.con:
            self.con.executemany(
                "INSERT OR REPLACE INTO staged(article_id, content_hash, article, passages, attributions) VALUES (?,?,?,?,?)",
                [(a.id, h, _article_json(a), _passages_json(ps), rel)
                 for (a, h), ps, rel in zip(pending, all_passages, staged_relations, strict=True)],
            )

    def _embed_new(self, all_passages: list[list[Passage]], report: IngestReport, progress, seen, total) -> None:
        """Embed and store the vectors of the passages that have none yet (borrowed ones are copied)."""
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
        step = self.index.batch_passages
        for i in range(0, len(items), step):
            batch = items[i : i + step]
            t = time.time()
            vecs = self.embedder.embed([t for _, t in batch], batch_size=self.embed_batch)
            report.embed_seconds += time.time() - t
            if vecs.shape[1] != self._dim():
                raise ModelMismatch(f"model gives {vecs.shape[1]}-d vectors, index has {self._dim()}")
            self._store_vectors([(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(batch, vecs, strict=True)])
            report.passages_embedded += len(batch)
            progress("articles", seen, total, {"embedded": report.passages_embedded})

    def _relations(self, articles: list[Article], report: IngestReport) -> list[list[dict] | None]:
        """Each article's attribution relations (as stored), or None each when attribution is off."""
        if not self.index.attribution:
            return [None] * len(articles)
        from corpus.text.attribution import Extractor

        t = time.time()
        found = Extractor().extract_many([(a.id, a.text, a.source) for a in articles])
        report.attribution_seconds += time.time() - t
        return [[r.to_dict() for r in rs] for rs in found]

    def _group_copies(self, report: IngestReport | None = None) -> None:
        """Put each live article not grouped yet into its group of copies (``index.copies``)."""
        t = time.time()
        joined = CopyFinder(self.con).group_ungrouped()
        if report is not None:
            report.copies += joined
            report.copy_seconds += time.time() - t

    def _backfill_sentences(self, batch: int = 2000) -> int:
        """Store the sentence boundaries of live passages written before they were kept (answers then
        read them instead of splitting passages per question). In place: the text does not change."""
        done = 0
        while True:
            rows = self.con.execute("SELECT pid, text FROM passages WHERE sentences IS NULL AND removed IS NULL LIMIT ?",
                                    (batch,)).fetchall()
            if not rows:
                return done
            with self.con:
                self.con.executemany("UPDATE passages SET sentences = ? WHERE pid = ?",
                                     [(pack_spans(sentence_spans(text)), pid) for pid, text in rows])
            done += len(rows)

    def _backfill_attributions(self, report: IngestReport, batch: int = 64) -> int:
        """Find the relations of live articles that have none from this extractor (an index built
        before, or with attribution off). Rows are keyed by article row, so no new version is needed."""
        if not self.index.attribution:
            return 0
        rows = self.con.execute(
            """SELECT a.aid, a.id, a.title, a.text, a.source FROM articles a LEFT JOIN attributions t ON t.aid = a.aid
               WHERE a.removed IS NULL AND (t.aid IS NULL OR t.extractor != ?)""", (ATTRIBUTION_VERSION,)).fetchall()
        for i in range(0, len(rows), batch):
            part = rows[i : i + batch]
            rels = self._relations([Article(r[1], r[2], r[3], source=r[4]) for r in part], report)
            with self.con:
                self.con.executemany("INSERT OR REPLACE INTO attributions(aid, extractor, relations) VALUES (?,?,?)",
                                     [(r[0], ATTRIBUTION_VERSION, json.dumps(x, ensure_ascii=False))
                                      for r, x in zip(part, rels, strict=True)])
        if rows:
            self.log(f"attribution: found who says what in {len(rows)} article(s) indexed before")
        return len(rows)

    def _borrow(self, need: dict[str, str]) -> int:
        """Copy the vectors of ``need`` (key -> text) that the donor home has; returns how many."""
        if self._donor is None:
            return 0
        rows = self._donor.lend(need, self._dim())
        if rows:
            self._store_vectors(rows)
            for key, _ in rows:
                del need[key]
        return len(rows)

    def _store_vectors(self, rows: list[tuple[str, bytes]]) -> None:
        with self.con:
            self._claim_model()
            self.con.executemany("INSERT OR IGNORE INTO vectors(key, vec) VALUES (?, ?)", rows)

    def _have_vectors(self, keys: set[str]) -> set[str]:
        return {r[0] for r in select_in(self.con, "SELECT key FROM vectors WHERE key IN ({qs})", list(keys))}

    # ----- removal -----
    def remove(self, article_ids: Iterable[str]) -> list[str]:
        """Remove articles by id; returns the ids that were found and removed."""
        ids = list(dict.fromkeys(article_ids))
        version = db_version(self.con) + 1
        found = remove_articles(self.con, ids, version, self._model())
        if found:
            self._publish_files(version, self._manifest())
        return found


def _article_json(a: Article) -> str:
    return json.dumps(
        {"title": a.title, "text": a.text, "source": a.source, "date": a.date, "url": a.url, "metadata": dict(a.metadata)},
        ensure_ascii=False, default=str,
    )


def _passages_json(ps: list[Passage]) -> str:
    return json.dumps(
        [{"id": p.id, "position": p.position, "start": p.start, "end": p.end, "text": p.text, "key": p.key,
          "sentences": pack_spans(p.sentences)} for p in ps],
        ensure_ascii=False,
    )
