"""Provider onboarding end to end over HTTP: apply with photos, request more, resubmit,
approve (the applicant becomes staff), an offering listed in the catalogue where it is sold
and nowhere else, suspension empties the catalogue at once, reinstatement restores it."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Grant, ProviderLog
from tests.integration.case_helpers import upload, user_id
from tests.integration.provider_helpers import (
    apply,
    catalogue_ids,
    create_offering,
    listed,
    region_id,
    review,
    slot_specs,
)


def test_onboarding_end_to_end(as_user):
    applicant, admin = as_user("demo-resident-2"), as_user("demo-county-admin")
    outsider = as_user("demo-resident-1")
    qualification = upload(applicant, colour=(10, 200, 30))
    provider = apply(applicant, areas=("140730001",), qualification_photo_ids=[qualification])
    pid = provider["id"]
    assert provider["status"] == "applied" and provider["actions"] == []
    assert {d["kind"] for d in provider["documents"]} == {"licence", "qualification"}
    assert "****" in provider["contact_phone"]

    # The county reviews it and can open the applicant's photos; others cannot see it.
    seen = admin.get(f"/api/console/providers/{pid}").json
    assert seen["actions"] == ["request_more", "approve", "reject"]
    assert admin.get(f"/api/mp/photos/{qualification}/thumbnail").status_code == 200
    assert outsider.get(f"/api/console/providers/{pid}").status_code == 404
    assert outsider.get(f"/api/mp/photos/{qualification}/thumbnail").status_code == 404

    review(admin, pid, "request_more", reason="请补充食品经营许可证")
    mine = applicant.get("/api/mp/providers").json
    assert mine[0]["status"] == "more_requested" and mine[0]["status_reason"] == "请补充食品经营许可证"
    version = applicant.get(f"/api/mp/providers/{pid}").json["version"]
    edited = applicant.put(f"/api/mp/providers/{pid}", json={
        "version": version, "categories": ["elderly_care", "housekeeping"],
        "qualification_photo_ids": [qualification, upload(applicant, colour=(1, 2, 250))]})
    assert edited.status_code == 200, edited.json
    response = applicant.post(f"/api/mp/providers/{pid}/resubmit",
                              json={"version": edited.json["version"], "payload": {"note": "已补充"}})
    assert response.status_code == 200 and response.json["status"] == "applied", response.json

    approved = review(admin, pid, "approve", sub_mchid="1900000999")
    assert approved["status"] == "approved" and approved["sub_mchid"] == "1900000999"
    assert [e["action"] for e in approved["timeline"]] == ["apply", "request_more", "resubmit", "approve"]
    assert db.session.scalar(sa.select(Grant.id).where(
        Grant.user_id == user_id("demo-resident-2"), Grant.role == "provider_staff", Grant.provider_id == pid))
    audited = set(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "provider", AuditEntry.object_id == str(pid))))
    assert {"provider.apply", "provider.request_more", "provider.update", "provider.resubmit",
            "provider.approve"} <= audited

    # The new staff member runs the provider: an offering, slots, listed.
    offering = create_offering(applicant, pid, area_region_ids=[region_id("140730001001")])
    oid = offering["id"]
    assert offering["status"] == "draft"
    slots = applicant.post(f"/api/console/offerings/{oid}/slots", json={"slots": slot_specs()})
    assert slots.status_code == 201, slots.json
    assert oid not in catalogue_ids(outsider, "140730001001001")  # a draft is not for sale
    listed(applicant, oid)
    assert oid in catalogue_ids(outsider, "140730001001001")       # a grid inside the community
    assert oid in catalogue_ids(outsider, "140730001001")
    assert oid not in catalogue_ids(outsider, "140730001002")      # another community
    assert oid not in catalogue_ids(outsider, "140730100001001")   # another township
    detail = outsider.get(f"/api/mp/services/{oid}")
    assert detail.status_code == 200 and len(detail.json["slots"]) == 2
    assert detail.json["provider"]["name"] == "凤鸣社区助老服务站"

    review(admin, pid, "suspend", reason="投诉核实中")
    assert oid not in catalogue_ids(outsider, "140730001001001")
    assert outsider.get(f"/api/mp/services/{oid}").status_code == 404
    assert listed(applicant, oid, listed=False)["status"] == "unlisted"
    assert listed(applicant, oid, expect=409)["error"]["code"] == "provider_not_approved"

    review(admin, pid, "reinstate")
    listed(applicant, oid)
    assert oid in catalogue_ids(outsider, "140730001001001")
    rows = db.session.scalars(sa.select(ProviderLog.action).where(ProviderLog.provider_id == pid)
                              .order_by(ProviderLog.seq)).all()
    assert rows == ["apply", "request_more", "resubmit", "approve", "suspend", "reinstate"]


def test_the_catalogue_searches_text_and_category(as_user):
    resident = as_user("demo-resident-1")
    everything = catalogue_ids(resident, "140730001001001")
    assert len(everything) == 3  # the demo provider's three, county-wide and in 凤鸣街道
    assert len(catalogue_ids(resident, "140730100001001")) == 2  # 水电维修 is sold in 凤鸣街道 only
    assert len(catalogue_ids(resident, "140730001001001", q="助浴")) == 1
    assert len(catalogue_ids(resident, "140730001001001", q="颐康")) == 3   # the provider's name
    assert len(catalogue_ids(resident, "140730001001001", q="%")) == 0
    assert len(catalogue_ids(resident, "140730001001001", category="repairs")) == 1
    entry = resident.get("/api/mp/services", query_string={"region_id": region_id("140730"), "q": "保洁"}).json[0]
    assert entry["provider"]["rating_average"] is None and entry["provider"]["rating_count"] == 0
    assert resident.get("/api/mp/services").status_code == 422
    assert resident.get("/api/mp/services", query_string={"region_id": 999999}).status_code == 422


def test_what_the_order_service_asks(ctx):
    """serves / orderable: a resident learns only "not found" or "not served here"."""
    import pytest

    from backend.models import Offering, Provider, Region
    from backend.services.errors import Invalid, NotFound
    from backend.services.providers import offerings
    from tests.integration.provider_helpers import DEMO_PROVIDER_CODE, offering_id

    def path(code):
        return db.session.scalar(sa.select(Region.path).where(Region.code == code))

    repairs = db.session.get(Offering, offering_id("水电维修"))  # sold in 凤鸣街道 only
    assert offerings.serves(repairs, path("140730001001001"))
    assert not offerings.serves(repairs, path("140730100001001"))
    assert offerings.orderable(repairs.id, path("140730001001")) is repairs
    with pytest.raises(Invalid) as outside:
        offerings.orderable(repairs.id, path("140730100"))
    assert outside.value.code == "area_not_served" and outside.value.status == 422
    with pytest.raises(NotFound):
        offerings.orderable(999999, path("140730001"))
    provider = db.session.scalar(sa.select(Provider).where(Provider.credit_code == DEMO_PROVIDER_CODE))
    provider.status = "suspended"
    db.session.flush()
    with pytest.raises(NotFound):
        offerings.orderable(repairs.id, path("140730001"))
    provider.status = "approved"
    repairs.status = "unlisted"
    db.session.flush()
    with pytest.raises(NotFound):
        offerings.orderable(repairs.id, path("140730001"))


def test_the_endpoints_are_in_the_api_description(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in ("/api/mp/providers", "/api/mp/providers/{provider_id}/resubmit", "/api/mp/services",
                 "/api/mp/services/{offering_id}", "/api/console/providers/{provider_id}/actions/{action}",
                 "/api/console/providers/{provider_id}/staff", "/api/console/providers/{provider_id}/offerings",
                 "/api/console/offerings/{offering_id}/slots/{slot_id}"):
        assert path in paths, path
