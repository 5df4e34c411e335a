"""/healthz: is the database answering, Redis (when configured), the scheduler (later)."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from backend.extensions import db

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
    import redis
    with redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2) as client:
        client.ping()


@blp.route("/healthz")
def healthz():
    """Liveness and readiness of what the service depends on."""
    checks = {"database": _timed(_database)}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _timed(_redis)
    else:
        checks["redis"] = {"ok": True, "configured": False}
    # The scheduler process arrives with the SLA timers; until then there is none to report.
    checks["scheduler"] = {"ok": True, "configured": False}
    healthy = all(c["ok"] for c in checks.values())
    return jsonify({"status": "ok" if healthy else "degraded", "checks": checks}), 200 if healthy else 503
