"""SLA clocks as Deadline rows: started on entering a stage, stopped on leaving it, paused
while parked, extended when an extension is approved; counted on the working calendar
and attributed to the party holding the case (a department for its summons' clocks)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Deadline, Summons
from backend.services import catalogue, clock
from workflows.calendar import Limit


def _running(case: Case, kind: str | None = None, summons_id: int | None = None):
    query = sa.select(Deadline).where(Deadline.case_id == case.id, Deadline.stopped_at.is_(None))
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    if summons_id is not None:
        query = query.where(Deadline.summons_id == summons_id)
    return db.session.scalars(query).all()


def _department(case: Case, party: str, summons: Summons | None) -> int | None:
    if summons is not None:
        return summons.department_id
    if party == "lead":
        lead = next((s for s in case.summonses if s.role == "lead" and s.status != "released"), None)
        return lead.department_id if lead else None
    return None


def start(case: Case, kind: str, party: str, summons: Summons | None = None, fresh: bool = False) -> Deadline:
    """A new running clock; a clock of the same kind (and summons) still running is
    stopped first, so a stage entered again starts afresh (fresh: a new case has none)."""
    moment = clock.now()
    if not fresh:
        stop(case, kind, summons.id if summons else None)
    limit = catalogue.limits_for(case.category_id, case.urgency)[kind]
    row = Deadline(case_id=case.id, summons_id=summons.id if summons else None, kind=kind,
                   party=party, department_id=_department(case, party, summons), unit=limit.unit,
                   started_at=moment, due_at=catalogue.work_calendar().due(moment, limit))
    if case.state == "parked":
        _pause(row, moment)
    db.session.add(row)
    return row


def stop(case: Case, kind: str, summons_id: int | None = None) -> None:
    moment = clock.now()
    for row in _running(case, kind, summons_id):
        row.stopped_at = moment


def stop_all(case: Case) -> None:
    moment = clock.now()
    for row in _running(case):
        row.stopped_at = moment


def _pause(row: Deadline, moment) -> None:
    row.remaining_seconds = catalogue.work_calendar().remaining(moment, row.due_at, row.unit)
    row.paused_at, row.due_at = moment, None  # no due time while paused: the scheduler skips it


def pause_all(case: Case) -> None:
    moment = clock.now()
    for row in _running(case):
        if row.paused_at is None:
            _pause(row, moment)


def resume_all(case: Case) -> None:
    moment = clock.now()
    calendar = catalogue.work_calendar()
    for row in _running(case):
        if row.paused_at is not None:
            row.due_at = calendar.resume(moment, row.remaining_seconds, row.unit)
            row.paused_at, row.remaining_seconds = None, None


def extend(case: Case, kind: str, limit: Limit) -> None:
    calendar = catalogue.work_calendar()
    for row in _running(case, kind):
        if row.due_at is not None:
            row.due_at = calendar.extend(row.due_at, limit)
