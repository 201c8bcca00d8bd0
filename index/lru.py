"""A small thread-safe least-recently-used map: the caches of an index version and of sentence vectors."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class LRU:
    """At most ``size`` entries; reading or writing one makes it the newest, the oldest go first."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key not in self._d:
                return default
            self._d.move_to_end(key)
            return self._d[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def __len__(self) -> int:
        return len(self._d)
