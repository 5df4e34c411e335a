"""Refunds: requested in the step's transaction (the amount reserved on the order at once,
so two requests can never together pass what was paid), sent to WeChat Pay by the relay
after commit, and settled by WeChat's answer, its notification or our query - whichever
comes first; the rest find the refund settled and change nothing.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, Refund, Settlement
from backend.services import access, clock, locks, outbox
from backend.services.errors import Conflict, Invalid, NotFound
from backend.services.finance import ledger
from backend.services.orders import timeline

log = logging.getLogger("shaobao.refunds")
# ABNORMAL is not final: the money could not reach the resident's card and the merchant
# sees to it (WeChat's abnormal-refund API, or by hand); WeChat then reports SUCCESS or
# CLOSED. Until then the amount stays reserved.
FINAL = ("success", "closed")


class RefundMismatch(Invalid):
    """WeChat reports a refund that does not match ours: nothing is credited."""


def request(order: Order, amount_fen: int, reason: str, actor_id: int | None) -> Refund:
    """Reserve amount_fen of the order (held locked by the caller) for a refund."""
    if amount_fen <= 0:
        raise Invalid("a refund must be more than 0 fen", fields={"refund_fen": ["must be positive"]})
    left = refundable(order)
    if amount_fen > left:
        raise Invalid("the refund is more than is left to refund", code="refund_exceeds_paid",
                      fields={"refund_fen": [f"at most {left}"]})
    number = len(order.refunds) + 1
    refund = Refund(order_id=order.id, out_refund_no=f"{order.out_trade_no}R{number}", amount_fen=amount_fen,
                    reason=reason[:80], status="requested", requested_by_id=actor_id, created_at=clock.now())
    order.refunds.append(refund)
    order.refund_pending_fen += amount_fen
    db.session.flush()
    outbox.add(kind="pay_refund", order_id=order.id, payload={"refund_id": refund.id})
    log.info("refund requested order=%s refund=%s amount_fen=%s", order.id, refund.out_refund_no, amount_fen)
    return refund


def refundable(order: Order) -> int:
    """What may still be refunded: paid, less refunded, refunds under way and what a
    settlement gives the provider and the platform (shared money is not the order's)."""
    settled = db.session.scalar(sa.select(Settlement.provider_fen + Settlement.fee_fen)
                                .where(Settlement.order_id == order.id, Settlement.status != "failed"))
    return order.unrefunded_fen - (settled or 0)


def close_at_wechat(order: Order) -> None:
    """Close an unpaid order at WeChat Pay after commit (the relay retries until it can)."""
    outbox.add(kind="pay_close", order_id=order.id, payload={"order_id": order.id})


def locked(out_refund_no: str) -> tuple[Refund, Order]:
    """The refund and its order, the order's row locked first (the order every money path
    takes, so two of them never wait on each other)."""
    order_id = db.session.scalar(sa.select(Refund.order_id).where(Refund.out_refund_no == out_refund_no))
    if order_id is None:
        raise NotFound(f"no refund {out_refund_no}", code="unknown_refund")
    order = locks.order(Order.id == order_id)
    refund = db.session.scalar(sa.select(Refund).where(Refund.out_refund_no == out_refund_no)
                               .execution_options(populate_existing=True))
    return refund, order


def apply_result(result, source: str) -> str:
    """Settle a refund from what WeChat says of it (a RefundResult from the refund call,
    a query or a notification). Returns what happened: applied, duplicate or pending."""
    refund, order = locked(result.out_refund_no)
    if result.out_trade_no != order.out_trade_no or result.refund_fen != refund.amount_fen:
        raise RefundMismatch(f"refund {refund.out_refund_no} does not match ours", code="refund_mismatch")
    if refund.status in FINAL:
        return "duplicate"
    status = result.status.lower()
    if status in ("processing", "abnormal"):
        if refund.status == status or (status == "processing" and refund.status == "abnormal"):
            return "duplicate"   # a late or repeated word changes nothing
        refund.status, refund.refund_id = status, result.refund_id or refund.refund_id
        if status == "abnormal":
            _noted(order, refund, status, source)
        return "pending"
    order.refund_pending_fen -= refund.amount_fen
    refund.status, refund.refund_id = status, result.refund_id
    # WeChat's time, not ours: the bill lists a refund on the day WeChat settled it.
    refund.settled_at = result.success_time or clock.now()
    if status == "success":
        order.refunded_fen += refund.amount_fen
        ledger.record(order, "refund", refund.out_refund_no, refund.amount_fen)
    _noted(order, refund, status, source)
    return "applied"


def _noted(order: Order, refund: Refund, status: str, source: str) -> None:
    timeline.note(order, f"refund_{status}", {"out_refund_no": refund.out_refund_no,
                                            "refund_fen": refund.amount_fen, "source": source})
    log.info("refund %s order=%s refund=%s via=%s", status, order.id, refund.out_refund_no, source)


def retry(viewer, refund_id: int) -> Refund:
    """The county asks again for a refund WeChat closed (the resident is still owed it):
    a new refund of the same amount, sent like the first."""
    access.ensure_finance_viewer(viewer)
    closed = db.session.get(Refund, refund_id)
    if closed is None:
        raise NotFound("no such refund")
    order = access.visible_order(viewer, closed.order_id, lock=True)
    db.session.refresh(closed)
    if closed.status != "closed":
        raise Conflict("only a closed refund is asked for again", code="refund_not_closed")
    if any(r.retry_of_id == closed.id for r in order.refunds):
        raise Conflict("this refund was already asked for again", code="refund_retried")
    again = request(order, closed.amount_fen, closed.reason, viewer.user_id)
    again.retry_of_id = closed.id
    db.session.flush()
    return again
