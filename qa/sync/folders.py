"""Watched folders: the index follows what the folders hold.

``WatchedFolders.sync`` compares the files under the folders with ``watched.json`` in the data home
(each file's size, modification time and the ids of the articles it gave) and brings the index in
step: a new or changed file is read and ingested, an article a file no longer gives, or whose file
was deleted, is removed — unless another watched file now gives the same id (a file moved within
the folders). The record is written only after the index has changed, so an update killed at any
moment is finished by the next one: ingest skips what is already in, removal what is already gone.
``qa.sync.keeper`` calls ``sync`` on each batch of file events.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from corpus import Article, Skipped, UnreadableInput
from corpus.load import files_under, iter_articles
from index.manifest import write_atomic
from qa.sync import activity

FILE = "watched.json"
_lock = threading.Lock()


@dataclass
class FolderReport:
    """What one sync did."""

    files_changed: int = 0
    files_deleted: int = 0
    added: list[dict] = field(default_factory=list)  # {"id", "title"} of the articles that came in
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def line(self) -> str:
        bits = [f"{len(self.added)} in", f"{len(self.removed)} removed"]
        if self.skipped:
            bits.append(f"{len(self.skipped)} unreadable")
        return f"{', '.join(bits)} ({self.files_changed} file(s) changed, {self.files_deleted} deleted; {self.seconds:.1f}s)"


class WatchedFolders:
    """The folders whose files one data home's index follows.

    Raises:
        UnreadableInput: a folder does not exist or is not a folder.
    """

    def __init__(self, assistant, folders: list[Path]):
        self.assistant = assistant
        self.folders = []
        for f in folders:
            f = Path(f).expanduser()
            if not f.is_dir():
                raise UnreadableInput(f"not a folder: {f}")
            self.folders.append(f.resolve())
        self.path = Path(assistant.paths.home) / FILE

    def sync(self, progress=None) -> FolderReport:
        """Ingest the new and changed files, remove the articles of deleted ones; returns what was done."""
        t0 = time.time()
        report = FolderReport()
        with _lock:
            files = self._load()
            now = {str(f): st for folder in self.folders for f in files_under(folder) if (st := _stamp(f))}
            mine = {p for p in files if self._watched(p)}
            changed = [p for p, st in now.items() if p not in files or files[p]["stamp"] != st]
            deleted = sorted(mine - set(now))
            articles: list[Article] = []
            gave: dict[str, list[str]] = {}
            for p in changed:
                gave[p], bad = [], []
                try:
                    for item in iter_articles([p]):
                        if isinstance(item, Skipped):
                            bad.append(item)
                        else:
                            articles.append(item)
                            gave[p].append(item.id)
                except UnreadableInput as exc:  # gone since it was listed
                    bad.append(Skipped(p, str(exc)))
                report.skipped += bad
                if bad and not gave[p] and p in files:
                    gave[p] = files[p]["ids"]  # unreadable for now (half written?): its articles stay until it reads
            dropped = {i for p in deleted for i in files[p]["ids"]}
            dropped |= {i for p in changed if p in files for i in files[p]["ids"] if i not in gave[p]}
            after = {p: v for p, v in files.items() if p not in deleted}
            after.update({p: {"stamp": now[p], "ids": gave[p]} for p in changed})
            live = {i for v in after.values() for i in v["ids"]}
            gone = sorted(dropped - live)
            if articles or gone:  # one new version: a reader sees all of this sync or none of it
                got = self.assistant.ingest(articles, progress=progress, remove=gone)
                if got.added or got.replaced:
                    report.added = [{"id": a.id, "title": a.title} for a in articles]
                report.removed = got.removed
            if changed or deleted:
                self._save(after)
            report.files_changed, report.files_deleted = len(changed), len(deleted)
        report.seconds = time.time() - t0
        if report.changed or report.skipped:
            activity.record(self.assistant.paths.home, ", ".join(map(str, self.folders)), report.added,
                            report.removed, [str(s) for s in report.skipped])
        return report

    def _watched(self, path: str) -> bool:
        p = Path(path)
        return any(p.is_relative_to(f) for f in self.folders)

    def _load(self) -> dict[str, dict]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8")).get("files", {})
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            return {}  # unreadable: every file is read again (ingest skips the unchanged ones)

    def _save(self, files: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps({"files": files}, ensure_ascii=False).encode(), 0o600)


def _stamp(f: Path) -> list[int] | None:
    try:
        st = f.stat()
    except OSError:
        return None  # deleted since it was listed
    return [st.st_size, st.st_mtime_ns]
