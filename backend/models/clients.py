"""Machines that submit cases through the console API (sensors, external systems), and
the idempotency keys phones send with creates."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow


class ApiClient(db.Model):
    """A sensor network or external system: a key (kept hashed) and the region it may report in."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # sensor | external
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(db.Model):
    """The first answer to a create, replayed when the phone retries with the same key."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("owner", "key", name="uq_idempotency_key_owner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "user:12" or "client:3": whoever sent it; keys are unique per sender.
    owner: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(64))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    response: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
