"""Real concurrent requests against the real server: two departments racing to report in,
and the lead and the hub acting at the same moment. One wins, the other gets 409, and the
case and its log stay consistent (SQLite serialises writers; PostgreSQL's row version
check refuses the loser)."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


def call(running, token, method, path, **kwargs):
    return requests.request(method, f"{running['api']}{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def at_once(*requests_to_make):
    """Fire the calls from threads released together; their answers in order."""
    barrier = threading.Barrier(len(requests_to_make))
    answers = [None] * len(requests_to_make)

    def run(index, make):
        barrier.wait()
        answers[index] = make()
    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(requests_to_make)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def act(running, token, case_id, action, version, **payload):
    return call(running, token, "POST", f"/api/mp/cases/{case_id}/actions/{action}",
                json={"version": version, "payload": payload})


def test_racing_departments_and_a_lead_racing_the_hub(running):
    resident, hub = login(running, "demo-resident-1"), login(running, "demo-hub-dispatcher-1")
    lead, co = login(running, "demo-dept-staff-2"), login(running, "demo-dept-staff-1")
    tree = call(running, resident, "GET", "/api/mp/categories").json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    case = call(running, resident, "POST", "/api/mp/cases", json={
        "client_id": "race-0000001", "category_id": category, "description": "路面破损", **SPOT}).json()
    departments = {d["code"]: d["id"] for d in call(running, hub, "GET", "/api/console/departments").json()}
    assert act(running, hub, case["id"], "accept", case["version"]).status_code == 200
    version = call(running, hub, "GET", f"/api/mp/cases/{case['id']}").json()["version"]
    assert act(running, hub, case["id"], "whistle", version, lead_department_id=departments["D06-001"],
               co_department_ids=[departments["D06"]]).status_code == 200
    version = call(running, hub, "GET", f"/api/mp/cases/{case['id']}").json()["version"]
    answers = at_once(lambda: act(running, co, case["id"], "sign_in", version),
                      lambda: act(running, lead, case["id"], "sign_in", version))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["error"]["code"] == "stale"
    detail = call(running, hub, "GET", f"/api/mp/cases/{case['id']}").json()
    for token in (lead, co):   # whoever lost signs in again, on the version they now read
        if "sign_in" in call(running, token, "GET", f"/api/mp/cases/{case['id']}/actions").json()["actions"]:
            version = call(running, token, "GET", f"/api/mp/cases/{case['id']}").json()["version"]
            assert act(running, token, case["id"], "sign_in", version).status_code == 200
    detail = call(running, hub, "GET", f"/api/mp/cases/{case['id']}").json()
    assert detail["state"] == "in_progress"
    assert [s["status"] for s in detail["summonses"]] == ["signed_in", "signed_in"]
    version = detail["version"]
    answers = at_once(lambda: act(running, lead, case["id"], "request_extension", version, days=2, reason="协调"),
                      lambda: act(running, hub, case["id"], "park", version, reason="等待批复"))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    timeline = call(running, hub, "GET", f"/api/mp/cases/{case['id']}").json()["timeline"]
    assert [t["seq"] for t in timeline] == list(range(1, len(timeline) + 1))
    assert len(timeline) == 6   # submit, accept, whistle, two sign-ins, one of extension/park


def test_a_phone_resending_a_report_while_the_first_is_in_flight_files_it_once(running):
    """A village network: the phone resends before the first answer arrives. Whatever
    request commits first files the case; the others answer with that same case."""
    resident = login(running, "demo-resident-2")
    tree = call(running, resident, "GET", "/api/mp/categories").json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    body = {"client_id": "resend-000000001", "category_id": category, "description": "井盖缺失", **SPOT}
    answers = at_once(*[lambda: call(running, resident, "POST", "/api/mp/cases", json=body)] * 4)
    assert [a.status_code for a in answers].count(201) == 1, [a.text for a in answers]
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    mine = call(running, resident, "GET", "/api/mp/cases").json()
    assert sum(1 for c in mine if c["description"] == "井盖缺失") == 1
