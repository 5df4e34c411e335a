"""The case flow (吹哨报到): who may take each action from where, and what each one decides."""
from __future__ import annotations

import dataclasses

import pytest

from workflows.case_flow import CASE_FLOW, LEVEL_OWNERS, LIVE, RELATIONS
from workflows.definition import LEVEL_OWNER, Actor, Clock, Facts, Notify, SummonsFacts
from workflows.engine import Refused, available, decide

LEAD, CO, OTHER = 3, 4, 5
STOP_ALL = Clock("stop_all", "all", None)


def summons(id_: int, department: int, role: str, status: str) -> SummonsFacts:
    return SummonsFacts(id_, department, role, status)


def start(kind, party, summons_id=None):
    return Clock("start", kind, party, summons_id is not None, summons_id)


def stop(kind, summons_id=None):
    party = "department" if summons_id is not None else None
    return Clock("stop", kind, party, summons_id is not None, summons_id)


def actor(*relations: str, departments: tuple[int, ...] = ()) -> Actor:
    return Actor(42, frozenset(relations), frozenset(departments))


HUB = actor("hub_of_township")
LEAD_STAFF = actor("summoned_staff", "lead_staff", departments=(LEAD,))
CO_STAFF = actor("summoned_staff", "co_staff", departments=(CO,))
GRID = actor("grid_worker_of_grid")
REPORTER = actor("reporter")

FACTS = {
    "submitted": Facts("submitted", "township"),
    "community_handling": Facts("community_handling", "community", assignee_id=7),
    "accepted": Facts("accepted", "township"),
    "dispatched": Facts("dispatched", "township",
                        (summons(10, LEAD, "lead", "summoned"), summons(11, CO, "co", "summoned"))),
    "returned": Facts("returned", "township",
                      (summons(10, LEAD, "lead", "returned"), summons(11, CO, "co", "signed_in"))),
    "in_progress": Facts("in_progress", "township",
                         (summons(10, LEAD, "lead", "signed_in"), summons(11, CO, "co", "summoned"))),
    "parked": Facts("parked", "township", (summons(10, LEAD, "lead", "signed_in"),)),
    "awaiting_verification": Facts("awaiting_verification", "township",
                                   (summons(10, LEAD, "lead", "signed_in"),)),
    "awaiting_rating": Facts("awaiting_rating", "township", (summons(10, LEAD, "lead", "signed_in"),)),
}
for _terminal in ("closed", "rejected", "cancelled", "merged", "unreasonable"):
    FACTS[_terminal] = Facts(_terminal, "township")

RESULT = {"note": "已清理", "photo_ids": [11, 12]}
PAYLOADS = {
    "accept": {}, "reject": {"reason": "不属于受理范围"}, "merge": {"into_case_id": 9}, "cancel": {},
    "resolve_on_spot": RESULT, "assign": {"assignee_id": 8}, "submit_result": RESULT, "escalate": {},
    "whistle": {"lead_department_id": LEAD, "co_department_ids": [CO]},
    "summon_more": {"co_department_ids": [OTHER]}, "arbitrate_redispatch": {"lead_department_id": OTHER},
    "arbitrate_uphold": {}, "sign_in": {}, "return_case": {"reason": "not_our_remit"},
    "arrive": {"lat": 37.87, "lng": 112.55, "photo_ids": [21]}, "add_note": {"note": "已联系物业"},
    "co_opinion": {"opinion": "同意主办方案"},
    "request_extension": {"days": 3, "reason": "等待材料"},
    "approve_extension": {}, "deny_extension": {"reason": "期限足够"},
    "park": {"reason": "资金未到位"}, "resume": {}, "verify_pass": {"photo_ids": [31]},
    "verify_fail": {"reason": "仍有垃圾", "photo_ids": [32]},
    "rate": {"rating": "satisfied"}, "archive": {}, "escalate_to_county": {"reason": "需县级协调"},
    "rule_unreasonable": {"reason": "诉求无理"}, "supervise": {"note": "请加快办理"},
}
PENDING = dataclasses.replace(FACTS["in_progress"], extension_pending=True)
# Facts and staff departments that make an action's guards and own-summons hold.
SPECIAL = {
    ("sign_in", "in_progress"): (FACTS["in_progress"], (CO,)),
    ("arrive", "dispatched"): (dataclasses.replace(
        FACTS["dispatched"], on_site=True,
        summonses=(summons(10, LEAD, "lead", "summoned"), summons(11, CO, "co", "signed_in"))), (CO,)),
    ("arrive", "in_progress"): (dataclasses.replace(FACTS["in_progress"], on_site=True), (LEAD,)),
    ("approve_extension", "in_progress"): (PENDING, ()),
    ("deny_extension", "in_progress"): (PENDING, ()),
}
ENTRIES = [(act.name, state) for act in CASE_FLOW.actions for state in act.sources]


