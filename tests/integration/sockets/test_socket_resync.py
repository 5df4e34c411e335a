"""Subscribing and catching up: a client may subscribe only to a case it may see; one that
reconnects says what it last saw and gets the missed timeline entries, filtered exactly as
GET /cases/<id> filters them for that user, or is told to refetch."""
from __future__ import annotations

import pytest

from tests.integration.case_helpers import IN_G1, IN_G2, act, department_id, report
from tests.integration.sockets.live import in_app


def replayed(ear, case_id: int, count: int) -> list[dict]:
    return [ear.until("case_log", lambda d: d["case_id"] == case_id) for _ in range(count)]


def timeline(phone, case_id: int, after: int) -> list[dict]:
    return [e for e in phone.get(f"/api/mp/cases/{case_id}").json["timeline"] if e["seq"] > after]


@pytest.fixture()
def whistled(live):
    resident, hub = live.phone("demo-resident-1"), live.phone("demo-hub-dispatcher-1")
    with in_app(live):
        case_id = report(resident)["id"]
        act(hub, case_id, "accept", note="内部备注")
        act(hub, case_id, "whistle", lead_department_id=department_id("D06-001"))
    return case_id


def test_subscribe_to_a_case_one_may_see(live, whistled):
    ear = live.ear(live.phone("demo-resident-1").token)
    answer = ear.call("subscribe", {"case_id": whistled})
    assert answer == {"subscribed": whistled, "case_id": whistled, "seq": 3, "state": "dispatched",
                      "version": answer["version"], "status": "up_to_date"}


@pytest.mark.parametrize("openid", ["demo-resident-2", "demo-hub-dispatcher-2", "demo-grid-worker-2",
                                    "demo-dept-staff-1"])
def test_subscribing_to_a_case_of_another_village_is_refused(live, whistled, openid):
    ear = live.ear(live.phone(openid).token)
    assert ear.call("subscribe", {"case_id": whistled}) == {"error": {
        "code": "not_found", "message": f"case {whistled} not found", "fields": {}}}
    assert ear.call("subscribe", {"case_id": 10 ** 9}) == {"error": {
        "code": "not_found", "message": f"case {10 ** 9} not found", "fields": {}}}
    assert ear.call("resync", {str(whistled): 0}) == {"cases": [{"case_id": whistled, "status": "not_found"}]}


@pytest.mark.parametrize("body", [{}, {"case_id": "x"}, {"case_id": 1, "since": -1}, "12", None])
def test_bad_subscriptions_are_invalid(live, body):
    answer = live.ear(live.phone("demo-resident-1").token).call("subscribe", body)
    assert answer["error"]["code"] == "invalid" and answer["error"]["fields"]


def test_a_reconnecting_client_gets_what_it_missed_as_its_get_shows_it(live, whistled):
    resident, hub = live.phone("demo-resident-1"), live.phone("demo-hub-dispatcher-1")
    staff = live.phone("demo-dept-staff-2")
    ears = {"resident": live.ear(resident.token), "hub": live.ear(hub.token)}
    for ear in ears.values():
        ear.close()  # the app went to the background
    with in_app(live):
        act(staff, whistled, "sign_in")
        act(staff, whistled, "add_note", note="已联系环卫")
    for who, phone in (("resident", resident), ("hub", hub)):
        ear = live.ear(phone.token)
        answer = ear.call("resync", {str(whistled): 3})
        assert answer == {"cases": [{"case_id": whistled, "seq": 5, "state": "in_progress",
                                     "version": answer["cases"][0]["version"], "status": "replay",
                                     "replayed": 2}]}
        entries = [{k: v for k, v in e.items() if k != "case_id"} for e in replayed(ear, whistled, 2)]
        assert entries == timeline(phone, whistled, 3), who
    # The reporter reads neither the handlers' note nor, here, anything else of theirs.
    assert timeline(resident, whistled, 3)[1]["payload"] == {}
    assert timeline(hub, whistled, 3)[1]["payload"] == {"note": "已联系环卫"}


def test_a_follower_replays_steps_without_payloads_or_names(live):
    resident, neighbour = live.phone("demo-resident-1"), live.phone("demo-resident-2")
    with in_app(live):
        case_id = report(resident)["id"]
    assert neighbour.post(f"/api/mp/cases/{case_id}/support",
                          json={"lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02"}).status_code == 200
    with in_app(live):
        act(live.phone("demo-hub-dispatcher-1"), case_id, "accept", note="内部备注")
    ear = live.ear(neighbour.token)
    assert ear.call("subscribe", {"case_id": case_id, "since": 0})["replayed"] == 2
    entries = replayed(ear, case_id, 2)
    assert [(e["seq"], e["action"], e["actor"], e["payload"]) for e in entries] == [
        (1, "submit", None, {}), (2, "accept", None, {})]


def test_too_far_behind_ahead_or_too_many_means_refetch_or_refusal(live, whistled):
    staff, hub = live.phone("demo-dept-staff-2"), live.phone("demo-hub-dispatcher-1")
    with in_app(live):
        act(staff, whistled, "sign_in")
        for n in range(3):
            act(staff, whistled, "add_note", note=f"第{n}次")
    ear = live.ear(hub.token)  # the live server replays at most 5 entries per case
    answer = ear.call("resync", {str(whistled): 1, str(whistled + 10 ** 6): 0})
    assert answer["cases"][0] == {"case_id": whistled, "seq": 7, "state": "in_progress",
                                  "version": answer["cases"][0]["version"], "status": "refetch",
                                  "reason": "too_far_behind"}
    assert answer["cases"][1]["status"] == "not_found"
    assert ear.until("refetch") == {k: answer["cases"][0][k] for k in ("case_id", "seq", "state", "version", "reason")}
    assert ear.call("resync", {str(whistled): 2})["cases"][0]["replayed"] == 5
    assert ear.call("resync", {str(whistled): 7})["cases"][0]["status"] == "up_to_date"
    assert ear.call("resync", {str(whistled): 8})["cases"][0]["reason"] == "ahead"
    too_many = ear.call("resync", {str(n): 0 for n in range(1, 102)})
    assert too_many["error"]["code"] == "invalid"
    assert ear.call("resync", {"abc": 1})["error"]["code"] == "invalid"


def test_a_client_subscribed_elsewhere_is_not_told_of_others(live):
    """A resync names only the cases asked for; another village's case stays unknown."""
    resident2 = live.phone("demo-resident-2")
    with in_app(live):
        theirs = report(resident2, at=IN_G2)["id"]
    ear = live.ear(live.phone("demo-resident-1").token)
    assert ear.call("resync", {str(theirs): 0}) == {"cases": [{"case_id": theirs, "status": "not_found"}]}
