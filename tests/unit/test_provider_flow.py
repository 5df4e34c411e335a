"""The provider onboarding flow: every transition, and the refusals in their fixed order."""
from __future__ import annotations

import pytest

from workflows import engine
from workflows.definition import Actor, Facts
from workflows.engine import Refused
from workflows.provider_flow import LEVEL
from workflows.provider_flow import PROVIDER_FLOW as FLOW

ADMIN = Actor(1, frozenset({"county_admin"}))
APPLICANT = Actor(2, frozenset({"applicant"}))
STAFF = Actor(3, frozenset({"provider_staff"}))
NOBODY = Actor(4, frozenset())
PAYLOADS = {"request_more": {"reason": "营业执照照片不清晰"}, "resubmit": {},
            "approve": {"sub_mchid": "1900000101"}, "reject": {"reason": "资质不符"},
            "suspend": {"reason": "投诉核实"}, "reinstate": {}, "revoke": {"reason": "整改不到位"}}
TRANSITIONS = [("applied", "request_more", ADMIN, "more_requested"),
               ("more_requested", "resubmit", APPLICANT, "applied"),
               ("applied", "approve", ADMIN, "approved"),
               ("applied", "reject", ADMIN, "rejected"),
               ("more_requested", "reject", ADMIN, "rejected"),
               ("approved", "suspend", ADMIN, "suspended"),
               ("suspended", "reinstate", ADMIN, "approved"),
               ("suspended", "revoke", ADMIN, "rejected")]


def facts(state: str) -> Facts:
    return Facts(state=state, level=LEVEL)


@pytest.mark.parametrize(("state", "action", "actor", "target"), TRANSITIONS)
def test_every_transition(state, action, actor, target):
    decision = engine.decide(FLOW, facts(state), actor, action, PAYLOADS[action])
    assert decision.to_state == target
    assert decision.level == LEVEL


def test_every_action_is_covered_and_the_rejected_state_is_final():
    assert {a.name for a in FLOW.actions} == {t[1] for t in TRANSITIONS}
    assert [s.name for s in FLOW.states if s.terminal] == ["rejected"]
    assert FLOW.initial == "applied"
    assert engine.available(FLOW, facts("rejected"), ADMIN) == []


@pytest.mark.parametrize(("state", "action", "actor", "target"), TRANSITIONS)
def test_nobody_else_may_take_it(state, action, actor, target):
    for other in (ADMIN, APPLICANT, STAFF, NOBODY):
        if other is actor:
            continue
        with pytest.raises(Refused) as refused:
            engine.decide(FLOW, facts(state), other, action, PAYLOADS[action])
        assert refused.value.code == "not_allowed"


@pytest.mark.parametrize("state", ["more_requested", "approved", "suspended", "rejected"])
def test_approve_only_from_applied(state):
    with pytest.raises(Refused) as refused:
        engine.decide(FLOW, facts(state), ADMIN, "approve", PAYLOADS["approve"])
    assert refused.value.code == "wrong_state"


@pytest.mark.parametrize("action", ["request_more", "reject", "suspend", "revoke"])
def test_a_reason_is_required(action):
    state = next(t[0] for t in TRANSITIONS if t[1] == action)
    with pytest.raises(Refused) as refused:
        engine.decide(FLOW, facts(state), ADMIN, action, {"reason": "  "})
    assert refused.value.code == "invalid_payload"
    assert refused.value.fields == {"reason": "required"}


@pytest.mark.parametrize("sub_mchid", [None, "", "19000001", "abc0000101", "1234567890123", 1900000101])
def test_approve_needs_a_sub_merchant_number(sub_mchid):
    payload = {} if sub_mchid is None else {"sub_mchid": sub_mchid}
    if sub_mchid == "19000001":  # 8 digits: the shortest accepted
        assert engine.decide(FLOW, facts("applied"), ADMIN, "approve", payload).to_state == "approved"
        return
    with pytest.raises(Refused) as refused:
        engine.decide(FLOW, facts("applied"), ADMIN, "approve", payload)
    assert refused.value.code == "invalid_payload"
    assert "sub_mchid" in refused.value.fields


def test_available_actions_per_state():
    assert engine.available(FLOW, facts("applied"), ADMIN) == ["request_more", "approve", "reject"]
    assert engine.available(FLOW, facts("more_requested"), APPLICANT) == ["resubmit"]
    assert engine.available(FLOW, facts("more_requested"), ADMIN) == ["reject"]
    assert engine.available(FLOW, facts("approved"), ADMIN) == ["suspend"]
    assert engine.available(FLOW, facts("suspended"), ADMIN) == ["reinstate", "revoke"]
    assert engine.available(FLOW, facts("approved"), STAFF) == []


def test_unknown_action_and_unknown_fields():
    with pytest.raises(Refused) as refused:
        engine.decide(FLOW, facts("applied"), ADMIN, "whistle", {})
    assert refused.value.code == "unknown_action"
    with pytest.raises(Refused) as refused:
        engine.decide(FLOW, facts("applied"), ADMIN, "reject", {"reason": "x", "extra": 1})
    assert refused.value.fields == {"extra": "unknown field"}
