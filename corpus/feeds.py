"""Feeds: the entries of an RSS 2.0 or Atom feed as articles, fetched with care.

Each request is conditional (the ETag and Last-Modified of the last answer are sent back, and a
304 reads nothing), bounded in time and in size, and its failure is reported, never raised past
the feed it belongs to. Feeds are parsed by ``feedparser``; an entry that carries only a summary
has its linked page fetched and its text extracted by ``trafilatura`` (as HTML files are).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from corpus.article import Article

TIMEOUT_S = 15.0  # per request
MAX_BYTES = 5_000_000  # per feed or page
SUMMARY_ONLY_CHARS = 600  # an entry whose text is shorter than this is a summary: its page is read
USER_AGENT = "analyst-qa feed reader"


class FeedError(Exception):
    """A feed or page that could not be read: the message says why."""


@dataclass(frozen=True)
class Fetched:
    """One answer: ``body`` is None when the server said nothing changed (304)."""

    body: bytes | None
    etag: str | None = None
    modified: str | None = None


@dataclass(frozen=True)
class Entry:
    """One feed entry: ``key`` identifies it across fetches (its id, else its link)."""

    key: str
    title: str
    link: str
    date: str | None
    text: str

    @property
    def summary_only(self) -> bool:
        return len(self.text) < SUMMARY_ONLY_CHARS


def fetch(url: str, etag: str | None = None, modified: str | None = None, *, timeout: float = TIMEOUT_S,
          max_bytes: int = MAX_BYTES) -> Fetched:
    """GET ``url`` (http or https only), conditionally. Raises ``FeedError`` on a bad status, a
    timeout, a body over ``max_bytes`` or a refused address."""
    import httpx

    if urlparse(url).scheme not in ("http", "https"):
        raise FeedError(f"not an http(s) address: {url}")
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    deadline = time.monotonic() + timeout
    try:
        with httpx.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as r:
            if r.status_code == 304:
                return Fetched(None, etag, modified)
            if r.status_code >= 400:
                raise FeedError(f"{url}: HTTP {r.status_code}")
            size = int(r.headers.get("content-length") or 0)
            if size > max_bytes:
                raise FeedError(f"{url}: {size:,} bytes, over the {max_bytes:,}-byte limit")
            chunks, got = [], 0
            for chunk in r.iter_bytes():
                got += len(chunk)
                if got > max_bytes:
                    raise FeedError(f"{url}: over the {max_bytes:,}-byte limit")
                if time.monotonic() > deadline:
                    raise FeedError(f"{url}: no complete answer within {timeout:g} s")
                chunks.append(chunk)
            return Fetched(b"".join(chunks), r.headers.get("etag"), r.headers.get("last-modified"))
    except httpx.TimeoutException as exc:
        raise FeedError(f"{url}: no answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FeedError(f"{url}: {type(exc).__name__}: {exc}") from exc


def parse(body: bytes, url: str) -> tuple[str, list[Entry]]:
    """The feed's title and its entries. Raises ``FeedError`` when it is not a feed."""
    import feedparser

    d = feedparser.parse(body)
    if d.bozo and not d.entries:
        raise FeedError(f"{url}: not an RSS or Atom feed ({type(d.bozo_exception).__name__})")
    out = []
    for e in d.entries:
        link = e.get("link") or ""
        key = e.get("id") or link or e.get("title") or ""
        if not key:
            continue
        content = e.get("content") or []
        raw = content[0].get("value", "") if content else e.get("summary", "")
        out.append(Entry(key, _plain(e.get("title") or ""), link, _date(e), _plain(raw)))
    return _plain(d.feed.get("title") or ""), out


def page_text(body: bytes, url: str) -> str | None:
    """The main text of an entry's page (``trafilatura``), or None when it holds none."""
    import trafilatura

    text = trafilatura.extract(body.decode("utf-8", errors="replace"), url=url, include_comments=False)
    return text.strip() if text and text.strip() else None


def to_article(entry: Entry, outlet: str, text: str) -> Article:
    """The entry as an article: a stable id from its key, the outlet, its date and link."""
    digest = hashlib.sha1(entry.key.encode("utf-8")).hexdigest()[:16]
    host = urlparse(entry.link).hostname or "feed"
    return Article(id=f"{host}:{digest}", title=entry.title or text[:80], text=text, source=outlet, date=entry.date,
                   url=entry.link, metadata={"feed_entry": entry.key})


def _date(e) -> str | None:
    t = e.get("published_parsed") or e.get("updated_parsed")
    return time.strftime("%Y-%m-%d", t) if t else None


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"(?i)<\s*(?:br|/p|/div|/li|/h\d)\s*/?>")


def _plain(value: str) -> str:
    """Feed HTML as plain text: paragraphs kept, tags dropped, entities decoded."""
    text = htmllib.unescape(_TAG.sub("", _BREAK.sub("\n\n", value or "")))
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())