def setting(name: str, state: str) -> tuple[Facts, tuple[int, ...]]:
    return SPECIAL.get((name, state), (FACTS[state], (LEAD,)))


def alternatives(name: str, state: str, level: str) -> list[frozenset[str]]:
    act = CASE_FLOW.action(name, state)
    return [frozenset(LEVEL_OWNERS[level] if r == LEVEL_OWNER else r for r in alt.split("&"))
            for alt in act.who]


def refused(facts, who, name, payload) -> Refused:
    with pytest.raises(Refused) as caught:
        decide(CASE_FLOW, facts, who, name, payload)
    return caught.value


# --- the matrix: every action from every state it leaves, by every relation -------------

@pytest.mark.parametrize("name, state", ENTRIES, ids=[f"{n}@{s}" for n, s in ENTRIES])
def test_the_right_actor_succeeds_and_every_other_relation_is_not_allowed(name, state):
    facts, departments = setting(name, state)
    allowed = alternatives(name, state, facts.level)
    for relations in allowed:
        decision = decide(CASE_FLOW, facts, actor(*relations, departments=departments), name, PAYLOADS[name])
        assert decision.from_state == state
        assert name in available(CASE_FLOW, facts, actor(*relations, departments=departments))
    for relation in sorted(RELATIONS):
        if frozenset({relation}) in allowed:
            continue
        who = actor(relation, departments=departments)
        assert refused(facts, who, name, PAYLOADS[name]).code == "not_allowed", relation
        assert name not in available(CASE_FLOW, facts, who)


@pytest.mark.parametrize("name", sorted({a.name for a in CASE_FLOW.actions}))
def test_from_any_other_state_it_is_the_wrong_state(name):
    sources = {s for a in CASE_FLOW.actions if a.name == name for s in a.sources}
    everyone = actor(*RELATIONS, departments=(LEAD, CO))
    for state, facts in FACTS.items():
        if state not in sources:
            assert refused(facts, everyone, name, PAYLOADS[name]).code == "wrong_state", state


def test_terminal_states_accept_nothing_not_even_supervision():
    everyone = actor(*RELATIONS, departments=(LEAD, CO))
    for state in ("closed", "rejected", "cancelled", "merged", "unreasonable"):
        assert available(CASE_FLOW, FACTS[state], everyone) == []
        assert refused(FACTS[state], everyone, "supervise", PAYLOADS["supervise"]).code == "wrong_state"


def test_every_outcome_tells_someone():
    for act in CASE_FLOW.actions:
        for outcome in act.outcomes:
            assert act.notify or outcome.notify, act.name


def test_an_unknown_action_is_named_so():
    assert refused(FACTS["submitted"], HUB, "teleport", {}).code == "unknown_action"


# --- triage -------------------------------------------------------------------------------

