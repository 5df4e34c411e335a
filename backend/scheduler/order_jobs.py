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
from backend.services import clock, locks, runtime
from backend.services.orders import actions, payments, refunds, settlements
from backend.wechat.pay import PayError, PayUnavailable

log = logging.getLogger("shaobao.scheduler.orders")
BATCH = 50
REFUND_QUERY_AFTER = timedelta(minutes=10)
PAID = ("SUCCESS", "REFUND")   # REFUND: paid, then a refund was asked for


def _due(query) -> list:
    rows = db.session.execute(query.limit(BATCH)).all()
    db.session.commit()
    return rows


def _each(rows, work, what: str, counts: dict) -> dict:
    """work(row) for each row, each in its own transaction: one order that fails (a
    mismatch WeChat keeps reporting, a bug) is logged and counted, and the rest go on."""
    for row in rows:
        try:
            outcome = work(*row)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("%s %s failed", what, row[0])
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def expire_unpaid() -> dict[str, int]:
    """Unpaid orders past their time: paid after all (credited), closed, or left for the
    next run when WeChat Pay cannot be asked."""
    rows = _due(sa.select(Order.id, Order.out_trade_no, Provider.sub_mchid).join(Provider)
                .where(Order.state == "created", Order.pay_expires_at <= clock.now())
                .order_by(Order.pay_expires_at))
    return _each(rows, _expire_one, "expiry of order", {"paid": 0, "closed": 0, "later": 0})


def _expire_one(order_id: int, out_trade_no: str, sub_mchid: str) -> str:
    client = runtime.pay()
    try:
        trade = client.query(out_trade_no=out_trade_no, sub_mchid=sub_mchid)
        if trade is None or trade.trade_state not in PAID:
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
    if trade is not None:
        payments.apply_trade(trade, "query")
        return "paid"
    order = locks.order(Order.id == order_id)
    if order.state == "created":    # a notification may have paid it meanwhile
        actions.system_act(order, "expire")
    return "closed"


def auto_confirm() -> dict[str, int]:
    """Completed orders past confirm_by, confirmed by the system (the provider is paid)."""
    rows = _due(sa.select(Order.id).where(Order.state == "completed", Order.confirm_by <= clock.now()))
    return _each(rows, _confirm_one, "auto-confirmation of order", {"confirmed": 0})


def _confirm_one(order_id: int) -> str:
    order = locks.order(Order.id == order_id)
    if order.state != "completed" or order.confirm_by > clock.now():
        return "moved_on"   # the resident confirmed or disputed meanwhile
    actions.system_act(order, "auto_confirm")
    return "confirmed"


def query_refunds() -> dict[str, int]:
    """Refunds not settled a while after they were asked for: ask WeChat (a notification
    may be lost, WeChat promises none; a process may have died between WeChat taking the
    refund and our writing it down). One WeChat does not know is the relay's to send."""
    rows = _due(sa.select(Refund.out_refund_no, Provider.sub_mchid).join(Order, Order.id == Refund.order_id)
                .join(Provider, Provider.id == Order.provider_id)
                .where(Refund.status.in_(("requested", "processing", "abnormal")),
                       Refund.created_at <= clock.now() - REFUND_QUERY_AFTER).order_by(Refund.id))
    return _each(rows, _query_refund, "query of refund", {"applied": 0, "pending": 0, "later": 0})


def _query_refund(out_refund_no: str, sub_mchid: str) -> str:
    try:
        result = runtime.pay().query_refund(out_refund_no=out_refund_no, sub_mchid=sub_mchid)
    except (PayError, PayUnavailable) as exc:
        log.warning("refund %s: query failed: %s", out_refund_no, exc)
        return "later"
    if result is None:
        return "pending"
    return "applied" if refunds.apply_result(result, "query") == "applied" else "pending"


def query_settlements() -> int:
    """Profit shares WeChat took as PROCESSING, whose next query is due: ask (after a
    growing wait) until FINISHED; one WeChat keeps saying it does not know becomes a
    ledger problem and is no longer asked about (services/orders/settlements.py)."""
    rows = _due(sa.select(Settlement.id, Settlement.out_order_no, Order.transaction_id, Provider.sub_mchid)
                .join(Order, Order.id == Settlement.order_id).join(Provider, Provider.id == Order.provider_id)
                .where(Settlement.status == "processing", Settlement.unknown_at.is_(None),
                       sa.or_(Settlement.next_query_at.is_(None), Settlement.next_query_at <= clock.now()))
                .order_by(Settlement.id))
    counts = _each(rows, _query_settlement, "query of settlement", {"finished": 0})
    return counts["finished"]


def _query_settlement(settlement_id: int, out_order_no: str, transaction_id: str, sub_mchid: str) -> str:
    try:
        answer = runtime.pay().query_profit_share(sub_mchid=sub_mchid, transaction_id=transaction_id,
                                                 out_order_no=out_order_no)
    except (PayError, PayUnavailable) as exc:
        log.warning("settlement %s: query failed: %s", out_order_no, exc)
        return settlements.asked(settlement_id, None, failed=True)
    return settlements.asked(settlement_id, answer)


def run() -> dict[str, object]:
    """All order jobs once (the scheduler's pay job; `flask orders tick`)."""
    counts = {}
    for name, job in (("expired", expire_unpaid), ("auto_confirmed", auto_confirm),
                      ("refunds", query_refunds), ("settlements_finished", query_settlements)):
        try:
            counts[name] = job()
        except Exception:   # one job's fault (the database away) must not stop the others
            db.session.rollback()
            log.exception("order job %s failed", name)
            counts[name] = "failed"
    if any(v for v in _flat(counts)):
        log.info("order jobs %s", counts)
    return counts


def _flat(counts: dict) -> list[int]:
    values = []
    for value in counts.values():
        values += list(value.values()) if isinstance(value, dict) else [value]
    return values
