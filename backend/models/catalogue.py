"""The category catalogue (派单目录), urgency classes and the working calendar's days."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow

STAGES = ("triage", "community_handling", "dispatch", "sign_in", "arrival", "handling",
          "verification", "callback")
HANDLING_LEVELS = ("community", "township", "county")


class UrgencyClass(db.Model):
    __tablename__ = "urgency_class"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(16))
    # stage -> {"amount", "unit"}: the full set every category starts from.
    limits: Mapped[dict] = mapped_column(JSONType)


class Category(db.Model):
    __tablename__ = "category"
    __table_args__ = (
        sa.CheckConstraint("level IN ('community', 'township', 'county')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id"), index=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    # Department codes, the first the default lead.
    departments: Mapped[list] = mapped_column(JSONType, default=list)
    urgency: Mapped[str] = mapped_column(sa.ForeignKey("urgency_class.code"))
    # Open311-style attribute definitions the report form asks for.
    fields: Mapped[list] = mapped_column(JSONType, default=list)
    # Stage overrides on top of the urgency class's limits.
    limits: Mapped[dict] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Category | None] = relationship(remote_side=[id])


class CalendarDay(db.Model):
    """A day off on a weekday (holiday) or a working weekend day (调休上班)."""

    __tablename__ = "calendar_day"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('holiday', 'makeup_workday')", name="kind"),
    )

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.String(64))
