"""An order's effects, written in the step's transaction for the relay: one push per
timeline row to the resident's and the provider's staff's sockets, and a subscribe message
to the resident (and the provider's staff) at the steps they are told of."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Order, User
from backend.services import outbox

# The flow's events announced by the one "order update" template (订单状态提醒).
MESSAGE_EVENTS = {"paid", "accepted", "declined", "started", "completed", "confirmed", "cancelled",
                  "closed", "disputed", "resolved", "refunded"}


def changed(order: Order, event: str, seq: int) -> None:
    outbox.add(kind="order_push", order_id=order.id, payload={"order_id": order.id, "event": event, "seq": seq})


def notify(order: Order, audience: str, event: str) -> None:
    if event not in MESSAGE_EVENTS:
        return
    for user_id in _people(order, audience):
        outbox.add(kind="order_message", order_id=order.id, recipient_id=user_id,
                   payload={"step": "order_update", "event": event, "order_id": order.id})


def provider_staff(provider_id: int) -> list[int]:
    """Active people holding provider_staff for the provider, as they are now."""
    return list(db.session.scalars(sa.select(Grant.user_id).join(User, User.id == Grant.user_id)
                                   .where(Grant.role == "provider_staff", Grant.provider_id == provider_id,
                                          User.active).distinct()))


def _people(order: Order, audience: str) -> list[int]:
    if audience == "resident":
        return [order.resident_id]
    if audience == "provider":
        return provider_staff(order.provider_id)
    return []   # the county reads its disputes in the console; its sockets get the push

