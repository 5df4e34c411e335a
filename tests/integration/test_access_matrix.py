"""The access matrix: every demo role against sample objects of every kind.

Each cell is fetched over HTTP: 200 where the viewer may see the object, 404 (the same
answer as for an object that does not exist) everywhere else; the list endpoints must
agree with the fetches. Cases, summonses and orders join this table as they arrive.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Department, Grant, Region, User

COUNTY, T1, T2 = "140730", "140730001", "140730100"
C1, C1B = "140730001001", "140730001002"
G1, G1B, G2 = "140730001001001", "140730001001002", "140730100001001"
REGIONS = {COUNTY, T1, T2, C1, C1B, G1, G1B, G2}
DEPTS = {"D01", "D06", "D06-001", "D07-100"}
PEOPLE = {"demo-resident-1", "demo-resident-2", "demo-grid-worker-1", "demo-grid-worker-2",
          "demo-community-admin-1", "demo-hub-dispatcher-1", "demo-hub-dispatcher-2",
          "demo-dept-staff-1", "demo-dept-staff-2", "demo-county-admin", "demo-platform-admin"}
T1_TREE = {T1, C1, C1B, G1, G1B}

SEES = {  # viewer: (regions, departments, people — whose grants they also see)
    "demo-resident-1": (set(), set(), {"demo-resident-1"}),
    "demo-grid-worker-1": ({G1}, set(), {"demo-grid-worker-1"}),
    "demo-community-admin-1": ({C1, G1, G1B}, set(),
                               {"demo-community-admin-1", "demo-grid-worker-1"}),
    "demo-hub-dispatcher-1": (T1_TREE, {"D01", "D06", "D06-001"},
                              {"demo-hub-dispatcher-1", "demo-grid-worker-1",
                               "demo-community-admin-1", "demo-dept-staff-2"}),
    "demo-hub-dispatcher-2": ({T2, G2}, {"D01", "D06", "D07-100"},
                              {"demo-hub-dispatcher-2", "demo-grid-worker-2"}),
    "demo-dept-staff-1": (REGIONS, {"D06", "D06-001"}, {"demo-dept-staff-1"}),
    "demo-dept-staff-2": (T1_TREE, {"D06", "D06-001"}, {"demo-dept-staff-2"}),
    "demo-county-admin": (REGIONS, DEPTS, PEOPLE - {"demo-platform-admin"}),
    "demo-platform-admin": (REGIONS, DEPTS, PEOPLE),
}


def ids(model, key, values) -> dict:
    return dict(db.session.execute(sa.select(key, model.id).where(key.in_(values))).all())


def sample(kind) -> dict:
    """Natural key -> id of the sample objects of one kind."""
    if kind == "regions":
        return ids(Region, Region.code, REGIONS)
    if kind == "departments":
        return ids(Department, Department.code, DEPTS)
    if kind == "users":
        return ids(User, User.openid, PEOPLE)
    rows = db.session.execute(sa.select(User.openid, Grant.role, Grant.id).join(Grant.user)
                              .where(User.openid.in_(PEOPLE))).all()
    return {f"{openid}#{role}": grant_id for openid, role, grant_id in rows}


def holder(key: str) -> str:
    return key.split("#")[0]


def visible_keys(viewer, kind, objects) -> set:
    regions, depts, people = SEES[viewer]
    if kind == "grants":
        return {key for key in objects if holder(key) in people}
    return {"regions": regions, "departments": depts, "users": people}[kind]


@pytest.mark.parametrize("kind", ["regions", "departments", "users", "grants"])
@pytest.mark.parametrize("viewer", sorted(SEES))
def test_fetch_by_id(as_user, viewer, kind):
    caller = as_user(viewer)
    objects = sample(kind)
    keys = {holder(k) for k in objects} if kind == "grants" else set(objects)
    assert keys == {"regions": REGIONS, "departments": DEPTS}.get(kind, PEOPLE)
    visible_grants = {grant_id for key, grant_id in sample("grants").items()
                      if holder(key) in SEES[viewer][2]}
    wrong = []
    for key, object_id in sorted(objects.items()):
        response = caller.get(f"/api/console/{kind}/{object_id}")
        want = 200 if key in visible_keys(viewer, kind, objects) else 404
        if kind == "users" and response.status_code == 200:
            leaked = {g["id"] for g in response.json["grants"]} - visible_grants
            if leaked:
                wrong.append((key, "grants leaked", leaked))
        if response.status_code != want:
            wrong.append((key, response.status_code, want))
        if want == 404 and response.json["error"]["code"] != "not_found":
            wrong.append((key, "error code", response.json["error"]["code"]))
    assert not wrong, f"{viewer} on {kind}: (object, got, want) {wrong}"


@pytest.mark.parametrize("kind", ["regions", "departments", "users"])
@pytest.mark.parametrize("viewer", sorted(SEES))
def test_lists_agree(as_user, viewer, kind):
    caller = as_user(viewer)
    objects = sample(kind)
    listed_ids = {row["id"] for row in caller.get(f"/api/console/{kind}?page_size=100").json}
    listed = {key for key, object_id in objects.items() if object_id in listed_ids}
    assert listed == visible_keys(viewer, kind, objects)


CHANGE = {"regions": ("patch", {"name": "改"}), "departments": ("patch", {"name": "改"}),
          "users": ("patch", {"name": "改"}), "grants": ("delete", None)}


@pytest.mark.parametrize("kind", sorted(CHANGE))
@pytest.mark.parametrize("viewer", sorted(SEES))
def test_hidden_objects_cannot_be_changed(as_user, viewer, kind):
    caller = as_user(viewer)
    objects = sample(kind)
    method, body = CHANGE[kind]
    wrong = []
    for key, object_id in sorted(objects.items()):
        if key in visible_keys(viewer, kind, objects):
            continue
        response = getattr(caller, method)(f"/api/console/{kind}/{object_id}", json=body)
        if response.status_code != 404:
            wrong.append((key, response.status_code))
    assert not wrong, f"{viewer} changing hidden {kind}: {wrong}"


def test_absent_and_hidden_look_the_same(as_user):
    caller = as_user("demo-hub-dispatcher-2")
    hidden = caller.get(f"/api/console/regions/{sample('regions')[G1]}")
    absent = caller.get("/api/console/regions/999999")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json["error"]["code"] == absent.json["error"]["code"]
