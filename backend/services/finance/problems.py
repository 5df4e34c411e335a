"""Ledger problems the county acts on: money WeChat Pay holds for an order (its escrow)
that should have moved on and has not.

- ``settlement_unknown``: WeChat Pay answered SETTLEMENT_QUERY_MISSES times in a row that
  it does not know the order's profit share (分账) we sent it, so the scheduler stopped
  asking; the money sits frozen at the provider's sub-merchant account until the county
  re-requests the profit share or releases (unfreezes) it to the provider.
- ``settlement_not_sent``: the settlement waits to be sent and nothing will send it (its
  call to WeChat Pay died: a dead letter, which the county may retry from the outbox too).
- ``escrow_overdue``: the order still holds escrow SETTLEMENT_EXPECTED_DAYS after its
  service was completed (confirmation takes ORDER_CONFIRM_DAYS at most, sharing minutes):
  a dispute left unruled, a settlement WeChat keeps processing, one whose call died.

Read-only; the county's actions are in services/orders/settlements.py. Who sees which
rows is access.finance_filter (the county administrator the county's).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import LedgerEntry, Order, OrderLog, OutboxEffect, Provider, Settlement
from backend.services import access, clock, runtime

KINDS = ("settlement_unknown", "settlement_not_sent", "escrow_overdue")
# What the county may do about a settlement listed here (services/orders/settlements.py).
ACTIONS = ("rerequest", "release")


@dataclass(frozen=True)
class Problem:
    order_id: int
    out_trade_no: str
    order_state: str
    provider_id: int
    provider_name: str
    escrow_fen: int
    completed_at: datetime | None
    expected_by: datetime | None
    kinds: list[str]
    settlement: Settlement | None
    actions: list[str]


def _held():
    """Orders whose escrow is not empty, with what it holds."""
    held = sa.func.sum(LedgerEntry.amount_fen)
    return (sa.select(LedgerEntry.order_id, held.label("escrow_fen")).where(LedgerEntry.account == "escrow")
            .group_by(LedgerEntry.order_id).having(held > 0).subquery("held"))


def _completed():
    """When each order's service was completed (its latest `complete` step)."""
    return (sa.select(OrderLog.order_id, sa.func.max(OrderLog.at).label("completed_at"))
            .where(OrderLog.action == "complete").group_by(OrderLog.order_id).subquery("completed"))


def _expected() -> timedelta:
    return timedelta(days=runtime.setting("SETTLEMENT_EXPECTED_DAYS"))


def _query(where):
    held, completed = _held(), _completed()
    overdue_before = clock.now() - _expected()
    sending = sa.exists().where(OutboxEffect.kind == "pay_settle", OutboxEffect.order_id == Order.id,
                                OutboxEffect.outcome.is_(None))
    not_sent = sa.and_(Settlement.status == "pending", ~sending)
    return (sa.select(Order.id, Order.out_trade_no, Order.state, Order.provider_id, Provider.name,
                      held.c.escrow_fen, completed.c.completed_at, Settlement,
                      sa.case((not_sent, 1), else_=0).label("not_sent"))
            .join(held, held.c.order_id == Order.id)
            .join(Provider, Provider.id == Order.provider_id)
            .outerjoin(completed, completed.c.order_id == Order.id)
            .outerjoin(Settlement, Settlement.order_id == Order.id)
            .where(where, sa.or_(sa.and_(Settlement.unknown_at.is_not(None), Settlement.status == "processing"),
                                 not_sent, completed.c.completed_at <= overdue_before))
            .order_by(Order.id))


def listing(viewer) -> list[Problem]:
    """Every ledger problem the viewer may see, oldest order first (the county's or
    platform's administrators)."""
    access.ensure_finance_viewer(viewer)
    rows = db.session.execute(_query(access.finance_filter(viewer, Order.provider_id, Order.region_path))).all()
    return [_problem(*row) for row in rows]


def of_order(order_id: int) -> Problem | None:
    """The order's ledger problem, if it has one (for the county's actions)."""
    row = db.session.execute(_query(Order.id == order_id)).first()
    return _problem(*row) if row is not None else None


def described(order_id: int) -> list[str]:
    """The order's ledger problem in words, for its books (empty when it has none)."""
    problem = of_order(order_id)
    if problem is None:
        return []
    number = problem.settlement.out_order_no if problem.settlement else ""
    words = {"settlement_unknown": f"WeChat Pay does not know profit share {number}",
             "settlement_not_sent": f"profit share {number} was never sent to WeChat Pay (its call died)",
             "escrow_overdue": f"escrow of {problem.escrow_fen} fen held past its expected settlement "
                               f"({problem.expected_by.isoformat() if problem.expected_by else ''})"}
    return [words[kind] for kind in problem.kinds]


def _problem(order_id, out_trade_no, state, provider_id, provider_name, escrow_fen, completed_at,
             settlement: Settlement | None, not_sent: int) -> Problem:
    expected_by = completed_at + _expected() if completed_at is not None else None
    kinds = []
    if settlement is not None and settlement.unknown_at is not None and settlement.status == "processing":
        kinds.append("settlement_unknown")
    if not_sent:
        kinds.append("settlement_not_sent")
    if expected_by is not None and expected_by <= clock.now():
        kinds.append("escrow_overdue")
    actionable = settlement is not None and settlement.status in ("pending", "processing")
    return Problem(order_id, out_trade_no, state, provider_id, provider_name, int(escrow_fen), completed_at,
                   expected_by, kinds, settlement, list(ACTIONS) if actionable else [])
