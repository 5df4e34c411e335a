"""/healthz: is the database answering, Redis (when configured), the scheduler beating.

A stranger learns only ok or not ok (the status code and {"status"}); the checks (what is
down, the scheduler's holder, timings) go to the platform's monitoring, which sends
HEALTH_TOKEN in X-Health-Token, or to a caller on the machine itself (loopback, with no
proxy's forwarding header: behind a reverse proxy on the same host every stranger would
otherwise look local)."""
from __future__ import annotations

import hmac
import ipaddress
import time

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request

from backend.extensions import db
from backend.services import clock, heartbeat

blp = Blueprint("health", __name__)


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a health check reports every failure, whatever it is
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database():
    db.session.execute(sa.text("SELECT 1"))


def _redis():
    with redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2) as client:
        client.ping()


def _scheduler() -> dict:
    config = current_app.config
    try:
        return heartbeat.status(clock.now(), config["SCHEDULER_STALE_SECONDS"], config["SCHEDULER_EXPECTED"])
    except Exception as exc:  # the database check reports the cause; this one only fails
        return {"ok": False, "error": type(exc).__name__}


@blp.route("/healthz")
def healthz():
    """Liveness and readiness of what the service depends on."""
    checks = {"database": _timed(_database)}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _timed(_redis)
    else:
        checks["redis"] = {"ok": True, "configured": False}
    checks["scheduler"] = _scheduler()
    healthy = all(c["ok"] for c in checks.values())
    body = {"status": "ok" if healthy else "degraded"}
    if _may_see_details():
        body["checks"] = checks
    return jsonify(body), 200 if healthy else 503


FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def _may_see_details() -> bool:
    token = current_app.config.get("HEALTH_TOKEN")
    sent = request.headers.get("X-Health-Token", "")
    if token and sent and hmac.compare_digest(sent.encode(), token.encode()):
        return True
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
