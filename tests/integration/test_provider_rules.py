"""Bad input and the rules around providers and offerings: each refusal names its field."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, OfferingSlot, User
from tests.integration.case_helpers import upload, user_id
from tests.integration.provider_helpers import (
    DEMO_APPLICATION_CODE,
    DEMO_PROVIDER_CODE,
    application,
    apply,
    create_offering,
    listed,
    new_code,
    offering_id,
    provider_id,
    region_id,
    review,
    slot_specs,
)


@pytest.mark.parametrize(("code", "says"), [
    ("52140730MA0LQ3C4D6", "check character"),
    ("52140730MA0LQ3C4D", "18 characters"),
    ("52140730MA0LQ3C4DO", "O"),
])
def test_an_invalid_credit_code_is_a_field_error(as_user, code, says):
    resident = as_user("demo-resident-1")
    response = resident.post("/api/mp/providers", json=application(resident, code=code))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_credit_code"
    assert says in response.json["error"]["fields"]["credit_code"][0]


def test_a_duplicate_credit_code_is_409_until_the_first_is_rejected(as_user):
    resident, admin = as_user("demo-resident-1"), as_user("demo-county-admin")
    response = resident.post("/api/mp/providers", json=application(resident, code=DEMO_PROVIDER_CODE.lower()))
    assert response.status_code == 409 and response.json["error"]["code"] == "duplicate_credit_code"
    review(admin, provider_id(DEMO_APPLICATION_CODE), "reject", reason="材料不实")
    again = apply(resident, code=DEMO_APPLICATION_CODE)  # a new application, a new timeline
    assert [e["action"] for e in again["timeline"]] == ["apply"]


@pytest.mark.parametrize(("change", "field"), [
    ({"area_region_ids": [999999]}, "area_region_ids"),
    ({"categories": ["cooking"]}, "categories.0"),
    ({"contact_phone": "12345"}, "contact_phone"),
    ({"licence_photo_ids": []}, "licence_photo_ids"),
    ({"licence_photo_ids": [999999]}, "licence_photo_ids"),
])
def test_application_fields_are_checked(as_user, change, field):
    resident = as_user("demo-resident-1")
    body = application(resident) | change
    response = resident.post("/api/mp/providers", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json


def test_grids_are_not_service_areas_and_others_photos_are_not_yours(as_user):
    resident, other = as_user("demo-resident-1"), as_user("demo-resident-2")
    body = application(resident, areas=("140730001001001",))
    assert resident.post("/api/mp/providers", json=body).json["error"]["fields"]["area_region_ids"]
    theirs = upload(other, colour=(7, 7, 7))  # photos are shared by content: a colour only they sent
    response = resident.post("/api/mp/providers", json=application(resident) | {"licence_photo_ids": [theirs]})
    assert response.status_code == 422 and "licence_photo_ids" in response.json["error"]["fields"]


def test_the_same_client_id_returns_the_first_application(as_user):
    resident = as_user("demo-resident-1")
    body = application(resident, client_id="apply-0001-abcd")
    first = resident.post("/api/mp/providers", json=body)
    again = resident.post("/api/mp/providers", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]


def test_review_refusals(as_user):
    admin, hub = as_user("demo-county-admin"), as_user("demo-hub-dispatcher-1")
    pid = provider_id(DEMO_APPLICATION_CODE)
    assert review(admin, pid, "approve", expect=422, sub_mchid="19x")["error"]["fields"] == {
        "sub_mchid": ["must be 8 to 12 digits"]}
    assert review(admin, pid, "approve", expect=409, sub_mchid="1900000101")["error"]["code"] == "sub_mchid_in_use"
    assert review(admin, pid, "reject", expect=422)["error"]["fields"] == {"reason": ["required"]}
    assert review(admin, pid, "suspend", expect=409, reason="x")["error"]["code"] == "wrong_state"
    assert review(as_user("demo-provider-applicant-1"), pid, "approve", expect=403,
                  sub_mchid="1900000102")["error"]["code"] == "not_allowed"
    assert hub.post(f"/api/console/providers/{pid}/actions/approve",
                    json={"version": 1, "payload": {"sub_mchid": "1900000102"}}).status_code == 404
    stale = admin.post(f"/api/console/providers/{pid}/actions/approve",
                       json={"version": 99, "payload": {"sub_mchid": "1900000102"}})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale"


def test_offering_rules(as_user):
    staff = as_user("demo-provider-staff-1")
    pid = provider_id(DEMO_PROVIDER_CODE)
    assert create_offering(staff, pid, expect=422, category="childcare")["error"]["code"] == "category_not_certified"
    admin = as_user("demo-county-admin")
    narrow = apply(as_user("demo-resident-2"), areas=("140730001",))
    review(admin, narrow["id"], "approve", sub_mchid="1900000555")
    outside = create_offering(as_user("demo-resident-2"), narrow["id"], expect=422,
                              area_region_ids=[region_id("140730100")])
    assert outside["error"]["code"] == "area_outside_provider"
    assert create_offering(staff, pid, expect=422, price_fen=0)["error"]["fields"]["price_fen"]
    assert create_offering(staff, pid, expect=422, price_fen=10_000_001)["error"]["fields"]["price_fen"]
    assert create_offering(staff, pid, expect=422, price_fen=12.5)["error"]["fields"]["price_fen"]
    assert create_offering(staff, pid, expect=422, unit="week")["error"]["fields"]["unit"]
    # The county sees the offerings but does not run the provider's business.
    oid = offering_id("家政保洁")
    assert admin.get(f"/api/console/offerings/{oid}").status_code == 200
    assert admin.post(f"/api/console/offerings/{oid}/unlist", json={}).status_code == 403


def test_a_suspended_providers_offering_cannot_be_listed(as_user):
    staff, admin = as_user("demo-provider-staff-1"), as_user("demo-county-admin")
    pid = provider_id(DEMO_PROVIDER_CODE)
    draft = create_offering(staff, pid)
    review(admin, pid, "suspend", reason="投诉核实中")
    assert listed(staff, draft["id"], expect=409)["error"]["code"] == "provider_not_approved"
    assert staff.patch(f"/api/console/offerings/{draft['id']}", json={"price_fen": 7000}).status_code == 200


def test_provider_areas_cannot_shrink_under_an_offering(as_user):
    staff = as_user("demo-provider-staff-1")
    pid = provider_id(DEMO_PROVIDER_CODE)
    response = staff.patch(f"/api/console/providers/{pid}", json={"area_region_ids": [region_id("140730100")]})
    assert response.status_code == 422 and response.json["error"]["code"] == "offerings_outside_area"
    assert staff.patch(f"/api/console/providers/{pid}", json={"name": "改名"}).status_code == 403
    ok = staff.patch(f"/api/console/providers/{pid}", json={"contact_phone": "0354-3012345"})
    assert ok.status_code == 200 and ok.json["contact_phone"] != "0354-3012345"


def test_slot_capacity_never_goes_below_booked(as_user):
    staff = as_user("demo-provider-staff-1")
    oid = offering_id("家政保洁")
    created = staff.post(f"/api/console/offerings/{oid}/slots", json={"slots": slot_specs(1, capacity=3)})
    assert created.status_code == 201, created.json
    slot_id = created.json[0]["id"]
    db.session.get(OfferingSlot, slot_id).booked = 2  # two orders, as the order service counts them
    db.session.commit()
    low = staff.patch(f"/api/console/offerings/{oid}/slots/{slot_id}", json={"capacity": 1})
    assert low.status_code == 409 and low.json["error"]["code"] == "capacity_below_booked"
    assert staff.patch(f"/api/console/offerings/{oid}/slots/{slot_id}", json={"capacity": 2}).json["available"] == 0
    assert staff.delete(f"/api/console/offerings/{oid}/slots/{slot_id}").status_code == 409
    again = staff.post(f"/api/console/offerings/{oid}/slots", json={"slots": slot_specs(1)})
    assert again.status_code == 409 and again.json["error"]["code"] == "slot_exists"
    past = slot_specs(1)[0] | {"starts_at": "2020-01-01T01:00:00+00:00", "ends_at": "2020-01-01T02:00:00+00:00"}
    assert staff.post(f"/api/console/offerings/{oid}/slots", json={"slots": [past]}).status_code == 422


def test_staff_by_phone(as_user):
    staff, admin = as_user("demo-provider-staff-1"), as_user("demo-county-admin")
    pid = provider_id(DEMO_PROVIDER_CODE)
    added = staff.post(f"/api/console/providers/{pid}/staff", json={"name": "新员工", "phone": "13700002222"})
    assert added.status_code == 201, added.json
    assert added.json["phone"] == "137****2222" and added.json["claimed"] is False
    user = db.session.scalar(sa.select(User).where(User.phone == "13700002222"))
    assert user.openid is None  # provisioned: claimed by binding the phone in the mini-program
    existing = admin.post(f"/api/console/providers/{pid}/staff", json={"name": "王秀英", "phone": "13934127865"})
    assert existing.status_code == 201 and existing.json["user_id"] == user_id("demo-resident-1")
    assert admin.post(f"/api/console/providers/{pid}/staff",
                      json={"name": "王秀英", "phone": "13934127865"}).status_code == 409
    names = {m["name"] for m in staff.get(f"/api/console/providers/{pid}/staff").json}
    assert names == {"冯晓梅", "新员工", "王秀英"}
    # The new staff member works at once: sees the provider, manages its offerings.
    resident = as_user("demo-resident-1")
    assert resident.get(f"/api/console/providers/{pid}").status_code == 200
    assert create_offering(resident, pid)["status"] == "draft"
    own = next(m for m in staff.get(f"/api/console/providers/{pid}/staff").json if m["name"] == "冯晓梅")
    assert staff.delete(f"/api/console/providers/{pid}/staff/{own['grant_id']}").status_code == 403
    assert staff.delete(f"/api/console/providers/{pid}/staff/{existing.json['grant_id']}").status_code == 204
    assert resident.get(f"/api/console/providers/{pid}").status_code == 404
    assert as_user("demo-hub-dispatcher-1").get(f"/api/console/providers/{pid}/staff").status_code == 404
    assert not db.session.scalar(sa.select(Grant.id).where(Grant.id == existing.json["grant_id"]))
    not_a_phone = {"name": "x", "phone": "23700002222"}
    assert staff.post(f"/api/console/providers/{pid}/staff", json=not_a_phone).status_code == 422


def test_new_code_helper_makes_valid_codes():
    from backend.services.providers.credit_code import is_valid
    assert is_valid(new_code())
