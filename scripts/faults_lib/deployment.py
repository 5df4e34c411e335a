"""The production shape on loopback, as tests/e2e/test_production_shape.py starts it:
scripts/serve with 2 gevent workers sharing rooms through Redis, PostgreSQL, the scheduler
in a process of its own, and the WeChat simulator (WeChat and WeChat Pay).

The scheduler is kept running as a supervisor (systemd's Restart=always) would: whenever it
exits it is started again a second later. Exits the run did not cause are counted, so a
scheduler that dies by itself (after a database restart, say) shows in the report."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import requests

from .processes import ROOT, Postgres, Redis, free_port, spawn, stop_group

BIN = Path(sys.executable).parent
STRIPPED = ("SHAOBAO_", "DATABASE_URL", "FLASK_", "REDIS_URL", "SOCKETIO_", "WECHAT", "PORT", "LIMIT_")
LOAD_LIMITS = ("LOGIN", "REPORTS", "PHOTOS", "SUPPORT", "SIMILAR", "ORDERS", "PAYMENTS")


def wait_http(url: str, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up at {url}")


class Supervised:
    """The scheduler process, started again whenever it exits (planned or not)."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.command, self.env, self.log = command, env, log
        self.process: subprocess.Popen | None = None
        self.planned = 0               # kills the run made: their restarts are expected
        self.unplanned: list[tuple[float, int]] = []   # (when, exit code) of the others
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="supervisor")

    def start(self) -> None:
        self.process = spawn(self.command, self.env, self.log)
        self._thread.start()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a crash would; the supervisor starts it again."""
        self.planned += 1
        os.kill(self.process.pid, signal.SIGKILL)

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            code = self.process.poll()
            if code is None:
                continue
            if self.planned:
                self.planned -= 1
            else:
                self.unplanned.append((time.monotonic(), code))
            time.sleep(1)
            if not self._stopping.is_set():
                self.process = spawn(self.command, self.env, self.log)
                self.restarts += 1

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)
        stop_group(self.process)


class Deployment:
    def __init__(self, var: Path, redis_binary: str, workers: int = 2):
        self.var, self.workers = var, workers
        self.postgres, self.redis = Postgres(var), Redis(var, redis_binary)
        self.port = free_port()
        self.sim_port = free_port(self.port)
        self.api, self.sim = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.sim_port}"
        self.server: subprocess.Popen | None = None
        self.simulator: subprocess.Popen | None = None
        self.scheduler: Supervised | None = None
        self.env: dict = {}

    def start(self) -> None:
        database = self.postgres.start()
        self.redis.start()
        self.env = self._environment(database)
        with (self.var / "prepare.log").open("w") as log:
            subprocess.run([str(BIN / "flask"), "setup"], cwd=ROOT, env=self.env, check=True,
                           stdout=log, stderr=subprocess.STDOUT)
        self.simulator = spawn([str(BIN / "flask"), "wechat-sim", "--port", str(self.sim_port)], self.env,
                               self.var / "simulator.log")
        wait_http(f"{self.sim}/sim/clock", "the WeChat simulator")
        self.server = spawn([str(ROOT / "scripts/serve")], {**self.env, "WORKERS": str(self.workers)},
                            self.var / "serve.log")
        wait_http(f"{self.api}/healthz", "scripts/serve")
        self.scheduler = Supervised([str(BIN / "flask"), "scheduler", "run"], self.env, self.var / "scheduler.log")
        self.scheduler.start()

    def _environment(self, database: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
        env.update(SHAOBAO_VAR_DIR=str(self.var / "var"), FLASK_APP="backend.app:create_app",
                   PYTHONUNBUFFERED="1", PORT=str(self.port), WECHAT_SIM_PORT=str(self.sim_port),
                   WECHAT_API_BASE=self.sim, REDIS_URL=self.redis.url, DATABASE_URL=database,
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        # A few phones file here what a county's residents would: the abuse limits stay on
        # (they count in Redis, and fall back to memory while it is down) but out of reach.
        env.update({f"LIMIT_{name}": "100000/minute" for name in LOAD_LIMITS})
        return env

    def workers_pids(self) -> list[int]:
        return [child.pid for child in psutil.Process(self.server.pid).children()]

    def kill_worker(self) -> int:
        """SIGKILL the worker holding the most connections: the one most surely mid-request.
        The gunicorn master starts a new one."""
        def busy(pid: int) -> int:
            try:
                return len(psutil.Process(pid).net_connections("tcp"))
            except psutil.Error:
                return -1
        victim = max(self.workers_pids(), key=busy)
        os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        """Everything, in the reverse order; each step whatever happened to the others."""
        for step in (lambda: self.scheduler and self.scheduler.stop(), lambda: stop_group(self.server),
                     lambda: stop_group(self.simulator), self.redis.stop, self.postgres.shut):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - go on stopping the rest
                print(f"faults: while stopping: {error!r}", file=sys.stderr)
