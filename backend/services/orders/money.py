"""What each step of the order flow does with the money: the rules of cancellation, the
county's rulings and settlement, in one place.

- cancel before acceptance (or the provider declines): everything paid comes back;
- cancel after acceptance: the late-cancellation fee (ORDER_LATE_CANCEL_FEE_BP of what was
  paid) stays and is settled to the provider, the rest comes back;
- a ruling: a full refund, or a partial one (maybe nothing) and the rest settled;
- confirmation (by the resident or, after ORDER_CONFIRM_DAYS, by the system): settled.
- cancelling an unpaid order closes it at WeChat Pay, so the phone cannot pay it later.
"""
from __future__ import annotations

from backend.models import Order
from backend.services import runtime
from backend.services.errors import Invalid
from backend.services.orders import refunds, settlements
from workflows.definition import Decision

FULL_REFUND = {"cancel": "cancelled before the provider accepted", "decline": "declined by the provider"}


def after_step(order: Order, decision: Decision, actor_id: int | None) -> dict:
    """Request the refunds and open the settlement a step implies; details for its log."""
    action = decision.action
    if action in FULL_REFUND:
        return _cancel(order, FULL_REFUND[action], actor_id)
    if action == "cancel_late":
        fee = order.paid_fen * runtime.setting("ORDER_LATE_CANCEL_FEE_BP") // 10_000
        details = _refund(order, refunds.refundable(order) - fee, "cancelled after acceptance", actor_id)
        return {**details, "cancellation_fee_fen": fee, **_settle(order)}
    if action == "resolve":
        return _resolve(order, decision.payload, actor_id)
    if action in ("confirm", "auto_confirm"):
        return _settle(order)
    return {}


def _cancel(order: Order, reason: str, actor_id: int | None) -> dict:
    if order.paid_fen == 0:
        refunds.close_at_wechat(order)
        return {}
    return _refund(order, refunds.refundable(order), reason, actor_id)


def _resolve(order: Order, payload: dict, actor_id: int | None) -> dict:
    left = refunds.refundable(order)
    amount = left if payload.get("full_refund") else payload.get("refund_fen", 0)
    if amount > left:
        raise Invalid("the refund is more than is left to refund", code="refund_exceeds_paid",
                      fields={"refund_fen": [f"at most {left}"]})
    details = _refund(order, amount, f"dispute ruling: {payload['reason']}"[:80], actor_id)
    return details if payload.get("full_refund") else {**details, **_settle(order)}


def _refund(order: Order, amount: int, reason: str, actor_id: int | None) -> dict:
    if amount <= 0:
        return {}
    refund = refunds.request(order, amount, reason, actor_id)
    return {"refund_fen": amount, "out_refund_no": refund.out_refund_no}


def _settle(order: Order) -> dict:
    settlement = settlements.open(order)
    if settlement is None:
        return {}
    return {"provider_fen": settlement.provider_fen, "platform_fee_fen": settlement.fee_fen}
