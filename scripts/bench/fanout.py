"""Benchmark: Socket.IO broadcast to 500, 1,000 and 5,000 clients in one room.

Servers, all in the same run: our application (create_app, token checked at connect, the
push going through push_case: rooms from the access module, the case's seq from the
database) under gunicorn in each candidate async mode — gevent (-k gevent) and threading
(-k gthread, one thread per socket) — with one worker, and with gevent also the production
shape of 2 workers sharing rooms through Redis (ours-gevent-2w); a bare python-socketio
server under gevent; and a bare Node socket.io server as the reference.

The load generator is one Node process with the official socket.io-client (websocket
transport): it connects N sockets, then runs ROUNDS broadcasts; latency is from the
trigger to each socket's arrival on the generator's clock, so it includes the generator
draining N messages on one thread. The generator and the server share this machine's
cores: the figures are a comparison in one run, not absolute capacities. Memory per
connection is the server's RSS (master and workers) with N connected minus with one, / N;
threads are the server's OS threads with N connected.

    .venv/bin/python scripts/bench/fanout.py [--sizes 500,1000,5000] [--rounds 20]
        [--servers ours-gevent,ours-threading,bare-gevent,node]

Needs node and npm (the packages in scripts/bench/node are installed from its lockfile).
Not a test: figures, not verdicts. Goals: p99 at 500 within 1.5x Node's; at 5,000 every
message delivered and p99 under 300 ms; under 70 KB per connection.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NODE_DIR = ROOT / "scripts/bench/node"
SERVERS = ("ours-gevent", "ours-gevent-2w", "ours-threading", "bare-gevent", "node")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def node_ready() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise SystemExit("fanout: node and npm are needed (Debian: apt-get install nodejs npm)")
    lock = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = NODE_DIR / "node_modules" / ".shaobao-lock"
    if not stamp.exists() or stamp.read_text() != lock:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
        stamp.write_text(lock)
    return node


def prepare(env: dict) -> tuple[int, str]:
    """A demo county in a throwaway SQLite file; a case of demo-resident-1 and a token."""
    subprocess.run([str(BIN / "flask"), "setup"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = """
import json, sqlalchemy as sa
from backend.app import create_app
from backend.extensions import db
from backend.models import User
from backend.services import auth
from tests.integration.case_helpers import report
app = create_app()
with app.app_context():
    user = db.session.scalar(sa.select(User).where(User.openid == "demo-resident-1"))
    token, _ = auth.issue_token(user)
    db.session.commit()
    class Phone:
        def post(self, path, **kw):
            return app.test_client().post(path, headers={"Authorization": "Bearer " + token}, **kw)
    print(json.dumps({"case": report(Phone())["id"], "token": token}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    made = json.loads(out.stdout.strip().splitlines()[-1])
    return made["case"], made["token"]


def start_redis(var: Path) -> tuple[subprocess.Popen, str]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(server):
        raise SystemExit("fanout: redis-server is needed for the 2-worker shape (or leave ours-gevent-2w out)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(var)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return process, f"redis://127.0.0.1:{port}/0"


def start_server(kind: str, port: int, env: dict, size: int, node: str) -> subprocess.Popen:
    workers = "2" if kind.endswith("-2w") else "1"  # -2w: the production shape, sharing rooms through Redis
    # Python servers run with scripts/serve's process settings (config/gunicorn.py: GC tuning).
    bind = ["--config", "python:config.gunicorn",
            "--bind", f"127.0.0.1:{port}", "--workers", workers, "--no-control-socket", "--log-level", "warning",
            "--worker-connections", str(size + 1000),  # gunicorn's default (1000) caps gthread too
            "--chdir", str(ROOT), "--pythonpath", f"{ROOT},{ROOT / 'scripts/bench'}"]
    if kind == "node":
        command = [node, str(NODE_DIR / "server.js"), str(port)]
    elif "gevent" in kind:
        command = [str(BIN / "gunicorn"), "-k", "gevent", *bind]
    else:  # threading: every open socket holds one of gthread's threads
        command = [str(BIN / "gunicorn"), "-k", "gthread", "--threads", str(size + 100), *bind]
    if kind.startswith("ours"):
        command.append("fanout_servers:ours()")
        env = {**env, "SOCKETIO_ASYNC_MODE": kind.split("-")[1], "SOCKETIO_TRANSPORTS": "websocket"}
        if workers == "2":
            env["REDIS_URL"] = env["BENCH_REDIS_URL"]
    elif kind.startswith("bare"):
        command.append(f"fanout_servers:bare('{kind.split('-')[1]}')")
    log = open(os.environ.get("FANOUT_SERVER_LOG", os.devnull), "a")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                            start_new_session=True, preexec_fn=raise_fd_limit)


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"fanout: nothing listens on {port}")


def tree(pid: int) -> list[psutil.Process]:
    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def rss(pid: int) -> int:
    return sum(p.memory_info().rss for p in tree(pid))


def threads(pid: int) -> int:
    return sum(p.num_threads() for p in tree(pid))


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)


