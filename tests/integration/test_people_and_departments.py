"""Departments, people and grants through the console, with the rules on who may do what."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Department, Region, User


def region_id(code):
    return db.session.scalar(sa.select(Region.id).where(Region.code == code))


def dept_id(code):
    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def user_id(openid):
    return db.session.scalar(sa.select(User.id).where(User.openid == openid))


def test_county_admin_adds_a_stationed_team(as_user):
    admin = as_user("demo-county-admin")
    response = admin.post("/api/console/departments", json={
        "code": "D06-100", "name": "青岚县城市管理局柳河执法中队",
        "region_id": region_id("140730100"), "parent_id": dept_id("D06")})
    assert response.status_code == 201, response.json
    assert response.json["region"]["code"] == "140730100"
    hub = as_user("demo-hub-dispatcher-2")
    assert hub.get(f"/api/console/departments/{response.json['id']}").status_code == 200
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.object_type == "department"))


@pytest.mark.parametrize("body, status, field", [
    ({"code": "D11", "name": "新局", "region": "140730001"}, 422, "region_id"),
    ({"code": "D11", "name": "新局", "region": "140730001", "parent": "D06-001"}, 422, "parent_id"),
    ({"code": "D11", "name": "新局", "region": "140730001001", "parent": "D06"}, 422, "region_id"),
    ({"code": "D06", "name": "重复", "region": "140730"}, 409, "code"),
    ({"code": "D 11", "name": "新局", "region": "140730"}, 422, "code"),
])
def test_department_rules(as_user, body, status, field):
    body = dict(body)
    body["region_id"] = region_id(body.pop("region"))
    if "parent" in body:
        body["parent_id"] = dept_id(body.pop("parent"))
    response = as_user("demo-county-admin").post("/api/console/departments", json=body)
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"]


def test_hubs_cannot_create_departments(as_user):
    response = as_user("demo-hub-dispatcher-1").post("/api/console/departments", json={
        "code": "D11", "name": "新局", "region_id": region_id("140730001"), "parent_id": dept_id("D06")})
    assert response.status_code == 403


def test_deactivating_a_department(as_user):
    admin = as_user("demo-county-admin")
    response = admin.patch(f"/api/console/departments/{dept_id('D10')}", json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False


def test_hub_provisions_a_grid_worker_in_its_township(as_user):
    hub = as_user("demo-hub-dispatcher-1")
    response = hub.post("/api/console/users", json={
        "name": "新网格员", "phone": "13700002222",
        "grant": {"role": "grid_worker", "region_id": region_id("140730001002001")}})
    assert response.status_code == 201, response.json
    assert response.json["phone"] == "137****2222"
    found = hub.post("/api/console/users/search", json={"phone": "13700002222"}).json
    assert [u["id"] for u in found] == [response.json["id"]]
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["grant.create", "user.create"]
    assert "13700002222" not in str(db.session.scalars(sa.select(AuditEntry.after)).all())


@pytest.mark.parametrize("viewer, role, scope, status", [
    ("demo-hub-dispatcher-1", "grid_worker", {"region": "140730100001001"}, 404),  # other township
    ("demo-hub-dispatcher-1", "hub_dispatcher", {"region": "140730001"}, 403),     # not theirs to give
    ("demo-hub-dispatcher-1", "county_admin", {"region": "140730"}, 404),
    ("demo-community-admin-1", "grid_worker", {"region": "140730001001002"}, 201),
    ("demo-community-admin-1", "community_admin", {"region": "140730001001"}, 403),
    ("demo-grid-worker-1", "grid_worker", {"region": "140730001001001"}, 403),
    ("demo-county-admin", "platform_admin", {}, 403),
    ("demo-county-admin", "grid_worker", {"region": "140730001"}, 422),            # wrong level
    ("demo-county-admin", "dept_staff", {}, 422),                                  # no department
    ("demo-county-admin", "provider_staff", {}, 422),
    ("demo-county-admin", "dept_staff", {"department": "D01"}, 201),
    # 三员分立: the security administrator hands out every role, the platform administrator none.
    ("demo-platform-admin", "platform_admin", {}, 403),
    ("demo-platform-admin", "grid_worker", {"region": "140730001001001"}, 403),
    ("demo-security-admin", "platform_admin", {}, 201),
    ("demo-security-admin", "audit_admin", {}, 201),
    ("demo-security-admin", "county_admin", {"region": "140730"}, 201),
    ("demo-security-admin", "dept_staff", {"department": "D01"}, 201),
    ("demo-audit-admin", "grid_worker", {"region": "140730001001001"}, 404),
    ("demo-county-admin", "security_admin", {}, 403),
    ("demo-county-admin", "audit_admin", {}, 403),
])
def test_who_may_grant_what(as_user, viewer, role, scope, status):
    grant = {"role": role}
    if "region" in scope:
        grant["region_id"] = region_id(scope["region"])
    if "department" in scope:
        grant["department_id"] = dept_id(scope["department"])
    response = as_user(viewer).post("/api/console/users", json={
        "name": "某人", "phone": "13600003333", "grant": grant})
    assert response.status_code == status, response.json
    created = db.session.scalar(sa.select(User).where(User.phone == "13600003333"))
    assert (created is not None) == (status == 201), "a refused create must leave no user behind"


def test_duplicate_grant_and_phone(as_user):
    admin = as_user("demo-county-admin")
    gw = user_id("demo-grid-worker-1")
    again = admin.post(f"/api/console/users/{gw}/grants",
                       json={"role": "grid_worker", "region_id": region_id("140730001001001")})
    assert again.status_code == 409 and again.json["error"]["code"] == "duplicate_grant"
    taken = db.session.get(User, gw).phone
    response = admin.post("/api/console/users", json={
        "name": "撞号", "phone": taken, "grant": {"role": "resident", "region_id": region_id("140730")}})
    assert response.status_code == 409 and response.json["error"]["code"] == "phone_in_use"


@pytest.mark.parametrize("phone", ["1380000000", "23800000000", "1380000000a"])
def test_bad_phones(as_user, phone):
    response = as_user("demo-county-admin").post("/api/console/users", json={
        "name": "某人", "phone": phone, "grant": {"role": "resident", "region_id": region_id("140730")}})
    assert response.status_code == 422
    assert "phone" in response.json["error"]["fields"]


def test_disabling_a_user_revokes_their_sessions(as_user):
    worker = as_user("demo-grid-worker-1")
    assert worker.get("/api/mp/me").status_code == 200
    hub = as_user("demo-hub-dispatcher-1")
    response = hub.patch(f"/api/console/users/{user_id('demo-grid-worker-1')}", json={"active": False})
    assert response.status_code == 200
    assert worker.get("/api/mp/me").status_code == 401


def test_people_outside_ones_reach_cannot_be_changed(as_user):
    hub = as_user("demo-hub-dispatcher-2")
    response = hub.patch(f"/api/console/users/{user_id('demo-grid-worker-1')}", json={"name": "x"})
    assert response.status_code == 404


def test_a_hub_revokes_a_grid_workers_grant(as_user):
    hub = as_user("demo-hub-dispatcher-1")
    gw = hub.get(f"/api/console/users/{user_id('demo-grid-worker-1')}").json
    grant_id = gw["grants"][0]["id"]
    assert hub.delete(f"/api/console/grants/{grant_id}").status_code == 204
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "grant.delete"))
    assert entry.before["role"] == "grid_worker" and entry.after is None
    assert hub.get(f"/api/console/grants/{grant_id}").status_code == 404
