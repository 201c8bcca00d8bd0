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
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from corpus.article import Article, Skipped
from corpus.errors import UnreadableInput

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf"}
MAX_FILE_BYTES = 64 * 1024 * 1024  # per file, except JSONL (streamed line by line)
MAX_LINE_BYTES = 32 * 1024 * 1024  # one JSONL record
MAX_ARTICLE_CHARS = 2_000_000
MAX_PDF_PAGES = 2_000
_GZ_RATIO_LIMIT = 200  # decompressed/compressed: beyond this it looks like a bomb

_ALIASES = {
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "article"),
    "source": ("source", "outlet", "publisher", "site"),
    "date": ("date", "published", "published_at", "pubdate"),
    "url": ("url", "link"),
}
_KNOWN = {a for names in _ALIASES.values() for a in names} | {"id", "metadata"}


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
        files.extend(_files_under(p) if p.is_dir() else [p])
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


def _files_under(folder: Path) -> list[Path]:
    out = []
    for f in sorted(folder.rglob("*")):
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(folder).parts):
            if _suffix(f) in SUFFIXES:
                out.append(f)
    return out


def _suffix(f: Path) -> str:
    suffixes = [s.lower() for s in f.suffixes]
    if suffixes and suffixes[-1] == ".gz" and len(suffixes) > 1:
        return suffixes[-2]
    return f.suffix.lower()


def _read_file(f: Path) -> Iterator[Article | Skipped]:
    kind = _suffix(f)
    if kind not in SUFFIXES:
        yield Skipped(str(f), f"unsupported file type {f.suffix or '(none)'!r}")
        return
    if kind == ".jsonl":
        yield from _stream_jsonl(f)
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
            yield from _one(_from_pdf(f, data))
            return
        if kind in {".html", ".htm"}:
            yield from _one(_from_html(f, data))
            return
        text = _decode(data)
        if kind == ".json":
            yield from _from_json(f, text)
        else:
            yield from _one(_from_text(f, text, markdown=kind in {".md", ".markdown"}))
    except _Skip as exc:
        yield Skipped(str(f), str(exc))


class _Skip(Exception):
    pass


def _one(article: Article) -> Iterator[Article]:
    yield article


def _read_bytes(f: Path) -> bytes:
    size = f.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit")
    raw = f.read_bytes()
    if f.suffix.lower() == ".gz":
        limit = max(MAX_FILE_BYTES, len(raw) * _GZ_RATIO_LIMIT)
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
        raise _Skip("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Skip(f"not valid UTF-8 text (bad byte at offset {exc.start}); convert it to UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean_text(text: str, where: str) -> str:
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " " or ch > "\x7f")
    text = text.replace("\x7f", "")
    if len(text) > MAX_ARTICLE_CHARS:
        raise _Skip(f"{where}: text has {len(text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit")
    if not text.strip():
        raise _Skip(f"{where}: no text")
    return text.strip()


_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


