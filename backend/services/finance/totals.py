"""The marketplace's money as the console reads it: refunds, per-provider totals from the
ledger, and one order's books. Read-only; who sees which rows is access.finance_filter
(a provider's staff their provider's, the county administrator the county's)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from backend.extensions import db
from backend.models import LedgerEntry, Order, Provider, Refund
from backend.services import access
from backend.services.errors import Invalid
from backend.services.finance import ledger, problems
from backend.services.finance.reconciliation import ZONE

# Each total is one (movement, account) leg: its positive side, or escrow's net.
LEGS = {"paid_fen": ("payment", "escrow"), "refunded_fen": ("refund", "payer"),
        "provider_fen": ("profit_share", "provider"), "platform_fee_fen": ("platform_fee", "platform")}


def refunds(viewer, status: str | None):
    """Refunds the viewer may see, newest first, with their orders."""
    access.ensure_money_viewer(viewer)
    query = (sa.select(Refund).join(Order, Order.id == Refund.order_id)
             .where(access.finance_filter(viewer, Order.provider_id, Order.region_path))
             .options(contains_eager(Refund.order)).order_by(Refund.id.desc()))
    return query.where(Refund.status == status) if status else query


def _sum(movement: str, account: str):
    leg = sa.and_(LedgerEntry.movement == movement, LedgerEntry.account == account)
    return sa.func.coalesce(sa.func.sum(sa.case((leg, LedgerEntry.amount_fen), else_=0)), 0)


def totals(viewer, first: date | None, last: date | None):
    """Per provider, from the ledger, for the Beijing days first..last (both included;
    open when absent): orders paid, paid, refunded, shared to the provider, the platform's
    fee and what escrow still holds of it (its net change over the days)."""
    access.ensure_money_viewer(viewer)
    if first and last and first > last:
        raise Invalid("from is after to", fields={"from": ["must not be after to"]})
    paid_orders = sa.func.count(sa.distinct(sa.case((LedgerEntry.movement == "payment", LedgerEntry.order_id))))
    query = (sa.select(LedgerEntry.provider_id, Provider.name.label("provider_name"),
                       paid_orders.label("orders_paid"),
                       *[_sum(*leg).label(name) for name, leg in LEGS.items()],
                       sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.account == "escrow", LedgerEntry.amount_fen),
                                                            else_=0)), 0).label("held_fen"))
             .join(Order, Order.id == LedgerEntry.order_id)
             .join(Provider, Provider.id == LedgerEntry.provider_id)
             .where(access.finance_filter(viewer, LedgerEntry.provider_id, Order.region_path))
             .group_by(LedgerEntry.provider_id, Provider.name)
             .order_by(LedgerEntry.provider_id))
    if first:
        query = query.where(LedgerEntry.at >= _start(first))
    if last:
        query = query.where(LedgerEntry.at < _start(last + timedelta(days=1)))
    return query


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), ZONE)


def order_books(viewer, order_id: int) -> dict:
    """One order's ledger: its entries in order, each account's balance and what is wrong
    (the books themselves, and money held that should have moved on)."""
    order = access.visible_order_books(viewer, order_id)
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.order_id == order.id)
                                 .order_by(LedgerEntry.id)).all()
    return {"order_id": order.id, "out_trade_no": order.out_trade_no, "provider_id": order.provider_id,
            "amount_fen": order.amount_fen, "paid_fen": order.paid_fen, "refunded_fen": order.refunded_fen,
            "refund_pending_fen": order.refund_pending_fen, "entries": entries,
            "balances": ledger.balances(order.id),
            "problems": ledger.problems(order.id) + problems.described(order.id)}
