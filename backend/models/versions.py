"""Change counters of reference data that processes cache (services.cache)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db

NAMES = ("regions", "catalogue", "calendar")


class ReferenceVersion(db.Model):
    __tablename__ = "reference_version"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
