"""End-to-end fixtures: scripts/run started for real, as a newcomer starts it.

On the PostgreSQL run the service gets its own database (DATABASE_URL), so the embedded
and the production database paths are both exercised end to end.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]


def free_port(*taken: int) -> int:
    """A port nobody listens on now, other than those taken (the system may hand out a
    port just released again)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port


def until(condition, what: str, timeout: float = 60, every: float = 0.05):
    """Poll (no sleeping for timing): the condition's value as soon as it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_line(process, text: str, timeout: float = 120) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} never printed; output:\n{''.join(seen)[-4000:]}")


@pytest.fixture()
def run_env() -> dict:
    """More environment for scripts/run; a test module overrides this fixture."""
    return {}


_RUN_NUMBERS = itertools.count(1)


@contextlib.contextmanager
def started(var_dir: Path, run_env: dict):
    """scripts/run as a newcomer starts it, until Ctrl-C: its URLs, banner, process, output."""
    port = free_port()
    sim_port = free_port(port)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
    env.update(PORT=str(port), WECHAT_SIM_PORT=str(sim_port), SHAOBAO_VAR_DIR=str(var_dir), **run_env)
    if os.environ.get("SHAOBAO_TEST_DATABASE_URL"):
        # A database of its own: a module's shared runs are up at the same time.
        env["DATABASE_URL"] = fresh_database(os.environ["SHAOBAO_TEST_DATABASE_URL"],
                                             f"shaobao_e2e_{next(_RUN_NUMBERS)}")
    # Its own process group: whatever happens to the test, everything it started is stopped.
    process = subprocess.Popen([str(ROOT / "scripts/run")], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    reader = None
    try:
        banner = wait_for_line(process, "Press Ctrl-C to stop.")
        # Keep reading what it prints: a full pipe would block the servers' logging.
        output: list[str] = []
        reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")),
                                  daemon=True)
        reader.start()
        yield {"api": f"http://127.0.0.1:{port}", "sim": f"http://127.0.0.1:{sim_port}",
               "banner": banner, "process": process, "ports": (port, sim_port), "var": var_dir,
               "database_url": env.get("DATABASE_URL"),
               "output": output, "reader": reader}
    finally:
        stop(process, reader)


@pytest.fixture(scope="module")
def shared_runs(tmp_path_factory):
    """The scripts/run instances a module's tests share, one per environment: starting one
    takes seconds, and the tests of a module use demo users of their own."""
    with contextlib.ExitStack() as stack:
        runs: dict[tuple, dict] = {}

        def run_for(run_env: dict) -> dict:
            key = tuple(sorted(run_env.items()))
            if key not in runs:
                runs[key] = stack.enter_context(started(tmp_path_factory.mktemp("run") / "var", run_env))
            return runs[key]

        yield run_for


@pytest.fixture()
def running(request, tmp_path, run_env, shared_runs):
    """scripts/run, shared with the module's other tests in the same environment; a test
    marked `own_run` (it stops the processes, or needs time unmoved) gets one of its own."""
    if request.node.get_closest_marker("own_run"):
        with started(tmp_path / "var", run_env) as run:
            yield run
    else:
        run = shared_runs(run_env)
        assert run["process"].poll() is None, "a shared scripts/run stopped: mark that test own_run"
        yield run


def stop_group(process, first=signal.SIGTERM, whole_group: bool = True) -> None:
    """Ask (first: to the group, or to its leader only), then make sure of it: SIGKILL to
    the whole group, whatever the leader left behind."""
    if process.poll() is None:
        (os.killpg if whole_group else os.kill)(process.pid, first)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


def stop(process, reader: threading.Thread | None = None) -> None:
    """Ctrl-C as a person would (scripts/run stops its children), then make sure of it.
    The pipe is closed only once the reader has read to its end (every writer is gone
    by then): closed under a reader still in readline, the reader thread would fail."""
    stop_group(process, signal.SIGINT, whole_group=False)
    if reader is not None:
        reader.join(10)
    process.stdout.close()


def login(running, openid: str) -> str:
    code = requests.post(f"{running['sim']}/sim/wx-login", json={"openid": openid}, timeout=5).json()["code"]
    response = requests.post(f"{running['api']}/api/mp/auth/login", json={"code": code}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def get(running, path: str, token: str):
    return requests.get(f"{running['api']}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


