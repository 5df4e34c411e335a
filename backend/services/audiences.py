"""Who hears which step: the one table the outbox writer (services/outbox.py) reads.

A flow names who is concerned by each step (workflows: Notify(audience, event) per action
and outcome), and the scheduler names who is concerned by an alert (scheduler/alerts.py).
What reaches them is decided here, for cases and orders alike:
- every change of a case or an order is one push to the sockets of everyone who may see it
  (the rooms are a permission: access.case_rooms, access.order_viewers); staff
  audiences (a hub, a lead department...) hear of their steps that way and in the console;
- people who are told one by one (a case's reporter and supporters, an order's resident and
  its provider's staff) get a WeChat subscribe message at the steps this table names, with
  the template announcing it. WeChat allows one message per acceptance a person gave, so
  each (event, audience) pair of theirs is a decision: a template step, or None (the push
  and the page are enough). tests/unit/test_audiences.py fails for a pair a flow or the
  scheduler names that has no decision here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseSupport, Order
from backend.services import access

Decision = dict[str, str | None]   # audience -> template step (None: not messaged)


def told(step: str, *audiences: str) -> Decision:
    return dict.fromkeys(audiences, step)


def untold(*audiences: str) -> Decision:
    return dict.fromkeys(audiences)


@dataclass(frozen=True)
class Audiences:
    """How one kind of subject (a case, an order) tells of its steps."""

    key: str                    # the subject's id: the effect's column and payload field
    push: str                   # the effect kind of the push each change makes
    message: str                # the effect kind of one person's message
    people: Mapping[str, Callable[[Any], list[int]]]  # audiences told one by one: who they are now
    by_push: frozenset[str]     # audiences told by the push alone
    steps: Mapping[str, Decision]  # event -> what each of `people` gets

    def step(self, audience: str, event: str) -> str | None:
        """The template announcing the event to the audience; None: no message."""
        return self.steps.get(event, {}).get(audience)

    def recipients(self, subject, audience: str) -> list[int]:
        return self.people[audience](subject)


def _reporter(case: Case) -> list[int]:
    return [case.reporter_id] if case.reporter_id is not None else []


def _supporters(case: Case) -> list[int]:
    return list(db.session.scalars(sa.select(CaseSupport.user_id).where(CaseSupport.case_id == case.id)))


RESIDENTS = ("reporter", "supporters")
CASE = Audiences(
    key="case_id", push="push", message="subscribe_message",
    people={"reporter": _reporter, "supporters": _supporters},
    # The flow's staff audiences, and the scheduler's "department" (one summoned department).
    by_push=frozenset({"community", "hub", "county", "grid_worker", "assignee", "summoned", "lead",
                       "department"}),
    steps={
        # A resident's steps, the four templates the mini-program asks them to accept.
        "accepted": told("accepted", *RESIDENTS),
        "dispatched": told("dispatched", *RESIDENTS),
        "result_ready": told("result_ready", "reporter"),
        "closed_rate_please": told("closed", "reporter"),
        "closed": told("closed", *RESIDENTS),
        # The scheduler's callback reminder asks again what "closed - please rate" asked (it
        # goes out only if the resident accepted that template more than once).
        "rate_reminder": told("closed", "reporter"),
        # Seen in the case (the push, the case page), not worth one of their rationed messages.
        "rejected": untold(*RESIDENTS), "merged": untold(*RESIDENTS), "cancelled": untold("supporters"),
        "escalated": untold(*RESIDENTS), "in_progress": untold(*RESIDENTS), "parked": untold(*RESIDENTS),
        "resumed": untold(*RESIDENTS), "ruled_unreasonable": untold("reporter"),
    })

ORDER_UPDATE = "order_update"   # the one template of orders (订单状态提醒), for every step
PARTIES = ("resident", "provider")
ORDER = Audiences(
    key="order_id", push="order_push", message="order_message",
    people={"resident": lambda order: [order.resident_id],
            "provider": lambda order: access.provider_staff(order.provider_id)},
    by_push=frozenset({"county"}),   # the county reads its disputes in the console
    steps={
        "paid": told(ORDER_UPDATE, *PARTIES), "accepted": told(ORDER_UPDATE, "resident"),
        "declined": told(ORDER_UPDATE, "resident"), "started": told(ORDER_UPDATE, "resident"),
        "completed": told(ORDER_UPDATE, "resident"), "confirmed": told(ORDER_UPDATE, *PARTIES),
        "cancelled": told(ORDER_UPDATE, *PARTIES), "closed": told(ORDER_UPDATE, "resident"),
        "disputed": told(ORDER_UPDATE, "provider"), "resolved": told(ORDER_UPDATE, *PARTIES),
        "refunded": told(ORDER_UPDATE, *PARTIES),
    })

_OF = {Case: CASE, Order: ORDER}


def of(subject: Case | Order) -> Audiences:
    return _OF[type(subject)]
