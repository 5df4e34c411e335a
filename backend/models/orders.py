"""Residents' orders for offerings, and the money around them: WeChat Pay notifications as
received, refunds, profit sharing (分账), the double-entry ledger and reconciliation runs.

Money is integer fen everywhere. Every movement writes two ledger rows that sum to zero,
so each order's ledger balances; unique (movement, reference, account) keeps a movement
from being written twice, whatever WeChat sends how often.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow

ORDER_STATES = ("created", "paid", "accepted", "in_service", "completed", "confirmed",
                "cancelled", "closed", "disputed", "refunded")
REFUND_STATES = ("requested", "processing", "success", "closed", "abnormal")
MOVEMENTS = ("payment", "refund", "profit_share", "platform_fee")
ACCOUNTS = ("payer", "escrow", "provider", "platform")
SETTLEMENT_STATES = ("pending", "processing", "finished", "failed")
SETTLEMENT_RESOLUTIONS = ("rerequested", "released")


def _in(column: str, values) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Order(db.Model):
    __tablename__ = "service_order"
    __table_args__ = (
        sa.UniqueConstraint("resident_id", "client_id", name="uq_service_order_resident_client"),
        sa.CheckConstraint(_in("state", ORDER_STATES), name="state"),
        sa.CheckConstraint("quantity > 0 AND unit_price_fen > 0 AND amount_fen > 0", name="amount"),
        # A refund never exceeds what was paid, pending refunds included.
        sa.CheckConstraint("paid_fen >= 0 AND refunded_fen >= 0 AND refund_pending_fen >= 0 "
                           "AND refunded_fen + refund_pending_fen <= paid_fen", name="refund_bounded"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        # The unpaid-order expiry is a timer row: what is due is one index range.
        sa.Index("ix_service_order_pay_due", "pay_expires_at",
                 postgresql_where=sa.text("state = 'created'"), sqlite_where=sa.text("state = 'created'")),
        sa.Index("ix_service_order_confirm_due", "confirm_by",
                 postgresql_where=sa.text("state = 'completed'"), sqlite_where=sa.text("state = 'completed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Our number at WeChat Pay (6-32 chars, unique per merchant).
    out_trade_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offering_slot.id"), index=True)
    # Where the service is given: the resident's region; its path lets the county see it.
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(sa.String(255), index=True)
    address: Mapped[str] = mapped_column(sa.String(200))
    service_date: Mapped[str | None] = mapped_column(sa.String(10))  # YYYY-MM-DD, Beijing
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    title: Mapped[str] = mapped_column(sa.String(100))  # the offering's, at ordering time
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    amount_fen: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(16), default="created")
    pay_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a completed order the resident left alone confirms itself.
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prepay_id: Mapped[str | None] = mapped_column(sa.String(64))
    transaction_id: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    paid_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_pending_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(sa.String(500))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.id", back_populates="order")

    __mapper_args__ = {"version_id_col": version}

    @property
    def unrefunded_fen(self) -> int:
        """Paid, less refunded and refunds under way (a settlement may have taken some: see
        services/orders/refunds.refundable)."""
        return self.paid_fen - self.refunded_fen - self.refund_pending_fen


class OrderLog(db.Model):
    """One immutable row per step of an order: its timeline."""

    __tablename__ = "order_log"
    __table_args__ = (sa.UniqueConstraint("order_id", "seq", name="uq_order_log_order_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_order.id"), index=True)
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@sa.event.listens_for(OrderLog, "before_update")
@sa.event.listens_for(OrderLog, "before_delete")
def _log_is_immutable(mapper, connection, target):
    raise RuntimeError("order_log rows are immutable: write a new one")


class PayNotice(db.Model):
    """Every WeChat Pay notification that reached us, kept whatever became of it: applied,
    a duplicate, refused (forged, stale, a probe) or unmatched (unknown order, mismatch)."""

    __tablename__ = "pay_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    # WeChat's notification id; NULL when the notification could not be trusted.
    notice_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # transaction | refund
    event_type: Mapped[str | None] = mapped_column(sa.String(32))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_order.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(24))
    detail: Mapped[str | None] = mapped_column(sa.String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(db.Model):
    __tablename__ = "order_refund"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(_in("status", REFUND_STATES), name="status"),
        sa.Index("ix_order_refund_open", "id",
                 postgresql_where=sa.text("status IN ('requested', 'processing', 'abnormal')"),
                 sqlite_where=sa.text("status IN ('requested', 'processing', 'abnormal')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_order.id"), index=True)
    out_refund_no: Mapped[str] = mapped_column(sa.String(64), unique=True)
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(80))
    status: Mapped[str] = mapped_column(sa.String(16), default="requested")
    refund_id: Mapped[str | None] = mapped_column(sa.String(32))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The closed refund this one asks for again (the county's retry).
    retry_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_refund.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="refunds", foreign_keys=[order_id])


class Settlement(db.Model):
    """The profit share of one confirmed order: the platform fee to the platform, the rest
    unfrozen to the provider's sub-merchant account."""

    __tablename__ = "order_settlement"
    __table_args__ = (
        sa.CheckConstraint("provider_fen >= 0 AND fee_fen >= 0", name="amounts"),
        sa.CheckConstraint(_in("status", SETTLEMENT_STATES), name="status"),
        sa.CheckConstraint("resolution IS NULL OR " + _in("resolution", SETTLEMENT_RESOLUTIONS), name="resolution"),
        # The scheduler's queries of processing profit shares are a timer row: what is due
        # is one index range.
        sa.Index("ix_order_settlement_query_due", "next_query_at",
                 postgresql_where=sa.text("status = 'processing'"), sqlite_where=sa.text("status = 'processing'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_order.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    out_order_no: Mapped[str] = mapped_column(sa.String(64), unique=True)
    provider_fen: Mapped[int]
    fee_fen: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    wechat_order_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The scheduler's queries while WeChat processes it: how many so far (the back-off
    # grows with them), how many answered "no such profit share" in a row, and when the
    # next one is due (NULL: at once).
    queries: Mapped[int] = mapped_column(default=0, server_default="0")
    misses: Mapped[int] = mapped_column(default=0, server_default="0")
    next_query_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once WeChat Pay has said SETTLEMENT_QUERY_MISSES times that it does not know the
    # profit share: no more queries, a ledger problem for the county (re-request or release).
    unknown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the county last did about it: rerequested | released (audited).
    resolution: Mapped[str | None] = mapped_column(sa.String(16))


class LedgerEntry(db.Model):
    """One leg of a movement; the two legs of a movement sum to zero."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.UniqueConstraint("movement", "reference", "account", name="uq_ledger_entry_movement_ref_account"),
        sa.CheckConstraint(_in("movement", MOVEMENTS), name="movement"),
        sa.CheckConstraint(_in("account", ACCOUNTS), name="account"),
        sa.CheckConstraint("amount_fen <> 0", name="not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_order.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    movement: Mapped[str] = mapped_column(sa.String(16))
    account: Mapped[str] = mapped_column(sa.String(16))
    amount_fen: Mapped[int]
    # transaction_id, out_refund_no or out_order_no: what makes the movement unique.
    reference: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@sa.event.listens_for(LedgerEntry, "before_update")
@sa.event.listens_for(LedgerEntry, "before_delete")
def _ledger_is_immutable(mapper, connection, target):
    raise RuntimeError("ledger rows are immutable: write a correcting movement")


class ReconciliationRun(db.Model):
    """One comparison of our payments and refunds with WeChat Pay's trade bill for a day."""

    __tablename__ = "reconciliation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_date: Mapped[str] = mapped_column(sa.String(10), index=True)  # YYYY-MM-DD, Beijing
    # The county whose money the run compares (its orders' lines); NULL: the whole bill,
    # the platform's run.
    scope_path: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))  # matched | mismatched | failed
    bill_rows: Mapped[int] = mapped_column(default=0)
    matched: Mapped[int] = mapped_column(default=0)
    mismatched: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mismatches: Mapped[list[ReconciliationMismatch]] = relationship(
        order_by="ReconciliationMismatch.id", cascade="all, delete-orphan")


class ReconciliationMismatch(db.Model):
    __tablename__ = "reconciliation_mismatch"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("reconciliation_run.id"), index=True)
    # missing_here | missing_in_bill | amount_differs | state_differs
    kind: Mapped[str] = mapped_column(sa.String(24))
    out_trade_no: Mapped[str | None] = mapped_column(sa.String(32))
    out_refund_no: Mapped[str | None] = mapped_column(sa.String(64))
    ours_fen: Mapped[int | None]
    theirs_fen: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
