"""Effects as rows, in the caller's transaction: delivered after commit by the relay
(backend/effects), so a rolled-back change notifies nobody and a committed one is never
forgotten.

Two kinds: a "push" per case change (Socket.IO tells everyone who may see the case that it
moved; they fetch what they may read), and a "subscribe_message" per resident to tell at
the steps WeChat subscribe messages announce. Staff need no row of their own: they are in
the rooms the push reaches.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseSupport, OutboxEffect
from backend.services import clock

# The flow's events that are a resident step, and the step (a template) announcing each.
# The scheduler's callback reminder asks again what "closed - please rate" asked (it goes
# out only if the resident accepted that template more than once).
RESIDENT_STEPS = {"accepted": "accepted", "dispatched": "dispatched", "result_ready": "result_ready",
                  "closed_rate_please": "closed", "closed": "closed", "rate_reminder": "closed"}


def case_changed(case: Case, event: str, seq: int) -> None:
    """One push for one change (one CaseLog row, numbered seq)."""
    add(kind="push", case_id=case.id, payload={"case_id": case.id, "event": event, "seq": seq})


def cases_changed(changes: list[tuple[Case, str, int]]) -> None:
    """case_changed() for a batch, (case, event, seq) each, as one INSERT: the scheduler's
    thousands of alerts. Written in bulk, they are not handed to the relay at commit (no
    request there): the sweeper delivers them, which the scheduler runs every tick."""
    if changes:
        moment = clock.now()
        db.session.execute(sa.insert(OutboxEffect), [
            {"kind": "push", "case_id": case.id, "payload": {"case_id": case.id, "event": event, "seq": seq},
             "created_at": moment, "next_attempt_at": moment} for case, event, seq in changes])


def notify(case: Case, audience: str, event: str, **extra) -> None:
    """Tell an audience of the case about an event: residents by subscribe message where
    the event is one of their steps."""
    step = RESIDENT_STEPS.get(event)
    if step is None:
        return
    for user_id in _residents(case, audience):
        add(kind="subscribe_message", case_id=case.id, recipient_id=user_id,
            payload={"step": step, "event": event, "case_id": case.id, **extra})


def add(**fields) -> OutboxEffect:
    """One effect row in the caller's transaction (cases', orders', WeChat Pay calls'), due
    at once on the service's clock (the relay compares with the same clock)."""
    moment = clock.now()
    effect = OutboxEffect(created_at=moment, next_attempt_at=moment, **fields)
    db.session.add(effect)
    return effect


def _residents(case: Case, audience: str) -> list[int]:
    if audience == "reporter":
        return [case.reporter_id] if case.reporter_id is not None else []
    if audience == "supporters":
        return list(db.session.scalars(sa.select(CaseSupport.user_id)
                                       .where(CaseSupport.case_id == case.id)))
    return []
