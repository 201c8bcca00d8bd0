"""Read articles from files: .txt, .md, .html/.htm, .json, .jsonl (optionally .gz), .pdf.

JSON and JSONL records are objects with these fields (aliases in brackets):

- ``id``: stable id; if missing, derived from ``url``, else from title and text.
- ``title`` [``headline``]
- ``text`` [``body``, ``content``, ``article``]: required, non-empty.
- ``source`` [``outlet``, ``publisher``, ``site``]
- ``date`` [``published``, ``published_at``, ``pubdate``]: ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ISO
  date-time.
- ``url`` [``link``]
- ``metadata``: an object; other scalar fields are kept in metadata too.

Text and Markdown files may start with front matter between ``---`` lines (YAML: ``id``, ``title``,
``source``, ``date``, ``url``; other keys go to metadata). Without a title there, the first line is
the title (a Markdown heading loses its ``#``). The id defaults to the file name without suffix.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.article import Article, Skipped
from corpus.errors import UnreadableInput
from corpus.readers.html import read_html
from corpus.readers.json import read_json, stream_jsonl
from corpus.readers.pdf import read_pdf
from corpus.readers.text import read_text
from corpus.records import GZ_RATIO_LIMIT, MAX_FILE_BYTES, Skip, parse_date

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf"}


@dataclass
class LoadReport:
    """What ``load_articles`` read: the articles and the files or records it skipped."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def load_articles(path: str | Path | Iterable[str | Path]) -> LoadReport:
    """Read every article under ``path`` (a file, a folder, or several of them).

    Returns:
        A ``LoadReport``; unreadable files are listed in ``skipped`` with a reason.

    Raises:
        UnreadableInput: a given path does not exist.
    """
    report = LoadReport()
    for item in iter_articles(path):
        if isinstance(item, Article):
            report.articles.append(item)
        else:
            report.skipped.append(item)
    return report


def iter_articles(path: str | Path | Iterable[str | Path]) -> Iterator[Article | Skipped]:
    """Stream articles (and ``Skipped`` notes) from files, without holding them all in memory."""
    paths = [path] if isinstance(path, str | Path) else list(path)
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise UnreadableInput(f"no such file or folder: {p}")
        files.extend(files_under(p) if p.is_dir() else [p])
    seen: dict[str, str] = {}
    for f in files:
        for item in _read_file(f):
            if isinstance(item, Article):
                if item.id in seen:
                    if seen[item.id] == item.content_hash:
                        continue  # the same article twice: keep one
                    yield Skipped(str(f), f"duplicate article id {item.id!r} with other content")
                    continue
                seen[item.id] = item.content_hash
            yield item


def files_under(folder: Path) -> list[Path]:
    out = []
    for f in sorted(folder.rglob("*")):
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(folder).parts):
            if suffix_of(f) in SUFFIXES:
                out.append(f)
    return out


def suffix_of(f: Path) -> str:
    suffixes = [s.lower() for s in f.suffixes]
    if suffixes and suffixes[-1] == ".gz" and len(suffixes) > 1:
        return suffixes[-2]
    return f.suffix.lower()


def _read_file(f: Path) -> Iterator[Article | Skipped]:
    kind = suffix_of(f)
    if kind not in SUFFIXES:
        yield Skipped(str(f), f"unsupported file type {f.suffix or '(none)'!r}")
        return
    if kind == ".jsonl":
        yield from stream_jsonl(f)
        return
    try:
        data = _read_bytes(f)
    except (OSError, ValueError) as exc:
        yield Skipped(str(f), str(exc))
        return
    if not data.strip():
        yield Skipped(str(f), "empty file")
        return
    try:
        if kind == ".pdf":
            yield from _one(read_pdf(f, data))
            return
        if kind in {".html", ".htm"}:
            yield from _one(read_html(f, data))
            return
        text = _decode(data)
        if kind == ".json":
            yield from read_json(f, text)
        else:
            yield from _one(read_text(f, text, markdown=kind in {".md", ".markdown"}))
    except Skip as exc:
        yield Skipped(str(f), str(exc))


def _one(article: Article) -> Iterator[Article]:
    yield article


def _read_bytes(f: Path) -> bytes:
    size = f.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit")
    raw = f.read_bytes()
    if f.suffix.lower() == ".gz":
        limit = max(MAX_FILE_BYTES, len(raw) * GZ_RATIO_LIMIT)
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                raw = gz.read(limit + 1)
        except (OSError, EOFError) as exc:
            raise ValueError(f"not a readable gzip file ({exc})") from None
        if len(raw) > limit:
            raise ValueError("decompresses to more than the size limit (refused as a possible zip bomb)")
    return raw


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise Skip("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Skip(f"not valid UTF-8 text (bad byte at offset {exc.start}); convert it to UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


__all__ = ["SUFFIXES", "LoadReport", "files_under", "iter_articles", "load_articles", "parse_date", "suffix_of"]
