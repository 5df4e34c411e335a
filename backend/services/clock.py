"""The service's notion of now: the runtime's clock (backend.services.runtime), the real UTC
clock unless create_app or a test puts another there (no sleeping in tests)."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from backend.models.types import utcnow
from backend.services import runtime


def now() -> datetime:
    return runtime.current().clock()


class OffsetFileClock:
    """For tests and demos (settings refuse it in production): the real clock plus the
    seconds written in a file. Every process given the same file sees the same moved time,
    so an end-to-end test or a demo (`flask clock advance`) moves the server, the scheduler
    and the simulator forward together, without sleeping.
    A missing or empty file is no offset."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def offset(self) -> float:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return 0.0
        return float(text) if text else 0.0

    def __call__(self) -> datetime:
        return utcnow() + timedelta(seconds=self.offset())

    def advance(self, seconds: float) -> None:
        """Move time forward (written whole: a reader never sees half a number)."""
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(repr(self.offset() + seconds))
        partial.replace(self.path)
