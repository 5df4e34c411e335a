"""The administrative tree: county -> township/street -> community/village -> grid."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow

LEVELS = ("county", "township", "community", "grid")
# GB/T 2260 county code (6), then 3 digits for each level below: a grid code has 15.
CODE_LENGTH = {"county": 6, "township": 9, "community": 12, "grid": 15}
KINDS = {"county": ("county", "district"), "township": ("township", "street"),
         "community": ("community", "village"), "grid": ("grid",)}


class Region(db.Model):
    __tablename__ = "region"
    __table_args__ = (
        sa.CheckConstraint("level IN ('county', 'township', 'community', 'grid')", name="level"),
        # Subtree queries are prefix matches (path LIKE '/1/4/%'): PostgreSQL needs the
        # pattern operator class for a btree index to serve them under any collation.
        sa.Index("ix_region_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(15), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    level: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    # "/1/4/17/": ancestors' ids and its own, so a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(sa.String(255))
    # GeoJSON geometry in GCJ-02 (the datum of the maps the mini-program shows).
    geometry: Mapped[dict | None] = mapped_column(JSONType)
    owner: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")]

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)
