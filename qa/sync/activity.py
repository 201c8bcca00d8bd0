"""What came into the index, and when: ``activity.jsonl`` in the data home.

Each update that changed the index (a watched folder's files, a feed's new entries) appends one
line: when, where from, the articles that came in (id and title), the ids removed, and what could
not be read. The chat shows the latest lines beside the time the index last changed. The log keeps
its last ``KEPT`` lines.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from index.manifest import write_atomic

FILE = "activity.jsonl"
KEPT = 500
_lock = threading.Lock()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(home: Path, origin: str, added: list[dict], removed: list[str] = (), problems: list[str] = ()) -> dict:
    """Append one update: ``origin`` (a folder or a feed's address), ``added`` ({"id", "title"} each),
    ``removed`` (article ids), ``problems`` (one line each). Returns the line written."""
    line = {"time": now(), "origin": origin, "added": list(added), "removed": list(removed), "problems": list(problems)}
    path = Path(home) / FILE
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        _trim(path)
    return line


def recent(home: Path, n: int = 5) -> list[dict]:
    """The last ``n`` updates, newest first (a line that cannot be read is passed over)."""
    path = Path(home) / FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    out = []
    for line in reversed(lines):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "time" in row:
            out.append(row)
        if len(out) >= n:
            break
    return out


def describe(row: dict, titles: int = 3) -> str:
    """One update in words: "2026-12-08 10:02 UTC, from /data/news: 2 in (Dam reopens; Bridge closed), 1 removed"."""
    added, removed = row.get("added") or [], row.get("removed") or []
    parts = []
    if added:
        names = "; ".join((a.get("title") or a.get("id") or "?")[:80] for a in added[:titles])
        more = f"; {len(added) - titles} more" if len(added) > titles else ""
        parts.append(f"{len(added)} in ({names}{more})")
    if removed:
        parts.append(f"{len(removed)} removed")
    if row.get("problems"):
        parts.append(f"{len(row['problems'])} unreadable")
    when = str(row.get("time", "")).replace("T", " ").rstrip("Z")[:16]
    return f"{when} UTC, from {row.get('origin', '?')}: {', '.join(parts) or 'nothing new'}"


def _trim(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) <= KEPT + KEPT // 5:
        return
    write_atomic(path, ("\n".join(lines[-KEPT:]) + "\n").encode(), 0o600)
