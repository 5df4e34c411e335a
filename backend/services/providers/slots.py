"""Bookable time slots of an offering: the provider's staff open them with a capacity;
orders count into `booked`, which a capacity change may never undercut."""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Offering, OfferingSlot, Order, Provider
from backend.services import audit, clock
from backend.services.errors import Conflict, Invalid, NotFound
from backend.services.providers import areas
from backend.services.providers.offerings import managed

log = logging.getLogger("shaobao.offerings")
MAX_SLOTS_PER_CALL = 100
MAX_SPAN = timedelta(hours=24)


def _snapshot(slot: OfferingSlot) -> dict:
    return {"offering_id": slot.offering_id, "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(), "capacity": slot.capacity, "booked": slot.booked}


def _check_span(index: int, starts_at, ends_at) -> None:
    field = f"slots.{index}"
    if ends_at <= starts_at or ends_at - starts_at > MAX_SPAN:
        raise Invalid("a slot ends after it starts, within a day", fields={field: ["bad span"]})
    if starts_at <= clock.now():
        raise Invalid("a slot starts in the future", fields={field: ["in the past"]})


def add(viewer, offering_id: int, slots: list[dict]) -> list[OfferingSlot]:
    """Open slots ({starts_at, ends_at, capacity}); a start already taken is a 409."""
    offering = managed(viewer, offering_id)
    if len(slots) > MAX_SLOTS_PER_CALL:
        raise Invalid(f"at most {MAX_SLOTS_PER_CALL} slots at once", fields={"slots": ["too many"]})
    starts = [s["starts_at"] for s in slots]
    taken = set(db.session.scalars(sa.select(OfferingSlot.starts_at).where(
        OfferingSlot.offering_id == offering.id, OfferingSlot.starts_at.in_(starts))))
    if taken or len(set(starts)) != len(starts):
        raise Conflict("a slot already starts at that time", code="slot_exists", fields={"slots": ["duplicate start"]})
    rows = []
    for index, spec in enumerate(slots):
        _check_span(index, spec["starts_at"], spec["ends_at"])
        rows.append(OfferingSlot(offering_id=offering.id, starts_at=spec["starts_at"], ends_at=spec["ends_at"],
                                 capacity=spec["capacity"]))
    db.session.add_all(rows)
    db.session.flush()
    audit.record_raw(viewer.user_id, "offering.slots_add", "offering", str(offering.id), None,
                     {"slots": [_snapshot(r) for r in rows]}, areas.county_path(offering.provider))
    log.info("offering slots add offering=%s count=%s actor=%s", offering.id, len(rows), viewer.user_id)
    return rows


def _slot(viewer, offering_id: int, slot_id: int) -> OfferingSlot:
    offering = managed(viewer, offering_id)
    slot = db.session.scalar(sa.select(OfferingSlot).where(OfferingSlot.id == slot_id,
                                                           OfferingSlot.offering_id == offering.id))
    if slot is None:
        raise NotFound(f"slot {slot_id} not found")
    return slot


def set_capacity(viewer, offering_id: int, slot_id: int, capacity: int) -> OfferingSlot:
    """Grow or shrink a slot, never below what is booked (those residents were promised)."""
    slot = _slot(viewer, offering_id, slot_id)
    # Locked, so an order booking into the slot meanwhile is counted before the check.
    db.session.refresh(slot, with_for_update=True)
    if capacity < slot.booked:
        raise Conflict(f"{slot.booked} already booked: the capacity cannot go below that",
                       code="capacity_below_booked", fields={"capacity": [f"at least {slot.booked}"]})
    before = _snapshot(slot)
    slot.capacity = capacity
    db.session.flush()
    audit.record(viewer.user_id, "offering_slot.update", slot, before, _snapshot(slot),
                 areas.county_path(_provider_of(slot)))
    log.info("offering slot capacity slot=%s capacity=%s actor=%s", slot.id, capacity, viewer.user_id)
    return slot


def _provider_of(slot: OfferingSlot) -> Provider:
    return db.session.get(Offering, slot.offering_id).provider


def delete(viewer, offering_id: int, slot_id: int) -> None:
    """Only an empty slot goes; a booked one is shrunk to its bookings or left to run."""
    slot = _slot(viewer, offering_id, slot_id)
    db.session.refresh(slot, with_for_update=True)
    if slot.booked:
        raise Conflict("the slot has bookings", code="slot_booked")
    if db.session.scalar(sa.select(Order.id).where(Order.slot_id == slot.id).limit(1)) is not None:
        # Cancelled orders keep naming their slot: their timeline says when it was to be.
        raise Conflict("orders were placed for this slot; shrink it instead", code="slot_has_orders")
    audit.record(viewer.user_id, "offering_slot.delete", slot, _snapshot(slot), None,
                 areas.county_path(_provider_of(slot)))
    db.session.delete(slot)
    db.session.flush()
    log.info("offering slot delete slot=%s actor=%s", slot_id, viewer.user_id)
