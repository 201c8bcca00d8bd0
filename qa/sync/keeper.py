"""Keeping an index up to date while it answers: watched folders and followed feeds, in one thread.

``Keeper`` syncs the folders once when it starts (what changed while nobody watched), then on each
batch of file events (``watchfiles``), and reads the feeds every ``feeds_every`` seconds. It writes
through the same locked writer as ``qa ingest``, so the chat keeps answering from the last version
until the new one is published. A failed update is logged and tried again at the next event or
tick; nothing stops the thread but ``stop()``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from qa.errors import USER_ERRORS, BadQuestion
from qa.sync.feeds import FeedList
from qa.sync.feeds import update as update_feeds
from qa.sync.folders import WatchedFolders

RETRY = 5.0  # seconds before a failed folder sync (another writer held the lock) is tried again
DEBOUNCE_MS = 400  # file events this close together are one batch (a copy that writes in pieces)
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """Seconds of "15m", "90s", "1h", "1d" or a plain number of seconds.

    Raises:
        BadQuestion: not such a duration, or under 10 seconds.
    """
    m = _EVERY.match(str(text or ""))
    if not m:
        raise BadQuestion(f"an interval is a number and s, m, h or d, like 15m; got {text!r}")
    seconds = float(m.group(1)) * _UNIT[m.group(2).lower()]
    if seconds < 10:
        raise BadQuestion(f"the feeds interval must be at least 10 seconds, got {text!r}")
    return seconds


class Keeper:
    """Keeps ``assistant``'s index in step with ``folders`` and its feeds.

    Args:
        feeds_every: seconds between feed updates; None reads no feeds.
        log: called with one line per update that did something, and per failure.
        progress: passed to each ingest (``index.ingest.Progress``).
    """

    def __init__(self, assistant, folders: list[Path] = (), feeds_every: float | None = None,
                 log: Callable[[str], None] | None = None, progress=None):
        self.assistant = assistant
        self.folders = WatchedFolders(assistant, list(folders)) if folders else None
        self.feeds_every = feeds_every
        self.log = log or (lambda line: None)
        self.progress = progress
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.syncs = 0  # folder syncs done (each batch of events is one)
        self.busy: str | None = None  # what an update in progress is doing, in words (the chat shows it)

    def start(self) -> Keeper:
        self._thread = threading.Thread(target=self.run, name="qa-keeper", daemon=True)
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Watch until ``stop()``: sync the folders on their events, read the feeds on their ticks."""
        self._due = time.monotonic()  # the feeds are read at once, then every ``feeds_every``
        if self.folders is None:
            while not self._stop.is_set():
                self._tick()
                self._stop.wait(1.0)
            return
        from watchfiles import watch

        dirty, failed_at = True, 0.0  # the first sync catches what changed while nobody watched
        # one watcher for the whole run: events that come while a sync runs are kept for the next batch
        for changes in watch(*self.folders.folders, stop_event=self._stop, debounce=DEBOUNCE_MS, step=50,
                             rust_timeout=1000, yield_on_timeout=True, raise_interrupt=False):
            dirty = dirty or bool(changes)
            if dirty and time.monotonic() - failed_at >= RETRY:
                dirty = not self.sync_folders()
                failed_at = time.monotonic() if dirty else 0.0
            self._tick()

    def _tick(self) -> None:
        if self.feeds_every and time.monotonic() >= self._due:
            self.read_feeds()
            self._due = time.monotonic() + self.feeds_every

    def sync_folders(self) -> bool:
        """One folder sync; False when it failed (it is tried again)."""
        try:
            r = self.folders.sync(progress=self._progress("the watched folders"))
        except USER_ERRORS as exc:
            self.log(f"watch: not updated yet: {exc}")
            return False
        except Exception as exc:  # noqa: BLE001 - the thread keeps watching; the next event tries again
            self.log(f"watch: update failed: {type(exc).__name__}: {exc}")
            return False
        finally:
            self.busy = None
        self.syncs += 1
        if r.changed or r.skipped:
            self.log(f"watch: {r.line()}")
            for s in r.skipped:
                self.log(f"watch: skipped {s}")
        return True

    def read_feeds(self) -> None:
        if not FeedList(self.assistant.paths.home).load():
            return
        try:
            for r in update_feeds(self.assistant, progress=self._progress("the feeds")):
                if r.new or r.error:
                    self.log(f"feeds: {r.line()}")
        except Exception as exc:  # noqa: BLE001 - a failed round is logged; the next tick tries again
            self.log(f"feeds: update failed: {type(exc).__name__}: {exc}")
        finally:
            self.busy = None

    def _progress(self, origin: str):
        """Each ingest's progress, kept in words for the chat and passed on to ``progress``."""
        def report(stage, done, total, extra):
            of = f" of {total}" if total else ""
            self.busy = f"updating from {origin}: {done}{of} articles read, {extra.get('embedded', 0)} passages embedded"
            if self.progress is not None:
                self.progress(stage, done, total, extra)
        return report
