"""The service's notion of now: the real UTC clock, unless a test or the scheduler's
harness puts another in app.extensions["shaobao.clock"] (no sleeping in tests)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from backend.models.types import utcnow


def now() -> datetime:
    return current_app.extensions.get("shaobao.clock", utcnow)()
