"""Children in process groups of their own, so each is stopped whole, and the throwaway
PostgreSQL cluster and Redis server the run restarts under load.

PostgreSQL is started by scripts/lib/services.sh (start_postgres, as scripts/test does) and
stopped and started again with its pg_ctl; Redis is a plain redis-server child on a fixed
port, so stopping it and starting it again brings it back where the workers look for it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts/lib/services.sh"
DURABLE = ("fsync", "synchronous_commit", "full_page_writes")


def free_port(*taken: int) -> int:
    """A port nobody listens on now, other than those taken (one just released may come again)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port


def spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A child in its own session (its process group is stopped whole), output in a file."""
    with log.open("a") as handle:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_group(process: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM to the child's group, then SIGKILL to whatever is left of it."""
    if process is None:
        return
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


def _services_sh(script: str, *args: str, timeout: float = 180) -> str:
    """Run bash with scripts/lib/services.sh sourced; its stdout (stderr passes through)."""
    result = subprocess.run(["bash", "-c", f'source "{SERVICES}"; {script}', "faults", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"services.sh: {script!r} failed ({result.returncode})")
    return result.stdout


class Postgres:
    """A throwaway cluster under DIR/pg, made durable as a production one is: scripts/test's
    settings (synchronous_commit and fsync off) lose the last commits in a crash, so an
    immediate stop would lose reports the service acknowledged through no fault of its own."""

    def __init__(self, var: Path):
        self.var, self.url, self.bin = var, "", ""
        self.pg_dir, self.data = var / "pg", var / "pg" / "data"

    def start(self) -> str:
        out = _services_sh('start_postgres "$1" && echo "$SHAOBAO_TEST_POSTGRES_URL" && _shaobao_find_pg_bin',
                           str(self.var)).split()
        self.url, self.bin = out[-2], out[-1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            for setting in DURABLE:
                conn.execute(f"ALTER SYSTEM SET {setting} = on")
            conn.execute("SELECT pg_reload_conf()")
        return self.url

    @property
    def port(self) -> int:
        return urlparse(self.url).port

    def pg_ctl(self, *args: str) -> None:
        """pg_ctl as the cluster's owner (the postgres user when we are root)."""
        _services_sh('_shaobao_pg_as_owner "$1" "$2/pg_ctl" -D "$3" "${@:4}" >/dev/null',
                     str(self.pg_dir), self.bin, str(self.data), *args)

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def start_again(self) -> None:
        self.pg_ctl("-l", str(self.pg_dir / "postgres.log"), "-w", "-t", "60", "-o", f"-p {self.port}", "start")

    def shut(self) -> None:
        """At the end: stopped whichever way works (safe when already stopped)."""
        if not (self.data / "postmaster.pid").exists():
            return
        try:
            self.stop("fast")
        except (RuntimeError, subprocess.TimeoutExpired):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Redis:
    """redis-server on a fixed port, no persistence: a restart empties it, as a cache's would."""

    def __init__(self, var: Path, binary: str):
        self.var, self.binary, self.port = var / "redis", binary, free_port()
        self.var.mkdir(parents=True, exist_ok=True)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = spawn([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(self.var)], dict(os.environ),
                             self.var / "redis.log")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        stop_group(self.process)
        self.process = None
