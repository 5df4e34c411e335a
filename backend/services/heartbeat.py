"""The heartbeat: the process holding the scheduler lock rewrites one row on every tick
(and after every batch, so a long backlog does not look like a dead scheduler); /healthz
reports its age and holder.

When is a scheduler expected (so that no heartbeat is a fault)? When SCHEDULER_EXPECTED
is set (the default in production), or as soon as a heartbeat row exists: once a scheduler
has run against a database, its silence is an outage, whatever the configuration says.
Times come from the service clock, the same one deadlines fire by.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from backend.extensions import db
from backend.models import SchedulerHeartbeat
from backend.models.scheduler import HEARTBEAT


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started_at: datetime

    @classmethod
    def this_process(cls, started_at: datetime) -> Holder:
        return cls(socket.gethostname(), os.getpid(), started_at)


def beat(holder: Holder, moment: datetime) -> None:
    """In the caller's transaction: the beat commits with the work it vouches for."""
    row = db.session.get(SchedulerHeartbeat, HEARTBEAT)
    if row is None:
        row = SchedulerHeartbeat(name=HEARTBEAT)
        db.session.add(row)
    row.host, row.pid, row.started_at, row.beat_at = holder.host, holder.pid, holder.started_at, moment


def status(moment: datetime, stale_seconds: float, expected: bool) -> dict:
    """The /healthz entry: ok, the beat's age and the holder."""
    row = db.session.get(SchedulerHeartbeat, HEARTBEAT)
    if row is None:
        if expected:
            return {"ok": False, "configured": True, "error": "no heartbeat: the scheduler never ran"}
        return {"ok": True, "configured": False}
    age = (moment - row.beat_at).total_seconds()
    result = {"ok": age <= stale_seconds, "configured": True, "age_seconds": round(age, 1),
              "stale_after_seconds": stale_seconds, "beat_at": row.beat_at.isoformat(),
              "holder": {"host": row.host, "pid": row.pid, "started_at": row.started_at.isoformat()}}
    if not result["ok"]:
        result["error"] = "heartbeat is stale: no scheduler is processing deadlines"
    return result
