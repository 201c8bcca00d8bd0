"""Which files make up a data home, what each one's size and checksum were when it was written, and
which of them is damaged.

The passage table (``passages.sqlite``) is the source of truth. Everything in ``data/`` and the
manifest is derived from it and can be rebuilt by ``qa repair``. A publish records the size and
SHA-256 of every derived file in the manifest: opening an index compares sizes (a ``stat`` per
file), ``qa check`` compares checksums too.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from index.manifest import Manifest, Paths, read_manifest

REPAIR_HINT = "run `qa repair` to rebuild it from the passage table"
IGNORED_SUFFIXES = ("-shm", "-wal", "-journal")  # SQLite's own companions of passages.sqlite


def derived_files(paths: Paths, manifest_files: dict) -> list[Path]:
    """Every file of one version's derived data (the BM25 entry is a folder of files)."""
    out: list[Path] = []
    for name in manifest_files.values():
        p = paths.data / name
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()))
        else:
            out.append(p)
    return out


def fingerprint(paths: Paths, manifest_files: dict) -> dict:
    """``{path under data/: {"bytes", "sha256"}}`` of the derived files, for the manifest."""
    out = {}
    for f in derived_files(paths, manifest_files):
        out[f.relative_to(paths.data).as_posix()] = {"bytes": f.stat().st_size, "sha256": sha256(f)}
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def recorded_sizes(manifest: Manifest) -> dict:
    return manifest.extra.get("files") or {}


def derived_problems(paths: Paths, manifest: Manifest, deep: bool = False) -> Iterator[str]:
    """Each derived file that is missing or differs from what the manifest recorded, as a message.

    ``deep`` compares checksums as well as sizes. A file inside a missing folder is not named again.
    """
    for kind, name in manifest.files.items():
        if not (paths.data / name).exists():
            yield f"{_what(kind)} data/{name} is missing; {REPAIR_HINT}"
    for rel, want in recorded_sizes(manifest).items():
        p = paths.data / rel
        if not p.is_file():
            if (paths.data / rel.split("/")[0]).exists():
                yield f"index file data/{rel} is missing; {REPAIR_HINT}"
            continue
        size = p.stat().st_size
        if size != want.get("bytes"):
            yield f"index file data/{rel} is damaged ({size:,} bytes, {want.get('bytes'):,} when written); {REPAIR_HINT}"
        elif deep and want.get("sha256") and sha256(p) != want["sha256"]:
            yield f"index file data/{rel} is damaged (its checksum changed since it was written); {REPAIR_HINT}"


def damaged(paths: Paths, manifest: Manifest) -> str | None:
    """The first derived file that is missing or of another size than when written (a cheap check on open)."""
    return next(derived_problems(paths, manifest), None)


def table_problem(paths: Paths) -> str | None:
    """Why the passage table cannot be used (missing, unreadable, failing SQLite's check), or None.

    It is the source of truth: nothing can rebuild it.
    """
    if not paths.db.exists():
        return ("passages.sqlite (the passage table) is missing: it holds the articles and cannot be "
                "rebuilt; restore it from a backup or re-ingest into a new home")
    try:
        con = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True)
        try:
            quick = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"passages.sqlite is unreadable ({exc}): restore it from a backup or re-ingest"
    return None if quick == "ok" else f"passages.sqlite fails SQLite's check ({quick}): restore it from a backup or re-ingest"


def check_files(home: Path) -> list[str]:
    """Every damaged or missing file of a data home, each named (empty when all are sound).

    Looks at the manifest, the passage table and every derived file the manifest names; SQLite's
    ``-shm``/``-wal`` companions, the lock, the audit log and uploads are not index files.
    """
    paths = Paths(Path(home))
    problems = [p for p in (table_problem(paths),) if p]
    try:
        manifest = read_manifest(paths.manifest)
    except FileNotFoundError:
        return [*problems, f"manifest.json is missing; {REPAIR_HINT}"]
    except Exception as exc:  # noqa: BLE001 - IndexCorrupt, with its reason
        return [*problems, f"manifest.json is damaged ({exc}); {REPAIR_HINT}"]
    return problems + list(derived_problems(paths, manifest, deep=True))


def _what(kind: str) -> str:
    return {"faiss": "vector index", "lexical": "BM25 index", "meta": "filter data"}.get(kind, "index file")
