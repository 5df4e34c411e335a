"""SLA clocks as Deadline rows: started on entering a stage, stopped on leaving it, paused
while parked, extended when an extension is approved; counted on the working calendar
and attributed to the party holding the case (a department for its summons' clocks).
The scheduler (backend/scheduler) fires what falls due: warn_at, due_at, escalate_at."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Deadline, Summons
from backend.services import clock, runtime
from backend.services.catalogue import categories
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
    limit = categories.limits_for(case.category_id, case.urgency)[kind]
    calendar = categories.work_calendar()
    due_at = calendar.due(moment, limit)
    row = Deadline(case_id=case.id, summons_id=summons.id if summons else None, kind=kind,
                   party=party, department_id=_department(case, party, summons), unit=limit.unit,
                   started_at=moment, due_at=due_at,
                   warn_at=calendar.warn_at(moment, due_at, _warn_share(), limit.unit))
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


def _warn_share() -> float:
    return runtime.setting("DEADLINE_WARN_SHARE")


def _pause(row: Deadline, moment) -> None:
    """No due time while paused. warn_at and escalate_at stay as they were: the scheduler's
    indexes leave paused rows out, and resuming shifts them by the time spent parked."""
    row.remaining_seconds = categories.work_calendar().remaining(moment, row.due_at, row.unit)
    row.paused_at, row.due_at = moment, None


def pause_all(case: Case) -> None:
    moment = clock.now()
    for row in _running(case):
        if row.paused_at is None:
            _pause(row, moment)


def resume_all(case: Case) -> None:
    moment = clock.now()
    calendar = categories.work_calendar()
    for row in _running(case):
        if row.paused_at is not None:
            row.due_at = calendar.resume(moment, row.remaining_seconds, row.unit)
            # What was left until the warning (or the escalation) when parking is spent
            # again from now, in the clock's own measure, as the due time's remainder is.
            for name in ("warn_at", "escalate_at"):
                moment_then = getattr(row, name)
                if moment_then is not None:
                    left = calendar.remaining(row.paused_at, moment_then, row.unit)
                    setattr(row, name, calendar.resume(moment, left, row.unit))
            row.paused_at, row.remaining_seconds = None, None


def extend(case: Case, kind: str, limit: Limit) -> None:
    """An approved extension is a new limit: the warning moves to the same share of the
    clock from its start to the new due time, and a warning or an overdue alert already
    sent applies again to the new times if they lie ahead (the earlier overdue stays in
    the case log). For a clock parked before, the share counts the parked time too."""
    moment = clock.now()
    calendar = categories.work_calendar()
    for row in _running(case, kind):
        if row.due_at is None:
            continue
        row.due_at = calendar.extend(row.due_at, limit)
        row.warn_at = calendar.warn_at(row.started_at, row.due_at, _warn_share(), row.unit)
        if row.warn_at > moment:
            row.warned_at = None
        if row.due_at > moment:
            row.breached_at, row.escalate_at = None, None
