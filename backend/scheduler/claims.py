"""Which clocks are due, claimed a batch at a time.

Each question is a range on its own partial index (backend/models/cases.py): the query
repeats the index's condition word for word (literals, so the planner can prove the index
applies), bounds the indexed time by now and orders by it, so the database walks the index
from its start and stops at now or at the batch size. Nothing that is not due is read:
with a million open cases and nothing due, each claim touches no row. Their cases are
then fetched by primary key.

On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED: a second tick (a standby that
took over early, `flask scheduler tick` by hand) skips what this one holds, and after this
one commits the rows no longer match (the marker is set), which PostgreSQL re-checks on
the newest row version before locking. Cases are locked with their clocks (every step
writes to the case's timeline, or acts on the case), so a person acting on the case at
that moment either waits for this batch or is skipped by it, never deadlocked with it. SQLite serialises writers (BEGIN
IMMEDIATE), which gives the same guarantee.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Deadline
from backend.models.types import one_of

CALLBACK = sa.literal_column("'callback'")
Claimed = list[tuple[Deadline, Case]]


@dataclass(frozen=True)
class Question:
    index: str            # the partial index that answers it (checked by the tests)
    column: sa.Column     # the indexed time
    conditions: tuple     # the index's condition, as the query repeats it


RUNNING = (Deadline.stopped_at.is_(None), Deadline.paused_at.is_(None))
QUESTIONS = {
    # Yellow warnings and callback reminders due.
    "warnings": Question("ix_deadline_warn_pending", Deadline.warn_at,
                         (Deadline.warned_at.is_(None), *RUNNING)),
    # Past due and not yet alerted; callbacks aside (they archive).
    "breaches": Question("ix_deadline_breach_pending", Deadline.due_at,
                         (Deadline.breached_at.is_(None), *RUNNING, Deadline.kind != CALLBACK)),
    # Overdue clocks the system escalates, their further limit passed.
    "escalations": Question("ix_deadline_escalation_pending", Deadline.escalate_at,
                            (Deadline.escalate_at.is_not(None), *RUNNING)),
    # Callback clocks run out: the reporter never rated.
    "callbacks": Question("ix_deadline_callback_running", Deadline.due_at,
                          (Deadline.kind == CALLBACK, *RUNNING)),
}


def statement(name: str, moment: datetime, limit: int, dialect: str) -> sa.Select:
    question = QUESTIONS[name]
    query = (sa.select(Deadline).where(*question.conditions, question.column <= moment)
             .order_by(question.column).limit(limit))
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def claim(name: str, moment: datetime, limit: int) -> Claimed:
    dialect = db.session.get_bind().dialect.name
    rows = db.session.scalars(statement(name, moment, limit, dialect)).all()
    if not rows:
        return []
    cases = sa.select(Case).where(one_of(Case.id, {row.case_id for row in rows}, dialect))
    if dialect == "postgresql":
        # A case someone is acting on right now is skipped; its clocks wait for the next
        # batch (their locks are kept until this one commits, which is harmless).
        cases = cases.with_for_update(skip_locked=True)
    by_id = {case.id: case for case in db.session.scalars(cases)}
    return [(row, by_id[row.case_id]) for row in rows if row.case_id in by_id]


def warnings(moment: datetime, limit: int) -> Claimed:
    return claim("warnings", moment, limit)


def breaches(moment: datetime, limit: int) -> Claimed:
    return claim("breaches", moment, limit)


def escalations(moment: datetime, limit: int) -> Claimed:
    return claim("escalations", moment, limit)


def callbacks(moment: datetime, limit: int) -> Claimed:
    return claim("callbacks", moment, limit)
