"""From a record (a dict of fields, whatever format it came from) to an ``Article``: field aliases,
dates, text clean-up and the limits every reader enforces."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from corpus.article import Article

MAX_FILE_BYTES = 64 * 1024 * 1024  # per file, except JSONL (streamed line by line)
MAX_LINE_BYTES = 32 * 1024 * 1024  # one JSONL record
MAX_ARTICLE_CHARS = 2_000_000
MAX_PDF_PAGES = 2_000
GZ_RATIO_LIMIT = 200  # decompressed/compressed: beyond this it looks like a bomb

_ALIASES = {
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "article"),
    "source": ("source", "outlet", "publisher", "site"),
    "date": ("date", "published", "published_at", "pubdate"),
    "url": ("url", "link"),
}
_KNOWN = {a for names in _ALIASES.values() for a in names} | {"id", "metadata"}


class Skip(Exception):
    """This input cannot become an article; the message says why (it is reported, not raised to the user)."""


def clean_text(text: str, where: str) -> str:
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " " or ch > "\x7f")
    text = text.replace("\x7f", "")
    if len(text) > MAX_ARTICLE_CHARS:
        raise Skip(f"{where}: text has {len(text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit")
    if not text.strip():
        raise Skip(f"{where}: no text")
    return text.strip()


def as_str(value: Any) -> str:
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


def to_article(obj: Any, *, where: str) -> Article:
    if not isinstance(obj, dict):
        raise Skip(f"expected a JSON object, got {type(obj).__name__}")
    raw_text = _pick(obj, "text")
    if not isinstance(raw_text, str):
        raise Skip("missing 'text' field" if raw_text is None else "'text' must be a string")
    text = clean_text(raw_text, "text")
    title = _clean_title(_pick(obj, "title"))
    meta: dict[str, Any] = {}
    try:
        when = parse_date(_pick(obj, "date"))
    except ValueError:
        when = None  # keep the article; the date it had stays visible in its metadata
        meta["date_raw"] = str(_pick(obj, "date"))[:100]
    url = as_str(_pick(obj, "url"))
    source = as_str(_pick(obj, "source"))
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
    s = as_str(value)
    return " ".join(s.split())[:500]


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)
