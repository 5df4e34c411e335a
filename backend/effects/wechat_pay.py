"""Calls to WeChat Pay that follow a committed step: a refund, a settlement (分账), closing
an unpaid order. The relay retries them with back-off and lists the dead for the county.

Each call is safe to repeat: WeChat Pay keys a refund by out_refund_no and a profit share by
out_order_no, and closing twice is closing. The transaction that read what the call needs
ends before the call (the embedded SQLite holds its one write lock for a whole
transaction), and the answer is applied under the order's row lock afterwards.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from backend.effects.outcomes import Final, Retry
from backend.extensions import db
from backend.models import Order, OutboxEffect, Provider, Refund, Settlement
from backend.services import clock, runtime
from backend.services.orders import payments, refunds, settlements
from backend.wechat.pay import PayError, PayUnavailable

log = logging.getLogger("shaobao.pay_effects")
REFUND_WAIT = timedelta(minutes=1)
# WeChat Pay's answers that mean "not now": the call is retried later.
TRY_LATER = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "NOT_ENOUGH"}


def refund(effect: OutboxEffect) -> None:
    row = db.session.get(Refund, effect.payload["refund_id"])
    if row.status != "requested":
        raise Final("skipped", f"refund already {row.status}")
    order = db.session.get(Order, row.order_id)
    call = dict(out_refund_no=row.out_refund_no, out_trade_no=order.out_trade_no,
                sub_mchid=_sub_mchid(order), refund_fen=row.amount_fen, total_fen=order.paid_fen,
                reason=row.reason)
    db.session.commit()
    result = _call(runtime.pay().refund, **call)
    refunds.apply_result(result, "refund_call")


def settle(effect: OutboxEffect) -> None:
    row = db.session.get(Settlement, effect.payload["settlement_id"])
    if row.status != "pending":
        raise Final("skipped", f"settlement already {row.status}")
    order = db.session.get(Order, row.order_id)
    if order.refund_pending_fen:
        # Unfreezing the rest now would leave the refund to come out of the provider's own
        # balance: wait for it (not a failed attempt).
        raise Retry("a refund of the order is under way", after=clock.now() + REFUND_WAIT)
    sub_mchid, transaction_id = _sub_mchid(order), order.transaction_id
    # Released by the county: everything to the provider, the platform's fee forgone.
    out_order_no, fee = row.out_order_no, 0 if row.resolution == "released" else row.fee_fen
    description = f"订单{order.out_trade_no}分账"
    db.session.commit()
    client = runtime.pay()
    if fee:
        _call(client.add_platform_receiver, sub_mchid=sub_mchid)
        answer = _call(client.profit_share, sub_mchid=sub_mchid, transaction_id=transaction_id,
                       out_order_no=out_order_no, platform_fee_fen=fee, description=description)
    else:
        answer = _call(client.unfreeze, sub_mchid=sub_mchid, transaction_id=transaction_id,
                       out_order_no=out_order_no, description=description)
    settlement, locked_order = settlements.locked(effect.payload["settlement_id"])
    settlements.accepted(settlement, locked_order, answer)


def close(effect: OutboxEffect) -> None:
    order = db.session.get(Order, effect.payload["order_id"])
    if order.transaction_id is not None:
        raise Final("skipped", "the order was paid: nothing to close")
    out_trade_no, sub_mchid = order.out_trade_no, _sub_mchid(order)
    db.session.commit()
    client = runtime.pay()
    try:
        client.close(out_trade_no=out_trade_no, sub_mchid=sub_mchid)
    except PayUnavailable as exc:
        raise Retry(str(exc)) from None
    except PayError as exc:
        if exc.code != "ORDERPAID":
            raise _refused(exc) from None
        # Paid while we were closing it: credit it (and refund it, as it was cancelled).
        trade = _call(client.query, out_trade_no=out_trade_no, sub_mchid=sub_mchid)
        payments.apply_trade(trade, "query")


def _call(method, **arguments):
    try:
        return method(**arguments)
    except PayUnavailable as exc:
        raise Retry(str(exc)) from None
    except PayError as exc:
        raise _refused(exc) from None


def _refused(exc: PayError) -> Exception:
    if exc.code in TRY_LATER:
        return Retry(f"WeChat Pay: {exc.code}")
    log.error("WeChat Pay refused: %s %s", exc.code, exc.message)
    return Final("dead", f"WeChat Pay refused: {exc.code} {exc.message}"[:200])


def _sub_mchid(order: Order) -> str:
    return db.session.get(Provider, order.provider_id).sub_mchid
