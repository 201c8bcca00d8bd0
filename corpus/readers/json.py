"""JSON (an object or a list of objects) and JSONL (one object per line, read as a stream)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from corpus.article import Article, Skipped
from corpus.records import GZ_RATIO_LIMIT, MAX_FILE_BYTES, MAX_LINE_BYTES, Skip, to_article


def stream_jsonl(f: Path) -> Iterator[Article | Skipped]:
    """One article per line, read as a stream: any file size, memory bounded by one record.

    A record over MAX_LINE_BYTES, a line that is not UTF-8 or not JSON is skipped with its line
    number; a gzip that inflates over GZ_RATIO_LIMIT times its size stops (a possible zip bomb).
    """
    gz = f.suffix.lower() == ".gz"
    budget = max(MAX_FILE_BYTES, f.stat().st_size * GZ_RATIO_LIMIT) if gz else float("inf")
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
        yield to_article(obj, where=where)
    except Skip as exc:
        yield Skipped(where, str(exc))


def read_json(f: Path, text: str) -> Iterator[Article | Skipped]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Skip(f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise Skip("JSON nested too deeply") from None
    items = obj if isinstance(obj, list) else [obj]
    for i, item in enumerate(items):
        where = f"{f}[{i}]" if isinstance(obj, list) else str(f)
        try:
            yield to_article(item, where=where)
        except Skip as exc:
            yield Skipped(where, str(exc))