def _from_text(f: Path, text: str, *, markdown: bool) -> Article:
    meta: dict[str, Any] = {}
    m = _FRONT.match(text)
    if m:
        import yaml

        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise _Skip(f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(loaded, dict):
            raise _Skip("front matter must be key: value lines")
        meta = loaded
        text = text[m.end():]
    text = _clean_text(text, "body")
    title = _str(meta.get("title"))
    if not title:
        first, _, rest = text.partition("\n")
        first = first.strip()
        if markdown:
            first = first.lstrip("#").strip()
        if len(first) <= 200 and rest.strip():
            title, text = first, rest.strip()
        else:
            title = f.stem
    record = dict(meta, title=title, text=text)
    record.setdefault("id", f.stem)
    return _article(record, where=str(f))


def _from_html(f: Path, data: bytes) -> Article:
    import trafilatura

    html = data.decode("utf-8", errors="replace")
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if doc is None:
        raise _Skip("no article text found in the HTML")
    get = doc.get if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    body = get("text") or ""
    record = {
        "id": f.stem,
        "title": get("title") or f.stem,
        "text": body,
        "source": get("sitename") or get("hostname") or "",
        "date": get("date"),
        "url": get("url") or "",
    }
    return _article(record, where=str(f))


def _from_pdf(f: Path, data: bytes) -> Article:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise _Skip(f"PDF has {len(reader.pages)} pages, over the {MAX_PDF_PAGES} limit")
        parts, total = [], 0
        for page in reader.pages:
            chunk = page.extract_text() or ""
            total += len(chunk)
            if total > MAX_ARTICLE_CHARS:
                raise _Skip(f"PDF text is over the {MAX_ARTICLE_CHARS:,} character limit")
            parts.append(chunk)
        info = reader.metadata or {}
    except _Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise _Skip(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    title = _str(info.get("/Title")) if hasattr(info, "get") else ""
    record = {"id": f.stem, "title": title or f.stem, "text": text}
    if hasattr(info, "get") and info.get("/Author"):
        record["source"] = _str(info.get("/Author"))
    return _article(record, where=str(f))


def _stream_jsonl(f: Path) -> Iterator[Article | Skipped]:
    """One article per line, read as a stream: any file size, memory bounded by one record.

    A record over MAX_LINE_BYTES, a line that is not UTF-8 or not JSON is skipped with its line
    number; a gzip that inflates over _GZ_RATIO_LIMIT times its size stops (a possible zip bomb).
    """
    gz = f.suffix.lower() == ".gz"
    budget = max(MAX_FILE_BYTES, f.stat().st_size * _GZ_RATIO_LIMIT) if gz else float("inf")
    read = lineno = 0
    empty = True
    try:
        with (gzip.open(f, "rb") if gz else open(f, "rb")) as fh:
            while raw := fh.readline(MAX_LINE_BYTES + 1):
                lineno += 1
                where = f"{f}:{lineno}"
                too_long = len(raw) > MAX_LINE_BYTES
                read += len(raw)
                while too_long and raw and not raw.endswith(b"\n") and read <= budget:  # skip the rest of it
                    raw = fh.readline(MAX_LINE_BYTES)
                    read += len(raw)
                if read > budget:
                    yield Skipped(str(f), "decompresses to more than the size limit (refused as a possible zip bomb)")
                    return
                if too_long:
                    yield Skipped(where, f"record is over the {_size(MAX_LINE_BYTES)} limit")
                    continue
                if not raw.strip():
                    continue
                empty = False
                if b"\x00" in raw:
                    yield Skipped(where, "binary data (contains NUL bytes), not text")
                    continue
                try:
                    line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    yield Skipped(where, f"not valid UTF-8 text (bad byte at offset {exc.start}); convert it to UTF-8")
                    continue
                yield from _jsonl_record(line, where)
    except (OSError, EOFError) as exc:
        what = "not a readable gzip file" if gz else "unreadable"
        yield Skipped(str(f) if lineno == 0 else f"{f}:{lineno + 1}", f"{what} ({exc})")
        return
    if empty:
        yield Skipped(str(f), "empty file")


def _size(n: int) -> str:
    return f"{n // 2**20} MiB" if n >= 2**20 else f"{n // 1024} KiB"


def _jsonl_record(line: str, where: str) -> Iterator[Article | Skipped]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        yield Skipped(where, f"invalid JSON ({exc.msg})")
        return
    except RecursionError:
        yield Skipped(where, "JSON nested too deeply")
        return
    try:
        yield _article(obj, where=where)
    except _Skip as exc:
        yield Skipped(where, str(exc))


def _from_json(f: Path, text: str) -> Iterator[Article | Skipped]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Skip(f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise _Skip("JSON nested too deeply") from None
    items = obj if isinstance(obj, list) else [obj]
    for i, item in enumerate(items):
        where = f"{f}[{i}]" if isinstance(obj, list) else str(f)
        try:
            yield _article(item, where=where)
        except _Skip as exc:
            yield Skipped(where, str(exc))


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float | date):
        return str(value).strip()
    return ""


def _pick(obj: dict, key: str) -> Any:
    for name in _ALIASES[key]:
        if obj.get(name) not in (None, ""):
            return obj[name]
    return None


def parse_date(value: Any) -> str | None:
    """Normalise a date to ISO ``YYYY-MM-DD``; ``None`` when missing.

    Raises:
        ValueError: the value is not a date in a known format.
    """
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"date must be a string, got {type(value).__name__}")
    s = value.strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y",
                "%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y"):
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(s).date().isoformat()  # RFC 2822, as in RSS feeds
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unrecognised date {value!r} (use YYYY-MM-DD)") from None


def _article(obj: Any, *, where: str) -> Article:
    if not isinstance(obj, dict):
        raise _Skip(f"expected a JSON object, got {type(obj).__name__}")
    raw_text = _pick(obj, "text")
    if not isinstance(raw_text, str):
        raise _Skip("missing 'text' field" if raw_text is None else "'text' must be a string")
    text = _clean_text(raw_text, "text")
    title = _clean_title(_pick(obj, "title"))
    meta: dict[str, Any] = {}
    try:
        when = parse_date(_pick(obj, "date"))
    except ValueError:
        when = None  # keep the article; the date it had stays visible in its metadata
        meta["date_raw"] = str(_pick(obj, "date"))[:100]
    url = _str(_pick(obj, "url"))
    source = _str(_pick(obj, "source"))
    if isinstance(obj.get("metadata"), dict):
        meta.update({str(k): v for k, v in obj["metadata"].items() if _scalar(v)})
    meta.update({str(k): v for k, v in obj.items() if k not in _KNOWN and _scalar(v)})
    raw_id = obj.get("id")
    if isinstance(raw_id, str | int) and str(raw_id).strip():
        aid = str(raw_id).strip()[:200]
    else:
        basis = url or f"{title}\n{text}"
        aid = "a" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:15]
    if not title:
        title = text.split("\n", 1)[0][:120]
    return Article(id=aid, title=title, text=text, source=source, date=when, url=url, metadata=meta)


def _clean_title(value: Any) -> str:
    s = _str(value)
    return " ".join(s.split())[:500]


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)
