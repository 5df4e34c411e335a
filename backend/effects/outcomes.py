"""How a handler tells the relay that an attempt did not deliver its effect. A handler that
returns has delivered; one that raises anything else has hit a bug (retried, then dead).

Their own module: the relay catches them and every handler raises them, and the relay is
handed its handlers (backend/app.py), so neither side imports the other."""
from __future__ import annotations

from datetime import datetime


class Retry(Exception):
    """Delivery failed for now (WeChat busy, Redis away): try again after a back-off, or at
    `after` when the wait is known (a daily quota) - that is not counted as an attempt."""

    def __init__(self, reason: str, after: datetime | None = None):
        super().__init__(reason)
        self.after = after


class Final(Exception):
    """Delivery is impossible and retrying will not help; ``outcome`` says how it ended."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome = outcome
