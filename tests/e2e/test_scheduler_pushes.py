"""Notices the scheduler writes reach the sockets under scripts/run (no Redis): the
scheduler, a process serving no socket, leaves them to the server's relay, which sweeps
them; a deadline warning moved into being by `scripts/demo clock` reaches a hub's socket."""
from __future__ import annotations

import os
import subprocess
from datetime import datetime

import pytest
import requests
import socketio

from tests.e2e.conftest import ROOT, get, login, until

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


def demo_clock(running, by: str) -> subprocess.CompletedProcess:
    """scripts/demo clock as a person runs it beside scripts/run: the same ports and var/."""
    port, sim_port = running["ports"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
    env.update(PORT=str(port), WECHAT_SIM_PORT=str(sim_port), SHAOBAO_VAR_DIR=str(running["var"]))
    return subprocess.run([str(ROOT / "scripts/demo"), "clock", by], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def report(running, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    tree = requests.get(f"{running['api']}/api/mp/categories", headers=headers, timeout=10).json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    response = requests.post(f"{running['api']}/api/mp/cases", headers=headers, timeout=15, json={
        "client_id": "sched-push-0001", "category_id": category, "description": "路灯不亮", **SPOT})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.own_run   # it moves the clock
def test_a_deadline_warning_from_the_scheduler_reaches_a_connected_hub_socket(running):
    resident, hub = login(running, "demo-resident-1"), login(running, "demo-hub-dispatcher-1")
    case = report(running, resident)
    heard: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("case", heard.append)
    client.connect(running["api"], auth={"token": hub}, transports=["websocket"], wait_timeout=10)
    try:
        detail = get(running, f"/api/mp/cases/{case['id']}", hub).json()
        [clock] = [d for d in detail["deadlines"] if d["warn_at"] and not d["stopped_at"]]
        warn_at, due_at = (datetime.fromisoformat(clock[k]) for k in ("warn_at", "due_at"))
        # Halfway between the yellow warning and the red alert: the warning only.
        target = warn_at + (due_at - warn_at) / 2
        ahead = int((target - datetime.fromisoformat(case["created_at"])).total_seconds())
        moved = demo_clock(running, f"+{ahead}s")
        assert moved.returncode == 0, moved.stdout + moved.stderr

        def warned():
            return [h for h in heard if h["case_id"] == case["id"] and h["event"] == "deadline_warning"]
        [notice] = until(warned, "the deadline warning on the hub's socket", timeout=90)
        detail = get(running, f"/api/mp/cases/{case['id']}", hub).json()
        assert notice["seq"] == detail["timeline"][-1]["seq"]
        assert not [h for h in heard if h["case_id"] == case["id"] and h["event"] == "overdue"]
    finally:
        client.disconnect()
