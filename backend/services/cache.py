"""Per-process caches of reference data (the region index, the calendar, the catalogue)
that any process may change.

Every change bumps the data's counter (reference_version) in the same transaction. A
process compares its cached counter with the database's at most once a second, so a
change made through another worker shows within a second; the writer's own process drops
its copy at once. A rolled-back bump drops the copy too: the next read rebuilds."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from backend.extensions import db
from backend.models.versions import ReferenceVersion

CHECK_EVERY_SECONDS = 1.0
_BY_NAME: dict[str, StampedCache] = {}


class StampedCache:
    def __init__(self, name: str, build: Callable[[], object]):
        self.name, self._build = name, build
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, float, object]] = {}  # per database URL
        _BY_NAME[name] = self

    def _version(self) -> int:
        return db.session.scalar(sa.select(ReferenceVersion.version)
                                 .where(ReferenceVersion.name == self.name)) or 0

    def get(self):
        key = str(db.engine.url)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry and now - entry[1] < CHECK_EVERY_SECONDS:
            return entry[2]
        version = self._version()
        value = entry[2] if entry and entry[0] == version else self._build()
        with self._lock:
            self._entries[key] = (version, now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def bump(name: str) -> None:
    """Count a change of reference data, in the caller's transaction."""
    db.session.execute(sa.update(ReferenceVersion).where(ReferenceVersion.name == name)
                       .values(version=ReferenceVersion.version + 1))
    db.session.info.setdefault("bumped_caches", set()).add(name)
    _BY_NAME[name].clear()


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _drop_rolled_back(session) -> None:
    for name in session.info.pop("bumped_caches", ()):
        _BY_NAME[name].clear()


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _forget_bumps(session) -> None:
    session.info.pop("bumped_caches", None)


def clear_all() -> None:
    """Forget every cache (a test that rolled its changes back)."""
    for cache in _BY_NAME.values():
        cache.clear()
