"""Real-time, end to end, in the production shape: scripts/serve with 2 gevent workers and
Redis, the WeChat simulator for logins, pushes from a third process (the external emitter
the relay and the scheduler use), the official Node socket.io-client and python-socketio
clients over websocket only — and Redis stopped and started again under them."""
from __future__ import annotations

import json
import queue
import subprocess
import threading

import pytest
import socketio

from tests.e2e.realtime_support import (
    NODE_DIR,
    Listener,
    clients_on_each_worker,
    deployed_for_module,
    node_client,
    wait_until,
)

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    yield from deployed_for_module(tmp_path_factory, "realtime")


def new_case(deployed, token: str, draft: str) -> dict:
    tree = deployed.call(token, "GET", "/api/mp/categories").json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    response = deployed.call(token, "POST", "/api/mp/cases", json={
        "client_id": draft, "category_id": category, "description": "路灯不亮", **SPOT})
    assert response.status_code == 201, response.text
    return response.json()


def act(deployed, token: str, case_id: int, action: str, **payload):
    version = deployed.call(token, "GET", f"/api/mp/cases/{case_id}").json()["version"]
    response = deployed.call(token, "POST", f"/api/mp/cases/{case_id}/actions/{action}",
                             json={"version": version, "payload": payload})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_push_from_a_third_process_reaches_clients_on_both_workers(deployed):
    resident, hub = deployed.login("demo-resident-1"), deployed.login("demo-hub-dispatcher-1")
    case = new_case(deployed, resident, "realtime-0001")
    listeners = clients_on_each_worker(deployed, hub)
    neighbour = deployed.login("demo-resident-2")
    outsider = Listener(deployed.api, neighbour)
    done = deployed.push(case["id"], "across_workers")
    assert done.returncode == 0, done.stderr
    # (The server's own relay may also push the case's "submit" to them: not counted here.)
    wait_until(lambda: all("across_workers" in listener.events() for listener in listeners.values()),
               "delivery on both workers", timeout=20)
    assert all(h["case_id"] == case["id"] for listener in listeners.values() for h in listener.heard)
    # A socket gets its events in order: once the neighbour heard of its own case, pushed
    # second, the first push (not theirs to see) is not coming.
    theirs = new_case(deployed, neighbour, "realtime-0002")
    assert deployed.push(theirs["id"], "own_case").returncode == 0
    wait_until(lambda: (theirs["id"], "own_case") in [(h["case_id"], h["event"]) for h in outsider.heard],
               "the neighbour's own push", timeout=20)
    assert {h["case_id"] for h in outsider.heard} == {theirs["id"]}
    for listener in [*listeners.values(), outsider]:
        listener.client.disconnect()


def test_the_official_node_client_connects_subscribes_hears_and_resyncs(deployed):
    node = node_client()
    resident, hub = deployed.login("demo-resident-1"), deployed.login("demo-hub-dispatcher-1")
    case = new_case(deployed, resident, "realtime-0101")
    client = subprocess.Popen([node, str(NODE_DIR / "client.js"), deployed.api, resident, str(case["id"])],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in iter(client.stdout.readline, "")],
                     daemon=True).start()
    try:
        def step(name: str) -> dict:
            try:
                said = json.loads(lines.get(timeout=30))
            except queue.Empty:
                raise AssertionError(f"the node client said nothing for 30 s (waiting for {name})") from None
            assert said["step"] == name, said
            return said.get("data")

        refused = step("refused")
        assert refused["data"]["error"]["code"] == "invalid_token"
        assert refused["message"] == "the token is invalid, expired or revoked"
        step("connected")
        assert step("subscribed") == {"subscribed": case["id"], "case_id": case["id"], "seq": 1,
                                      "state": "submitted", "version": case["version"], "status": "up_to_date"}
        assert deployed.push(case["id"], "case_changed").returncode == 0
        pushed = step("case")
        assert {k: pushed[k] for k in ("case_id", "seq", "event", "state")} == {
            "case_id": case["id"], "seq": 1, "event": "case_changed", "state": "submitted"}
        step("disconnected")
        act(deployed, hub, case["id"], "accept", note="内部备注")  # while the phone is away
        client.stdin.write("go\n")
        client.stdin.flush()
        resynced = step("resynced")
        assert resynced["answer"]["cases"][0]["status"] == "replay"
        assert [(e["seq"], e["action"], e["to_state"]) for e in resynced["entries"]] == [(2, "accept", "accepted")]
        assert resynced["entries"][0]["payload"] == {}  # the hub's note is not the reporter's to read
        assert client.wait(20) == 0
    finally:
        if client.poll() is None:
            client.kill()
        client.wait(10)
        client.stdin.close()
        client.stdout.close()


def test_redis_going_away_degrades_sockets_and_they_recover(deployed):
    resident, hub = deployed.login("demo-resident-1"), deployed.login("demo-hub-dispatcher-1")
    case = new_case(deployed, resident, "realtime-0201")
    listeners = clients_on_each_worker(deployed, hub)
    deployed.redis.stop()
    try:
        # HTTP keeps working: reads, an action, even a login.
        assert deployed.call(hub, "GET", f"/api/mp/cases/{case['id']}").status_code == 200
        act(deployed, hub, case["id"], "accept")
        assert deployed.login("demo-county-admin")
        # A push from another process fails loudly (the relay keeps its effect), not silently.
        failed = deployed.push(case["id"], "while_down")
        assert failed.returncode != 0 and "did not take the push" in failed.stderr
        assert all(listener.client.connected for listener in listeners.values())
    finally:
        deployed.redis.start()
    # The workers' listeners reconnect by themselves; pushes flow again to both.
    wait_until(lambda: deployed.push(case["id"], "after").returncode == 0 and all(
        "after" in listener.events() for listener in listeners.values()), "recovery", timeout=60, every=1)
    # What was missed meanwhile comes back by resync.
    answer = next(iter(listeners.values())).client.call("resync", {str(case["id"]): 1}, timeout=10)
    assert answer["cases"][0]["status"] == "replay" and answer["cases"][0]["replayed"] == 1
    for listener in listeners.values():
        listener.client.disconnect()


def test_scripts_run_serves_sockets_in_development(running):
    """The development server (flask run, threading mode, no Redis) takes sockets too."""
    from tests.e2e.conftest import login
    token = login(running, "demo-resident-1")
    client = socketio.Client(reconnection=False)
    client.connect(running["api"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        answer = client.call("resync", {"999999": 0}, timeout=10)
        assert answer == {"cases": [{"case_id": 999999, "status": "not_found"}]}
    finally:
        client.disconnect()
