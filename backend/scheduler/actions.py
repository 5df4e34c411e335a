"""What the flow lets the system do (relation "system" in workflows/case_flow.py): escalate
a case from community handling to the township when the community's limit has passed by a
further limit, and archive a case whose reporter never rated it within the callback limit.

Each goes through cases.actions.act, like any person's action: the flow decides, the clock
stops (the stop is the marker that the step was done) and the notifications are written,
all in the batch's transaction. Each runs in a savepoint: should the flow refuse (the case
moved in a way the clock did not follow), that case is left as it is and its clock is
settled, so one odd case never blocks the batch nor comes back every tick.
"""
from __future__ import annotations

import logging
from datetime import datetime

from backend.extensions import db
from backend.scheduler.claims import Claimed
from backend.services.cases import actions
from backend.services.errors import DomainError

log = logging.getLogger("shaobao.scheduler")
ESCALATION_REASON = "社区办理超期，系统自动上报街镇"


def _system(case_id: int, action: str, payload: dict) -> bool:
    try:
        with db.session.begin_nested():
            actions.act(None, case_id, action, payload, None)
    except DomainError as refusal:
        log.warning("scheduler %s refused case=%s code=%s: %s", action, case_id, refusal.code,
                    refusal.message)
        return False
    return True


def escalate(rows: Claimed, moment: datetime) -> int:
    done = 0
    for row, case in rows:
        if _system(case.id, "escalate", {"reason": ESCALATION_REASON}):
            done += 1
        else:
            row.escalate_at = None  # nothing the system may escalate: not asked again
    db.session.flush()
    return done


def archive(rows: Claimed, moment: datetime) -> int:
    done = 0
    for row, case in rows:
        if _system(case.id, "archive", {}):
            done += 1
        else:
            row.stopped_at = moment  # a callback clock left running on a case not awaiting rating
    db.session.flush()
    return done
