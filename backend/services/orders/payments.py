"""Payments: the phone's checkout (a JSAPI prepay and the signed wx.requestPayment
parameters), and crediting a payment WeChat Pay reports, by notification or by our query.

Crediting happens under the order's row lock and checks everything WeChat says against
the order (merchant, app, sub-merchant, amount): a mismatch credits nothing. A payment is
credited once, whatever the number and order of notifications and queries; a payment for
an order we already closed or cancelled (WeChat's notice came late) is credited and
refunded in full, so no money is lost and none is kept.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, Provider, User
from backend.services import access, clock, locks, runtime
from backend.services.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from backend.services.finance import ledger
from backend.services.orders import actions, refunds, timeline
from backend.wechat.pay import PayError, PayUnavailable

log = logging.getLogger("shaobao.payments")


class PaymentMismatch(Invalid):
    """WeChat reports a payment that does not match the order: nothing is credited."""


@dataclass(frozen=True)
class Checkout:
    """What a prepay needs, read in a short transaction so none is held during the call."""
    order_id: int
    out_trade_no: str
    sub_mchid: str
    description: str
    total_fen: int
    payer_openid: str
    time_expire: datetime
    prepay_id: str | None


def checkout(viewer, order_id: int) -> Checkout:
    order = access.visible_order(viewer, order_id)
    if order.resident_id != viewer.user_id:
        raise Forbidden("only the resident who ordered pays for it")
    if order.state != "created":
        raise Conflict("this order is not waiting for payment", code="not_payable")
    if clock.now() >= order.pay_expires_at:
        raise Conflict("the time to pay has run out; order again", code="payment_expired")
    provider = db.session.get(Provider, order.provider_id)
    if provider.status != "approved":
        raise Conflict("the provider is not certified now; this order cannot be paid", code="provider_suspended")
    openid = db.session.scalar(sa.select(User.openid).where(User.id == order.resident_id))
    if not provider.sub_mchid or not openid:
        raise Conflict("this order cannot be paid through WeChat", code="not_payable")
    return Checkout(order.id, order.out_trade_no, provider.sub_mchid, order.title[:127], order.amount_fen,
                    openid, order.pay_expires_at, order.prepay_id)


def prepay(checkout: Checkout) -> str | None:
    """Ask WeChat Pay for the order's prepay id (call with no transaction open) and keep it;
    None when the order stopped waiting for payment meanwhile (cancelled, closed): the new
    WeChat order is closed again, so the phone cannot pay what was cancelled. WeChat gives
    the same id for the same order, so a racing request keeps the same value."""
    try:
        prepay_id = runtime.pay().jsapi_prepay(
            out_trade_no=checkout.out_trade_no, sub_mchid=checkout.sub_mchid,
            description=checkout.description, total_fen=checkout.total_fen,
            payer_openid=checkout.payer_openid, time_expire=checkout.time_expire)
    except PayUnavailable:
        raise Unavailable("WeChat Pay did not answer; try again") from None
    except PayError as exc:
        raise Conflict(f"WeChat Pay refused the order: {exc.code}", code="prepay_refused") from None
    order = locks.order(Order.id == checkout.order_id)
    if order.state != "created":
        refunds.close_at_wechat(order)
        return None
    if order.prepay_id is None:
        db.session.execute(sa.update(Order).where(Order.id == order.id, Order.prepay_id.is_(None))
                           .values(prepay_id=prepay_id).execution_options(synchronize_session=False))
    return prepay_id


def locked_by_trade_no(out_trade_no: str) -> Order:
    order = locks.order(Order.out_trade_no == out_trade_no)
    if order is None:
        raise NotFound(f"no order {out_trade_no}", code="unknown_order")
    return order


def apply_trade(trade, source: str) -> str:
    """Credit a paid trade (a Trade from a notification or a query) to its order. Returns
    applied, late (credited and refunded) or duplicate; raises PaymentMismatch or NotFound."""
    order = locked_by_trade_no(trade.out_trade_no)
    _check(order, trade)
    if order.transaction_id is not None:
        if order.transaction_id != trade.transaction_id:
            raise PaymentMismatch("a second payment for one order", code="second_payment")
        return "duplicate"
    ledger.record(order, "payment", trade.transaction_id, trade.total_fen)
    order.transaction_id, order.paid_fen = trade.transaction_id, trade.total_fen
    order.paid_at = trade.success_time or clock.now()
    if order.state == "created":
        actions.system_act(order, "pay", {})
        outcome = "applied"
    else:
        timeline.note(order, "late_payment", {"paid_fen": trade.total_fen, "source": source})
        refunds.request(order, refunds.refundable(order), "paid after the order was closed", None)
        outcome = "late"
    log.info("payment %s order=%s amount_fen=%s via=%s", outcome, order.id, trade.total_fen, source)
    return outcome


def _check(order: Order, trade) -> None:
    config = runtime.current().settings
    sub_mchid = db.session.scalar(sa.select(Provider.sub_mchid).where(Provider.id == order.provider_id))
    wrong = {name: [f"expected {ours!r}, WeChat says {theirs!r}"] for name, ours, theirs in (
        ("sp_mchid", config["WECHATPAY_SP_MCHID"], trade.sp_mchid),
        ("sp_appid", config["WECHATPAY_SP_APPID"], trade.sp_appid),
        ("sub_mchid", sub_mchid, trade.sub_mchid),
        ("total_fen", order.amount_fen, trade.total_fen),
        # REFUND: paid, and a refund was asked for since (WeChat's state after a refund).
        ("trade_state", "SUCCESS", "SUCCESS" if trade.trade_state == "REFUND" else trade.trade_state))
        if ours != theirs}
    if not trade.transaction_id:
        wrong["transaction_id"] = ["missing"]
    if wrong:
        log.warning("payment mismatch order=%s fields=%s", order.id, sorted(wrong))
        raise PaymentMismatch(f"WeChat's payment does not match order {order.out_trade_no}",
                              code="payment_mismatch", fields=wrong)
