"""The heartbeat as /healthz reports it, and the lock that keeps one scheduler active."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.scheduler import jobs, lease
from tests.integration.scheduler_helpers import HOLDER, tick


def test_no_heartbeat_and_none_expected_is_fine(client):
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["checks"]["scheduler"] == {"ok": True, "configured": False}


def test_expected_but_never_ran_is_a_fault(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_EXPECTED", True)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["scheduler"]["ok"] is False


def test_heartbeat_age_and_holder_then_stale(client, app, frozen):
    tick()                                            # nothing due: the tick still beats
    body = client.get("/healthz").json
    scheduler = body["checks"]["scheduler"]
    assert body["status"] == "ok" and scheduler["ok"] is True
    assert scheduler["age_seconds"] == 0
    assert scheduler["holder"] == {"host": "test-host", "pid": 4242,
                                   "started_at": HOLDER.started_at.isoformat()}
    frozen.advance(seconds=app.config["SCHEDULER_STALE_SECONDS"] + 1)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "degraded"
    assert response.json["checks"]["scheduler"]["ok"] is False
    assert response.json["checks"]["scheduler"]["age_seconds"] == app.config["SCHEDULER_STALE_SECONDS"] + 1
    tick()                                            # beating again: healthy again
    assert client.get("/healthz").status_code == 200


def test_a_tick_by_hand_does_not_pose_as_the_scheduler(client, frozen):
    jobs.tick()
    assert client.get("/healthz").json["checks"]["scheduler"]["configured"] is False


def test_the_lease_is_held_by_one_and_passes_on_release(app, tmp_path):
    with app.app_context():
        first, second = (lease.for_database(db.engine, str(tmp_path)) for _ in range(2))
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        assert second.try_acquire() is False          # retrying changes nothing while it is held
        first.check()
        first.release()                               # as when its process dies
        assert second.try_acquire() is True
        assert first.try_acquire() is False
    finally:
        first.close()
        second.close()


def test_a_broken_lock_connection_is_a_lost_lease(app, tmp_path):
    with app.app_context():
        held = lease.for_database(db.engine, str(tmp_path))
    if not isinstance(held, lease.PostgresLease):
        pytest.skip("a file lock cannot be lost while its file is open")
    try:
        assert held.try_acquire()
        backend = held.connection.scalar(sa.text("SELECT pg_backend_pid()"))
        with app.app_context(), db.engine.connect() as other:   # as a restart or a DBA would
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(lease.LeaseLost):
            held.check()
    finally:
        held.close()


def test_sqlite_lock_lives_beside_the_database_file(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db' / 'x.sqlite3'}")
    found = lease.for_database(engine, str(tmp_path / "var"))
    assert found.path == tmp_path / "db" / "x.sqlite3.scheduler-lock"
    engine.dispose()


def test_stale_threshold_is_configurable(client, app, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_STALE_SECONDS", 5.0)
    tick()
    frozen.advance(seconds=4)
    assert client.get("/healthz").status_code == 200
    frozen.moment += timedelta(seconds=2)
    assert client.get("/healthz").status_code == 503
