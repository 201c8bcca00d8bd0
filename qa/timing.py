"""Per-stage wall time of one request, so the latency budget is visible (``Answer.timings``).

A request opens ``measure()``; the stages inside it wrap their work in ``stage(name)``. Times are
exclusive: a stage nested in another (attribution inside compose) is not counted twice. A stage
opened with ``group=True`` names the stages inside it after itself (the searches corroboration runs
are ``corroboration/dense``, not the answer's ``dense``). Outside a ``measure()`` block ``stage``
costs one context-variable lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[_Clock | None] = ContextVar("qa_stage_clock", default=None)


class _Clock:
    __slots__ = ("ms", "prefix", "stack")

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.stack: list[float] = []  # time spent in children of each open stage
        self.prefix: list[str] = []  # open group stages


@contextmanager
def measure() -> Iterator[dict[str, float]]:
    """Collect the stage times of the work inside; the dict fills in as stages end."""
    clock = _Clock()
    token = _current.set(clock)
    try:
        yield clock.ms
    finally:
        _current.reset(token)


@contextmanager
def stage(name: str, group: bool = False) -> Iterator[None]:
    """Count the time inside as ``name`` (added up when a stage runs several times)."""
    clock = _current.get()
    if clock is None:
        yield
        return
    key = "/".join([*clock.prefix[-1:], name])
    if group:
        clock.prefix.append(key)
    clock.stack.append(0.0)
    t0 = time.perf_counter()
    try:
        yield
    finally:
        total = (time.perf_counter() - t0) * 1000
        children = clock.stack.pop()
        if group:
            clock.prefix.pop()
        clock.ms[key] = clock.ms.get(key, 0.0) + total - children
        if clock.stack:
            clock.stack[-1] += total


__all__ = ["measure", "stage"]