def measure(kind: str, size: int, rounds: int, env: dict, token: str, node: str) -> dict:
    port = free_port()
    server = start_server(kind, port, env, size, node)
    load = None
    try:
        wait_port(port)
        load = subprocess.Popen([node, str(NODE_DIR / "load.js"), f"http://127.0.0.1:{port}", str(size), str(rounds),
                                 token if kind.startswith("ours") else "-"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=raise_fd_limit)
        assert json.loads(load.stdout.readline())["step"] == "warm"
        time.sleep(1.0)
        before = rss(server.pid)  # one client served: lazy imports, pools and caches are in
        load.stdin.write("connect\n")
        load.stdin.flush()
        connected = json.loads(load.stdout.readline())
        time.sleep(1.0)
        after, after_threads = rss(server.pid), threads(server.pid)
        load.stdin.write("go\n")
        load.stdin.flush()
        results = json.loads(load.stdout.readline())
        load.wait(60)
    finally:
        if load is not None and load.poll() is None:
            load.kill()
            load.wait()
        stop(server)
    return {"server": kind, "clients": size, "connected": connected.get("connected"),
            "connect_s": round(connected.get("seconds", 0), 1),
            "p50_ms": results.get("p50"), "p99_ms": results.get("p99"),
            "delivered": results.get("delivered", 0) / (size * rounds),
            "kb_per_conn": (after - before) / 1024 / max(1, connected.get("connected") or 1),
            "threads": after_threads}


def table(rows: list[dict]) -> str:
    node = {r["clients"]: r for r in rows if r["server"] == "node"}
    lines = [f"{'server':<15}{'clients':>8}{'connected':>10}{'p50 ms':>9}{'p99 ms':>9}{'p99/node':>9}"
             f"{'delivered':>10}{'KB/conn':>9}{'threads':>8}{'connect s':>10}"]
    for r in rows:
        ref = node.get(r["clients"], {}).get("p99_ms")
        ratio = f"{r['p99_ms'] / ref:.2f}x" if ref and r["p99_ms"] is not None else "-"
        p50 = f"{r['p50_ms']:.1f}" if r["p50_ms"] is not None else "-"
        p99 = f"{r['p99_ms']:.1f}" if r["p99_ms"] is not None else "-"
        lines.append(f"{r['server']:<15}{r['clients']:>8}{r['connected']:>10}{p50:>9}{p99:>9}{ratio:>9}"
                     f"{r['delivered']:>9.1%}{r['kb_per_conn']:>9.1f}{r['threads']:>8}{r['connect_s']:>10}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,1000,5000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--threading-max", type=int, default=1000,
                        help="largest size tried in threading mode (it holds a thread per socket and "
                             "took about a minute to connect 1,000 here)")
    args = parser.parse_args()
    node = node_ready()
    raise_fd_limit()
    var = Path(tempfile.mkdtemp(prefix="shaobao-fanout-"))
    env = dict(os.environ, SHAOBAO_VAR_DIR=str(var), FLASK_APP="backend.app:create_app", REDIS_URL="",
               WECHAT_API_BASE=f"http://127.0.0.1:{free_port()}", WECHAT_TIMEOUT_SECONDS="1")
    env.pop("DATABASE_URL", None)
    redis = start_redis(var) if any(k.endswith("-2w") for k in args.servers.split(",")) else None
    if redis is not None:
        env["BENCH_REDIS_URL"] = redis[1]
    try:
        case_id, token = prepare(env)
        env["BENCH_CASE_ID"] = str(case_id)
        rows = []
        for size in [int(s) for s in args.sizes.split(",")]:
            for kind in args.servers.split(","):
                if kind.endswith("threading") and size > args.threading_max:
                    print(f"fanout: {kind} skipped at {size} (--threading-max {args.threading_max})", file=sys.stderr)
                    continue
                row = measure(kind, size, args.rounds, env, token, node)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
        print(f"\nSocket.IO broadcast, {args.rounds} rounds per size; load generator (1 Node process) and "
              f"servers share {os.cpu_count()} cores; our server on SQLite.\n")
        print(table(rows))
    finally:
        if redis is not None:
            redis[0].terminate()
            redis[0].wait(10)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