@pytest.mark.parametrize("level, owner, target, clock", [
    ("community", "community_admin_of_community", "community_handling",
     start("community_handling", "community")),
    ("township", "hub_of_township", "accepted", start("dispatch", "hub")),
    ("county", "county_admin", "accepted", start("dispatch", "county")),
])
def test_accept_goes_where_the_level_handles_it(level, owner, target, clock):
    decision = decide(CASE_FLOW, Facts("submitted", level), actor(owner), "accept", {})
    assert (decision.to_state, decision.level) == (target, level)
    assert decision.clocks == (stop("triage"), clock)
    assert decision.notifications == (Notify("reporter", "accepted"), Notify("supporters", "accepted"))
    others = set(LEVEL_OWNERS.values()) - {owner}
    for other in others:
        assert refused(Facts("submitted", level), actor(other), "accept", {}).code == "not_allowed"


def test_reject_and_merge_need_their_fields():
    assert refused(FACTS["submitted"], HUB, "reject", {}).fields == {"reason": "required"}
    assert refused(FACTS["submitted"], HUB, "merge", {"into_case_id": 0}).fields == {
        "into_case_id": "must be at least 1"}
    decision = decide(CASE_FLOW, FACTS["submitted"], HUB, "reject", {"reason": "重复"})
    assert (decision.to_state, decision.clocks) == ("rejected", (STOP_ALL,))


def test_the_reporter_cancels_only_before_acceptance():
    assert decide(CASE_FLOW, FACTS["submitted"], REPORTER, "cancel", {}).to_state == "cancelled"
    assert refused(FACTS["accepted"], REPORTER, "cancel", {}).code == "wrong_state"


def test_resolve_on_spot_needs_a_grid_worker_who_reported_it_and_a_result():
    assert refused(FACTS["submitted"], REPORTER, "resolve_on_spot", RESULT).code == "not_allowed"
    assert refused(FACTS["submitted"], GRID, "resolve_on_spot", RESULT).code == "not_allowed"
    both = actor("reporter", "grid_worker_of_grid")
    assert refused(FACTS["submitted"], both, "resolve_on_spot", {}).fields == {
        "note": "required", "photo_ids": "required"}
    assert decide(CASE_FLOW, FACTS["submitted"], both, "resolve_on_spot", RESULT).to_state == "closed"


# --- community ----------------------------------------------------------------------------

def test_community_handling_assign_result_and_escalation():
    facts, admin = FACTS["community_handling"], actor("community_admin_of_community")
    assert decide(CASE_FLOW, facts, admin, "assign", {"assignee_id": 8}).to_state == "community_handling"
    result = decide(CASE_FLOW, facts, actor("assignee"), "submit_result", RESULT)
    assert result.to_state == "awaiting_verification"
    assert result.clocks == (stop("community_handling"), start("verification", "grid_worker"))
    up = decide(CASE_FLOW, facts, actor("system"), "escalate", {})
    assert (up.to_state, up.level) == ("accepted", "township")
    assert up.clocks == (stop("community_handling"), start("dispatch", "hub"))
    assert Notify("hub", "escalated") in up.notifications


# --- the whistle -----------------------------------------------------------------------------

def test_a_whistle_to_two_departments():
    decision = decide(CASE_FLOW, FACTS["accepted"], HUB, "whistle",
                      {"lead_department_id": LEAD, "co_department_ids": [CO], "note": "联合执法"})
    assert decision.to_state == "dispatched"
    assert decision.payload == {"lead_department_id": LEAD, "co_department_ids": [CO], "on_site": False,
                                "note": "联合执法"}
    assert decision.summons_changes == (("new:3", "summoned"), ("new:4", "summoned"))
    assert decision.clocks == (stop("dispatch"), start("sign_in", "department", "new:3"),
                               start("sign_in", "department", "new:4"))
    assert Notify("summoned", "dispatched") in decision.notifications
    assert Notify("reporter", "dispatched") in decision.notifications


