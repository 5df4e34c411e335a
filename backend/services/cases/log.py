"""The case timeline: one immutable CaseLog row per action, numbered per case."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog
from backend.models.types import one_of
from backend.services import clock


def append(case: Case, action: str, actor_id: int | None, actor_role: str, from_state: str | None,
           to_state: str, payload: dict) -> CaseLog:
    """The next row of the case's log. The case row's version check makes concurrent
    actions on one case serial; the unique (case, seq) is the last line of defence."""
    seq = 1 if from_state is None else (db.session.scalar(
        sa.select(sa.func.max(CaseLog.seq)).where(CaseLog.case_id == case.id)) or 0) + 1
    row = CaseLog(case_id=case.id, seq=seq, action=action, actor_id=actor_id, actor_role=actor_role,
                  from_state=from_state, to_state=to_state, payload=payload, at=clock.now())
    db.session.add(row)
    if from_state is not None:
        db.session.flush()  # a later action's row must take its seq before the next one asks
    return row


def append_system(entries: list[tuple[Case, str, dict]]) -> list[tuple[Case, str, int]]:
    """Rows the system writes on many cases at once, each in the state its case is in (the
    scheduler's alerts): one query numbers them all, one INSERT writes them; (case, action,
    seq) of each. The caller holds the cases' rows (the scheduler's claim locks them), so
    no action takes the same numbers meanwhile."""
    if not entries:
        return []
    dialect = db.session.get_bind().dialect.name
    ids = {case.id for case, _, _ in entries}
    last = dict(db.session.execute(sa.select(CaseLog.case_id, sa.func.max(CaseLog.seq))
                                   .where(one_of(CaseLog.case_id, ids, dialect))
                                   .group_by(CaseLog.case_id)).all())
    moment = clock.now()
    rows = []
    for case, action, payload in entries:
        last[case.id] = last.get(case.id, 0) + 1
        rows.append({"case_id": case.id, "seq": last[case.id], "action": action, "actor_id": None,
                     "actor_role": "system", "from_state": case.state, "to_state": case.state,
                     "payload": payload, "at": moment})
    db.session.execute(sa.insert(CaseLog), rows)
    return [(case, row["action"], row["seq"]) for (case, _, _), row in zip(entries, rows)]
