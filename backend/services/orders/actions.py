"""Orders for offerings: a resident orders where they live, the flow moves the order, and
each step is logged, pushed and (to residents and providers) announced.

Money follows the flow's steps (orders/money.py): a cancellation or a ruling
requests refunds, a confirmation opens the provider's settlement (分账).
"""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models import Offering, OfferingSlot, Order, Provider, Region
from backend.services import access, clock, idempotency, outbox, runtime
from backend.services.errors import Conflict, Forbidden, Invalid, NotFound
from backend.services.orders import money, timeline
from backend.services.providers import offerings
from workflows import definition, engine
from workflows.order_flow import ORDER_FLOW, actor, facts

log = logging.getLogger("shaobao.orders")
LIVE_STATES = ("created", "paid", "accepted", "in_service", "completed", "disputed")
# A slot's place is given back when the order ends before the service began.
RELEASING = {"cancelled", "closed", "refunded"}
MAX_QUANTITY = 100


# --- ordering ---------------------------------------------------------------------------

def create(user_id: int, body: dict) -> tuple[Order, bool]:
    """A resident's order; (order, created). The same client_id again gives the first order
    (a phone on a village network retries); with another body it is refused."""
    owner = f"order-user:{user_id}"
    replayed = _replayed(owner, body)
    if replayed is not None:
        return replayed, False
    region = _region(body["region_id"])
    offering = _orderable(body["offering_id"], region.path)
    quantity = body.get("quantity", 1)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise Invalid("the quantity is out of range", fields={"quantity": [f"1 to {MAX_QUANTITY}"]})
    slot = _book(offering, body.get("slot_id"), body.get("service_date"))
    now = clock.now()
    order = Order(out_trade_no="SB" + secrets.token_hex(12).upper(), client_id=body["client_id"],
                  resident_id=user_id, offering_id=offering.id, provider_id=offering.provider_id,
                  slot_id=slot.id if slot else None, region_id=region.id, region_path=region.path,
                  address=body["address"], service_date=body.get("service_date"), note=body.get("note", ""),
                  title=offering.title, quantity=quantity, unit_price_fen=offering.price_fen,
                  amount_fen=quantity * offering.price_fen, state="created",
                  pay_expires_at=now + timedelta(minutes=runtime.setting("ORDER_PAY_MINUTES")),
                  created_at=now)
    try:
        db.session.add(order)
        db.session.flush()
        claimed = idempotency.claim(owner, body["client_id"], body, 201, {"order_id": order.id})
    except IntegrityError as exc:
        if not idempotency.violates(exc, "uq_service_order_resident_client", "service_order",
                                    ("resident_id", "client_id")):
            raise
        claimed = False  # the order's own (resident, client_id) key met the racing request's
    if not claimed:
        return _lost_race(owner, body)
    seq = timeline.append(order, "create", user_id, "resident", None, "created", {"amount_fen": order.amount_fen})
    outbox.changed(order, "create", seq)
    log.info("order created order=%s offering=%s amount_fen=%s", order.id, offering.id, order.amount_fen)
    return order, True


def _replayed(owner: str, body: dict) -> Order | None:
    stored = idempotency.replay(owner, body["client_id"], body)
    return db.session.get(Order, stored["order_id"]) if stored is not None else None


def _lost_race(owner: str, body: dict) -> tuple[Order, bool]:
    stored = idempotency.won_by_another(owner, body["client_id"], body, "the order")
    return db.session.get(Order, stored["order_id"]), False


def _region(region_id: int) -> Region:
    region = db.session.get(Region, region_id)
    if region is None:
        raise Invalid("no such region", fields={"region_id": ["no such region"]})
    return region


def _orderable(offering_id: int, region_path: str) -> Offering:
    """The offering if a resident at region_path may order it (the catalogue's rule),
    locked: its capacity is counted under the lock."""
    offering = offerings.orderable(offering_id, region_path)
    db.session.execute(sa.select(Offering.id).where(Offering.id == offering.id).with_for_update())
    return offering


def _book(offering: Offering, slot_id: int | None, service_date: str | None) -> OfferingSlot | None:
    """Take a place in the slot, or count the day against the daily capacity."""
    if slot_id is not None:
        taken = db.session.execute(sa.update(OfferingSlot)
                                   .where(OfferingSlot.id == slot_id, OfferingSlot.offering_id == offering.id,
                                          OfferingSlot.booked < OfferingSlot.capacity,
                                          OfferingSlot.starts_at > clock.now())
                                   .values(booked=OfferingSlot.booked + 1)).rowcount
        if not taken:
            raise Conflict("that time slot is full, past or not this service's", code="slot_unavailable")
        return db.session.get(OfferingSlot, slot_id)
    if offering.daily_capacity is not None:
        if service_date is None:
            raise Invalid("choose a service date", fields={"service_date": ["required for this service"]})
        live = db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(
            Order.offering_id == offering.id, Order.service_date == service_date,
            Order.state.in_(LIVE_STATES + ("confirmed",))))
        if live >= offering.daily_capacity:
            raise Conflict("this service is fully booked that day", code="day_full")
    return None


