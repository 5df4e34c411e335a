"""Settlement (分账): what is left of a finished order goes to the provider, less the
platform's fee (PLATFORM_FEE_BP of it, rounded down: a fraction of a fen stays with the
provider). Opened in the step's transaction; the relay asks WeChat Pay after commit, once
no refund of the order is under way (unfreezing the rest would leave a refund to come out
of the provider's own balance); the ledger books the shares when WeChat reports the
profit share FINISHED, by what each receiver got (the scheduler asks until it is).
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, Settlement
from backend.services import clock, locks, outbox, runtime
from backend.services.finance import ledger
from backend.services.orders import refunds, timeline

log = logging.getLogger("shaobao.settlements")


def open(order: Order) -> Settlement | None:   # noqa: A001 - a settlement is opened
    """The order's settlement of what is left once pending refunds go through, or None
    when nothing is left. The caller holds the order locked."""
    if db.session.scalar(sa.select(Settlement.id).where(Settlement.order_id == order.id)) is not None:
        return None   # WeChat shares an order once (the rest is unfrozen with it)
    amount = refunds.refundable(order)
    if amount <= 0 or order.transaction_id is None:
        return None
    fee = amount * runtime.setting("PLATFORM_FEE_BP") // 10_000
    settlement = Settlement(order_id=order.id, provider_id=order.provider_id,
                            out_order_no=f"{order.out_trade_no}S", provider_fen=amount - fee, fee_fen=fee,
                            status="pending", created_at=clock.now())
    db.session.add(settlement)
    db.session.flush()
    outbox.add(kind="pay_settle", order_id=order.id, payload={"settlement_id": settlement.id})
    log.info("settlement opened order=%s provider_fen=%s fee_fen=%s", order.id, settlement.provider_fen, fee)
    return settlement


def locked(settlement_id: int) -> tuple[Settlement, Order]:
    settlement = db.session.get(Settlement, settlement_id)
    order = locks.order(Order.id == settlement.order_id)
    db.session.refresh(settlement)
    return settlement, order


def accepted(settlement: Settlement, order: Order, answer: dict) -> None:
    """WeChat took the profit-share order: it is processing (or, rarely, already done)."""
    if settlement.status != "pending":
        return
    settlement.status, settlement.wechat_order_id = "processing", answer.get("order_id")
    if answer.get("state") == "FINISHED":
        _book(settlement, order, answer)


def finished(settlement_id: int, answer: dict) -> bool:
    """WeChat's answer to our query of a processing profit share: once FINISHED, book what
    each receiver got."""
    settlement, order = locked(settlement_id)
    if settlement.status != "processing" or answer.get("state") != "FINISHED":
        return False
    _book(settlement, order, answer)
    return True


def _book(settlement: Settlement, order: Order, answer: dict) -> None:
    """The ledger follows what WeChat did, receiver by receiver: a platform fee WeChat could
    not pay (its result CLOSED) went back to the sub-merchant, so it is the provider's."""
    fee = settlement.fee_fen if _platform_paid(answer) else 0
    provider = settlement.provider_fen + settlement.fee_fen - fee
    if fee:
        ledger.record(order, "platform_fee", settlement.out_order_no, fee)
    if provider:
        ledger.record(order, "profit_share", settlement.out_order_no, provider)
    settlement.status, settlement.finished_at = "finished", clock.now()
    timeline.note(order, "settled", {"provider_fen": provider, "platform_fee_fen": fee})
    log.info("settled order=%s provider_fen=%s platform_fee_fen=%s", order.id, provider, fee)


def _platform_paid(answer: dict) -> bool:
    platform = runtime.setting("WECHATPAY_SP_MCHID")
    results = [r.get("result") for r in answer.get("receivers", []) if r.get("account") == platform]
    return results == ["SUCCESS"]
