"""An order's timeline: one numbered row per step or system note, each pushed to whoever
may see the order. The flow's steps (actions) and the money paths (payments, refunds,
settlements) all write here, so the money paths need not import the flow."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, OrderLog
from backend.services import clock, outbox


def entries(order: Order) -> list[OrderLog]:
    return list(db.session.scalars(sa.select(OrderLog).where(OrderLog.order_id == order.id)
                                   .order_by(OrderLog.seq)))


def append(order: Order, action: str, actor_id: int | None, role: str, from_state: str | None,
           to_state: str, payload: dict) -> int:
    """Append the order's next timeline row; its seq. The caller holds the order's row."""
    seq = 1 if from_state is None else (db.session.scalar(
        sa.select(sa.func.max(OrderLog.seq)).where(OrderLog.order_id == order.id)) or 0) + 1
    db.session.add(OrderLog(order_id=order.id, seq=seq, action=action, actor_id=actor_id,
                            actor_role=role, from_state=from_state, to_state=to_state,
                            payload=payload, at=clock.now()))
    db.session.flush()
    return seq


def note(order: Order, action: str, payload: dict) -> int:
    """A system entry that changes no state (a late payment, a refund settled); its seq."""
    seq = append(order, action, None, "system", order.state, order.state, payload)
    outbox.changed(order, action, seq)
    return seq
