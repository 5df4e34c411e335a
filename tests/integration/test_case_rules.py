"""The rules around the flow: privacy of followers and anonymous reporters, whom a hub may
summon, 属地兜底, self-verification, stale requests, settled summonses, on-site check-ins."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, OutboxEffect, Summons
from backend.services.cases import content_check
from tests.integration.case_helpers import IN_G1, IN_G2, act, category_id, department_id, report, upload

NEAR = {"lng": 112.9933, "lat": 37.4238, "coord_system": "gcj02"}


@pytest.fixture()
def p(as_user):
    names = {"resident": "demo-resident-1", "neighbour": "demo-resident-2", "gw": "demo-grid-worker-1",
             "community": "demo-community-admin-1", "hub": "demo-hub-dispatcher-1",
             "county_staff": "demo-dept-staff-1", "lead": "demo-dept-staff-2", "county": "demo-county-admin"}
    return type("People", (), {k: as_user(v) for k, v in names.items()})


def whistled(p, **extra):
    case = report(p.resident, photo_ids=[upload(p.resident)], **extra)["id"]
    act(p.hub, case, "accept")
    act(p.hub, case, "whistle", lead_department_id=department_id("D06-001"),
        co_department_ids=[department_id("D06")], note="内部安排")
    return case


def test_a_follower_sees_the_public_view_only(p):
    case = whistled(p)
    photo = p.resident.get(f"/api/mp/cases/{case}").json["photos"][0]["photo_id"]
    assert p.neighbour.post(f"/api/mp/cases/{case}/support", json=NEAR).status_code == 200
    view = p.neighbour.get(f"/api/mp/cases/{case}").json
    assert view["description"] is None and view["address"] is None and view["lat"] is None
    assert view["photos"] == [] and view["summonses"] == [] and view["reporter"] is None
    assert all(t["actor"] is None and t["payload"] == {} for t in view["timeline"])
    assert p.neighbour.get(f"/api/mp/photos/{photo}/display").status_code == 404
    listed = p.neighbour.get("/api/mp/cases?scope=supported").json
    assert [c["id"] for c in listed] == [case]
    assert listed[0]["description"] is None and listed[0]["lat"] is None
    reporter_view = p.resident.get(f"/api/mp/cases/{case}").json
    whistle = next(t for t in reporter_view["timeline"] if t["action"] == "whistle")
    assert whistle["payload"] == {} and reporter_view["supporters"] == []
    assert p.hub.get(f"/api/mp/cases/{case}").json["supporters"][0]["phone"].count("*") == 4


def test_similar_never_offers_anonymous_or_unchecked_cases(p, sim_control):
    anonymous = report(p.resident, anonymous=True)["id"]
    sim_control("POST", "/sim/faults", {"path": "/wxa/msg_sec_check", "mode": "busy", "count": 1})
    unchecked = report(p.resident)["id"]
    content_check.reset_back_off()   # WeChat is back
    plain = report(p.resident)["id"]
    near = p.neighbour.get(f"/api/mp/cases/similar?category_id={category_id('T06-02')}"
                           f"&lng={NEAR['lng']}&lat={NEAR['lat']}&coord_system=gcj02").json
    assert {c["id"] for c in near} == {plain}
    assert all(c["distance_m"] % 10 == 0 for c in near)
    for hidden in (anonymous, unchecked):
        assert p.neighbour.post(f"/api/mp/cases/{hidden}/support", json=NEAR).status_code == 404


def test_anonymous_reporters_are_unnamed_in_the_timeline(p):
    case = report(p.resident, anonymous=True)["id"]
    assert p.hub.get(f"/api/mp/cases/{case}").json["timeline"][0]["actor"] is None
    assert p.resident.get(f"/api/mp/cases/{case}").json["timeline"][0]["actor"] is not None


def test_a_hub_summons_only_departments_it_may_see(p):
    case = report(p.resident)["id"]
    act(p.hub, case, "accept")
    refused = act(p.hub, case, "whistle", expect=422, lead_department_id=department_id("D07-101"))
    assert "lead_department_id" in refused["error"]["fields"]


def test_the_level_above_acts_where_nobody_is_staffed(p):
    township_case = report(p.resident, at=IN_G2)["id"]            # 龙泉镇 has no hub dispatcher
    assert act(p.county, township_case, "accept")["state"] == "accepted"
    village_case = report(p.resident, code="V02-02", at=IN_G2)["id"]   # 石门村: no admin, no hub
    assert act(p.county, village_case, "accept")["state"] == "community_handling"
    staffed = report(p.resident)["id"]                             # 凤鸣街道 has its hub
    act(p.county, staffed, "accept", expect=403)


def test_patrol_reports_close_at_verification_and_nobody_verifies_their_own_work(p):
    case = report(p.gw)["id"]
    act(p.hub, case, "accept")
    act(p.hub, case, "whistle", lead_department_id=department_id("D06-001"))
    act(p.lead, case, "sign_in")
    act(p.lead, case, "request_extension", days=2, reason="等材料")
    act(p.lead, case, "submit_result", note="已修复", photo_ids=[upload(p.lead)])
    assert db.session.get(Case, case).extension_pending is None
    detail = act(p.gw, case, "verify_pass", photo_ids=[upload(p.gw)])
    assert detail["state"] == "closed"
    assert {s["status"] for s in detail["summonses"]} == {"released"}


def test_summonses_are_settled_and_queues_forget_closed_cases(p):
    case = whistled(p)
    act(p.lead, case, "sign_in")          # the co-handler never reports in
    act(p.lead, case, "submit_result", note="done", photo_ids=[upload(p.lead)])
    act(p.gw, case, "verify_pass", photo_ids=[upload(p.gw)])
    act(p.resident, case, "rate", rating="satisfied")
    statuses = db.session.scalars(sa.select(Summons.status).where(Summons.case_id == case)).all()
    assert set(statuses) == {"released"}
    assert case not in {c["id"] for c in p.county_staff.get("/api/console/cases?queue=awaiting_me").json}


def test_an_on_site_check_in_is_made_on_site(p):
    case = report(p.resident)["id"]
    act(p.hub, case, "accept")
    act(p.hub, case, "whistle", lead_department_id=department_id("D06-001"), on_site=True)
    act(p.lead, case, "sign_in")
    far = act(p.lead, case, "arrive", expect=422, lat=37.45, lng=112.99, photo_ids=[upload(p.lead)])
    assert far["error"]["code"] == "not_on_site"
    act(p.lead, case, "arrive", lat=IN_G1[1], lng=IN_G1[0], photo_ids=[upload(p.lead, (4, 4, 4))])


def test_merging_brings_the_duplicates_people_along(p):
    kept = report(p.resident)["id"]
    duplicate = report(p.neighbour)["id"]
    act(p.hub, duplicate, "merge", into_case_id=kept)
    assert p.neighbour.get(f"/api/mp/cases/{kept}").status_code == 200
    timeline = p.hub.get(f"/api/mp/cases/{kept}").json["timeline"]
    assert timeline[-1]["action"] == "merged_in" and timeline[-1]["payload"]["case_id"] == duplicate
    assert p.hub.get(f"/api/mp/cases/{kept}").json["support_count"] == 1
    pushes = db.session.scalars(sa.select(OutboxEffect.payload).where(
        OutboxEffect.case_id == kept, OutboxEffect.kind == "push").order_by(OutboxEffect.id)).all()
    assert pushes[-1] == {"case_id": kept, "event": "merged_in", "seq": timeline[-1]["seq"]}
