"""Effects as rows, in the caller's transaction: delivered after commit by a relay (the
real-time issue builds it), so a rolled-back change notifies nobody and a committed one
is never forgotten."""
from __future__ import annotations

from backend.extensions import db
from backend.models import Case, OutboxEffect


def notify(case: Case, audience: str, event: str, **extra) -> None:
    db.session.add(OutboxEffect(kind="notify", case_id=case.id, payload={
        "audience": audience, "event": event, "case_id": case.id, "state": case.state, **extra}))
