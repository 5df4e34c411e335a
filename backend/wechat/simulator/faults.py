"""Injected failures, so clients can be tested against WeChat's bad days.

A fault matches one path (or ``*`` for every WeChat endpoint, never ``/sim/...``) and fires
``count`` times (``None``: until cleared). Modes:

- ``busy``: answer ``{"errcode": -1, "errmsg": "system error ..."}`` (HTTP 200, as WeChat does);
- ``http500``: answer HTTP 500, as a broken gateway in front of WeChat would;
- ``timeout``: wait ``delay_seconds`` and then answer normally, so the work is done even
  though the client gave up (a consumed login code is the classic consequence);
- ``not_found``: WeChat Pay answers HTTP 404 ``RESOURCE_NOT_EXISTS`` whatever it holds (a
  mistaken or forged "no such thing"); elsewhere HTTP 404.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

MODES = ("busy", "timeout", "http500", "not_found")
ANY_PATH = "*"


@dataclass
class Fault:
    path: str
    mode: str
    count: int | None = 1
    delay_seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"path": self.path, "mode": self.mode, "count": self.count,
                "delay_seconds": self.delay_seconds}


def parse_fault(body: dict) -> Fault:
    """A Fault from a control request; ValueError says what is wrong with it."""
    path, mode = body.get("path"), body.get("mode")
    count, delay = body.get("count", 1), body.get("delay_seconds", 0.0)
    if not isinstance(path, str) or not (path == ANY_PATH or path.startswith("/")):
        raise ValueError('path must be "*" or start with "/"')
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ValueError("count must be a positive integer or null")
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        raise ValueError("delay_seconds must be a non-negative number")
    return Fault(path, mode, count, float(delay))


class FaultTable:
    """Armed faults; the first armed fault matching a path fires (and is used up)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def listing(self) -> list[dict]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path in (path, ANY_PATH):
                    return self._use(fault)
        return None

    def _use(self, fault: Fault) -> Fault:
        if fault.count is not None:
            fault.count -= 1
            if fault.count == 0:
                self._faults.remove(fault)
        return fault
