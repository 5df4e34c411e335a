"""The faults, injected one after another while the phones keep going. Each returns a Fault
saying when it began and when what it broke was back (the same moment for a kill: there
is nothing to bring back, the rest of the shape must carry on); recovery is measured from
that moment to the first request answered 200/201 that was sent after it (for the
scheduler: its heartbeat from the new process in /healthz)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

from .deployment import Deployment

POSTGRES_DOWN_SECONDS = 2
REDIS_DOWN_SECONDS = 3
SIMULATOR_WINDOW_SECONDS = 10
SIMULATOR_DELAY_SECONDS = 3     # under WECHAT_TIMEOUT_SECONDS (5): slow, yet answered


@dataclass
class Fault:
    name: str
    started: float
    back: float = 0.0
    recovered: float | None = None      # seconds after back
    note: str = ""
    errors: dict[str, int] = field(default_factory=dict)


def kill_worker(shape: Deployment) -> Fault:
    fault = Fault("worker SIGKILL", time.monotonic())
    pid = shape.kill_worker()
    fault.back, fault.note = time.monotonic(), f"pid {pid}; gunicorn starts another"
    return fault


def restart_postgres(mode: str):
    def inject(shape: Deployment) -> Fault:
        fault = Fault(f"PostgreSQL restart ({mode})", time.monotonic())
        shape.postgres.stop(mode)
        time.sleep(POSTGRES_DOWN_SECONDS)
        shape.postgres.start_again()
        fault.back, fault.note = time.monotonic(), f"down {time.monotonic() - fault.started:.1f}s"
        return fault
    return inject


def restart_redis(shape: Deployment) -> Fault:
    fault = Fault("Redis restart", time.monotonic())
    shape.redis.stop()
    time.sleep(REDIS_DOWN_SECONDS)
    shape.redis.start()
    fault.back, fault.note = time.monotonic(), f"down {time.monotonic() - fault.started:.1f}s, emptied"
    return fault


def kill_scheduler(shape: Deployment) -> Fault:
    fault = Fault("scheduler SIGKILL", time.monotonic())
    killed = shape.scheduler.process.pid
    shape.scheduler.kill()
    fault.back, fault.note = time.monotonic(), f"pid {killed}; restarted by the run's supervisor"
    fault.recovered = _scheduler_beats(shape, killed, fault.back)
    return fault


def _scheduler_beats(shape: Deployment, killed: int, since: float, within: float = 90) -> float | None:
    """Seconds until /healthz shows a heartbeat from a scheduler other than the one killed."""
    while time.monotonic() < since + within:
        try:
            holder = requests.get(f"{shape.api}/healthz", timeout=5).json()["checks"]["scheduler"].get("holder")
        except (requests.RequestException, ValueError, KeyError):
            holder = None
        if holder and holder.get("pid") not in (None, killed):
            return time.monotonic() - since
        time.sleep(0.25)
    return None


def simulator(mode: str, label: str):
    """WeChat (every endpoint the service calls) slow or failing for a while; while it fails,
    WeChat Pay also sends each payment notification twice."""
    def inject(shape: Deployment) -> Fault:
        fault = Fault(f"WeChat {label}", time.monotonic())
        arm = {"path": "*", "mode": mode, "count": None, "delay_seconds": SIMULATOR_DELAY_SECONDS}
        requests.post(f"{shape.sim}/sim/faults", json=arm, timeout=10).raise_for_status()
        if mode == "http500":
            requests.post(f"{shape.sim}/sim/pay/notify-mode", json={"mode": "duplicate", "count": 1000},
                          timeout=10).raise_for_status()
        time.sleep(SIMULATOR_WINDOW_SECONDS)
        requests.delete(f"{shape.sim}/sim/faults", timeout=10).raise_for_status()
        requests.post(f"{shape.sim}/sim/pay/notify-mode", json={"mode": "normal"}, timeout=10).raise_for_status()
        fault.back = time.monotonic()
        fault.note = f"{SIMULATOR_WINDOW_SECONDS}s" + (", notifications sent twice" if mode == "http500" else
                                                       f", +{SIMULATOR_DELAY_SECONDS}s per call")
        return fault
    return inject


SCHEDULE = (kill_worker, restart_postgres("fast"), restart_redis, kill_scheduler,
            simulator("timeout", "slow"), restart_postgres("immediate"), simulator("http500", "failing"),
            kill_worker)
