"""The scheduler's order jobs: close unpaid orders after ORDER_PAY_MINUTES (a final query
first, so a payment whose notification never came is credited, not lost), confirm
completed orders the resident left alone, and ask WeChat Pay about refunds whose
notification has not come and about profit shares still processing.

Calls to WeChat Pay are made with no transaction open (the embedded SQLite holds one write
lock per transaction); each order is then changed under its row lock, in a transaction of
its own, rechecking that it is still due.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, Provider, Refund, Settlement
from backend.services import clock, orders, payments, refunds, settlements
from backend.wechat.pay import PayError, PayUnavailable, pay_client

log = logging.getLogger("shaobao.scheduler.orders")
BATCH = 50
REFUND_QUERY_AFTER = timedelta(minutes=10)


def _due(query) -> list:
    rows = db.session.execute(query.limit(BATCH)).all()
    db.session.commit()
    return rows


def expire_unpaid() -> dict[str, int]:
    """Unpaid orders past their time: paid after all (credited), closed, or left for the
    next run when WeChat Pay cannot be asked."""
    counts = {"paid": 0, "closed": 0, "later": 0}
    rows = _due(sa.select(Order.id, Order.out_trade_no, Provider.sub_mchid).join(Provider)
                .where(Order.state == "created", Order.pay_expires_at <= clock.now())
                .order_by(Order.pay_expires_at))
    for order_id, out_trade_no, sub_mchid in rows:
        outcome = _expire_one(order_id, out_trade_no, sub_mchid)
        counts[outcome] += 1
    return counts


def _expire_one(order_id: int, out_trade_no: str, sub_mchid: str) -> str:
    client = pay_client()
    try:
        trade = client.query(out_trade_no=out_trade_no, sub_mchid=sub_mchid)
        if trade is None or trade.trade_state != "SUCCESS":
            client.close(out_trade_no=out_trade_no, sub_mchid=sub_mchid)
            trade = None
    except PayUnavailable as exc:
        log.warning("order %s: WeChat Pay unavailable, expiry left for later: %s", order_id, exc)
        return "later"
    except PayError as exc:
        if exc.code != "ORDERPAID":
            log.error("order %s: WeChat Pay refused the close: %s", order_id, exc.code)
            return "later"
        trade = _query_quietly(client, out_trade_no, sub_mchid)
        if trade is None:
            return "later"
    return _settle_expiry(order_id, trade)


def _query_quietly(client, out_trade_no: str, sub_mchid: str):
    try:
        return client.query(out_trade_no=out_trade_no, sub_mchid=sub_mchid)
    except (PayError, PayUnavailable) as exc:
        log.warning("order %s: query after ORDERPAID failed: %s", out_trade_no, exc)
        return None


def _settle_expiry(order_id: int, trade) -> str:
    try:
        if trade is not None:
            payments.apply_trade(trade, "query")
            outcome = "paid"
        else:
            order = db.session.scalar(sa.select(Order).where(Order.id == order_id).with_for_update()
                                      .execution_options(populate_existing=True))
            outcome = "closed"
            if order.state == "created":    # a notification may have paid it meanwhile
                orders.system_act(order, "expire")
        db.session.commit()
        return outcome
    except Exception:
        db.session.rollback()
        raise


def auto_confirm() -> int:
    """Completed orders past confirm_by, confirmed by the system (the provider is paid)."""
    ids = [row.id for row in _due(sa.select(Order.id).where(Order.state == "completed",
                                                            Order.confirm_by <= clock.now()))]
    done = 0
    for order_id in ids:
        order = db.session.scalar(sa.select(Order).where(Order.id == order_id).with_for_update()
                                  .execution_options(populate_existing=True))
        if order.state == "completed" and order.confirm_by <= clock.now():
            orders.system_act(order, "auto_confirm")
            done += 1
        db.session.commit()
    return done


def query_refunds() -> dict[str, int]:
    """Refunds WeChat took but has not reported for a while: ask (its notification may be
    lost; WeChat promises none)."""
    counts = {"applied": 0, "pending": 0, "later": 0}
    rows = _due(sa.select(Refund.out_refund_no, Provider.sub_mchid).join(Order, Order.id == Refund.order_id)
                .join(Provider, Provider.id == Order.provider_id)
                .where(Refund.status == "processing", Refund.created_at <= clock.now() - REFUND_QUERY_AFTER))
    for out_refund_no, sub_mchid in rows:
        try:
            result = pay_client().query_refund(out_refund_no=out_refund_no, sub_mchid=sub_mchid)
        except (PayError, PayUnavailable) as exc:
            log.warning("refund %s: query failed: %s", out_refund_no, exc)
            counts["later"] += 1
            continue
        outcome = refunds.apply_result(result, "query") if result is not None else "pending"
        db.session.commit()
        counts["applied" if outcome in ("applied", "duplicate") else "pending"] += 1
    return counts


def query_settlements() -> int:
    """Profit shares WeChat took as PROCESSING: ask until FINISHED (the shares are in the
    ledger already; this closes the settlement)."""
    rows = _due(sa.select(Settlement.id, Settlement.out_order_no, Order.transaction_id, Provider.sub_mchid)
                .join(Order, Order.id == Settlement.order_id).join(Provider, Provider.id == Order.provider_id)
                .where(Settlement.status == "processing").order_by(Settlement.id))
    done = 0
    for settlement_id, out_order_no, transaction_id, sub_mchid in rows:
        try:
            answer = pay_client().query_profit_share(sub_mchid=sub_mchid, transaction_id=transaction_id,
                                                     out_order_no=out_order_no)
        except (PayError, PayUnavailable) as exc:
            log.warning("settlement %s: query failed: %s", out_order_no, exc)
            continue
        done += settlements.finished(settlement_id, answer or {})
        db.session.commit()
    return done


def run() -> dict[str, object]:
    """All order jobs once (the scheduler's pay job; `flask orders tick`)."""
    counts = {"expired": expire_unpaid(), "auto_confirmed": auto_confirm(), "refunds": query_refunds(),
              "settlements_finished": query_settlements()}
    if any(v for v in _flat(counts)):
        log.info("order jobs %s", counts)
    return counts


def _flat(counts: dict) -> list[int]:
    values = []
    for value in counts.values():
        values += list(value.values()) if isinstance(value, dict) else [value]
    return values
