"""Cases (事件/工单) and what hangs off them: the log, summonses, deadlines, photos, supporters."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.catalogue import Category
from backend.models.departments import Department
from backend.models.media import Photo
from backend.models.regions import Region
from backend.models.types import JSONType, UTCDateTime, utcnow

CHANNELS = ("mini_program", "patrol", "sensor", "external")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
RETENTION_PENDING = "anonymised_at IS NULL AND closed_at IS NOT NULL"


class Case(db.Model):
    __tablename__ = "case_file"  # "case" is an SQL keyword
    __table_args__ = (
        sa.UniqueConstraint("reporter_id", "client_id", name="uq_case_file_reporter_client"),
        sa.Index("ix_case_file_region_path", "region_path",
                 postgresql_ops={"region_path": "varchar_pattern_ops"}),
        sa.Index("ix_case_file_category_state", "category_id", "state"),
        # What retention asks: closed cases not yet anonymised, oldest first.
        sa.Index("ix_case_file_retention_due", "closed_at",
                 postgresql_where=sa.text(RETENTION_PENDING), sqlite_where=sa.text(RETENTION_PENDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"))
    urgency: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Where: GCJ-02, resolved to the deepest region (a grid, or between grids the smallest
    # region); region_path carries the subtree filters of access control.
    lng: Mapped[float]
    lat: Mapped[float]
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    region_path: Mapped[str] = mapped_column(sa.String(255))
    # Who and through what.
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    reporter_kind: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(16))
    api_client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_client.id"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The flow.
    state: Mapped[str] = mapped_column(sa.String(32), index=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[int] = mapped_column(default=1)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    on_site: Mapped[bool] = mapped_column(default=False)
    extension_pending: Mapped[dict | None] = mapped_column(JSONType)
    rework_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    support_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_file.id"))
    rating: Mapped[str | None] = mapped_column(sa.String(24))
    supervised: Mapped[bool] = mapped_column(default=False)
    # "passed", "pending" (WeChat was down: retried later), "review" (a human should look).
    content_check: Mapped[str] = mapped_column(sa.String(16), default="passed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When retention removed its personal data (services.cases.retention): done once.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Every UPDATE checks and bumps version: two actions racing on one case cannot both win.
    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category] = relationship()
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    summonses: Mapped[list[Summons]] = relationship(back_populates="case", order_by="Summons.id")


class CaseLog(db.Model):
    """One immutable row per action: the case's timeline."""

    __tablename__ = "case_log"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq", name="uq_case_log_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str] = mapped_column(sa.String(32))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@sa.event.listens_for(CaseLog, "before_update")
@sa.event.listens_for(CaseLog, "before_delete")
def _log_is_immutable(mapper, connection, target):
    raise RuntimeError("case_log rows are immutable: write a new one")


class Summons(db.Model):
    """One department called by a township's whistle (哨令), as lead or co-handler."""

    __tablename__ = "summons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16))
    on_site: Mapped[bool] = mapped_column(default=False)
    return_reason: Mapped[str | None] = mapped_column(sa.String(32))
    arrival_lat: Mapped[float | None]
    arrival_lng: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="summonses")
    department: Mapped[Department] = relationship()


# What the scheduler asks of clocks, one partial index each: a tick reads only the rows it
# is about to act on, as an index range from the lowest time up to now. Rows leave an
# index when they are settled (the marker is set in the transaction that writes the
# effects), paused or stopped, so a tick over a million open cases with nothing due reads
# no row at all, and overdue clocks that keep running are not read again every tick.
# Literals, not bound parameters: a planner can use a partial index only when it can
# prove the query implies the index's condition from the query's own constants.
WARN_PENDING = "warned_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL"
BREACH_PENDING = ("breached_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL"
                  " AND kind <> 'callback'")
ESCALATION_PENDING = "escalate_at IS NOT NULL AND stopped_at IS NULL AND paused_at IS NULL"
CALLBACK_RUNNING = "kind = 'callback' AND stopped_at IS NULL AND paused_at IS NULL"


def _partial(name: str, column: str, condition: str) -> sa.Index:
    return sa.Index(name, column, postgresql_where=sa.text(condition), sqlite_where=sa.text(condition))


class Deadline(db.Model):
    """One SLA clock: running (due_at set), paused (remaining kept) or stopped.

    warn_at: when the yellow warning is due (DEADLINE_WARN_SHARE of the limit, on the
    working calendar); warned_at: when the yellow stage was settled (warned, or passed over
    because the red alert came first). breached_at: when the red alert (overdue, 督办) went
    out. escalate_at: set at breach on clocks the system may escalate (community handling):
    when the case goes one level up."""

    __tablename__ = "deadline"
    __table_args__ = (
        # Lists and queues ask "which running clocks are due before X".
        sa.Index("ix_deadline_running_due", "due_at", postgresql_where=sa.text("stopped_at IS NULL"),
                 sqlite_where=sa.text("stopped_at IS NULL")),
        _partial("ix_deadline_warn_pending", "warn_at", WARN_PENDING),
        _partial("ix_deadline_breach_pending", "due_at", BREACH_PENDING),
        _partial("ix_deadline_escalation_pending", "escalate_at", ESCALATION_PENDING),
        _partial("ix_deadline_callback_running", "due_at", CALLBACK_RUNNING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    summons_id: Mapped[int | None] = mapped_column(sa.ForeignKey("summons.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    party: Mapped[str] = mapped_column(sa.String(16))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    unit: Mapped[str] = mapped_column(sa.String(12))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remaining_seconds: Mapped[float | None]
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CasePhoto(db.Model):
    __tablename__ = "case_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id"))
    # report, result, verification, arrival, note, rework
    purpose: Mapped[str] = mapped_column(sa.String(16))
    log_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_log.id"))
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    photo: Mapped[Photo] = relationship()
    log: Mapped[CaseLog | None] = relationship()


class CaseSupport(db.Model):
    """我也遇到: a resident who met the same problem follows this case instead of filing."""

    __tablename__ = "case_support"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
