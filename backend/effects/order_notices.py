"""The order channel's handlers: "order_push", a Socket.IO push per timeline row (event
"order", ids and numbers only, like a case's), and "order_message", the "order update"
subscribe message (who gets one is the audiences table's: services/audiences.py)."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.effects import subscribe_messages
from backend.effects.outcomes import Final, Retry
from backend.extensions import db
from backend.models import Order, OrderLog, OutboxEffect
from backend.realtime import push as sockets
from backend.services import access

log = logging.getLogger("shaobao.order_pushes")
ZONE = ZoneInfo("Asia/Shanghai")
# What the resident reads (a "phrase" field: at most 5 Chinese characters).
STATE_PHRASES = {"created": "待支付", "paid": "已支付", "accepted": "已接单", "in_service": "服务中",
                 "completed": "待确认", "disputed": "纠纷处理", "confirmed": "已完成", "cancelled": "已取消",
                 "closed": "已关闭", "refunded": "已退款"}


def push(effect: OutboxEffect) -> None:
    order = db.session.get(Order, effect.payload["order_id"])
    if order is None:
        raise Final("skipped", "the order does not exist")
    last = db.session.execute(sa.select(OrderLog.seq, OrderLog.at).where(OrderLog.order_id == order.id)
                              .order_by(OrderLog.seq.desc()).limit(1)).first()
    payload = {"order_id": order.id, "seq": last.seq, "event": effect.payload["event"], "state": order.state,
               "version": order.version, "at": last.at.isoformat()}
    rooms = [access.user_room(user_id) for user_id in access.order_viewers(order)]
    try:
        sockets.emit_to_rooms("order", payload, rooms)
    except sockets.PushUnavailable as exc:
        raise Retry(str(exc)) from None
    log.info("push order=%s event=%s seq=%s rooms=%d", order.id, payload["event"], last.seq, len(rooms))


def message(effect: OutboxEffect) -> None:
    order = db.session.get(Order, effect.payload["order_id"])
    if order is None:
        raise Final("skipped", "the order does not exist")
    subscribe_messages.send(effect, "order_update", lambda: message_data(order, effect),
                            f"pages/order/detail?id={order.id}")


def message_data(order: Order, effect: OutboxEffect) -> dict:
    """Order number, service, state, time of the step."""
    return {"character_string1": {"value": order.out_trade_no},
            "thing2": {"value": order.title[:20]},
            "phrase3": {"value": STATE_PHRASES[order.state]},
            "time4": {"value": effect.created_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")}}
