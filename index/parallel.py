"""Two cores for one request: work items shared between the calling thread and a helper thread."""

from __future__ import annotations

import functools
import os
import threading

_HELPER = None
_HELPER_LOCK = threading.Lock()


@functools.cache
def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_each(run, items) -> None:
    """``run`` every item in this thread, in order (what ``share_work`` does on one core)."""
    for item in items:
        run(item)


def share_work(run, items: list) -> None:
    """``run`` every item, in this thread and one helper thread of a process-wide pool at once.

    Both take the next item until none is left; a helper that has not started when this thread
    runs out is cancelled, so a busy pool (a server answering many questions) costs no waiting:
    this thread then simply does all the work itself. Results must not depend on which thread
    ran an item (onnxruntime sessions are thread-safe; each item writes its own rows). Stage
    times (``qa.timing``) are kept by the calling thread only: the helper's share of the work
    counts in the stage that called this.
    """
    global _HELPER
    if len(items) < 2 or cores() < 2:
        run_each(run, items)
        return
    if _HELPER is None:
        with _HELPER_LOCK:
            if _HELPER is None:
                from concurrent.futures import ThreadPoolExecutor

                _HELPER = ThreadPoolExecutor(max_workers=min(cores(), 8) - 1, thread_name_prefix="qa-helper")
    pending = iter(items)
    lock = threading.Lock()

    def take():
        while True:
            with lock:
                item = next(pending, _DONE)
            if item is _DONE:
                return
            run(item)

    helper = _HELPER.submit(take)
    take()
    if not helper.cancel():
        helper.result()  # at most the item it took; re-raises its error


_DONE = object()