def test_an_on_site_whistle_also_starts_arrival_clocks():
    decision = decide(CASE_FLOW, FACTS["accepted"], HUB, "whistle",
                      {"lead_department_id": LEAD, "co_department_ids": [CO], "on_site": True})
    assert decision.clocks[3:] == (start("arrival", "department", "new:3"),
                                   start("arrival", "department", "new:4"))


@pytest.mark.parametrize("payload, errors", [
    ({"co_department_ids": [CO]}, {"lead_department_id": "required"}),
    ({"lead_department_id": LEAD, "co_department_ids": [CO, LEAD]},
     {"co_department_ids": "the lead cannot also be a co-handler"}),
    ({"lead_department_id": LEAD, "co_department_ids": [CO, CO]},
     {"co_department_ids": "ids must not repeat"}),
    ({"lead_department_id": LEAD, "on_site": "yes"}, {"on_site": "must be true or false"}),
])
def test_whistle_payload_errors(payload, errors):
    assert refused(FACTS["accepted"], HUB, "whistle", payload).fields == errors


def test_a_department_already_bound_cannot_be_whistled_again():
    facts = dataclasses.replace(FACTS["accepted"], summonses=(summons(10, LEAD, "lead", "returned"),))
    assert refused(facts, HUB, "whistle", {"lead_department_id": LEAD}).fields == {
        "lead_department_id": "this department is already summoned on the case"}


def test_lead_sign_in_starts_handling_and_co_sign_in_does_not():
    lead = decide(CASE_FLOW, FACTS["dispatched"], LEAD_STAFF, "sign_in", {})
    assert (lead.to_state, lead.summons_changes) == ("in_progress", ((10, "signed_in"),))
    assert lead.clocks == (stop("sign_in", 10), start("handling", "lead"))
    assert lead.payload == {"summons_id": 10}
    co = decide(CASE_FLOW, FACTS["dispatched"], CO_STAFF, "sign_in", {})
    assert (co.to_state, co.summons_changes) == ("dispatched", ((11, "signed_in"),))
    assert co.clocks == (stop("sign_in", 11),)
    late_co = decide(CASE_FLOW, FACTS["in_progress"], CO_STAFF, "sign_in", {})
    assert (late_co.to_state, late_co.summons_changes) == ("in_progress", ((11, "signed_in"),))


def test_signing_in_twice_is_a_guard():
    assert refused(FACTS["in_progress"], LEAD_STAFF, "sign_in", {}).code == "guard"


def test_a_co_return_only_marks_its_summons():
    decision = decide(CASE_FLOW, FACTS["dispatched"], CO_STAFF, "return_case", {"reason": "wrong_area"})
    assert (decision.to_state, decision.summons_changes) == ("dispatched", ((11, "returned"),))
    assert decision.clocks == (stop("sign_in", 11), stop("arrival", 11))


def test_a_lead_return_awaits_the_hub():
    decision = decide(CASE_FLOW, FACTS["dispatched"], LEAD_STAFF, "return_case",
                      {"reason": "unclear_ownership", "note": "非我局职责"})
    assert (decision.to_state, decision.summons_changes) == ("returned", ((10, "returned"),))
    assert decision.clocks == (stop("sign_in", 10), stop("arrival", 10), stop("handling"),
                               start("dispatch", "hub"))
    assert decision.notifications == (Notify("hub", "returned"),)
    assert refused(FACTS["dispatched"], LEAD_STAFF, "return_case", {"reason": "lazy"}).fields == {
        "reason": "must be one of: not_our_remit, wrong_area, unclear_ownership"}


def test_a_lead_can_still_return_while_handling():
    decision = decide(CASE_FLOW, FACTS["in_progress"], LEAD_STAFF, "return_case", {"reason": "wrong_area"})
    assert (decision.to_state, decision.summons_changes) == ("returned", ((10, "returned"),))
    # Signed in: no sign-in clock left to stop, but the arrival and handling clocks stop.
    assert decision.clocks == (stop("arrival", 10), stop("handling"), start("dispatch", "hub"))


