"""The yellow warning and the red alert, a claimed batch at a time, set-based: the markers,
the timeline entries and the effects of a whole batch are written in its one transaction
(a few statements per batch, not per clock), so 10,000 clocks falling due together take
seconds, not minutes.

Each alert is a change of the case, as the outbox sees changes (services/outbox.py): an
entry in the case's timeline by the system, and one push numbered like it, which Socket.IO
sends to everyone who may see the case (resync works by that number). Residents hear of
their own steps by subscribe message (the callback reminder). Who is meant (DOMAIN.md:
red/yellow warnings and supervision 督办, each stage's clock attributed to the party
holding the case) is in the entry and in the notifications:
- yellow ("deadline_warning") to the party holding the clock; on the callback clock the
  warning is the reminder to the reporter to rate ("rate_reminder");
- red ("overdue") to the party holding it, and supervision ("supervised") to that party's
  head: a grid worker's community, a community's township hub, a hub's county platform, a
  department's county platform (the level that supervises and ranks departments). The case
  is marked supervised.
Audiences are the flow's names, plus "department" (one summoned department, named by
department_id) for a summons' own clocks; every entry names the clock (deadline_id).
"""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Deadline
from backend.models.types import one_of
from backend.scheduler.claims import Claimed
from backend.services import outbox
from backend.services.cases import log as caselog
from backend.services.catalogue import categories

log = logging.getLogger("shaobao.scheduler")
HOLDER = {"community": "community", "hub": "hub", "county": "county", "department": "department",
          "lead": "lead", "grid_worker": "grid_worker", "reporter": "reporter"}
HEAD = {"grid_worker": "community", "community": "hub", "hub": "county", "county": "county",
        "department": "county", "lead": "county"}
SUPERVISOR = "county"  # the platform supervises whatever has no head above
# Clocks the flow lets the system escalate when overdue by a further limit (the system's
# `escalate` from community handling): the further limit is the stage's own limit again.
ESCALATING = frozenset({"community_handling"})
Told = tuple[Case, str, dict, tuple[tuple[str, str], ...]]  # case, entry, about, (audience, event)


def _about(row: Deadline) -> dict:
    return {"deadline_id": row.id, "kind": row.kind, "party": row.party,
            "department_id": row.department_id, "summons_id": row.summons_id,
            "due_at": row.due_at.isoformat()}


def _tell(told: list[Told]) -> None:
    """Timeline entries, their pushes, and the notifications, for a whole batch."""
    changes = caselog.append_system([(case, entry, about) for case, entry, about, _ in told])
    outbox.cases_changed(changes)
    for case, _entry, about, audiences in told:
        for audience, event in audiences:
            outbox.tell(case, audience, event, **about)


def warn(rows: Claimed, moment: datetime) -> int:
    told = []
    for row, case in rows:
        row.warned_at = moment
        if row.kind == "callback":
            told.append((case, "rate_reminder", _about(row), (("reporter", "rate_reminder"),)))
        else:
            holder = HOLDER.get(row.party, row.party)
            told.append((case, "deadline_warning", {**_about(row), "holder": holder},
                         ((holder, "deadline_warning"),)))
    _tell(told)
    db.session.flush()
    log.info("scheduler warned n=%d", len(rows))
    return len(rows)


def breach(rows: Claimed, moment: datetime) -> int:
    calendar = categories.work_calendar()
    told = []
    for row, case in rows:
        row.breached_at = moment
        row.warned_at = row.warned_at or moment  # the red alert settles the yellow one
        if row.kind in ESCALATING:
            limit = categories.limits_for(case.category_id, case.urgency)[row.kind]
            row.escalate_at = calendar.due(row.due_at, limit)
        holder, head = HOLDER.get(row.party, row.party), HEAD.get(row.party, SUPERVISOR)
        told.append((case, "overdue", {**_about(row), "holder": holder, "supervised_by": head},
                     ((holder, "overdue"), (head, "supervised"))))
    _tell(told)
    _mark_supervised({case.id for _, case in rows if not case.supervised})
    db.session.flush()
    log.info("scheduler breached n=%d", len(rows))
    return len(rows)


def _mark_supervised(case_ids: set[int]) -> None:
    """督办 by the system: a column outside the flow, so (as cases.actions.update_outside_flow
    explains) the version stays and nobody acting on the case gets a 409 for it. One
    statement for the batch; the claim holds these rows."""
    if not case_ids:
        return
    table = Case.__table__
    dialect = db.session.get_bind().dialect.name
    db.session.execute(sa.update(table).where(one_of(table.c.id, case_ids, dialect)).values(supervised=True))
