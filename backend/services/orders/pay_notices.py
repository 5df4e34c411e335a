"""WeChat Pay's notifications (payment and refund results), as they reach us.

Each one is kept (pay_notice), whatever became of it. An untrusted one (a bad signature, a
stale timestamp, WeChat's SIGNTEST probe, a body that does not decrypt) is refused and
credits nothing. A trusted one is applied under the order's row lock; its id makes a
retry a duplicate (WeChat sends up to 16 times over a day), and a notification that lost
the race to our own query finds the money already credited. Only the HTTP status counts
to WeChat: 2xx received, anything else "send it again".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models import Order, PayNotice, Refund
from backend.services import clock
from backend.services.errors import DomainError, Invalid, NotAuthenticated, NotFound
from backend.services.orders import payments, refunds
from backend.wechat.pay import NotificationRefused

log = logging.getLogger("shaobao.pay_notices")
UNKNOWN = ("unknown_order", "unknown_refund")
EVENTS = {"transaction": ("TRANSACTION.SUCCESS",),
          "refund": ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")}


@dataclass(frozen=True)
class Received:
    outcome: str                 # applied | late | duplicate | pending
    error: DomainError | None    # to answer with, after the notice is committed


def receive(client, kind: str, headers, body: bytes) -> Received:
    """Verify, record and apply one notification; the caller commits, then answers."""
    try:
        notice = client.parse_notification(headers, body)
    except NotificationRefused as refused:
        _keep(None, kind, None, None, "refused", refused.reason)
        log.warning("pay notification refused kind=%s reason=%s", kind, refused.reason)
        return Received("refused", NotAuthenticated("the notification is not WeChat Pay's",
                                                    code=f"notification_{refused.reason}"))
    if notice.event_type not in EVENTS[kind]:
        _keep(notice.id, kind, notice.event_type, None, "refused", "unexpected event type")
        return Received("refused", Invalid(f"unexpected event {notice.event_type}", code="unexpected_event"))
    earlier = db.session.scalar(sa.select(PayNotice).where(PayNotice.notice_id == notice.id))
    if earlier is not None:
        return _again(earlier)
    return _apply(kind, notice)


def _apply(kind: str, notice) -> Received:
    try:
        with db.session.begin_nested():
            if kind == "transaction":
                trade = notice.trade()
                outcome = payments.apply_trade(trade, "notification")
                order_id = _order_id(trade.out_trade_no)
            else:
                result = notice.refund()
                outcome = refunds.apply_result(result, "notification")
                order_id = _refund_order_id(result.out_refund_no)
    except DomainError as error:
        _keep_once(notice, kind, _order_or_none(kind, notice), error.code, error.message)
        log.warning("pay notification not applied id=%s kind=%s code=%s", notice.id, kind, error.code)
        return Received(error.code, error)
    _keep_once(notice, kind, order_id, outcome, None)
    return Received(outcome, None)


def _again(earlier: PayNotice) -> Received:
    """A retry of a notification we already have: the same answer as the first time."""
    log.info("pay notification again id=%s outcome=%s", earlier.notice_id, earlier.outcome)
    if earlier.outcome in ("applied", "late", "duplicate", "pending"):
        return Received("duplicate", None)
    refusal = NotFound if earlier.outcome in UNKNOWN else Invalid
    return Received(earlier.outcome, refusal(earlier.detail or "not applied", code=earlier.outcome))


def _keep_once(notice, kind: str, order_id, outcome: str, detail: str | None) -> None:
    """Keep the notice; a copy of it racing this one (WeChat's retry while we were slow)
    may have been kept first, which is fine: its money was applied under the same lock."""
    try:
        with db.session.begin_nested():
            _keep(notice.id, kind, notice.event_type, order_id, outcome, detail)
    except IntegrityError:
        log.info("pay notification kept by a racing copy id=%s", notice.id)


def _keep(notice_id, kind, event_type, order_id, outcome, detail) -> None:
    db.session.add(PayNotice(notice_id=notice_id, kind=kind, event_type=event_type, order_id=order_id,
                             outcome=outcome[:24], detail=(detail or None) and detail[:300],
                             received_at=clock.now()))
    db.session.flush()


def _order_id(out_trade_no: str | None) -> int | None:
    return db.session.scalar(sa.select(Order.id).where(Order.out_trade_no == out_trade_no))


def _refund_order_id(out_refund_no: str | None) -> int | None:
    return db.session.scalar(sa.select(Refund.order_id).where(Refund.out_refund_no == out_refund_no))


def _order_or_none(kind: str, notice) -> int | None:
    resource = notice.resource or {}
    if kind == "transaction":
        return _order_id(resource.get("out_trade_no"))
    return _refund_order_id(resource.get("out_refund_no"))