def test_arbitration_redispatch_replaces_the_lead():
    decision = decide(CASE_FLOW, FACTS["returned"], HUB, "arbitrate_redispatch",
                      {"lead_department_id": OTHER})
    assert decision.to_state == "dispatched"
    assert decision.summons_changes == ((10, "released"), ("new:5", "summoned"))
    assert decision.clocks == (stop("dispatch"), start("sign_in", "department", "new:5"))
    on_site = decide(CASE_FLOW, dataclasses.replace(FACTS["returned"], on_site=True), HUB,
                     "arbitrate_redispatch", {"lead_department_id": OTHER})
    assert on_site.clocks[-1] == start("arrival", "department", "new:5")
    for bound in (LEAD, CO):
        payload = {"lead_department_id": bound}
        assert refused(FACTS["returned"], HUB, "arbitrate_redispatch", payload).fields == {
            "lead_department_id": "this department is already summoned on the case"}


def test_arbitration_uphold_rules_the_return_back():
    decision = decide(CASE_FLOW, FACTS["returned"], HUB, "arbitrate_uphold", {"note": "属你局职责"})
    assert (decision.to_state, decision.summons_changes) == ("dispatched", ((10, "summoned"),))
    assert decision.clocks == (stop("dispatch"), start("sign_in", "department", 10))
    assert decision.notifications == (Notify("summoned", "return_refused"),)
    no_lead_returned = dataclasses.replace(FACTS["returned"], summonses=())
    assert refused(no_lead_returned, HUB, "arbitrate_uphold", {}).code == "guard"


def test_summon_more_calls_new_cos_and_calls_back_a_returned_one():
    facts = dataclasses.replace(FACTS["in_progress"], summonses=(
        summons(10, LEAD, "lead", "signed_in"), summons(11, CO, "co", "returned")))
    decision = decide(CASE_FLOW, facts, HUB, "summon_more", {"co_department_ids": [CO, OTHER]})
    assert decision.to_state == "in_progress"
    assert decision.summons_changes == ((11, "summoned"), ("new:5", "summoned"))
    assert decision.clocks == (start("sign_in", "department", 11), start("sign_in", "department", "new:5"))
    assert refused(facts, HUB, "summon_more", {"co_department_ids": [LEAD]}).code == "invalid_payload"


# --- handling --------------------------------------------------------------------------------

ON_SITE = dataclasses.replace(FACTS["in_progress"], on_site=True)


def test_arrival_checks_in_on_site():
    decision = decide(CASE_FLOW, ON_SITE, LEAD_STAFF, "arrive", PAYLOADS["arrive"])
    assert (decision.summons_changes, decision.clocks) == (((10, "arrived"),), (stop("arrival", 10),))
    assert refused(FACTS["in_progress"], LEAD_STAFF, "arrive", PAYLOADS["arrive"]).code == "guard"
    assert refused(ON_SITE, LEAD_STAFF, "arrive", {"lat": 91, "lng": "x"}).fields == {
        "lat": "must be at most 90", "lng": "must be a number", "photo_ids": "required"}


def test_only_the_lead_submits_the_result_after_arriving_when_on_site():
    assert refused(FACTS["in_progress"], CO_STAFF, "submit_result", RESULT).code == "not_allowed"
    assert refused(ON_SITE, LEAD_STAFF, "submit_result", RESULT).code == "guard"
    arrived = dataclasses.replace(ON_SITE, summonses=(summons(10, LEAD, "lead", "arrived"),))
    decision = decide(CASE_FLOW, arrived, LEAD_STAFF, "submit_result", RESULT)
    assert decision.to_state == "awaiting_verification"
    assert decision.clocks == (stop("handling"), start("verification", "grid_worker"))
    assert set(decision.notifications) == {Notify("grid_worker", "result_ready"),
                                           Notify("reporter", "result_ready")}
    assert refused(FACTS["in_progress"], LEAD_STAFF, "submit_result", {"note": "好了"}).fields == {
        "photo_ids": "required"}


