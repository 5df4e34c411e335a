"""`scripts/demo clock +2h` against scripts/run: one command moves the time of the server,
the scheduler and the WeChat simulator together, and WeChat Pay keeps working on it."""
from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime

import pytest
import requests

from tests.e2e.conftest import ROOT, until

pytestmark = pytest.mark.e2e

TWO_HOURS = 7200
SLACK = 60   # seconds: process start-up and the test's own pace, far below the move


def demo(running, *args: str) -> subprocess.CompletedProcess:
    """scripts/demo as a person runs it beside scripts/run: the same ports and var/."""
    port, sim_port = running["ports"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
    env.update(PORT=str(port), WECHAT_SIM_PORT=str(sim_port), SHAOBAO_VAR_DIR=str(running["var"]))
    return subprocess.run([str(ROOT / "scripts/demo"), *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def sim_now(running) -> float:
    return requests.get(f"{running['sim']}/sim/clock", timeout=5).json()["now"]


def scheduler_health(running) -> dict:
    return requests.get(f"{running['api']}/healthz", timeout=5).json()["checks"]["scheduler"]


def beat_at(check: dict) -> float:
    return datetime.fromisoformat(check["beat_at"]).timestamp()


@pytest.mark.own_run   # it starts from time unmoved
def test_one_command_moves_the_server_the_scheduler_and_the_simulator(running):
    assert "ahead of real time" in running["banner"]          # scripts/run gave them the file
    assert abs(sim_now(running) - time.time()) < SLACK

    moved = demo(running, "clock", "+2h")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert moved.stdout.startswith("+2h ahead of real time: now ")

    # The simulator reads the file at every look at its clock.
    assert abs(sim_now(running) - time.time() - TWO_HOURS) < SLACK
    # The scheduler stamps its heartbeat on its clock; /healthz ages it on the server's.
    def moved_heartbeat():
        check = scheduler_health(running)
        return check if beat_at(check) > time.time() + TWO_HOURS - SLACK else None

    check = until(moved_heartbeat, "a heartbeat on the moved clock")
    assert abs(beat_at(check) - time.time() - TWO_HOURS) < SLACK
    assert check["ok"] and 0 <= check["age_seconds"] < SLACK     # server and scheduler agree

    shown = demo(running, "clock")
    assert shown.returncode == 0 and shown.stdout.startswith("+2h ahead of real time")


def test_pay_flows_work_on_the_moved_clock(running):
    """Notifications more than 5 minutes off the server's time are refused: after the move
    the simulator signs them on the same moved time, so paying and refunding still work."""
    assert demo(running, "clock", "+2h").returncode == 0
    services = demo(running, "services")
    assert services.returncode == 0, services.stdout + services.stderr
    assert "all steps succeeded" in services.stdout
    assert "confirmed, paid 10000 fen" in services.stdout and "refunded 10000 fen" in services.stdout
