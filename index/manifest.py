"""The manifest: what an index was built with and which files hold its current version."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import IndexCorrupt

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """Written last and atomically by every publish; readers trust only what it names."""

    version: int
    model: str
    backend: str
    dim: int
    chunking: dict
    index_type: str
    articles: int
    passages: int
    files: dict
    created: str
    format_version: int = FORMAT_VERSION
    extra: dict = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """A short hash naming this exact index state (for the audit trail)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Paths:
    """Where each part of an index lives inside a data home."""

    home: Path

    @property
    def db(self) -> Path:
        return self.home / "passages.sqlite"

    @property
    def manifest(self) -> Path:
        return self.home / "manifest.json"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def lock(self) -> Path:
        return self.home / "ingest.lock"

    @property
    def audit(self) -> Path:
        return self.home / "audit.jsonl"

    def exists(self) -> bool:
        return self.manifest.exists() or self.db.exists()


def read_manifest(path: Path) -> Manifest:
    """Read and validate a manifest.

    Raises:
        IndexCorrupt: unreadable, truncated, or of an unknown format version.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        m = Manifest(**raw)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"manifest {path.name} is unreadable ({type(exc).__name__}: {exc}); "
                           "run `qa repair` to rewrite it from the passage table") from None
    if m.format_version != FORMAT_VERSION:
        raise IndexCorrupt(f"index format {m.format_version} is not supported (this version reads {FORMAT_VERSION})")
    return m


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file so that readers see either the old or the new content, never a part; ``mode``:
    its permissions (default: as ``open`` makes them)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        if mode is not None:
            os.fchmod(fh.fileno(), mode)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(path: Path, manifest: Manifest) -> None:
    write_atomic(path, json.dumps(manifest.to_dict(), indent=2, sort_keys=True).encode("utf-8"))
