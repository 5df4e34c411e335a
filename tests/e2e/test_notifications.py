"""Subscribe messages through real processes: scripts/run's server delivers the effects a
request committed from its relay thread, to the WeChat simulator, once."""
from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import login, until

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


def call(running, token, method, path, **kwargs):
    return requests.request(method, f"{running['api']}{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def heartbeat(running) -> str | None:
    return requests.get(f"{running['api']}/healthz", timeout=5).json()["checks"]["scheduler"].get("beat_at")


def messages(running, openid):
    return requests.get(f"{running['sim']}/sim/messages", params={"openid": openid}, timeout=5).json()["messages"]


def test_a_resident_is_told_by_subscribe_message_when_the_hub_accepts(running):
    resident, hub = login(running, "demo-resident-3"), login(running, "demo-hub-dispatcher-1")
    templates = call(running, resident, "GET", "/api/mp/me/subscriptions").json()["templates"]
    # The phone: wx.requestSubscribeMessage accepted once; WeChat and we both count it.
    requests.post(f"{running['sim']}/sim/subscribe", timeout=5,
                  json={"openid": "demo-resident-3", "template_id": templates["accepted"]}).raise_for_status()
    assert call(running, resident, "POST", "/api/mp/me/subscriptions",
                json={"results": {templates["accepted"]: "accept"}}).status_code == 200
    tree = call(running, resident, "GET", "/api/mp/categories").json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    case = call(running, resident, "POST", "/api/mp/cases", json={
        "client_id": "notify-000000001", "category_id": category, "description": "路灯不亮", **SPOT}).json()
    answer = call(running, hub, "POST", f"/api/mp/cases/{case['id']}/actions/accept",
                  json={"version": case["version"], "payload": {}})
    assert answer.status_code == 200, answer.text
    until(lambda: len(messages(running, "demo-resident-3")) == 1, "the subscribe message")
    [message] = messages(running, "demo-resident-3")
    assert message["template_id"] == templates["accepted"]
    assert message["data"]["character_string1"]["value"] == f"C{case['id']}"
    held = call(running, resident, "GET", "/api/mp/me/subscriptions").json()["available"]
    assert held["accepted"] == 0   # the acceptance is used: no second message can go out
    assert len(messages(running, "demo-resident-3")) == 1


def test_a_case_change_reaches_the_sockets_of_those_who_may_see_it(running):
    """Action -> outbox row -> the server's relay -> Socket.IO, through scripts/run."""
    import socketio

    resident, hub = login(running, "demo-resident-1"), login(running, "demo-hub-dispatcher-1")
    outsider = login(running, "demo-resident-2")
    heard = {"resident": [], "hub": [], "outsider": []}
    clients = []
    for name, token in (("resident", resident), ("hub", hub), ("outsider", outsider)):
        client = socketio.Client(reconnection=False)
        client.on("case", heard[name].append)
        client.connect(running["api"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
        clients.append(client)
    try:
        tree = call(running, resident, "GET", "/api/mp/categories").json()
        category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
        case = call(running, resident, "POST", "/api/mp/cases", json={
            "client_id": "socket-000000001", "category_id": category, "description": "井盖松动", **SPOT}).json()
        until(lambda: [(h["case_id"], h["event"]) for h in heard["hub"]] == [(case["id"], "submit")],
              "the hub's socket to hear of the new case")
        assert call(running, hub, "POST", f"/api/mp/cases/{case['id']}/actions/accept",
                    json={"version": case["version"], "payload": {}}).status_code == 200
        until(lambda: [(h["event"], h["seq"]) for h in heard["resident"]] == [("submit", 1), ("accept", 2)],
              "the reporter's socket to hear both changes")
        assert heard["hub"][-1]["event"] == "accept"
        # The neighbour may not GET the case: its socket never hears of it.
        assert call(running, outsider, "GET", f"/api/mp/cases/{case['id']}").status_code == 404
        assert all(h["case_id"] != case["id"] for h in heard["outsider"])
    finally:
        for client in clients:
            client.disconnect()


@pytest.mark.parametrize("run_env", [{"OUTBOX_DELIVERY": "off", "SCHEDULER_TICK_SECONDS": "0.5"}])
def test_what_the_server_left_undelivered_the_scheduler_delivers_once(running):
    """The server commits and never delivers (as if it died right after the commit): the
    scheduler process's sweep finds the effect and the resident is told, once."""
    resident, hub = login(running, "demo-resident-4"), login(running, "demo-hub-dispatcher-1")
    templates = call(running, resident, "GET", "/api/mp/me/subscriptions").json()["templates"]
    requests.post(f"{running['sim']}/sim/subscribe", timeout=5,
                  json={"openid": "demo-resident-4", "template_id": templates["accepted"]}).raise_for_status()
    call(running, resident, "POST", "/api/mp/me/subscriptions", json={"results": {templates["accepted"]: "accept"}})
    tree = call(running, resident, "GET", "/api/mp/categories").json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    case = call(running, resident, "POST", "/api/mp/cases", json={
        "client_id": "sweep-0000000001", "category_id": category, "description": "垃圾满溢", **SPOT}).json()
    assert call(running, hub, "POST", f"/api/mp/cases/{case['id']}/actions/accept",
                json={"version": case["version"], "payload": {}}).status_code == 200
    until(lambda: len(messages(running, "demo-resident-4")) == 1, "the sweep's message", timeout=30)
    # Two more heartbeats: a whole tick, and its sweep, ran after the delivery.
    beats = set()
    until(lambda: beats.add(heartbeat(running)) or len(beats) > 2, "two more scheduler ticks", timeout=30)
    assert len(messages(running, "demo-resident-4")) == 1
