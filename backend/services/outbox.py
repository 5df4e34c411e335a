"""The one writer of effects: rows in the caller's transaction, delivered after commit by
the relay (backend/effects), so a rolled-back change notifies nobody and a committed one is
never forgotten.

add() writes one effect of any kind (a case's or an order's push and messages, a WeChat Pay
call); add_many() writes a batch as one INSERT. changed() and tell() are the two effects a
step of a case or an order makes, shaped by the audiences table (services/audiences.py):
one push per change, to everyone who may see it, and one message per person the table says
hears the step.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Order, OutboxEffect
from backend.services import audiences, clock


def add(**fields) -> OutboxEffect:
    """One effect row in the caller's transaction, due at once on the service's clock (the
    relay compares with the same clock); handed to the relay when the request commits."""
    moment = clock.now()
    effect = OutboxEffect(created_at=moment, next_attempt_at=moment, **fields)
    db.session.add(effect)
    return effect


def add_many(rows: list[dict]) -> None:
    """Effect rows (add()'s fields each, the same keys in every row) as one INSERT: the
    scheduler's thousands of alerts. Not handed to the relay at commit (no request there):
    the sweeper delivers them, which the scheduler runs every tick."""
    if rows:
        moment = clock.now()
        db.session.execute(sa.insert(OutboxEffect),
                           [{**row, "created_at": moment, "next_attempt_at": moment} for row in rows])


def changed(subject: Case | Order, event: str, seq: int) -> None:
    """One push for one change of a case or an order (its timeline row numbered seq)."""
    add(**_push(subject, event, seq))


def cases_changed(changes: list[tuple[Case, str, int]]) -> None:
    """changed() for a batch of cases, (case, event, seq) each, as one INSERT."""
    add_many([_push(case, event, seq) for case, event, seq in changes])


def tell(subject: Case | Order, audience: str, event: str, **extra) -> None:
    """Tell an audience of the case or order about an event: a message to each of its people
    where the audiences table names a template for it (staff hear by the push)."""
    heard = audiences.of(subject)
    step = heard.step(audience, event)
    if step is None:
        return
    for user_id in heard.recipients(subject, audience):
        add(kind=heard.message, recipient_id=user_id, **{heard.key: subject.id},
            payload={"step": step, "event": event, heard.key: subject.id, **extra})


def _push(subject: Case | Order, event: str, seq: int) -> dict:
    heard = audiences.of(subject)
    return {"kind": heard.push, heard.key: subject.id,
            "payload": {heard.key: subject.id, "event": event, "seq": seq}}