def test_notes_and_opinions():
    assert refused(FACTS["in_progress"], LEAD_STAFF, "add_note", {}).fields == {
        "note": "a note or photos are required"}
    photos_only = decide(CASE_FLOW, FACTS["in_progress"], CO_STAFF, "add_note", {"photo_ids": [5]})
    assert photos_only.to_state == "in_progress"
    assert refused(FACTS["in_progress"], CO_STAFF, "co_opinion", {}).fields == {"opinion": "required"}


def test_extension_request_and_ruling():
    both = {"hours": 4, "days": 1, "reason": "x"}
    assert refused(FACTS["in_progress"], LEAD_STAFF, "request_extension", both).fields == {
        "hours": "give hours or days, exactly one"}
    pending = dataclasses.replace(FACTS["in_progress"], extension_pending=True)
    assert refused(pending, LEAD_STAFF, "request_extension", PAYLOADS["request_extension"]).code == "guard"
    assert refused(FACTS["in_progress"], HUB, "approve_extension", {}).code == "guard"
    approved = decide(CASE_FLOW, pending, HUB, "approve_extension", {})
    assert approved.clocks == (Clock("extend", "handling", "lead"),)
    assert decide(CASE_FLOW, pending, HUB, "deny_extension", {"reason": "够用"}).clocks == ()


def test_parking_pauses_and_resuming_resumes_every_clock():
    parked = decide(CASE_FLOW, FACTS["in_progress"], HUB, "park", {"reason": "资金未到位"})
    assert (parked.to_state, parked.clocks) == ("parked", (Clock("pause_all", "all", None),))
    resumed = decide(CASE_FLOW, FACTS["parked"], HUB, "resume", {})
    assert (resumed.to_state, resumed.clocks) == ("in_progress", (Clock("resume_all", "all", None),))


# --- verification and rating ------------------------------------------------------------------

def test_verification_pass_asks_the_reporter_to_rate():
    decision = decide(CASE_FLOW, FACTS["awaiting_verification"], GRID, "verify_pass", {"photo_ids": [1]})
    assert decision.to_state == "awaiting_rating"
    assert decision.clocks == (stop("verification"), start("callback", "reporter"))
    assert Notify("reporter", "closed_rate_please") in decision.notifications


@pytest.mark.parametrize("level, target, clock, told", [
    ("township", "in_progress", start("handling", "lead"), Notify("lead", "rework")),
    ("community", "community_handling", start("community_handling", "community"),
     Notify("assignee", "rework")),
])
def test_a_failed_verification_is_rework(level, target, clock, told):
    facts = dataclasses.replace(FACTS["awaiting_verification"], level=level, rework_count=2)
    decision = decide(CASE_FLOW, facts, GRID, "verify_fail", {"reason": "仍有垃圾", "photo_ids": [1]})
    assert (decision.to_state, decision.counters) == (target, {"rework_count": 1})
    assert decision.clocks == (stop("verification"), clock)
    assert told in decision.notifications
    assert refused(facts, GRID, "verify_fail", {"reason": "x"}).fields == {"photo_ids": "required"}


def test_unsatisfied_reopens_once_then_closes():
    unsatisfied = {"rating": "unsatisfied", "comment": "没修好"}
    first = decide(CASE_FLOW, FACTS["awaiting_rating"], REPORTER, "rate", unsatisfied)
    assert (first.to_state, first.counters, first.level) == ("accepted", {"reopen_count": 1}, "township")
    assert first.summons_changes == ((10, "released"),)
    assert first.clocks == (stop("callback"), start("dispatch", "hub"), stop("arrival", 10))
    assert Notify("hub", "reopened") in first.notifications
    again = dataclasses.replace(FACTS["awaiting_rating"], reopen_count=1)
    second = decide(CASE_FLOW, again, REPORTER, "rate", unsatisfied)
    assert (second.to_state, second.counters, second.clocks) == ("closed", {}, (stop("callback"), STOP_ALL))
    satisfied = decide(CASE_FLOW, FACTS["awaiting_rating"], REPORTER, "rate",
                       {"rating": "basically_satisfied"})
    assert (satisfied.to_state, satisfied.counters) == ("closed", {})


