"""The scheduler's retention job: anonymise closed cases past PERSONAL_DATA_RETENTION_DAYS
(services.cases.retention), one committed batch at a time until none is left or the process
is stopping. Idempotent: an anonymised case is marked and never claimed again."""
from __future__ import annotations

import threading

from backend.extensions import db
from backend.services import clock, heartbeat
from backend.services.cases import retention


def run(holder: heartbeat.Holder | None = None, stop: threading.Event | None = None,
        limit: int = retention.BATCH) -> dict[str, int]:
    """Anonymise everything due; counts. holder None: run by hand (`flask privacy anonymise`)."""
    totals = {"cases": 0, "photo_originals": 0}
    while stop is None or not stop.is_set():
        try:
            counts = retention.anonymise_due(limit)
            if holder is not None:
                heartbeat.beat(holder, clock.now())  # commits with the batch it vouches for
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        for key, value in counts.items():
            totals[key] += value
        if counts["cases"] < limit:
            break
    return totals
