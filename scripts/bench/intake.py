"""Benchmark: case submissions (no photos) against the production shape — scripts/serve
(gunicorn, 2 gevent workers, Redis), PostgreSQL, the WeChat simulator answering content
security, the relay pushing each new case to Socket.IO after commit — next to a bare Flask
endpoint doing one INSERT on the same database, served the same way, in the same run.
Prints requests/s and p50/p99 latency at 1 and 8 concurrent clients, ratios, and the CPU
each process spent per request.

    .venv/bin/python scripts/bench/intake.py [--seconds 8]

Without DATABASE_URL it runs itself under scripts/bench/with_postgres (a throwaway
PostgreSQL, fsync off — the same for both endpoints — and Redis). Not a test: figures, not
verdicts.
The load generator (Python threads) shares the machine's 2 cores with everything it measures.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def environment(sim_port: int) -> dict:
    env = dict(os.environ, SHAOBAO_ENV="production", SECRET_KEY="b" * 40,
               WECHAT_APPID="wxbenchmark0000001", WECHAT_SECRET="bench-secret-" + "x" * 20,
               WECHAT_API_BASE=f"http://127.0.0.1:{sim_port}", FLASK_APP="backend.app:create_app",
               SHAOBAO_VAR_DIR=str(Path("/tmp") / f"shaobao-bench-var-{os.getpid()}"),
               # One resident reports as fast as it can: the limit is counted (its cost is
               # part of the figure) but set out of reach.
               LIMIT_REPORTS="1000000/minute")
    return env


def prepare(env: dict) -> None:
    # The demo county's users report here; production refuses to load it, so the
    # database is prepared as a development install would be, then served as production.
    subprocess.run([str(BIN / "flask"), "setup"], cwd=ROOT, env={**env, "SHAOBAO_ENV": "development"},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'scripts/bench'); "
                    "import bare_app; bare_app.create_table()"], cwd=ROOT, env=env, check=True)


def production_server(port: int, env: dict) -> subprocess.Popen:
    """The service as deployed: scripts/serve (gunicorn, 2 gevent workers, Redis)."""
    return subprocess.Popen([str(ROOT / "scripts/serve")], cwd=ROOT, start_new_session=True,
                            env={**env, "WORKERS": "2", "PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bare_server(port: int, env: dict) -> subprocess.Popen:
    """The baseline served the same way: gunicorn, 2 gevent workers, the same settings."""
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "python:config.gunicorn", "--worker-class", "gevent",
         "--workers", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT),
         "--pythonpath", f"{ROOT},{ROOT / 'scripts/bench'}", "bare_app:app"],
        cwd=ROOT, env=env, start_new_session=True)


def login(api: str, sim: str, openid: str) -> str:
    code = requests.post(f"{sim}/sim/wx-login", json={"openid": openid}, timeout=5).json()["code"]
    return requests.post(f"{api}/api/mp/auth/login", json={"code": code}, timeout=5).json()["token"]


def category(api: str, token: str) -> int:
    tree = requests.get(f"{api}/api/mp/categories", headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    return next(node["category"]["id"] for top in tree for node in top["children"]
                if node["category"]["code"] == "T06-02")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and all their descendants (from /proc); a
    negative pid counts that process alone."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        stats[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, list(pids)
    while todo:
        pid = todo.pop()
        total += stats.get(abs(pid), 0.0)
        if pid > 0:
            todo.extend(children.get(pid, []))
    return total


def postgres_pid() -> list[int]:
    """The throwaway PostgreSQL's postmaster (scripts/bench/with_postgres started it)."""
    data = os.environ.get("SHAOBAO_TEST_POSTGRES_DATA")
    pid_file = Path(data) / "postmaster.pid" if data else None
    return [int(pid_file.read_text().split()[0])] if pid_file and pid_file.exists() else []


def load(make_request, clients: int, seconds: float) -> dict:
    """clients threads, each with its own session, for `seconds`; latencies of 2xx answers."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        mine, bad = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = make_request(session, index)
            elapsed = time.perf_counter() - started
            if 200 <= response.status_code < 300:
                mine.append(elapsed)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            failures[0] += bad
        session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {"rps": len(latencies) / wall, "n": len(latencies), "failed": failures[0],
            "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")}


def measured(make_request, clients: int, seconds: float, groups: dict[str, list[int]]) -> dict:
    """load(), plus the CPU each process group spent per answered request meanwhile."""
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    result = load(make_request, clients, seconds)
    count = max(result["n"], 1)
    result["cpu_ms"] = {name: (cpu_seconds(pids) - before[name]) * 1000 / count
                        for name, pids in groups.items()}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.execvp("bash", ["bash", str(ROOT / "scripts/bench/with_postgres"), sys.executable, __file__,
                           *sys.argv[1:]])
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("needs Redis (redis-server) for the production shape's 2 workers")
    sim_port, api_port, bare_port = free_port(), free_port(), free_port()
    env = environment(sim_port)
    prepare(env)
    processes = [subprocess.Popen([str(BIN / "flask"), "wechat-sim", "--port", str(sim_port)], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True),
                 production_server(api_port, env), bare_server(bare_port, env)]
    try:
        api, sim, bare = (f"http://127.0.0.1:{p}" for p in (api_port, sim_port, bare_port))
        for url in (f"{sim}/sim/clock", f"{api}/healthz"):
            wait_http(url)
        tokens = [login(api, sim, f"bench-resident-{i}") for i in range(8)]
        category_id = category(api, tokens[0])

        def submit(session, index):
            body = {"client_id": uuid.uuid4().hex, "category_id": category_id,
                    "description": "路面有积水，行人难以通过", **SPOT}
            return session.post(f"{api}/api/mp/cases", json=body, timeout=30,
                                headers={"Authorization": f"Bearer {tokens[index]}"})

        def insert(session, index):
            return session.post(f"{bare}/bare", json={"description": "路面有积水", **SPOT}, timeout=30)

        wait_http(f"{bare}/bare")
        load(submit, 2, 2)   # warm both up: imports, pools, caches
        load(insert, 2, 2)
        print("Case intake vs a bare one-INSERT endpoint (gunicorn, 2 gevent workers, PostgreSQL fsync=off,")
        print(f"WeChat content check via the local simulator), {args.seconds:.0f} s per scenario.")
        print("Note: 2 cores shared by the load generator, both servers, PostgreSQL and the simulator.\n")
        print(f"{'clients':>7} {'endpoint':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
        groups = {"server": [processes[1].pid], "wechat-sim": [processes[0].pid],
                  "postgres": postgres_pid(), "load-gen": [-os.getpid()]}
        bare_groups = {**groups, "server": [processes[2].pid]}
        cpu_lines = []
        for clients in (1, 8):
            intake = measured(submit, clients, args.seconds, groups)
            baseline = measured(insert, clients, args.seconds, bare_groups)
            for name, result in (("intake", intake), ("bare", baseline)):
                print(f"{clients:>7} {name:<10} {result['rps']:>8.1f} {result['p50']:>8.1f} "
                      f"{result['p99']:>8.1f} {result['failed']:>7}")
                cpu_lines.append(f"{clients:>7} {name:<10} " + "  ".join(
                    f"{group} {ms:.2f}" for group, ms in result["cpu_ms"].items()))
            print(f"{'':>7} ratio      {intake['rps'] / baseline['rps']:>8.2f}x throughput (goal >= 0.5x); "
                  f"intake p99 {intake['p99']:.1f} ms (goal < 25 ms at 8 clients)\n")
        print("CPU milliseconds per answered request, by process (all cores):")
        print("\n".join(cpu_lines))
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