# --- reading ------------------------------------------------------------------------------

def get(viewer, order_id: int) -> Order:
    return access.visible_order(viewer, order_id)


def listing(viewer, *, state: str | None = None, provider_id: int | None = None,
            mine: bool = False):
    """The orders the viewer may see, newest first (a query for the pager)."""
    query = sa.select(Order).where(access.order_filter(viewer))
    if mine:
        query = query.where(Order.resident_id == viewer.user_id)
    if state:
        query = query.where(Order.state == state)
    if provider_id:
        query = query.where(Order.provider_id == provider_id)
    return query.order_by(Order.id.desc())


def available(viewer, order: Order) -> list[str]:
    relations = access.order_relations(viewer, order)
    return engine.available(ORDER_FLOW, facts(order.state), actor(viewer.user_id, relations))


# --- acting -------------------------------------------------------------------------------

def act(viewer, order_id: int, action: str, payload: dict, version: int | None) -> Order:
    """A person's step on an order (accept, start, complete, confirm, dispute, cancel,
    decline, resolve). version is what the client last read: anything else is a 409."""
    order = access.visible_order(viewer, order_id, lock=True)
    if version is not None and version != order.version:
        raise Conflict("the order changed since you read it; reload it", code="stale")
    relations = access.order_relations(viewer, order)
    decision = _decide(order, viewer.user_id, relations, action, payload)
    role = next(iter(sorted(r for r in relations if r in _who(action, order.state))), "resident")
    apply(order, decision, viewer.user_id, role)
    return order


def system_act(order: Order, action: str, payload: dict | None = None) -> None:
    """The system's step (pay, expire, auto_confirm) on an order the caller holds locked."""
    decision = _decide(order, None, frozenset({"system"}), action, payload or {})
    apply(order, decision, None, "system")


def _who(action: str, state: str) -> tuple[str, ...]:
    found = ORDER_FLOW.action(action, state)
    return found.who if found else ()


def _decide(order: Order, user_id: int | None, relations, action: str, payload: dict) -> definition.Decision:
    try:
        return engine.decide(ORDER_FLOW, facts(order.state), actor(user_id or 0, relations), action, payload)
    except engine.Refused as refused:
        if refused.code == "invalid_payload":
            raise Invalid(refused.message, fields={k: [v] for k, v in refused.fields.items()}) from None
        if refused.code == "not_allowed":
            raise Forbidden(refused.message, code="not_allowed") from None
        if refused.code == "unknown_action":
            raise NotFound(refused.message, code="unknown_action") from None
        raise Conflict(refused.message, code=refused.code) from None


def apply(order: Order, decision: definition.Decision, actor_id: int | None, role: str) -> None:
    """Carry out a decision: state, money, slot, timers, log, effects."""
    before = order.state
    order.state = decision.to_state
    order.updated_at = clock.now()  # always an UPDATE, so the version moves with every step
    _record_step(order, decision)
    details = money.after_step(order, decision, actor_id)
    if decision.to_state in RELEASING and before != decision.to_state:
        _release_slot(order)
    seq = timeline.append(order, decision.action, actor_id, role, before, decision.to_state,
               {**decision.payload, **details})
    outbox.changed(order, decision.action, seq)
    for told in decision.notifications:
        outbox.tell(order, told.audience, told.event)
    log.info("order step order=%s action=%s %s->%s by=%s", order.id, decision.action, before,
             decision.to_state, actor_id or "system")


def _record_step(order: Order, decision: definition.Decision) -> None:
    """What a step sets on the order beside its state: the confirmation timer, the rating."""
    if decision.action == "complete":
        order.confirm_by = clock.now() + timedelta(days=runtime.setting("ORDER_CONFIRM_DAYS"))
    if decision.action == "confirm":
        order.rating = decision.payload["rating"]
        order.rating_comment = decision.payload.get("comment")
        db.session.execute(sa.update(Provider).where(Provider.id == order.provider_id).values(
            rating_sum=Provider.rating_sum + order.rating, rating_count=Provider.rating_count + 1))


def _release_slot(order: Order) -> None:
    if order.slot_id is not None:
        db.session.execute(sa.update(OfferingSlot).where(OfferingSlot.id == order.slot_id,
                                                         OfferingSlot.booked > 0)
                           .values(booked=OfferingSlot.booked - 1))
