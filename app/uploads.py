"""Checks on uploaded files: count, size, type by extension *and* content, safe names."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from corpus.load import SUFFIXES

ALLOWED = SUFFIXES  # what the loader reads (a gzipped upload is refused by its content)

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Rejected:
    name: str
    reason: str


def safe_name(name: str) -> str:
    """A file name with no folders, no leading dots and only plain characters."""
    base = Path(name.replace("\\", "/")).name
    base = _SAFE.sub("_", base).lstrip("._") or "upload"
    return base[:120]


def sniff(path: Path, suffix: str) -> str | None:
    """Why the content does not match the extension, or None when it does."""
    head = path.open("rb").read(4096)
    if suffix == ".pdf":
        return None if head.startswith(b"%PDF-") else "not a PDF (no %PDF header)"
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF", b"MZ")):
        return "an archive or program, not text"
    if b"\x00" in head:
        return "binary content, not text"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut by the 4 KiB window is fine
            return "not UTF-8 text"
    if suffix in {".json", ".jsonl"} and not head.lstrip().startswith((b"{", b"[")):
        return "not JSON"
    return None


def accept(files: list[str], dest: Path, *, max_files: int, max_mb: float) -> tuple[list[Path], list[Rejected]]:
    """Copy acceptable uploads into ``dest`` (inside the data home); list the rest with reasons."""
    dest.mkdir(parents=True, exist_ok=True)
    accepted: list[Path] = []
    rejected: list[Rejected] = []
    root = dest.resolve()
    for i, f in enumerate(files):
        src = Path(f)
        name = safe_name(src.name)
        if i >= max_files:
            rejected.append(Rejected(src.name, f"more than {max_files} files in one upload"))
            continue
        suffix = Path(name).suffix.lower()
        if suffix not in ALLOWED:
            rejected.append(Rejected(src.name, f"type {suffix or '(none)'} is not accepted ({', '.join(sorted(ALLOWED))})"))
            continue
        size = src.stat().st_size
        if size > max_mb * 2**20:
            rejected.append(Rejected(src.name, f"{size / 2**20:.1f} MB is over the {max_mb:g} MB limit"))
            continue
        if size == 0:
            rejected.append(Rejected(src.name, "empty file"))
            continue
        why = sniff(src, suffix)
        if why:
            rejected.append(Rejected(src.name, why))
            continue
        target = (root / name).resolve()
        if target.parent != root:
            rejected.append(Rejected(src.name, "unsafe file name"))
            continue
        shutil.copyfile(src, target)
        accepted.append(target)
    return accepted, rejected
