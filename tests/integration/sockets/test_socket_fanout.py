"""Pushes over real sockets: every demo user connected, every case pushed; each socket
hears exactly the cases its user may GET — also after its grant is taken away while it
stays connected."""
from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant
from tests.integration.case_helpers import IN_G1, IN_G2, act, department_id, report
from tests.integration.sockets.live import heard_cases, in_app

USERS = ("demo-resident-1", "demo-resident-2", "demo-grid-worker-1", "demo-grid-worker-2",
         "demo-community-admin-1", "demo-hub-dispatcher-1", "demo-hub-dispatcher-2",
         "demo-dept-staff-1", "demo-dept-staff-2", "demo-county-admin", "demo-platform-admin")
markers = itertools.count()


@pytest.fixture()
def world(live):
    phones = {openid: live.phone(openid) for openid in USERS}
    resident1, resident2 = phones["demo-resident-1"], phones["demo-resident-2"]
    hub = phones["demo-hub-dispatcher-1"]
    with in_app(live):
        whistled = report(resident1)["id"]
        act(hub, whistled, "accept")
        act(hub, whistled, "whistle", lead_department_id=department_id("D06-001"))
        supported = report(resident1)["id"]
        cases = {"whistled": whistled, "supported": supported, "anonymous": report(resident1, anonymous=True)["id"],
                 "elsewhere": report(resident2, at=IN_G2)["id"]}
    assert resident2.post(f"/api/mp/cases/{supported}/support",
                          json={"lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02"}).status_code == 200
    ears = {openid: live.ear(phone.token) for openid, phone in phones.items()}
    return phones, ears, cases


def push_all(live, phones, ears, cases) -> dict[str, set[str]]:
    """Push every case, then a marker to everyone: which cases each user heard of."""
    for case_id in cases.values():
        live.push(case_id)
    marker = next(markers)
    for phone in phones.values():
        live.marker(phone.user_id, marker)
    names = {v: k for k, v in cases.items()}
    return {openid: {names[d["case_id"]] for d in heard_cases(ear, marker)} for openid, ear in ears.items()}


def may_get(phones, cases) -> dict[str, set[str]]:
    return {openid: {name for name, case_id in cases.items()
                     if phone.get(f"/api/mp/cases/{case_id}").status_code == 200}
            for openid, phone in phones.items()}


def test_each_socket_hears_exactly_what_its_user_may_get(live, world):
    phones, ears, cases = world
    heard = push_all(live, phones, ears, cases)
    assert heard == may_get(phones, cases)
    assert heard["demo-resident-2"] == {"supported", "elsewhere"}
    assert heard["demo-dept-staff-2"] == {"whistled"} and heard["demo-hub-dispatcher-2"] == set()


def test_a_push_carries_ids_and_numbers_only(live, world):
    phones, ears, cases = world
    live.push(cases["whistled"], "summoned", summons_id=7)
    got = ears["demo-dept-staff-2"].until("case")
    detail = phones["demo-dept-staff-2"].get(f"/api/mp/cases/{cases['whistled']}").json
    assert got == {"case_id": cases["whistled"], "seq": detail["timeline"][-1]["seq"], "event": "summoned",
                   "state": detail["state"], "version": detail["version"], "at": got["at"], "summons_id": 7}
    assert got["seq"] == 3 and got["at"].startswith(detail["timeline"][-1]["at"][:19])


def test_extra_is_refused_when_it_could_carry_text(live, world):
    _, _, cases = world
    for extra in ({"note": "x" * 65}, {"state": "closed"}, {"payload": {"a": 1}}):
        with pytest.raises(ValueError):
            live.push(cases["whistled"], **extra)


def test_a_taken_grant_stops_pushes_to_a_socket_still_open(live, world):
    phones, ears, cases = world
    with in_app(live):
        grant_id = db.session.scalar(sa.select(Grant.id).where(
            Grant.user_id == phones["demo-community-admin-1"].user_id, Grant.role == "community_admin"))
    assert phones["demo-county-admin"].delete(f"/api/console/grants/{grant_id}").status_code == 204
    assert ears["demo-community-admin-1"].client.connected  # the token is still good
    heard = push_all(live, phones, ears, cases)
    assert heard["demo-community-admin-1"] == set()
    assert heard == may_get(phones, cases)
    # and the summons that moved: a department released from a case keeps what it took part in
    hub, staff = phones["demo-hub-dispatcher-1"], phones["demo-dept-staff-2"]
    with in_app(live):
        act(staff, cases["whistled"], "return_case", reason="wrong_area")
        act(hub, cases["whistled"], "arbitrate_redispatch", lead_department_id=department_id("D06"))
    heard = push_all(live, phones, ears, cases)
    assert heard == may_get(phones, cases)
    assert "whistled" in heard["demo-dept-staff-1"] and "whistled" in heard["demo-dept-staff-2"]


def test_a_grant_given_while_connected_counts_from_the_next_subscribe(live, world):
    phones, ears, cases = world
    county, staff = phones["demo-county-admin"], phones["demo-dept-staff-1"]
    assert staff.get(f"/api/mp/cases/{cases['elsewhere']}").status_code == 404
    given = county.post(f"/api/console/users/{staff.user_id}/grants",
                        json={"role": "grid_worker", "region_id": region_of(live, cases["elsewhere"])})
    assert given.status_code == 201, given.json
    ear = ears["demo-dept-staff-1"]
    assert ear.call("subscribe", {"case_id": cases["elsewhere"]})["status"] == "up_to_date"
    heard = push_all(live, phones, ears, cases)
    assert "elsewhere" in heard["demo-dept-staff-1"]
    assert heard == may_get(phones, cases)


def region_of(live, case_id: int) -> int:
    from backend.models import Case
    with in_app(live):
        return db.session.get(Case, case_id).grid_id
