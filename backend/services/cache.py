"""Per-process caches of reference data (the region index, the calendar, the catalogue)
that other processes may change: a cheap stamp query says whether to rebuild, asked at
most once a second, so a change made through another worker shows within a second."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from backend.extensions import db

CHECK_EVERY_SECONDS = 1.0
_ALL: list["StampedCache"] = []


class StampedCache:
    def __init__(self, stamp: Callable[[], tuple], build: Callable[[], object]):
        self._stamp, self._build = stamp, build
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple, float, object]] = {}  # per database URL
        _ALL.append(self)

    def get(self):
        key = str(db.engine.url)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry and now - entry[1] < CHECK_EVERY_SECONDS:
            return entry[2]
        stamp = tuple(self._stamp())
        if entry and entry[0] == stamp:
            with self._lock:
                self._entries[key] = (stamp, now, entry[2])
            return entry[2]
        value = self._build()
        with self._lock:
            self._entries[key] = (stamp, now, value)
        return value

    def clear(self) -> None:
        """Forget what is cached: the writer calls it, so its own process sees a change at once."""
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    """Forget every cache (a test that rolled its changes back)."""
    for cache in _ALL:
        cache.clear()
