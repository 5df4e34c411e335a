"""Effects as rows, in the caller's transaction: delivered after commit by a relay (the
real-time issue builds it), so a rolled-back change notifies nobody and a committed one
is never forgotten."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, OutboxEffect


def notify(case: Case, audience: str, event: str, **extra) -> None:
    db.session.add(OutboxEffect(kind="notify", case_id=case.id, payload={
        "audience": audience, "event": event, "case_id": case.id, "state": case.state, **extra}))


def notify_many(effects: list[tuple[Case, str, str, dict]]) -> None:
    """notify() for a batch, (case, audience, event, extra) each: one INSERT sent for all
    rows at once (the scheduler's thousands of alerts), the same rows notify() writes."""
    if effects:
        db.session.execute(sa.insert(OutboxEffect), [
            {"kind": "notify", "case_id": case.id, "payload": {
                "audience": audience, "event": event, "case_id": case.id, "state": case.state, **extra}}
            for case, audience, event, extra in effects])
