"""Effects (notifications, pushes) written in the same transaction as the change that
causes them, for a relay to deliver after commit."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow


class OutboxEffect(db.Model):
    __tablename__ = "outbox_effect"
    __table_args__ = (
        sa.Index("ix_outbox_effect_pending", "id", postgresql_where=sa.text("delivered_at IS NULL"),
                 sqlite_where=sa.text("delivered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
