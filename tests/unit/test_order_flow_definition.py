"""The order flow as data: every step from where it may be taken, by whom, and the refusals."""
from __future__ import annotations

import pytest

from workflows.engine import Refused, available, decide
from workflows.order_flow import ORDER_FLOW, actor, facts

RESIDENT, STAFF, COUNTY, SYSTEM = ({"resident"}, {"provider_staff"}, {"county_admin"}, {"system"})
HAPPY = [("created", SYSTEM, "pay", {}, "paid"), ("paid", STAFF, "accept", {}, "accepted"),
         ("accepted", STAFF, "start", {}, "in_service"), ("in_service", STAFF, "complete", {}, "completed"),
         ("completed", RESIDENT, "confirm", {"rating": 4}, "confirmed")]
OTHERS = [("created", SYSTEM, "expire", {}, "closed"), ("created", RESIDENT, "cancel", {}, "cancelled"),
          ("paid", RESIDENT, "cancel", {"reason": "有事"}, "cancelled"),
          ("paid", STAFF, "decline", {"reason": "排不开"}, "cancelled"),
          ("accepted", RESIDENT, "cancel_late", {}, "cancelled"),
          ("completed", SYSTEM, "auto_confirm", {}, "confirmed"),
          ("in_service", RESIDENT, "dispute", {"reason": "没来"}, "disputed"),
          ("disputed", COUNTY, "resolve", {"reason": "全退", "full_refund": True}, "refunded"),
          ("disputed", COUNTY, "resolve", {"reason": "退一半", "refund_fen": 100}, "confirmed")]


@pytest.mark.parametrize("state, who, action, payload, to", HAPPY + OTHERS)
def test_each_step_leads_where_it_says(state, who, action, payload, to):
    assert decide(ORDER_FLOW, facts(state), actor(1, who), action, payload).to_state == to


@pytest.mark.parametrize("state, who, action, payload, code", [
    ("paid", RESIDENT, "accept", {}, "not_allowed"),
    ("completed", STAFF, "confirm", {"rating": 5}, "not_allowed"),
    ("created", RESIDENT, "pay", {}, "not_allowed"),          # only WeChat Pay's word pays
    ("accepted", RESIDENT, "cancel", {}, "wrong_state"),      # after acceptance: cancel_late
    ("confirmed", COUNTY, "resolve", {"reason": "x"}, "wrong_state"),
    ("completed", RESIDENT, "confirm", {"rating": 6}, "invalid_payload"),
    ("completed", RESIDENT, "confirm", {}, "invalid_payload"),
    ("disputed", COUNTY, "resolve", {"reason": "x", "refund_fen": -1}, "invalid_payload"),
    ("paid", STAFF, "decline", {}, "invalid_payload"),
])
def test_refusals(state, who, action, payload, code):
    with pytest.raises(Refused) as refused:
        decide(ORDER_FLOW, facts(state), actor(1, who), action, payload)
    assert refused.value.code == code


def test_what_each_party_may_do():
    assert available(ORDER_FLOW, facts("paid"), actor(1, RESIDENT)) == ["cancel"]
    assert available(ORDER_FLOW, facts("paid"), actor(1, STAFF)) == ["decline", "accept"]
    assert available(ORDER_FLOW, facts("completed"), actor(1, RESIDENT)) == ["confirm", "dispute"]
    assert available(ORDER_FLOW, facts("confirmed"), actor(1, RESIDENT | STAFF | COUNTY)) == []
