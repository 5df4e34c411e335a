"""Helpers for scheduler tests: a clock the test moves (the `frozen` fixture, loaded through
`pytest_plugins` in tests/conftest.py), and what the outbox holds."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog, Deadline, OutboxEffect
from backend.models.types import utcnow
from backend.scheduler import jobs
from backend.services import heartbeat, runtime

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
HOLDER = heartbeat.Holder("test-host", 4242, datetime(2026, 3, 1, tzinfo=UTC))


def beijing(text: str) -> datetime:
    """'2026-03-02 10:00' on the wall in Beijing, as an aware UTC moment."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING).astimezone(UTC)


class MovableClock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime | str) -> datetime:
        self.moment = beijing(moment) if isinstance(moment, str) else moment
        return self.moment

    def advance(self, **delta) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture()
def frozen(app):
    """The service clock at Monday 2026-03-02 10:00 in Beijing (a working day), moved by
    the test; removed afterwards."""
    clock = MovableClock(beijing("2026-03-02 10:00"))
    runtime.of(app).clock = clock
    yield clock
    runtime.of(app).clock = utcnow


def tick() -> dict[str, int]:
    return jobs.tick(HOLDER)


def archive() -> dict[str, int]:
    return jobs.archive(HOLDER)


def pushes(case_id: int, *events: str) -> list[str]:
    """Events of the case's pushes (one per change), oldest first; only `events` if given."""
    rows = db.session.scalars(sa.select(OutboxEffect).where(
        OutboxEffect.case_id == case_id, OutboxEffect.kind == "push").order_by(OutboxEffect.id)).all()
    return [r.payload["event"] for r in rows if not events or r.payload["event"] in events]


def push_seqs(case_id: int) -> list[int]:
    return [r.payload["seq"] for r in db.session.scalars(sa.select(OutboxEffect).where(
        OutboxEffect.case_id == case_id, OutboxEffect.kind == "push").order_by(OutboxEffect.id))]


def messages(case_id: int) -> list[tuple[int, str, str]]:
    """(recipient, step, event) of the case's subscribe messages, oldest first."""
    return [(r.recipient_id, r.payload["step"], r.payload["event"]) for r in db.session.scalars(
        sa.select(OutboxEffect).where(OutboxEffect.case_id == case_id,
                                      OutboxEffect.kind == "subscribe_message").order_by(OutboxEffect.id))]


def entries(case_id: int, action: str) -> list[dict]:
    """Payloads of the case's timeline entries of one action."""
    return list(db.session.scalars(sa.select(CaseLog.payload).where(
        CaseLog.case_id == case_id, CaseLog.action == action).order_by(CaseLog.seq)))


def clocks(case_id: int, kind: str | None = None, running: bool = True) -> list[Deadline]:
    query = sa.select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)
    if kind:
        query = query.where(Deadline.kind == kind)
    if running:
        query = query.where(Deadline.stopped_at.is_(None))
    db.session.expire_all()
    return db.session.scalars(query).all()


def the_clock(case_id: int, kind: str) -> Deadline:
    (row,) = clocks(case_id, kind)
    return row


def log_actions(case_id: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in db.session.execute(
        sa.select(CaseLog.action, CaseLog.actor_role).where(CaseLog.case_id == case_id)
        .order_by(CaseLog.seq)).all()]


def case_row(case_id: int) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)