def test_a_community_case_reopens_in_the_community():
    facts = Facts("awaiting_rating", "community")
    decision = decide(CASE_FLOW, facts, REPORTER, "rate", {"rating": "unsatisfied"})
    assert (decision.to_state, decision.counters) == ("community_handling", {"reopen_count": 1})
    assert decision.clocks == (stop("callback"), start("community_handling", "community"))


def test_rating_values_and_archiving():
    assert refused(FACTS["awaiting_rating"], REPORTER, "rate", {"rating": "meh"}).fields == {
        "rating": "must be one of: satisfied, basically_satisfied, unsatisfied"}
    archived = decide(CASE_FLOW, FACTS["awaiting_rating"], actor("system"), "archive", {})
    assert (archived.to_state, archived.clocks) == ("closed", (stop("callback"), STOP_ALL))


# --- escalation, rulings, supervision -------------------------------------------------------------

def test_escalation_to_the_county_releases_the_departments():
    decision = decide(CASE_FLOW, FACTS["in_progress"], HUB, "escalate_to_county", {"reason": "跨区域"})
    assert (decision.to_state, decision.level) == ("submitted", "county")
    assert decision.summons_changes == ((10, "released"), (11, "released"))
    assert decision.clocks == (stop("triage"), stop("dispatch"), stop("handling"), stop("sign_in", 11),
                               stop("arrival", 10), stop("arrival", 11), start("triage", "county"))
    assert Notify("county", "escalated") in decision.notifications
    county = dataclasses.replace(FACTS["in_progress"], level="county")
    assert refused(county, HUB, "escalate_to_county", {"reason": "x"}).code == "guard"
    triaged = decide(CASE_FLOW, Facts("submitted", "county"), actor("county_admin"), "accept", {})
    assert (triaged.to_state, triaged.clocks[-1]) == ("accepted", start("dispatch", "county"))


def test_an_unreasonable_request_ends_the_case():
    decision = decide(CASE_FLOW, FACTS["in_progress"], HUB, "rule_unreasonable", {"reason": "无理"})
    assert (decision.to_state, decision.clocks) == ("unreasonable", (STOP_ALL,))


@pytest.mark.parametrize("state", LIVE)
def test_the_county_supervises_any_live_case(state):
    decision = decide(CASE_FLOW, FACTS[state], actor("county_admin"), "supervise", {"note": "请加快"})
    assert (decision.to_state, decision.clocks) == (state, ())
    owner = {"community": "community", "township": "hub"}[FACTS[state].level]
    assert set(decision.notifications) == {Notify("lead", "supervised"), Notify(owner, "supervised")}
    assert refused(FACTS[state], actor("county_admin"), "supervise", {}).fields == {"note": "required"}


def test_available_lists_what_each_party_may_do_now():
    assert available(CASE_FLOW, FACTS["accepted"], HUB) == ["merge", "whistle", "escalate_to_county",
                                                             "rule_unreasonable"]
    assert available(CASE_FLOW, FACTS["submitted"], REPORTER) == ["cancel"]
    assert available(CASE_FLOW, FACTS["in_progress"], LEAD_STAFF) == [
        "return_case", "add_note", "request_extension", "submit_result"]
    assert available(CASE_FLOW, FACTS["in_progress"], CO_STAFF) == ["sign_in", "return_case", "add_note",
                                                                     "co_opinion"]
