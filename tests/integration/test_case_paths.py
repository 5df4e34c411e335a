"""Every path of the case flow end to end over HTTP, with the demo county's people."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog, Deadline, Grant, OutboxEffect
from tests.integration.case_helpers import act, category_id, department_id, report, upload, user_id


@pytest.fixture()
def people(as_user):
    names = {"resident": "demo-resident-1", "neighbour": "demo-resident-2",
             "gw": "demo-grid-worker-1", "community": "demo-community-admin-1",
             "hub": "demo-hub-dispatcher-1", "county_staff": "demo-dept-staff-1",
             "team_staff": "demo-dept-staff-2", "county": "demo-county-admin"}
    return type("People", (), {k: as_user(v) for k, v in names.items()})


def log_actions(case_id):
    return db.session.scalars(sa.select(CaseLog.action).where(CaseLog.case_id == case_id)
                              .order_by(CaseLog.seq)).all()


def running(case_id, kind=None):
    query = sa.select(Deadline).where(Deadline.case_id == case_id, Deadline.stopped_at.is_(None))
    if kind:
        query = query.where(Deadline.kind == kind)
    return db.session.scalars(query).all()


def whistle_two(people, case_id, on_site=False):
    return act(people.hub, case_id, "whistle", lead_department_id=department_id("D06-001"),
               co_department_ids=[department_id("D06")], on_site=on_site)


def test_township_whistle_with_two_departments_to_rating(people):
    case = report(people.resident, photo_ids=[upload(people.resident)])
    assert case["state"] == "submitted" and case["level"] == "township"
    assert [d.kind for d in running(case["id"])] == ["triage"]
    act(people.hub, case["id"], "accept")
    detail = whistle_two(people, case["id"])
    assert detail["state"] == "dispatched"
    assert sorted((s["department"]["code"], s["role"]) for s in detail["summonses"]) == [
        ("D06", "co"), ("D06-001", "lead")]
    assert len(running(case["id"], "sign_in")) == 2
    act(people.county_staff, case["id"], "sign_in")             # the co-handler reports in
    assert act(people.hub, case["id"], "accept", expect=409)["error"]["code"] == "wrong_state"
    detail = act(people.team_staff, case["id"], "sign_in")      # the lead reports in
    assert detail["state"] == "in_progress" and not running(case["id"], "sign_in")
    assert len(running(case["id"], "handling")) == 1
    act(people.county_staff, case["id"], "co_opinion", opinion="建议同步清理周边")
    act(people.county_staff, case["id"], "submit_result", expect=403, note="x",
        photo_ids=[upload(people.county_staff)])
    act(people.team_staff, case["id"], "submit_result", note="已清理",
        photo_ids=[upload(people.team_staff, (10, 200, 10))])
    act(people.gw, case["id"], "verify_pass", photo_ids=[upload(people.gw, (1, 2, 3))])
    detail = act(people.resident, case["id"], "rate", rating="satisfied")
    assert detail["state"] == "closed" and detail["rating"] == "satisfied"
    assert not running(case["id"])
    assert log_actions(case["id"]) == ["submit", "accept", "whistle", "sign_in", "sign_in",
                                       "co_opinion", "submit_result", "verify_pass", "rate"]
    assert [t["seq"] for t in detail["timeline"]] == list(range(1, 10))


def test_a_co_return_and_a_lead_return_with_both_arbitrations(people):
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    whistle_two(people, case["id"])
    detail = act(people.county_staff, case["id"], "return_case", reason="not_our_remit")
    assert detail["state"] == "dispatched"
    assert {s["department"]["code"]: s["status"] for s in detail["summonses"]}["D06"] == "returned"
    detail = act(people.team_staff, case["id"], "return_case", reason="wrong_area", note="不在辖区")
    assert detail["state"] == "returned"
    detail = act(people.hub, case["id"], "arbitrate_uphold", note="属于你队辖区")
    assert detail["state"] == "dispatched"
    detail = act(people.team_staff, case["id"], "sign_in")
    assert detail["state"] == "in_progress"
    act(people.team_staff, case["id"], "return_case", reason="unclear_ownership")
    # D06 returned its co-handling and is still bound to the case until ruled on.
    act(people.hub, case["id"], "arbitrate_redispatch", expect=422, lead_department_id=department_id("D06"))
    detail = act(people.hub, case["id"], "arbitrate_redispatch", lead_department_id=department_id("D01"))
    leads = [s for s in detail["summonses"] if s["role"] == "lead"]
    assert [(s["department"]["code"], s["status"]) for s in leads] == [
        ("D06-001", "released"), ("D01", "summoned")]
    assert detail["state"] == "dispatched"
    assert people.team_staff.get(f"/api/mp/cases/{case['id']}/actions").json["actions"] == []


def test_extension_parking_and_deadlines(people):
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    whistle_two(people, case["id"])
    act(people.team_staff, case["id"], "sign_in")
    due = running(case["id"], "handling")[0].due_at
    act(people.team_staff, case["id"], "request_extension", days=3, reason="需协调物业")
    act(people.team_staff, case["id"], "request_extension", expect=409, days=1, reason="again")
    act(people.hub, case["id"], "approve_extension")
    db.session.expire_all()
    assert running(case["id"], "handling")[0].due_at > due
    act(people.hub, case["id"], "park", reason="等待上级批复")
    db.session.expire_all()
    handling = running(case["id"], "handling")[0]
    assert handling.due_at is None and handling.remaining_seconds > 0
    act(people.hub, case["id"], "resume")
    db.session.expire_all()
    assert running(case["id"], "handling")[0].due_at is not None


def test_rework_then_reopen_once_then_closed(people):
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    whistle_two(people, case["id"])
    act(people.team_staff, case["id"], "sign_in")
    result = {"note": "已处理", "photo_ids": [upload(people.team_staff)]}
    act(people.team_staff, case["id"], "submit_result", **result)
    detail = act(people.gw, case["id"], "verify_fail", reason="仍有垃圾", photo_ids=[upload(people.gw)])
    assert detail["state"] == "in_progress" and detail["rework_count"] == 1
    act(people.team_staff, case["id"], "submit_result", **result)
    act(people.gw, case["id"], "verify_pass", photo_ids=[upload(people.gw)])
    detail = act(people.resident, case["id"], "rate", rating="unsatisfied", comment="又堆起来了")
    assert detail["state"] == "accepted" and detail["reopen_count"] == 1
    assert all(s["status"] == "released" for s in detail["summonses"])
    whistle_two(people, case["id"])
    act(people.team_staff, case["id"], "sign_in")
    act(people.team_staff, case["id"], "submit_result", **result)
    act(people.gw, case["id"], "verify_pass", photo_ids=[upload(people.gw)])
    detail = act(people.resident, case["id"], "rate", rating="unsatisfied")
    assert detail["state"] == "closed" and detail["reopen_count"] == 1


def test_community_handles_small_things(people):
    case = report(people.resident, code="V02-02")
    assert case["level"] == "community"
    assert act(people.hub, case["id"], "accept", expect=403)
    assert act(people.community, case["id"], "accept")["state"] == "community_handling"
    act(people.community, case["id"], "assign", assignee_id=user_id("demo-grid-worker-1"))
    act(people.community, case["id"], "assign", expect=422, assignee_id=user_id("demo-grid-worker-2"))
    act(people.gw, case["id"], "submit_result", note="已清理", photo_ids=[upload(people.gw)])
    refused = act(people.gw, case["id"], "verify_pass", expect=409, photo_ids=[upload(people.gw)])
    assert refused["error"]["code"] == "guard"   # nobody verifies their own work
    act(people.community, case["id"], "verify_pass", photo_ids=[upload(people.community)])
    assert act(people.resident, case["id"], "rate", rating="basically_satisfied")["state"] == "closed"


def test_community_escalates_to_the_township(people):
    case = report(people.resident, code="V02-02")
    act(people.community, case["id"], "accept")
    detail = act(people.community, case["id"], "escalate", reason="需要执法")
    assert (detail["state"], detail["level"]) == ("accepted", "township")
    assert "whistle" in people.hub.get(f"/api/mp/cases/{case['id']}/actions").json["actions"]


def test_escalation_to_the_county_platform(people, as_user):
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    detail = act(people.hub, case["id"], "escalate_to_county", reason="跨镇协调")
    assert (detail["state"], detail["level"]) == ("submitted", "county")
    act(people.hub, case["id"], "accept", expect=403)
    act(people.county, case["id"], "accept")
    detail = act(people.county, case["id"], "whistle", lead_department_id=department_id("D06"))
    assert detail["state"] == "dispatched"
    assert act(people.county_staff, case["id"], "sign_in")["state"] == "in_progress"
    act(people.county, case["id"], "supervise", note="请加快办理")
    assert db.session.get(Case, case["id"]).supervised


def test_merge_and_support(people):
    first = report(people.resident)
    duplicate = report(people.neighbour)
    near = people.neighbour.get(f"/api/mp/cases/similar?category_id={category_id('T06-02')}"
                                f"&lng=112.9933&lat=37.4238&coord_system=gcj02").json
    assert {c["id"] for c in near} >= {first["id"], duplicate["id"]}
    assert set(near[0]) == {"id", "category", "state", "created_at", "support_count", "distance_m"}
    detail = act(people.hub, duplicate["id"], "merge", into_case_id=first["id"])
    assert detail["state"] == "merged"
    act(people.hub, first["id"], "merge", expect=422, into_case_id=duplicate["id"])
    supported = people.neighbour.post(f"/api/mp/cases/{first['id']}/support",
                                      json={"lng": 112.9933, "lat": 37.4238, "coord_system": "gcj02"})
    assert supported.status_code == 200 and supported.json["support_count"] == 1
    assert supported.json["reporter"] is None and supported.json["timeline"][0]["payload"] == {}
    again = people.neighbour.post(f"/api/mp/cases/{first['id']}/support",
                                  json={"lng": 112.9933, "lat": 37.4238, "coord_system": "gcj02"})
    assert again.json["support_count"] == 1
    far = people.neighbour.post(f"/api/mp/cases/{first['id']}/support",
                                json={"lng": 113.1312, "lat": 37.3371, "coord_system": "gcj02"})
    assert far.status_code == 404


def test_cancel_reject_unreasonable_and_on_spot(people):
    cancelled = report(people.resident)
    assert act(people.resident, cancelled["id"], "cancel")["state"] == "cancelled"
    rejected = report(people.resident)
    act(people.hub, rejected["id"], "reject", expect=422)
    assert act(people.hub, rejected["id"], "reject", reason="重复反映")["state"] == "rejected"
    unreasonable = report(people.resident)
    act(people.hub, unreasonable["id"], "accept")
    assert act(people.hub, unreasonable["id"], "rule_unreasonable", reason="无理诉求")["state"] == "unreasonable"
    on_spot = report(people.gw)
    assert on_spot["channel"] == "patrol"
    detail = act(people.gw, on_spot["id"], "resolve_on_spot", note="已当场清理",
                 photo_ids=[upload(people.gw, (9, 9, 9))])
    assert detail["state"] == "closed" and not running(on_spot["id"])


def test_on_site_whistle_needs_arrival_before_the_result(people):
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    whistle_two(people, case["id"], on_site=True)
    assert len(running(case["id"], "arrival")) == 2
    act(people.team_staff, case["id"], "sign_in")
    act(people.team_staff, case["id"], "submit_result", expect=409, note="x",
        photo_ids=[upload(people.team_staff)])
    act(people.team_staff, case["id"], "arrive", lat=37.4237, lng=112.9932,
        photo_ids=[upload(people.team_staff, (5, 5, 5))])
    assert len(running(case["id"], "arrival")) == 1
    act(people.team_staff, case["id"], "submit_result", note="已处理", photo_ids=[upload(people.team_staff)])


def test_every_action_notifies_through_the_outbox(people):
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    effects = db.session.scalars(sa.select(OutboxEffect).where(
        OutboxEffect.case_id == case["id"]).order_by(OutboxEffect.id)).all()
    pushes = [(e.payload["event"], e.payload["seq"]) for e in effects if e.kind == "push"]
    assert pushes == [("submit", 1), ("accept", 2)]   # one per change, numbered like the log
    messages = [(e.recipient_id, e.payload["step"]) for e in effects if e.kind == "subscribe_message"]
    assert messages == [(user_id("demo-resident-1"), "accepted")]


def test_a_grant_for_a_department_makes_its_staff_see_summoned_cases(people, as_user):
    case = report(people.resident)
    assert people.county_staff.get(f"/api/mp/cases/{case['id']}").status_code == 404
    act(people.hub, case["id"], "accept")
    whistle_two(people, case["id"])
    assert people.county_staff.get(f"/api/mp/cases/{case['id']}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) > 0
