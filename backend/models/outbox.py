"""Effects (socket pushes, subscribe messages) written in the same transaction as the change
that causes them, for the relay to deliver after commit; and the subscribe-message
acceptances a resident holds (one acceptance allows one message)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow

# What became of an effect; NULL while it is still to deliver.
OUTCOMES = ("delivered", "skipped", "refused", "dead")


class OutboxEffect(db.Model):
    __tablename__ = "outbox_effect"
    __table_args__ = (
        sa.Index("ix_outbox_effect_pending", "next_attempt_at", "id",
                 postgresql_where=sa.text("outcome IS NULL"), sqlite_where=sa.text("outcome IS NULL")),
        sa.Index("ix_outbox_effect_dead", "id", postgresql_where=sa.text("outcome = 'dead'"),
                 sqlite_where=sa.text("outcome = 'dead'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_order.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    payload: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # When a relay may take it: at once when written; a claim moves it a lease ahead (a
    # relay that died lets go when it passes); a failed attempt, a back-off ahead.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscribeCredit(db.Model):
    """Messages of one template a user accepted in wx.requestSubscribeMessage, unused."""

    __tablename__ = "subscribe_credit"
    __table_args__ = (sa.CheckConstraint("available >= 0", name="not_negative"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    template_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    available: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
