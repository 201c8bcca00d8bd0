"""Feeds: real RSS and Atom served on 127.0.0.1 by the test, fetched, parsed and ingested into a real index."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from app.cli import app
from corpus.feeds import FeedError, fetch
from qa.sync.feeds import FeedList, update

PAGE = ("<html><head><title>Dam reopens</title></head><body><article><h1>Dam reopens</h1>"
        + "".join(f"<p>The Tishrin dam on the Euphrates reopened to traffic on Monday after repairs, engineers "
                  f"said, paragraph {i} of the report on the dam's spillway and turbines.</p>" for i in range(8))
        + "</article></body></html>")
LONG = " ".join(["Aid convoys reached the northern town of Manbij on Sunday, the Red Crescent said."] * 12)
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire North</title>
<item><guid>n-1</guid><title>Convoys reach Manbij</title><link>{base}/n1</link>
<pubDate>Sun, 22 Mar 2015 10:00:00 GMT</pubDate><description>{long}</description></item>
<item><guid>n-2</guid><title>Dam reopens</title><link>{base}/page</link>
<pubDate>Mon, 23 Mar 2015 09:00:00 GMT</pubDate><description>The dam reopened.</description></item>
{more}</channel></rss>"""
NEW_ITEM = """<item><guid>n-3</guid><title>Bridge closed</title><link>{base}/n3</link>
<pubDate>Tue, 24 Mar 2015 08:00:00 GMT</pubDate><description>{text}</description></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Desk</title>
<entry><id>urn:a-1</id><title>Grain prices rise</title><link href="{base}/a1"/><updated>2015-03-21T12:00:00Z</updated>
<content type="html">&lt;p&gt;{text}&lt;/p&gt;</content></entry></feed>"""


class Site:
    """What the test server answers; ``rss_more`` grows the feed, ``hits`` counts requests per path."""

    def __init__(self):
        self.rss_more = ""
        self.hits: dict[str, int] = {}


@pytest.fixture()
def site():
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            base = f"http://127.0.0.1:{self.server.server_port}"
            if self.path == "/rss":
                body = RSS.format(base=base, long=LONG, more=state.rss_more).encode()
                etag = f'"v{len(body)}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                return self._send(body, "application/rss+xml", etag)
            if self.path == "/atom":
                return self._send(ATOM.format(base=base, text=LONG.replace("Manbij", "Raqqa")).encode(), "application/atom+xml")
            if self.path == "/page":
                return self._send(PAGE.encode(), "text/html")
            if self.path == "/broken":
                return self._send(b"<rss><channel><title>oops", "application/rss+xml")
            if self.path == "/big":
                return self._send(b"<p>" + b"x" * 300_000 + b"</p>", "text/html")
            if self.path == "/slow":
                time.sleep(3)
                return self._send(b"late", "text/plain")
            self.send_response(404)
            self.end_headers()

        def _send(self, body: bytes, kind: str, etag: str | None = None):
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.base = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()


def test_fetch_is_bounded_in_size_and_time_and_says_why(site):
    assert b"Wire North" in fetch(f"{site.base}/rss").body
    with pytest.raises(FeedError, match="HTTP 404"):
        fetch(f"{site.base}/missing")
    with pytest.raises(FeedError, match="byte limit"):
        fetch(f"{site.base}/big", max_bytes=100_000)
    with pytest.raises(FeedError, match="no answer within"):
        fetch(f"{site.base}/slow", timeout=0.5)
    with pytest.raises(FeedError, match="not an http"):
        fetch("file:///etc/passwd")


def test_feeds_are_ingested_once_and_a_bad_one_never_stops_the_others(site, fresh):
    a = fresh()
    feeds = FeedList(a.paths.home)
    feeds.add(f"{site.base}/rss", outlet="Wire North")
    feeds.add(f"{site.base}/atom")
    feeds.add(f"{site.base}/broken")
    feeds.add(f"{site.base}/gone")
    with pytest.raises(Exception, match="already following"):
        feeds.add(f"{site.base}/rss")

    reports = {r.url.rsplit("/", 1)[1]: r for r in update(a, timeout=5)}
    assert reports["rss"].new == 2 and reports["atom"].new == 1
    assert "not an RSS or Atom feed" in reports["broken"].error and "HTTP 404" in reports["gone"].error
    assert site.hits["/page"] == 1  # the summary-only entry's page was read for its text
    ans = a.ask("When did the Tishrin dam reopen?", as_of="2015-03-25")
    assert not ans.not_found and ans.citations[0].source == "Wire North"
    assert "spillway" in ans.citations[0].passage and ans.citations[0].url.endswith("/page")
    atom = a.ask("Did grain prices rise?", as_of="2015-03-25")
    assert atom.citations and atom.citations[0].source == "Atom Desk"  # the feed's title as outlet

    again = {r.url.rsplit("/", 1)[1]: r for r in update(a, timeout=5)}
    assert again["rss"].not_modified and site.hits["/page"] == 1  # ETag answered 304: nothing read again
    assert again["atom"].new == 0  # no ETag from this server: read, but its entry is not taken twice

    site.rss_more = NEW_ITEM.format(base=site.base, text=LONG.replace("Aid convoys reached", "Engineers closed a bridge near"))
    newer = {r.url.rsplit("/", 1)[1]: r for r in update(a, timeout=5)}
    assert newer["rss"].new == 1 and site.hits["/page"] == 1
    stored = {f["url"].rsplit("/", 1)[1]: f for f in feeds.load()}
    assert len(stored["rss"]["seen"]) == 3 and stored["rss"]["last_error"] is None
    assert "HTTP 404" in stored["gone"]["last_error"]


def test_feeds_on_the_command_line(site, fresh):
    home = str(fresh().paths.home)
    runner = CliRunner()
    out = runner.invoke(app, ["feeds", "add", f"{site.base}/atom", "--outlet", "Desk", "--home", home])
    assert out.exit_code == 0 and "following" in out.output
    bad = runner.invoke(app, ["feeds", "add", "ftp://example.org/x", "--home", home])
    assert bad.exit_code != 0 and "error:" in bad.output and "Traceback" not in bad.output
    up = runner.invoke(app, ["feeds", "update", "--quiet", "--home", home])
    assert up.exit_code == 0 and "1 new" in up.output
    listed = runner.invoke(app, ["feeds", "list", "--home", home])
    assert "Desk" in listed.output and "entries: 1" in listed.output
    gone = runner.invoke(app, ["feeds", "remove", f"{site.base}/atom", "--home", home])
    assert gone.exit_code == 0
    assert "no feeds" in runner.invoke(app, ["feeds", "list", "--home", home]).output


def test_the_keeper_reads_the_feeds_on_its_interval(site, fresh):
    from qa.sync import activity
    from qa.sync.keeper import Keeper

    a = fresh()
    FeedList(a.paths.home).add(f"{site.base}/atom")
    keeper = Keeper(a, [], feeds_every=10).start()  # no folder: the feeds alone, read at once, then every 10 s
    try:
        deadline = time.time() + 60
        while not activity.recent(a.paths.home) and time.time() < deadline:
            time.sleep(0.2)
        assert activity.recent(a.paths.home)[0]["origin"] == f"{site.base}/atom"
        site.hits.clear()
        deadline = time.time() + 30
        while not site.hits.get("/atom") and time.time() < deadline:  # the next tick
            time.sleep(0.2)
        assert site.hits.get("/atom") == 1
    finally:
        keeper.stop()
    assert a.ask("Did grain prices rise?", as_of="2015-03-25").citations[0].source == "Atom Desk"
