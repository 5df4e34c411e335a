"""The double-entry ledger of the marketplace: every movement of money around an order is
two rows that sum to zero, written in the transaction that learns the money moved.

Accounts: `payer` (the resident's WeChat balance), `escrow` (paid, not yet refunded or
shared: it sits frozen at the provider's sub-merchant account), `provider` (unfrozen to
the provider), `platform` (the platform's fee, shared to the service provider account).

    payment       payer -> escrow
    refund        escrow -> payer
    profit_share  escrow -> provider
    platform_fee  escrow -> platform

A movement is unique by (movement, reference): the transaction id, the refund number or
the profit-share order number. Writing one twice raises Duplicate, so a notification that
arrives fifteen times moves the money once. Escrow never goes below zero: a movement out of
it is refused (Overdrawn) before it is written.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import LedgerEntry, Order
from backend.services import clock
from backend.services.errors import Conflict

FLOWS = {"payment": ("payer", "escrow"), "refund": ("escrow", "payer"),
         "profit_share": ("escrow", "provider"), "platform_fee": ("escrow", "platform")}


class Duplicate(Conflict):
    """This movement is already in the ledger."""


class Overdrawn(Conflict):
    """The movement would take more out of the order's escrow than is in it."""


def record(order: Order, movement: str, reference: str, amount_fen: int) -> None:
    """Write one movement of amount_fen (> 0) for the order. The caller holds the order's
    row lock, so the escrow read here cannot change before the insert."""
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValueError(f"a movement moves a positive whole number of fen, not {amount_fen!r}")
    source, target = FLOWS[movement]
    if _exists(movement, reference):
        raise Duplicate(f"{movement} {reference} is already recorded", code="duplicate_movement")
    if source == "escrow" and escrow(order.id) < amount_fen:
        raise Overdrawn(f"{movement} of {amount_fen} fen exceeds what order {order.id} holds",
                        code="escrow_overdrawn")
    moment = clock.now()
    for account, amount in ((source, -amount_fen), (target, amount_fen)):
        db.session.add(LedgerEntry(order_id=order.id, provider_id=order.provider_id, movement=movement,
                                   account=account, amount_fen=amount, reference=reference, at=moment))
    db.session.flush()


def _exists(movement: str, reference: str) -> bool:
    return db.session.scalar(sa.select(LedgerEntry.id).where(
        LedgerEntry.movement == movement, LedgerEntry.reference == reference).limit(1)) is not None


def balances(order_id: int) -> dict[str, int]:
    """Each account's balance for one order (missing accounts are zero)."""
    rows = db.session.execute(sa.select(LedgerEntry.account, sa.func.sum(LedgerEntry.amount_fen))
                              .where(LedgerEntry.order_id == order_id)
                              .group_by(LedgerEntry.account)).all()
    return {account: int(total) for account, total in rows}


def escrow(order_id: int) -> int:
    return balances(order_id).get("escrow", 0)


def moved(order_id: int, movement: str) -> int:
    """The total moved by one kind of movement for an order (its positive leg)."""
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
                                 .where(LedgerEntry.order_id == order_id, LedgerEntry.movement == movement,
                                        LedgerEntry.amount_fen > 0)))


def problems(order_id: int) -> list[str]:
    """What is wrong with an order's ledger (empty when it holds): every movement balances,
    escrow is not negative, at most one payment, refunds within the payment."""
    found = []
    legs = db.session.execute(sa.select(LedgerEntry.movement, LedgerEntry.reference,
                                        sa.func.sum(LedgerEntry.amount_fen), sa.func.count())
                              .where(LedgerEntry.order_id == order_id)
                              .group_by(LedgerEntry.movement, LedgerEntry.reference)).all()
    found += [f"{m} {ref} does not balance ({total})" for m, ref, total, _ in legs if total != 0]
    found += [f"{m} {ref} has {n} legs" for m, ref, _, n in legs if n != 2]
    if sum(1 for m, *_ in legs if m == "payment") > 1:
        found.append("paid more than once")
    totals = balances(order_id)
    if totals.get("escrow", 0) < 0:
        found.append(f"escrow is negative ({totals['escrow']})")
    if moved(order_id, "refund") > moved(order_id, "payment"):
        found.append("refunded more than was paid")
    return found
