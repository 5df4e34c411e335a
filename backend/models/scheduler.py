"""The scheduler's heartbeat: which process holds the scheduler lock and when it last ticked."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.types import UTCDateTime

HEARTBEAT = "scheduler"


class SchedulerHeartbeat(db.Model):
    """One row per scheduler role (only "scheduler" today), rewritten by its holder on
    every tick; /healthz reads its age. It outlives the process on purpose: a scheduler
    that stopped beating is an outage to report, not a row to forget."""

    __tablename__ = "scheduler_heartbeat"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
