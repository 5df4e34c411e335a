"""The case timeline: one immutable CaseLog row per action, numbered per case."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog
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
