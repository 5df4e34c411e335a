"""The access matrix for real-time rooms: a socket of a user shares a room with a case's
push exactly when that user may GET the case — for every demo user, against cases in
several situations, and again after grants, departments, supports and accounts change."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Grant, User
from backend.services import access
from tests.integration.case_helpers import IN_G1, IN_G2, act, department_id, report, user_id

USERS = ("demo-resident-1", "demo-resident-2", "demo-grid-worker-1", "demo-grid-worker-2",
         "demo-community-admin-1", "demo-hub-dispatcher-1", "demo-hub-dispatcher-2",
         "demo-dept-staff-1", "demo-dept-staff-2", "demo-county-admin", "demo-platform-admin")


@pytest.fixture()
def cases(as_user):
    resident1, resident2 = as_user("demo-resident-1"), as_user("demo-resident-2")
    hub = as_user("demo-hub-dispatcher-1")
    whistled = report(resident1)
    act(hub, whistled["id"], "accept")
    act(hub, whistled["id"], "whistle", lead_department_id=department_id("D06-001"))
    returned = report(resident1)
    act(hub, returned["id"], "accept")
    act(hub, returned["id"], "whistle", lead_department_id=department_id("D06-001"),
        co_department_ids=[department_id("D06")])
    act(as_user("demo-dept-staff-1"), returned["id"], "return_case", reason="not_our_remit")
    supported = report(resident1)
    assert resident2.post(f"/api/mp/cases/{supported['id']}/support",
                          json={"lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02"}).status_code == 200
    return {"whistled": whistled["id"], "returned": returned["id"], "supported": supported["id"],
            "anonymous": report(resident1, anonymous=True)["id"],
            "elsewhere": report(resident2, at=IN_G2)["id"]}


def reaches(openid: str, case_id: int) -> bool:
    user = db.session.scalar(sa.select(User).where(User.openid == openid))
    return bool(set(access.socket_rooms(user)) & set(access.case_rooms(db.session.get(Case, case_id))))


def matrix(as_user, cases) -> list:
    """(user, case, GET status, reached by a push) wherever the two disagree."""
    wrong = []
    for openid in USERS:
        caller = as_user(openid)
        for name, case_id in cases.items():
            status = caller.get(f"/api/mp/cases/{case_id}").status_code
            if (status == 200) != reaches(openid, case_id):
                wrong.append((openid, name, status, reaches(openid, case_id)))
    return wrong


def test_rooms_match_what_each_user_may_get(as_user, cases):
    assert matrix(as_user, cases) == []
    # The matrix is not vacuous: each kind of room carries someone, and some are kept out.
    assert reaches("demo-dept-staff-1", cases["returned"])  # a department keeps what it took part in
    assert not reaches("demo-dept-staff-1", cases["whistled"])
    assert reaches("demo-resident-2", cases["supported"]) and not reaches("demo-resident-2", cases["whistled"])
    assert not reaches("demo-hub-dispatcher-1", cases["elsewhere"])
    assert reaches("demo-platform-admin", cases["elsewhere"])


def test_rooms_follow_access_as_it_changes(as_user, cases):
    county = as_user("demo-county-admin")
    community_grant = db.session.scalar(sa.select(Grant.id).where(
        Grant.user_id == user_id("demo-community-admin-1"), Grant.role == "community_admin"))
    assert county.delete(f"/api/console/grants/{community_grant}").status_code == 204
    assert county.patch(f"/api/console/departments/{department_id('D06-001')}",
                        json={"active": False}).status_code == 200
    assert county.patch(f"/api/console/users/{user_id('demo-grid-worker-1')}",
                        json={"active": False}).status_code == 200
    for openid in ("demo-community-admin-1", "demo-dept-staff-2", "demo-grid-worker-1"):
        assert not any(reaches(openid, case_id) for case_id in cases.values()), openid
    assert matrix(as_user, cases) == []  # a disabled user GETs nothing (401): reaches nothing


def test_a_socket_joins_its_user_room_and_its_grants(as_user):
    hub = db.session.scalar(sa.select(User).where(User.openid == "demo-hub-dispatcher-1"))
    rooms = access.socket_rooms(hub)
    assert rooms[0] == f"user:{hub.id}" and len(rooms) == 2 and rooms[1].startswith("region:")
    staff = db.session.scalar(sa.select(User).where(User.openid == "demo-dept-staff-2"))
    assert access.socket_rooms(staff)[1].startswith(f"dept:{department_id('D06-001')}:grant:")
    resident = db.session.scalar(sa.select(User).where(User.openid == "demo-resident-1"))
    assert access.socket_rooms(resident) == [f"user:{resident.id}"]  # a resident grant reaches no case
