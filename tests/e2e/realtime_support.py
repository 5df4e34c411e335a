"""What the real-time end-to-end tests start: their own Redis (so they may stop it), the
WeChat simulator, scripts/serve with gevent workers, and the official Node client.

Node and redis-server are required when SHAOBAO_REQUIRE_SERVICES=1 (CI installs them);
elsewhere the tests that need them are skipped with the reason."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
import socketio

from tests.conftest import fresh_database
from tests.e2e.conftest import ROOT, free_port, stop_group

NODE_DIR = ROOT / "tests/e2e/node"
BIN = Path(sys.executable).parent
REQUIRED = os.environ.get("SHAOBAO_REQUIRE_SERVICES") == "1"


def need(what: str, found) -> str:
    if found:
        return found
    if REQUIRED:
        raise RuntimeError(f"SHAOBAO_REQUIRE_SERVICES=1 but {what} is not installed")
    pytest.skip(f"{what} is not installed here (CI installs it: .ci/run)")


def node_client() -> str:
    """node, with tests/e2e/node's locked packages installed (npm ci, again when the lock changes)."""
    node = need("node", shutil.which("node"))
    npm = need("npm", shutil.which("npm"))
    lock = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = NODE_DIR / "node_modules" / ".shaobao-lock"
    if not stamp.exists() or stamp.read_text() != lock:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                       check=True, timeout=600)
        stamp.write_text(lock)
    return node


def wait_until(check, what: str, timeout: float = 60, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception:  # not up yet (refused, reset, a Redis error): ask again
            pass
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout}s")


class Redis:
    """A redis-server of the test's own, on a fixed port so it can be stopped and restarted."""

    def __init__(self, workdir: Path):
        self.binary = need("redis-server", shutil.which("redis-server") or
                           (os.path.exists("/usr/bin/redis-server") and "/usr/bin/redis-server"))
        self.port, self.dir, self.process = free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        wait_until(lambda: redis.Redis.from_url(self.url, socket_connect_timeout=1).ping(), "redis start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def group(command, env, log: Path) -> subprocess.Popen:
    """A child in its own process group (stopped whole), its output in a file (never a full pipe)."""
    handle = log.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                               start_new_session=True)
    process.log_handle = handle
    return process


def stop_logged(process: subprocess.Popen) -> None:
    stop_group(process)
    process.log_handle.close()


class Deployment:
    """scripts/serve with WORKERS gevent workers and Redis, the simulator, a prepared database."""

    def __init__(self, tmp: Path, workers: int = 2):
        self.tmp, self.workers = tmp, workers
        self.redis = Redis(tmp)
        self.port = free_port()
        self.sim_port = free_port(self.port)
        self.api, self.sim = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.sim_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_",
                                                                        "REDIS_URL", "SOCKETIO_"))}
        env.update(SHAOBAO_VAR_DIR=str(tmp / "var"), FLASK_APP="backend.app:create_app", PYTHONUNBUFFERED="1",
                   WECHAT_SIM_PORT=str(self.sim_port), WECHAT_API_BASE=self.sim, REDIS_URL=self.redis.url,
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   # The production limits, but for logins: every phone here is 127.0.0.1.
                   LIMIT_LOGIN="100/minute")
        if os.environ.get("SHAOBAO_TEST_DATABASE_URL"):
            env["DATABASE_URL"] = fresh_database(os.environ["SHAOBAO_TEST_DATABASE_URL"], "shaobao_realtime")
        self.env = env
        self.children: list[subprocess.Popen] = []

    def flask(self, *args, check=True, timeout=120) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, check=check, timeout=timeout)

    def start(self):
        self.redis.start()
        self.flask("setup")
        self.children.append(group([str(BIN / "flask"), "wechat-sim", "--port", str(self.sim_port)],
                                   self.env, self.tmp / "sim.log"))
        self.server = group([str(ROOT / "scripts/serve")], {**self.env, "PORT": str(self.port),
                                                            "WORKERS": str(self.workers)}, self.tmp / "serve.log")
        self.children.append(self.server)
        wait_until(lambda: requests.get(f"{self.sim}/sim/clock", timeout=1).ok, "the simulator")
        wait_until(lambda: requests.get(f"{self.api}/healthz", timeout=1).ok, "scripts/serve")
        return self

    def stop(self):
        for child in reversed(self.children):
            stop_logged(child)
        self.redis.stop()

    def server_log(self) -> str:
        return (self.tmp / "serve.log").read_text(errors="replace")

    def login(self, openid: str) -> str:
        code = requests.post(f"{self.sim}/sim/wx-login", json={"openid": openid}, timeout=5).json()["code"]
        response = requests.post(f"{self.api}/api/mp/auth/login", json={"code": code}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def call(self, token: str, method: str, path: str, **kwargs):
        return requests.request(method, f"{self.api}{path}", headers={"Authorization": f"Bearer {token}"},
                                timeout=15, **kwargs)

    def push(self, case_id: int, event: str) -> subprocess.CompletedProcess:
        """push_case from a third process: the external emitter, through Redis."""
        return self.flask("sockets", "push", str(case_id), "--event", event, check=False, timeout=60)


def deployed_for_module(tmp_path_factory, name: str):
    """A module's production shape (2 gevent workers and Redis), stopped after its last
    test; the server's log is printed then, which pytest shows when a test failed."""
    deployment = Deployment(tmp_path_factory.mktemp(name), workers=2)
    try:
        yield deployment.start()
    finally:
        deployment.stop()
        print(deployment.server_log()[-3000:])


class Listener:
    def __init__(self, url: str, token: str):
        self.heard: list[dict] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("case", self.heard.append)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    @property
    def local_port(self) -> int:
        return self.client.eio.ws.sock.getsockname()[1]

    def events(self) -> list[str]:
        return [d["event"] for d in self.heard]


def clients_on_each_worker(deployed, token: str) -> dict[int, Listener]:
    """Connect until each gunicorn worker holds one of our sockets (the kernel decides which
    worker accepts; the worker is found by who owns the server end of the connection)."""
    workers = psutil.Process(deployed.server.pid).children()
    assert len(workers) == 2, workers
    placed: dict[int, Listener] = {}
    spare = []
    for _ in range(40):
        listener = Listener(deployed.api, token)
        port = listener.local_port
        owner = next(w.pid for w in workers for c in w.net_connections("tcp") if c.raddr and c.raddr.port == port)
        if owner in placed:
            spare.append(listener)
        else:
            placed[owner] = listener
        if len(placed) == 2:
            break
    for listener in spare:
        listener.client.disconnect()
    assert len(placed) == 2, "every connection went to one worker"
    return placed
