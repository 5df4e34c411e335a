"""The rules behind the matrix: no escalation, no leaks through nested output, no self-service
of roles or phones, the audit trail per county."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.log_privacy import MaskPhones
from backend.models import AuditEntry, Department, Grant, Region, User


def region_id(code):
    return db.session.scalar(sa.select(Region.id).where(Region.code == code))


def user(openid):
    return db.session.scalar(sa.select(User).where(User.openid == openid))


@pytest.fixture()
def gw1_also_county_admin(ctx):
    """Grid worker 1 also holds a county_admin grant (people wear two hats)."""
    gw1 = user("demo-grid-worker-1")
    db.session.add(Grant(user_id=gw1.id, role="county_admin", region_id=region_id("140730")))
    db.session.commit()
    return gw1


def test_a_lower_admin_cannot_disable_someone_holding_a_higher_role(as_user, gw1_also_county_admin):
    community = as_user("demo-community-admin-1")
    response = community.patch(f"/api/console/users/{gw1_also_county_admin.id}", json={"active": False})
    assert response.status_code == 403
    assert user("demo-grid-worker-1").active
    assert as_user("demo-county-admin").patch(f"/api/console/users/{gw1_also_county_admin.id}",
                                              json={"name": "李娜"}).status_code == 200


def test_nested_grants_show_only_what_the_viewer_may_see(as_user, gw1_also_county_admin):
    hub = as_user("demo-hub-dispatcher-1")
    shown = hub.get(f"/api/console/users/{gw1_also_county_admin.id}").json
    assert [g["role"] for g in shown["grants"]] == ["grid_worker"]
    listed = hub.get("/api/console/users?role=county_admin").json
    assert gw1_also_county_admin.id not in [u["id"] for u in listed]
    assert gw1_also_county_admin.id in [u["id"] for u in hub.get("/api/console/users?role=grid_worker").json]


def test_own_phone_and_roles_are_not_self_service(as_user):
    me = user("demo-hub-dispatcher-1")
    hub = as_user("demo-hub-dispatcher-1")
    assert hub.patch(f"/api/console/users/{me.id}", json={"phone": "13955556666"}).status_code == 403
    assert hub.patch(f"/api/console/users/{me.id}", json={"active": False}).status_code == 403
    assert hub.patch(f"/api/console/users/{me.id}", json={"name": "张伟伟"}).status_code == 200
    grant = hub.post(f"/api/console/users/{me.id}/grants",
                     json={"role": "grid_worker", "region_id": region_id("140730001001001")})
    assert grant.status_code == 403
    own = me.grants[0].id
    assert hub.delete(f"/api/console/grants/{own}").status_code == 403


def test_hubs_do_not_staff_departments(as_user):
    hub = as_user("demo-hub-dispatcher-1")
    gw = user("demo-grid-worker-1")
    team = db.session.scalar(sa.select(Department.id).where(Department.code == "D06-001"))
    response = hub.post(f"/api/console/users/{gw.id}/grants", json={"role": "dept_staff", "department_id": team})
    assert response.status_code == 403


def test_registered_numbers_do_not_leak_to_outsiders(as_user):
    resident = as_user("demo-resident-1")
    taken = user("demo-hub-dispatcher-1").phone
    answers = {resident.post("/api/console/users", json={
        "name": "探号", "phone": phone, "grant": {"role": "grid_worker",
                                                   "region_id": region_id("140730001001001")}}).status_code
               for phone in (taken, "13911112222")}
    assert answers == {404}


@pytest.mark.parametrize("viewer, holder", [
    ("demo-hub-dispatcher-1", "demo-county-admin"),
    ("demo-community-admin-1", "demo-hub-dispatcher-1"),
    ("demo-hub-dispatcher-1", "demo-hub-dispatcher-2"),
])
def test_no_revoking_upwards_or_sideways(as_user, viewer, holder):
    grant_id = user(holder).grants[0].id
    assert as_user(viewer).delete(f"/api/console/grants/{grant_id}").status_code in (403, 404)
    assert db.session.get(Grant, grant_id) is not None


def test_a_person_left_without_grants_stays_with_the_county(as_user):
    gw = user("demo-grid-worker-1")
    hub = as_user("demo-hub-dispatcher-1")
    assert hub.delete(f"/api/console/grants/{gw.grants[0].id}").status_code == 204
    assert hub.get(f"/api/console/users/{gw.id}").status_code == 404
    county = as_user("demo-county-admin")
    assert county.get(f"/api/console/users/{gw.id}").status_code == 200
    again = county.post(f"/api/console/users/{gw.id}/grants",
                        json={"role": "grid_worker", "region_id": region_id("140730001001001")})
    assert again.status_code == 201


def test_an_inactive_department_reaches_nothing(as_user):
    staff = as_user("demo-dept-staff-1")
    assert staff.get("/api/console/regions?level=county").json != []
    county = as_user("demo-county-admin")
    d06 = db.session.scalar(sa.select(Department.id).where(Department.code == "D06"))
    assert county.patch(f"/api/console/departments/{d06}", json={"active": False}).status_code == 200
    assert staff.get("/api/console/regions?level=county").json == []
    response = county.post(f"/api/console/users/{user('demo-grid-worker-2').id}/grants",
                           json={"role": "dept_staff", "department_id": d06})
    assert response.status_code == 422


def test_the_audit_trail_is_per_county(as_user):
    platform = as_user("demo-platform-admin")
    assert platform.post("/api/console/regions", json={"code": "990101", "name": "试验县",
                                                       "level": "county"}).status_code == 201
    county = as_user("demo-county-admin")
    d10 = db.session.scalar(sa.select(Department.id).where(Department.code == "D10"))
    county.patch(f"/api/console/departments/{d10}", json={"name": "自然资源和规划局"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2
    seen = county.get("/api/console/audit").json
    assert [e["action"] for e in seen] == ["department.update"]
    assert seen[0]["before"]["name"] == "青岚县自然资源局"
    assert as_user("demo-hub-dispatcher-1").get("/api/console/audit").json == []
    # 三员分立: the audit administrator reads the whole trail, the platform's acts included;
    # the platform administrator reads none of it.
    assert len(as_user("demo-audit-admin").get("/api/console/audit").json) == 2
    assert platform.get("/api/console/audit").json == []


def test_an_unchanged_patch_writes_no_audit(as_user):
    county = as_user("demo-county-admin")
    d10 = db.session.scalar(sa.select(Department.id).where(Department.code == "D10"))
    assert county.patch(f"/api/console/departments/{d10}", json={}).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_binding_a_phone_while_wechat_is_busy_writes_nothing(client, as_user, sim_control):
    resident = as_user("demo-resident-2")
    before = user("demo-resident-2").phone
    code = sim_control("POST", "/sim/phone-code", {"phone": "13822223333"})["code"]
    sim_control("POST", "/sim/faults", {"path": "/wxa/business/getuserphonenumber", "mode": "busy", "count": 1})
    response = resident.post("/api/mp/me/phone", json={"code": code})
    assert response.status_code == 503
    assert user("demo-resident-2").phone == before


def test_the_apps_access_log_masks_phones(app, caplog):
    # create_app put the mask on werkzeug's logger, which writes the access lines.
    assert any(isinstance(f, MaskPhones) for f in logging.getLogger("werkzeug").filters)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"GET /api/console/users?name=%s HTTP/1.1" 200', "13700002222")
    assert "137****2222" in caplog.text and "13700002222" not in caplog.text
