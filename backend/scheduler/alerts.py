"""The yellow warning and the red alert, a claimed batch at a time, set-based: the markers
and the effects of a whole batch are written in its one transaction (a few statements per
batch, not per clock), so 10,000 clocks falling due together take seconds, not minutes.

Who hears what (DOMAIN.md: red/yellow warnings and supervision 督办, each stage's clock
attributed to the party holding the case):
- yellow ("deadline_warning") to the party holding the clock; on the callback clock the
  warning is the reminder to the reporter to rate ("rate_reminder");
- red ("overdue") to the party holding it, and supervision ("supervised") to that party's
  head: a grid worker's community, a community's township hub, a hub's county platform, a
  department's county platform (the level that supervises and ranks departments). The case
  is marked supervised and its timeline gets an "overdue" entry by the system.
Audiences are the flow's names, plus "department" (one summoned department, named by
department_id) for a summons' own clocks; every payload names the clock (deadline_id).
"""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Deadline
from backend.models.types import one_of
from backend.scheduler.claims import Claimed
from backend.services import catalogue, caselog, outbox

log = logging.getLogger("shaobao.scheduler")
HOLDER = {"community": "community", "hub": "hub", "county": "county", "department": "department",
          "lead": "lead", "grid_worker": "grid_worker", "reporter": "reporter"}
HEAD = {"grid_worker": "community", "community": "hub", "hub": "county", "county": "county",
        "department": "county", "lead": "county"}
SUPERVISOR = "county"  # the platform supervises whatever has no head above
# Clocks the flow lets the system escalate when overdue by a further limit (the system's
# `escalate` from community handling): the further limit is the stage's own limit again.
ESCALATING = frozenset({"community_handling"})


def _about(row: Deadline) -> dict:
    return {"deadline_id": row.id, "kind": row.kind, "party": row.party,
            "department_id": row.department_id, "summons_id": row.summons_id,
            "due_at": row.due_at.isoformat()}


def warn(rows: Claimed, moment: datetime) -> int:
    effects = []
    for row, case in rows:
        row.warned_at = moment
        if row.kind == "callback":
            effects.append((case, "reporter", "rate_reminder", _about(row)))
        else:
            effects.append((case, HOLDER.get(row.party, row.party), "deadline_warning", _about(row)))
    outbox.notify_many(effects)
    db.session.flush()
    log.info("scheduler warned n=%d", len(rows))
    return len(rows)


def breach(rows: Claimed, moment: datetime) -> int:
    calendar = catalogue.work_calendar()
    effects, entries = [], []
    for row, case in rows:
        row.breached_at = moment
        row.warned_at = row.warned_at or moment  # the red alert settles the yellow one
        if row.kind in ESCALATING:
            limit = catalogue.limits_for(case.category_id, case.urgency)[row.kind]
            row.escalate_at = calendar.due(row.due_at, limit)
        about = _about(row)
        effects.append((case, HOLDER.get(row.party, row.party), "overdue", about))
        effects.append((case, HEAD.get(row.party, SUPERVISOR), "supervised", about))
        entries.append((case, "overdue", about))
    outbox.notify_many(effects)
    caselog.append_system(entries)
    _mark_supervised({case.id for _, case in rows if not case.supervised})
    db.session.flush()
    log.info("scheduler breached n=%d", len(rows))
    return len(rows)


def _mark_supervised(case_ids: set[int]) -> None:
    """督办 by the system: a column outside the flow, so (as case_actions.update_outside_flow
    explains) the version stays and nobody acting on the case gets a 409 for it. One
    statement for the batch; the claim holds these rows."""
    if not case_ids:
        return
    table = Case.__table__
    dialect = db.session.get_bind().dialect.name
    db.session.execute(sa.update(table).where(one_of(table.c.id, case_ids, dialect)).values(supervised=True))
