"""scripts/run as a newcomer runs it: real processes, real HTTP, Ctrl-C stops everything."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests

from tests.e2e.conftest import ROOT, get, login, port_is_closed

pytestmark = pytest.mark.e2e


@pytest.mark.own_run   # it stops scripts/run
def test_a_newcomer_logs_in_as_resident_and_hub_dispatcher_then_stops_it(running):
    assert "demo-hub-dispatcher-1" in running["banner"] and "demo-resident-1" in running["banner"]
    health = requests.get(f"{running['api']}/healthz", timeout=5)
    assert health.json()["status"] == "ok"
    assert health.headers["Server"] == "shaobao"  # no Werkzeug or Python version to look up
    assert health.headers["X-Content-Type-Options"] == "nosniff"

    resident = login(running, "demo-resident-1")
    me = get(running, "/api/mp/me", resident).json()
    assert [g["role"] for g in me["grants"]] == ["resident"]
    assert "*" in me["phone"]
    assert get(running, "/api/console/regions", resident).json() == []

    hub = login(running, "demo-hub-dispatcher-1")
    me = get(running, "/api/mp/me", hub).json()
    assert [(g["role"], g["region"]["name"]) for g in me["grants"]] == [("hub_dispatcher", "凤鸣街道")]
    townships = get(running, "/api/console/regions?level=township", hub).json()
    assert [t["name"] for t in townships] == ["凤鸣街道"]

    newcomer = login(running, "o-e2e-first-timer")
    assert [g["role"] for g in get(running, "/api/mp/me", newcomer).json()["grants"]] == ["resident"]
    assert requests.post(f"{running['api']}/api/mp/auth/logout",
                         headers={"Authorization": f"Bearer {newcomer}"}, timeout=5).status_code == 204
    assert get(running, "/api/mp/me", newcomer).status_code == 401

    spec = requests.get(f"{running['api']}/api/openapi.json", timeout=5).json()
    assert "/api/mp/auth/login" in spec["paths"]

    process = running["process"]
    process.send_signal(signal.SIGINT)
    process.wait(20)  # raises TimeoutExpired if Ctrl-C does not end it
    running["reader"].join(10)
    output = "".join(running["output"])
    assert "scripts/run: stopped" in output
    for port in running["ports"]:
        deadline = time.monotonic() + 10
        while not port_is_closed(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert port_is_closed(port), f"port {port} still open after Ctrl-C"


@pytest.mark.own_run   # it stops scripts/run
def test_a_second_run_on_the_same_database_changes_nothing(running):
    assert ("45 regions added, 16 departments added, 15 users added, 16 grants added, 2 providers added, "
            "3 offerings added") in running["banner"]
    process = running["process"]
    process.send_signal(signal.SIGINT)
    process.wait(20)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "FLASK_"))}
    env.update(SHAOBAO_VAR_DIR=str(running["var"]), FLASK_APP="backend.app:create_app")
    if running["database_url"]:
        env["DATABASE_URL"] = running["database_url"]
    flask = str(ROOT / ".venv/bin/flask") if (ROOT / ".venv/bin/flask").exists() else "flask"
    again = subprocess.run([flask, "seed", "demo"], cwd=ROOT, env=env, text=True, capture_output=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert ("0 regions added, 0 departments added, 0 users added, 0 grants added, 0 providers added, "
            "0 offerings added") in again.stdout


def test_scripts_demo_drives_a_case_through_the_loop(running):
    port, sim_port = running["ports"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
    env.update(PORT=str(port), WECHAT_SIM_PORT=str(sim_port))
    demo = subprocess.run([str(ROOT / "scripts/demo")], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    for step in ("whistle", "return_case", "arbitrate_uphold", "verify_fail", "verify_pass", "rate"):
        assert step in demo.stdout
    assert "every step succeeded" in demo.stdout
    assert "awaiting_rating → closed" in demo.stdout
