"""scripts/run starts the scheduler: a real case's clock, moved past due through the
test-only clock file every process reads, goes red on its own; /healthz shows the beat."""
from __future__ import annotations

import signal

import pytest
import requests

from backend.services.clock import OffsetFileClock
from tests.e2e.conftest import get, login, until

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


@pytest.fixture()
def run_env(tmp_path):
    return {"SHAOBAO_CLOCK_FILE": str(tmp_path / "clock"), "SCHEDULER_TICK_SECONDS": "0.5"}


@pytest.mark.own_run   # it stops scripts/run
def test_a_clock_goes_red_by_itself_and_healthz_shows_the_heartbeat(running, run_env):
    def scheduler_health():
        return requests.get(f"{running['api']}/healthz", timeout=5).json()["checks"]["scheduler"]
    beat = until(lambda: scheduler_health().get("holder") and scheduler_health(), "the first heartbeat")
    assert beat["ok"] is True and beat["age_seconds"] < 30 and beat["holder"]["pid"] > 0

    resident, hub = login(running, "demo-resident-1"), login(running, "demo-hub-dispatcher-1")
    headers = {"Authorization": f"Bearer {resident}"}
    tree = requests.get(f"{running['api']}/api/mp/categories", headers=headers, timeout=10).json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    case = requests.post(f"{running['api']}/api/mp/cases", headers=headers, timeout=10, json={
        "client_id": "e2e-scheduler-001", "category_id": category, "description": "路面有积水", **SPOT}).json()
    detail = get(running, f"/api/mp/cases/{case['id']}", hub).json()
    (triage,) = detail["deadlines"]
    assert triage["breached_at"] is None and not detail["supervised"]

    OffsetFileClock(run_env["SHAOBAO_CLOCK_FILE"]).advance(10 * 24 * 3600)   # ten days on
    detail = until(lambda: (d := get(running, f"/api/mp/cases/{case['id']}", hub).json())["supervised"] and d,
                   "the scheduler to raise the red alert")
    (triage,) = detail["deadlines"]
    assert triage["breached_at"] is not None and triage["warned_at"] is not None
    assert [e["action"] for e in detail["timeline"]][-1] == "overdue"
    assert scheduler_health()["ok"] is True            # the heartbeat runs on the same moved clock

    running["process"].send_signal(signal.SIGINT)     # Ctrl-C: the scheduler stops with the rest
    running["process"].wait(20)
    running["reader"].join(10)
    output = "".join(running["output"])
    assert "scheduler stopped" in output and "scripts/run: stopped" in output
