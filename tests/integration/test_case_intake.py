"""Intake: validation, idempotent retries, photos, content security, the machine channel."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog, IdempotencyKey, Photo
from backend.services import runtime
from tests.integration.case_helpers import IN_G1, act, category_id, jpeg, report, upload


@pytest.fixture()
def resident(as_user):
    return as_user("demo-resident-1")


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def body(**overrides):
    return {"client_id": "draft-intake-0001", "category_id": category_id("T06-01"),
            "description": "垃圾堆在路口", "lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02",
            "attributes": {"quantity": "large"}, **overrides}


def test_category_fields_are_validated_all_at_once(resident):
    fields = {f["key"]: f for f in next(
        c for t in resident.get("/api/mp/categories").json for c in t["children"]
        if c["category"]["code"] == "T06-01")["category"]["fields"]}
    assert fields["quantity"]["required"] is True
    response = resident.post("/api/mp/cases", json=body(attributes={"waste_types": "x", "colour": 1}))
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) >= {"attributes.quantity", "attributes.colour",
                                                     "attributes.waste_types"}
    assert count(Case) == 0


def test_a_retry_returns_the_first_case_and_a_different_body_is_refused(resident):
    option = resident.get("/api/mp/categories").json
    quantity = next(c for t in option for c in t["children"] if c["category"]["code"] == "T06-01")
    key = quantity["category"]["fields"][0]["options"][0]["key"]
    first = resident.post("/api/mp/cases", json=body(attributes={"quantity": key}))
    assert first.status_code == 201, first.json
    again = resident.post("/api/mp/cases", json=body(attributes={"quantity": key}))
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    changed = resident.post("/api/mp/cases", json=body(attributes={"quantity": key}, description="别的"))
    assert changed.status_code == 422 and changed.json["error"]["code"] == "idempotency_mismatch"
    assert count(Case) == 1 and count(IdempotencyKey) == 1
    assert count(CaseLog) == 1


def test_the_same_client_id_from_another_user_is_another_case(resident, as_user):
    first = report(resident, client_id="shared-draft-id")
    second = report(as_user("demo-resident-2"), client_id="shared-draft-id")
    assert first["id"] != second["id"]


def test_outside_the_county_and_unknown_category(resident):
    response = resident.post("/api/mp/cases", json=body(lng=112.80, lat=37.40))
    assert response.status_code == 422 and response.json["error"]["code"] == "outside_county"
    response = resident.post("/api/mp/cases", json=body(category_id=category_id("T06")))
    assert response.status_code == 422 and "category_id" in response.json["error"]["fields"]
    response = resident.post("/api/mp/cases", json=body(category_id=999999))
    assert response.status_code == 422
    assert count(Case) == 0


def test_photos_upload_attach_and_limits(resident, as_user):
    ids = [upload(resident, (i * 20, 10, 10)) for i in range(10)]
    response = resident.post("/api/mp/cases", json=body(photo_ids=ids, attributes={"quantity": "large"}))
    assert response.status_code == 422 and "photo_ids" in response.json["error"]["fields"]
    stranger_photo = upload(as_user("demo-resident-2"), (1, 200, 1))
    case = report(resident, photo_ids=[ids[0], stranger_photo], expect=422)
    assert "photo_ids" in case["error"]["fields"]
    case = report(resident, photo_ids=ids[:9])
    detail = resident.get(f"/api/mp/cases/{case['id']}").json
    assert [p["purpose"] for p in detail["photos"]] == ["report"] * 9
    thumb = resident.get(f"/api/mp/photos/{ids[0]}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert as_user("demo-hub-dispatcher-2").get(f"/api/mp/photos/{ids[0]}/display").status_code == 404
    assert as_user("demo-hub-dispatcher-1").get(f"/api/mp/photos/{ids[0]}/display").status_code == 200


def test_the_same_photo_twice_is_one_photo(resident):
    first, second = upload(resident), upload(resident)
    assert first == second and count(Photo) == 1


@pytest.mark.parametrize("data, code", [(b"not an image at all", "photo_not_an_image"),
                                        (jpeg()[:200], "photo_truncated"), (b"", "photo_empty")])
def test_bad_uploads(resident, data, code):
    response = resident.post("/api/mp/photos", data={"file": (io.BytesIO(data), "x.jpg")},
                             content_type="multipart/form-data")
    assert response.status_code == 422 and response.json["error"]["code"] == code
    assert count(Photo) == 0


def test_risky_text_is_refused(resident):
    response = resident.post("/api/mp/cases", json=body(description="有人在这里赌博", attributes={"quantity": "large"}))
    assert response.status_code == 422 and response.json["error"]["code"] == "content_risky"
    assert count(Case) == 0


def test_wechat_down_takes_the_case_and_checks_later(app, resident, sim_control):
    sim_control("POST", "/sim/faults", {"path": "/wxa/msg_sec_check", "mode": "busy", "count": 1})
    case = report(resident)
    assert case["content_check"] == "pending"
    from backend.services.cases import content_check
    outcomes = content_check.decide(runtime.of(app).wechat, content_check.pending())
    assert content_check.record(outcomes) == {"passed": 1, "review": 0, "pending": 0}
    db.session.commit()
    assert db.session.get(Case, case["id"]).content_check == "passed"


def test_an_overlapping_recheck_keeps_the_verdict_written_first(app, resident, sim_control):
    sim_control("POST", "/sim/faults", {"path": "/wxa/msg_sec_check", "mode": "busy", "count": 1})
    case = report(resident)
    from backend.services.cases import content_check
    content_check.reset_back_off()
    assert content_check.record({case["id"]: "passed"}) == {"passed": 1, "review": 0, "pending": 0}
    # the other run asked WeChat before this one wrote, and heard something else
    assert content_check.record({case["id"]: "review"}) == {"passed": 0, "review": 0, "pending": 0}
    db.session.commit()
    assert db.session.get(Case, case["id"]).content_check == "passed"


def test_machines_report_with_an_api_key(client, as_user):
    admin = as_user("demo-county-admin")
    county = admin.get("/api/console/regions?level=county").json[0]["id"]
    created = admin.post("/api/console/api-clients", json={"name": "积水传感器网", "kind": "sensor",
                                                           "region_id": county})
    assert created.status_code == 201
    key = created.json["key"]
    payload = {**body(client_id="sensor-0001-abc"), "description": "3号井水位超限"}
    response = client.post("/api/console/intake/cases", json=payload, headers={"X-Api-Key": key})
    assert response.status_code == 201, response.json
    assert response.json["channel"] == "sensor"
    assert client.post("/api/console/intake/cases", json=payload,
                       headers={"X-Api-Key": key}).json["id"] == response.json["id"]
    assert client.post("/api/console/intake/cases", json=payload,
                       headers={"X-Api-Key": "sbk_wrong"}).status_code == 401
    assert client.post("/api/console/intake/cases", json=payload).status_code == 401
    admin.delete(f"/api/console/api-clients/{created.json['client']['id']}")
    assert client.post("/api/console/intake/cases", json={**payload, "client_id": "sensor-0002-abc"},
                       headers={"X-Api-Key": key}).status_code == 401


def test_stale_versions_and_racing_departments(as_user):
    resident, hub = as_user("demo-resident-1"), as_user("demo-hub-dispatcher-1")
    case = report(resident)
    version = hub.get(f"/api/mp/cases/{case['id']}").json["version"]
    first = hub.post(f"/api/mp/cases/{case['id']}/actions/accept", json={"version": version, "payload": {}})
    assert first.status_code == 200
    second = hub.post(f"/api/mp/cases/{case['id']}/actions/reject",
                      json={"version": version, "payload": {"reason": "x"}})
    assert second.status_code == 409 and second.json["error"]["code"] == "stale"
    from tests.integration.case_helpers import department_id
    act(hub, case["id"], "whistle", lead_department_id=department_id("D06-001"),
        co_department_ids=[department_id("D06")])
    lead, co = as_user("demo-dept-staff-2"), as_user("demo-dept-staff-1")
    version = hub.get(f"/api/mp/cases/{case['id']}").json["version"]
    answers = [caller.post(f"/api/mp/cases/{case['id']}/actions/sign_in",
                           json={"version": version, "payload": {}}).status_code for caller in (co, lead)]
    assert answers == [200, 409]
    assert act(lead, case["id"], "sign_in")["state"] == "in_progress"
    log = db.session.scalars(sa.select(CaseLog.seq).where(CaseLog.case_id == case["id"])
                             .order_by(CaseLog.seq)).all()
    assert log == list(range(1, len(log) + 1))


def test_wrong_state_wrong_actor_and_unknown_action(as_user):
    resident, hub = as_user("demo-resident-1"), as_user("demo-hub-dispatcher-1")
    case = report(resident)
    assert act(hub, case["id"], "whistle", expect=409, lead_department_id=1)["error"]["code"] == "wrong_state"
    assert act(resident, case["id"], "accept", expect=403)["error"]["code"] == "not_allowed"
    assert act(hub, case["id"], "fly_away", expect=404)["error"]["code"] == "unknown_action"
    act(hub, case["id"], "accept")
    refused = act(hub, case["id"], "whistle", expect=422, lead_department_id=999999)
    assert "lead_department_id" in refused["error"]["fields"]
    other_hub = as_user("demo-hub-dispatcher-2")
    response = other_hub.post(f"/api/mp/cases/{case['id']}/actions/whistle",
                              json={"version": 1, "payload": {"lead_department_id": 1}})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_after_wechat_fails_reports_skip_the_check_for_a_while(resident, sim_control):
    sim_control("POST", "/sim/faults", {"path": "/wxa/msg_sec_check", "mode": "busy", "count": 1})
    assert report(resident)["content_check"] == "pending"
    calls = sim_control("GET", "/sim/calls")["calls"].get("/wxa/msg_sec_check", 0)
    assert report(resident)["content_check"] == "pending"   # WeChat is not asked again yet
    assert sim_control("GET", "/sim/calls")["calls"].get("/wxa/msg_sec_check", 0) == calls


def test_where_a_photo_was_taken_is_told_only_to_its_own_uploader(as_user):
    from PIL import Image
    image = Image.new("RGB", (40, 30), (9, 90, 9))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (37.0, 25.0, 0.0), 3: "E", 4: (112.0, 59.0, 0.0)})
    with_gps, plain = io.BytesIO(), io.BytesIO()
    image.save(with_gps, "JPEG", exif=exif)
    image.save(plain, "JPEG")
    first = as_user("demo-resident-1").post("/api/mp/photos", content_type="multipart/form-data",
                                            data={"file": (io.BytesIO(with_gps.getvalue()), "a.jpg")})
    assert first.status_code == 201 and first.json["gps_lat"] == pytest.approx(37 + 25 / 60)
    second = as_user("demo-resident-2").post("/api/mp/photos", content_type="multipart/form-data",
                                             data={"file": (io.BytesIO(plain.getvalue()), "b.jpg")})
    assert second.json["id"] == first.json["id"]      # the same pixels: one stored photo
    assert second.json["gps_lat"] is None and second.json["taken_at"] is None
