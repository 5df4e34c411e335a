"""County departments (职能部门) and their teams stationed in townships (派驻机构)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.regions import Region
from backend.models.types import UTCDateTime, utcnow


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    # The county for a county department, the township for a stationed team.
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    # A stationed team belongs to its county department.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship()
    parent: Mapped[Department | None] = relationship(remote_side=[id])
