"""What a viewer reads of one order: its fields, timeline, refunds and the steps open to them.
Numbers the resident typed into the note or the rating comment, any typed into a step's
payload, and a dispute ruling's words a refund repeats as its reason, are masked for all but
their author (privacy.texts): the provider's staff and the county read 138****5678."""
from __future__ import annotations

from dataclasses import dataclass

from backend.models import Refund
from backend.services.orders import actions, timeline
from backend.services.privacy.texts import text_for, value_for

RESIDENT_TEXTS = ("note", "rating_comment")


def detail(viewer, order_id: int, fields) -> dict:
    """The order's fields (those named), timeline, refunds and available actions."""
    order = actions.get(viewer, order_id)
    shown = {c: getattr(order, c) for c in fields if c not in ("timeline", "refunds", "available_actions")}
    for name in RESIDENT_TEXTS:
        if name in shown:
            shown[name] = text_for(viewer.user_id, order.resident_id, shown[name])
    entries = [{"seq": e.seq, "action": e.action, "actor_role": e.actor_role, "from_state": e.from_state,
                "to_state": e.to_state, "payload": value_for(viewer.user_id, e.actor_id, e.payload), "at": e.at}
               for e in timeline.entries(order)]
    return {**shown, "timeline": entries, "refunds": refunds_as_read(viewer, order.refunds),
            "available_actions": actions.available(viewer, order)}


@dataclass
class RefundRead:
    """A refund as one viewer reads it: its reason masked unless they asked for it."""
    refund: Refund
    reason: str

    def __getattr__(self, name):
        return getattr(self.refund, name)


def refunds_as_read(viewer, refunds) -> list[RefundRead]:
    return [RefundRead(r, text_for(viewer.user_id, r.requested_by_id, r.reason)) for r in refunds]
