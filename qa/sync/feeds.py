"""The feeds a data home follows, and bringing their new entries into its index.

The list is ``feeds.json`` in the data home: each feed's URL, outlet, the ETag and Last-Modified of
its last answer, the entries already taken, and the last error. ``update`` reads every feed
(``corpus.feeds``), fetches the page of an entry that carries only a summary, and ingests the new
entries; a bad feed or page is reported and the others go on. An entry counts as seen only once
its article is in the index, so an interrupted update loses nothing: the next one takes it again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from corpus.feeds import FeedError, fetch, page_text, parse, to_article
from index.manifest import write_atomic
from qa.errors import BadQuestion
from qa.sync import activity

FILE = "feeds.json"
_lock = threading.Lock()


@dataclass
class FeedReport:
    """What one feed's update did."""

    url: str
    new: int = 0
    not_modified: bool = False
    error: str | None = None
    page_errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.error:
            return f"{self.url}: error: {self.error}"
        if self.not_modified:
            return f"{self.url}: not changed"
        more = f" ({len(self.page_errors)} page(s) unreadable, their summaries kept)" if self.page_errors else ""
        return f"{self.url}: {self.new} new{more}"


class FeedList:
    """The feeds of one data home (``feeds.json``), read and written whole, atomically."""

    def __init__(self, home: Path):
        self.path = Path(home) / FILE

    def load(self) -> list[dict]:
        if not self.path.exists():
            return []
        return json.loads(self.path.read_text(encoding="utf-8")).get("feeds", [])

    def save(self, feeds: list[dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps({"feeds": feeds}, indent=2, ensure_ascii=False).encode(), 0o600)

    def add(self, url: str, outlet: str | None = None) -> dict:
        url = (url or "").strip()
        if not url.startswith(("http://", "https://")):
            raise BadQuestion(f"a feed address must start with http:// or https://, got {url!r}")
        with _lock:
            feeds = self.load()
            if any(f["url"] == url for f in feeds):
                raise BadQuestion(f"already following {url}")
            feed = {"url": url, "outlet": outlet or "", "etag": None, "modified": None, "seen": [],
                    "last_checked": None, "last_error": None}
            self.save(feeds + [feed])
            return feed

    def remove(self, url: str) -> bool:
        with _lock:
            feeds = self.load()
            kept = [f for f in feeds if f["url"] != url]
            self.save(kept)
            return len(kept) != len(feeds)


def update(assistant, urls: list[str] | None = None, progress=None, **limits) -> list[FeedReport]:
    """Read every feed (or those in ``urls``) and ingest its new entries; one report per feed.
    ``limits``: ``timeout`` and ``max_bytes`` per request (``corpus.feeds``)."""
    store = FeedList(assistant.paths.home)
    reports = []
    for feed in store.load():
        if urls and feed["url"] not in urls:
            continue
        report = FeedReport(feed["url"])
        reports.append(report)
        try:
            got = fetch(feed["url"], feed.get("etag"), feed.get("modified"), **limits)
            if got.body is None:
                report.not_modified = True
                _record(store, feed["url"], etag=got.etag, modified=got.modified, error=None)
                continue
            title, entries = parse(got.body, feed["url"])
            outlet = feed.get("outlet") or title or feed["url"]
            seen = set(feed.get("seen") or [])
            articles = []
            for entry in [e for e in entries if e.key not in seen]:
                text = entry.text
                if entry.summary_only and entry.link:
                    try:  # the entry carries a summary only: its page has the article
                        page = fetch(entry.link, **limits).body
                        text = (page_text(page, entry.link) if page else None) or text
                    except FeedError as exc:
                        report.page_errors.append(str(exc))
                if text.strip():
                    articles.append((entry, to_article(entry, outlet, text)))
            if articles:
                assistant.ingest([a for _, a in articles], progress=progress)
            report.new = len(articles)
            if articles:
                activity.record(assistant.paths.home, feed["url"], [{"id": a.id, "title": a.title} for _, a in articles],
                                problems=report.page_errors)
            _record(store, feed["url"], etag=got.etag, modified=got.modified, error=None,
                    seen=[e.key for e, _ in articles])
        except FeedError as exc:
            report.error = str(exc)
            _record(store, feed["url"], error=str(exc))
    return reports


def _record(store: FeedList, url: str, seen: list[str] | None = None, **fields) -> None:
    """Write what a feed's update learned (after its entries are indexed, never before)."""
    with _lock:
        feeds = store.load()
        for f in feeds:
            if f["url"] == url:
                for k in ("etag", "modified"):
                    if k in fields:
                        f[k] = fields[k]
                f["last_error"] = fields.get("error")
                f["last_checked"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if seen:
                    f["seen"] = list(dict.fromkeys((f.get("seen") or []) + seen))
        store.save(feeds)
