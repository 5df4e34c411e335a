"""Settlement (分账): what is left of a finished order goes to the provider, less the
platform's fee (PLATFORM_FEE_BP of it, rounded down: a fraction of a fen stays with the
provider). Opened in the step's transaction; the relay asks WeChat Pay after commit; the
ledger records the shares when WeChat accepts the profit-share order (its amounts are
fixed from then on; WeChat completes it on its side).
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import Order, OutboxEffect, Settlement
from backend.services import clock, ledger, refunds

log = logging.getLogger("shaobao.settlements")


def open(order: Order) -> Settlement | None:   # noqa: A001 - a settlement is opened
    """The order's settlement of what is left once pending refunds go through, or None
    when nothing is left. The caller holds the order locked."""
    if db.session.scalar(sa.select(Settlement.id).where(Settlement.order_id == order.id)) is not None:
        return None   # WeChat shares an order once (the rest is unfrozen with it)
    amount = refunds.refundable(order)
    if amount <= 0 or order.transaction_id is None:
        return None
    fee = amount * current_app.config["PLATFORM_FEE_BP"] // 10_000
    settlement = Settlement(order_id=order.id, provider_id=order.provider_id,
                            out_order_no=f"{order.out_trade_no}S", provider_fen=amount - fee, fee_fen=fee,
                            status="pending", created_at=clock.now())
    db.session.add(settlement)
    db.session.flush()
    moment = clock.now()
    db.session.add(OutboxEffect(kind="pay_settle", order_id=order.id, payload={"settlement_id": settlement.id},
                                created_at=moment, next_attempt_at=moment))
    log.info("settlement opened order=%s provider_fen=%s fee_fen=%s", order.id, settlement.provider_fen, fee)
    return settlement


def locked(settlement_id: int) -> tuple[Settlement, Order]:
    settlement = db.session.get(Settlement, settlement_id)
    order = db.session.scalar(sa.select(Order).where(Order.id == settlement.order_id).with_for_update()
                              .execution_options(populate_existing=True))
    db.session.refresh(settlement)
    return settlement, order


def accepted(settlement: Settlement, order: Order, state: str, wechat_order_id: str | None) -> None:
    """WeChat took the profit-share order (state PROCESSING or FINISHED): book the shares."""
    if settlement.status in ("processing", "finished"):
        return
    if settlement.fee_fen:
        ledger.record(order, "platform_fee", settlement.out_order_no, settlement.fee_fen)
    if settlement.provider_fen:
        ledger.record(order, "profit_share", settlement.out_order_no, settlement.provider_fen)
    settlement.status = "finished" if state == "FINISHED" else "processing"
    settlement.wechat_order_id = wechat_order_id
    if settlement.status == "finished":
        settlement.finished_at = clock.now()
    from backend.services import orders   # orders asks this module for settlements
    orders.note(order, "settled", {"provider_fen": settlement.provider_fen, "platform_fee_fen": settlement.fee_fen})
    log.info("settled order=%s state=%s", order.id, state)


def finished(settlement_id: int, answer: dict) -> bool:
    """WeChat's answer to our query of a processing profit share: FINISHED closes it."""
    settlement = db.session.get(Settlement, settlement_id)
    if settlement.status != "processing" or answer.get("state") != "FINISHED":
        return False
    settlement.status, settlement.finished_at = "finished", clock.now()
    log.info("settlement finished order=%s", settlement.order_id)
    return True
