"""scripts/faults: prove nothing acknowledged is lost. Runs N simulated phones against the
production shape on loopback (scripts/serve with 2 gevent workers, Redis, PostgreSQL, the
scheduler, the WeChat simulator), injects faults one after another while they run, lets the
service drain, then checks the database against what the phones were told. docs/reliability.md
says how to read what it prints. Exits 1 when a goal (lost, duplicated, ...) is not 0.

    scripts/faults [--duration 150] [--phones 8] [--keep]
"""
from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from faults_lib import injections, phones
from faults_lib.audit import audit, drain
from faults_lib.deployment import Deployment
from faults_lib.listeners import Listener
from faults_lib.report import measure_recovery, render

HUB = "demo-hub-dispatcher-1"
LISTENERS = 2


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=150, help="seconds of load (default 150)")
    parser.add_argument("--phones", type=int, default=8, help="simulated phones (default 8)")
    parser.add_argument("--orders", type=float, default=0.1, help="share of actions that order and pay")
    parser.add_argument("--drain", type=float, default=180, help="seconds to wait for the outbox afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the directory with the logs and data")
    args = parser.parse_args()
    if args.duration < 60 or args.phones < 1:
        parser.error("--duration must be at least 60 (the faults need the time) and --phones at least 1")
    return args


def redis_binary() -> str:
    found = shutil.which("redis-server") or (Path("/usr/bin/redis-server").exists() and "/usr/bin/redis-server")
    if not found:
        sys.exit("faults: redis-server is not installed (scripts/test installs it: install_services)")
    return found


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def start_listeners(shape: Deployment, stop: threading.Event) -> list[Listener]:
    token = phones.login(shape.api, shape.sim, HUB)
    listeners = [Listener(shape.api, token, stop, n) for n in range(1, LISTENERS + 1)]
    for listener in listeners:
        listener.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(lst.heard.connected for lst in listeners):
        time.sleep(0.2)
    return listeners


def start_phones(shape: Deployment, args, journal: phones.Journal, stop: threading.Event) -> list[phones.Phone]:
    tokens = [phones.login(shape.api, shape.sim, f"faults-phone-{n}") for n in range(1, args.phones + 1)]
    where = phones.catalogue(shape.api, tokens[0])
    crowd = [phones.Phone(n, shape.api, shape.sim, token, where, journal, stop, args.orders)
             for n, token in enumerate(tokens, 1)]
    for phone in crowd:
        phone.start()
    return crowd


def inject_all(shape: Deployment, duration: float, began: float) -> list[injections.Fault]:
    """The schedule spread over the middle of the run: a calm start and a calm end."""
    calm = max(10.0, duration * 0.12)
    gap = (duration - 2 * calm) / len(injections.SCHEDULE)
    faults = []
    for number, inject in enumerate(injections.SCHEDULE):
        time.sleep(max(0.0, began + calm + number * gap - time.monotonic()))
        fault = inject(shape)
        say(f"fault: {fault.name} ({fault.note})")
        faults.append(fault)
    time.sleep(max(0.0, began + duration - time.monotonic()))
    return faults


def settle(shape: Deployment, crowd, listeners, journal, args, stops) -> float:
    """Stop the phones, wait for the service to deliver what it owes, stop the listeners;
    the seconds waited."""
    stop_phones, stop_listeners = stops
    stop_phones.set()
    for phone in crowd:
        phone.join(phones.GIVE_UP_SECONDS + phones.TIMEOUT_SECONDS)
    say("load stopped; waiting for the outbox and WeChat Pay's notifications")
    waited = drain(shape.postgres.url, journal, args.drain)
    stop_listeners.set()
    for listener in listeners:
        listener.join(15)
    return waited


def verdict(shape: Deployment, var: Path, faults, journal, listeners, began: float, waited: float, args) -> int:
    measure_recovery(faults, journal)
    found = audit(shape.postgres.url, journal, [lst.heard for lst in listeners],
                  [var / "serve.log", var / "scheduler.log"])
    extra = {"phones": args.phones, "load seconds": f"{args.duration:.0f}", "drain seconds": f"{waited:.0f}",
             "scheduler restarts by the supervisor": shape.scheduler.restarts,
             "scheduler exits the run did not cause": len(shape.scheduler.unplanned)}
    print(render(faults, found, journal, began, extra), flush=True)
    return 1 if any(found.goals.values()) else 0


def run(args, var: Path) -> int:
    shape = Deployment(var, redis_binary())
    stops = (threading.Event(), threading.Event())   # the phones', the listeners'
    journal = phones.Journal()
    try:
        say(f"starting the production shape under {var}")
        shape.start()
        listeners = start_listeners(shape, stops[1])
        crowd = start_phones(shape, args, journal, stops[0])
        began = time.monotonic()
        say(f"load: {args.phones} phones for {args.duration:.0f}s")
        faults = inject_all(shape, args.duration, began)
        waited = settle(shape, crowd, listeners, journal, args, stops)
        return verdict(shape, var, faults, journal, listeners, began, waited, args)
    finally:
        for stop in stops:
            stop.set()
        say("stopping everything")
        shape.stop()


def main() -> int:
    args = options()
    var = Path(tempfile.mkdtemp(prefix="shaobao-faults-", dir="/tmp"))
    var.chmod(0o755)   # as root, PostgreSQL runs as the postgres user and must reach it
    # SIGTERM ends the run as Ctrl-C does: through the finally clauses that stop everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even when started in the background
    try:
        return run(args, var)
    except KeyboardInterrupt:
        return 130
    finally:
        if args.keep:
            say(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
