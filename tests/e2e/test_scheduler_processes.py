"""Real `flask scheduler run` processes on a database of their own (PostgreSQL on the
PostgreSQL run, a SQLite file otherwise): one holds the lock, a second waits; kill -9 the
first and the second takes over; a scheduler killed mid-tick loses nothing and fires
nothing twice; two ticks at once split the work. Counted in the effect rows."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.extensions import db
from backend.models import Case, CaseLog, Category, Deadline, OutboxEffect, Region, SchedulerHeartbeat
from backend.models.types import utcnow
from backend.services import runtime
from tests.e2e.conftest import ROOT, until
from tests.e2e.postgres_support import Cluster

pytestmark = pytest.mark.e2e
BATCH = 50


def fresh_database(tmp_path: Path) -> str:
    test_url = os.environ.get("SHAOBAO_TEST_DATABASE_URL")
    if not test_url:
        return f"sqlite:///{tmp_path / 'scheduler.sqlite3'}"
    from config.settings import database_url
    admin = sa.create_engine(database_url(test_url, None), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS shaobao_scheduler_e2e WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE shaobao_scheduler_e2e"))
    admin.dispose()
    return test_url.rsplit("/", 1)[0] + "/shaobao_scheduler_e2e"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The database the processes share, migrated and holding the demo county; an app on
    it for the test's own reads and writes (as one more process would)."""
    tmp = tmp_path_factory.mktemp("scheduler")
    yield from _world(tmp, fresh_database(tmp))


@pytest.fixture()
def restartable_world(tmp_path):
    """The same on a PostgreSQL cluster of the test's own, which it may restart (on the
    PostgreSQL run only: the SQLite run has nothing to restart)."""
    if not os.environ.get("SHAOBAO_TEST_DATABASE_URL"):
        pytest.skip("a PostgreSQL restart: the PostgreSQL run's")
    cluster = Cluster().start()
    try:
        admin = sa.create_engine(_sqlalchemy(cluster.url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE shaobao_restart"))
        admin.dispose()
        for world in _world(tmp_path, cluster.url.rsplit("/", 1)[0] + "/shaobao_restart"):
            yield {**world, "cluster": cluster}
    finally:
        cluster.stop()


def _world(tmp: Path, url: str):
    from flask_migrate import upgrade

    from backend.demo import seed
    from backend.services.catalogue import categories
    # Delivery off: the test's app only reads and writes rows (a relay thread started by its
    # /healthz call would go on sweeping in the test process after the module).
    app = create_app({"SHAOBAO_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": _sqlalchemy(url),
                      "VAR_DIR": str(tmp / "var"), "REDIS_URL": None, "OUTBOX_DELIVERY": "off"})
    with app.app_context():
        upgrade()
        categories.load_catalogue()
        categories.load_calendar()
        seed.load()
        db.session.commit()
        db.session.remove()
    # Reads of its own, outside the app: the app's SQLite transactions take the write lock
    # up front (BEGIN IMMEDIATE), which would queue the test's polls behind a busy scheduler.
    # One snapshot per tally: REPEATABLE READ on PostgreSQL (a SQLite read transaction is one).
    options = {"isolation_level": "REPEATABLE READ"} if url.startswith("postgres") else {}
    reader = sa.create_engine(_sqlalchemy(url), pool_pre_ping=True, **options)
    try:
        yield {"url": url, "app": app, "tmp": tmp, "reader": reader}
    finally:
        reader.dispose()
        with app.app_context():
            db.engine.dispose()
        runtime.of(app).wechat.close()


def _sqlalchemy(url: str) -> str:
    from config.settings import database_url
    return database_url(url, None)


class Schedulers:
    """Scheduler processes started by a test, each in its own process group, all stopped
    at the end whatever happens."""

    def __init__(self, world):
        self.world = world
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *command: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
        env.update(FLASK_APP="backend.app:create_app", DATABASE_URL=self.world["url"], PYTHONUNBUFFERED="1",
                   SHAOBAO_VAR_DIR=str(self.world["tmp"] / "var"), SCHEDULER_TICK_SECONDS="0.2",
                   SCHEDULER_STANDBY_SECONDS="0.2", SCHEDULER_BATCH_SIZE=str(BATCH),
                   WECHAT_API_BASE="http://127.0.0.1:9",  # no content recheck reaches anything
                   SCHEDULER_SWEEP_OUTBOX="false")        # delivery is the relay's to test
        log = self.world["tmp"] / f"scheduler-{len(self.started)}.log"
        with open(log, "w") as out:
            process = subprocess.Popen([sys.executable, "-m", "flask", "scheduler", *(command or ("run",))],
                                       cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started.append((process, log))
        return process

    def output(self, process) -> str:
        return next(log for p, log in self.started if p is process).read_text()

    def stop_all(self):
        for process, _ in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture()
def schedulers(world):
    running = Schedulers(world)
    yield running
    running.stop_all()


def in_db(world, fn):
    with world["app"].app_context():
        try:
            return fn()
        finally:
            db.session.rollback()
            db.session.remove()


def add_due_clocks(world, count: int) -> list[int]:
    """`count` township cases in handling, each with a handling clock overdue by an hour."""
    def add():
        category = db.session.scalar(sa.select(Category).where(Category.code == "T06-02"))
        grid = db.session.scalar(sa.select(Region).where(Region.code == "140730001001001"))
        now = utcnow()
        cases = [{"category_id": category.id, "urgency": "general", "description": "e2e", "attributes": {},
                  "lng": 112.99, "lat": 37.42, "region_id": grid.id, "grid_id": grid.id,
                  "region_path": grid.path, "reporter_kind": "grid_worker", "channel": "patrol",
                  "anonymous": False, "state": "in_progress", "level": "township", "version": 1,
                  "on_site": False, "rework_count": 0, "reopen_count": 0, "support_count": 0,
                  "supervised": False, "content_check": "passed", "created_at": now, "updated_at": now}
                 for _ in range(count)]
        ids = list(db.session.scalars(sa.insert(Case).returning(Case.id), cases))
        db.session.execute(sa.insert(Deadline), [
            {"case_id": i, "kind": "handling", "party": "lead", "unit": "work_days",
             "started_at": now - timedelta(days=10), "due_at": now - timedelta(hours=1),
             "warn_at": now - timedelta(days=2)} for i in ids])
        db.session.commit()
        return ids
    return in_db(world, add)


def tally(world, case_ids: list[int]) -> dict:
    """Per case (one due clock each): its red alert's pushes and timeline entries, and
    how many clocks are marked alerted and cases marked supervised."""
    with Session(world["reader"]) as session:
        low, high = min(case_ids), max(case_ids)
        pushes = dict(session.execute(
            sa.select(OutboxEffect.case_id, sa.func.count()).where(
                OutboxEffect.case_id >= low, OutboxEffect.case_id <= high, OutboxEffect.kind == "push",
                OutboxEffect.payload["event"].as_string() == "overdue")
            .group_by(OutboxEffect.case_id)).all())
        logs = dict(session.execute(sa.select(CaseLog.case_id, sa.func.count()).where(
            CaseLog.case_id >= low, CaseLog.case_id <= high, CaseLog.action == "overdue")
            .group_by(CaseLog.case_id)).all())
        breached = session.scalar(sa.select(sa.func.count()).select_from(Deadline).where(
            Deadline.case_id >= low, Deadline.case_id <= high, Deadline.breached_at.is_not(None)))
        supervised = session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.id >= low, Case.id <= high, Case.supervised))
        return {"breached": breached, "supervised": supervised, "pushes": pushes, "logs": logs}


def breached(world, case_ids) -> int:
    return tally(world, case_ids)["breached"]


def assert_each_fired_once(world, case_ids):
    counts = tally(world, case_ids)
    assert counts["breached"] == counts["supervised"] == len(case_ids)
    for key in ("pushes", "logs"):
        assert set(counts[key]) == set(case_ids), key              # nothing lost
        assert set(counts[key].values()) == {1}, key               # nothing doubled


def holder_pid(world):
    with Session(world["reader"]) as session:
        return session.scalar(sa.select(SchedulerHeartbeat.pid))


def test_a_standby_takes_over_when_the_holder_is_killed(world, schedulers):
    first = schedulers.start()
    until(lambda: holder_pid(world) == first.pid, "the first scheduler's heartbeat")
    second = schedulers.start()
    until(lambda: "standby" in schedulers.output(second), "the second scheduler to stand by")
    before = add_due_clocks(world, 120)
    until(lambda: breached(world, before) == len(before), "the holder to process what is due")
    assert_each_fired_once(world, before)
    assert holder_pid(world) == first.pid                            # the standby did nothing

    first.send_signal(signal.SIGKILL)
    first.wait(10)
    after = add_due_clocks(world, 120)
    until(lambda: holder_pid(world) == second.pid, "the standby to take over")
    until(lambda: breached(world, after) == len(after), "the new holder to process what is due")
    assert_each_fired_once(world, before)
    assert_each_fired_once(world, after)
    assert "scheduler active" in schedulers.output(second)

    health = world["app"].test_client().get("/healthz").json["checks"]["scheduler"]
    assert health["ok"] is True and health["holder"]["pid"] == second.pid


def test_killed_mid_tick_nothing_lost_nothing_doubled(world, schedulers):
    case_ids = add_due_clocks(world, 4000)
    victim = schedulers.start()
    done = until(lambda: breached(world, case_ids), "the first batch to commit")
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    counts = tally(world, case_ids)
    assert 0 < counts["breached"] < len(case_ids), "killed before or after its tick, not during it"
    assert counts["breached"] >= done
    # Batches are all or nothing: whole batches committed, the one in hand rolled back.
    assert counts["breached"] % BATCH == 0
    assert sum(counts["pushes"].values()) == sum(counts["logs"].values()) == counts["breached"]
    assert counts["supervised"] == counts["breached"]

    schedulers.start()
    until(lambda: breached(world, case_ids) == len(case_ids), "the successor to finish", timeout=120)
    assert_each_fired_once(world, case_ids)


def test_two_ticks_at_once_split_the_work(world, schedulers):
    case_ids = add_due_clocks(world, 1500)
    ticks = [schedulers.start("tick"), schedulers.start("tick")]
    for process in ticks:
        assert process.wait(120) == 0, schedulers.output(process)
    done = [int(re.search(r"(\d+) breached", schedulers.output(p)).group(1)) for p in ticks]
    assert sum(done) == len(case_ids), done
    assert_each_fired_once(world, case_ids)


def test_sigterm_mid_tick_finishes_the_batch_in_hand_and_exits(world, schedulers):
    case_ids = add_due_clocks(world, 4000)
    stopping = schedulers.start()
    until(lambda: breached(world, case_ids), "the first batch to commit")
    stopping.send_signal(signal.SIGTERM)
    assert stopping.wait(30) == 0, schedulers.output(stopping)
    assert "scheduler stopped" in schedulers.output(stopping)
    counts = tally(world, case_ids)
    assert 0 < counts["breached"] < len(case_ids) and counts["breached"] % BATCH == 0
    schedulers.start()
    until(lambda: breached(world, case_ids) == len(case_ids), "the successor to finish", timeout=120)
    assert_each_fired_once(world, case_ids)


def test_a_holder_whose_lock_session_dies_steps_down_and_one_goes_on(world, schedulers):
    if not world["url"].startswith("postgres"):
        pytest.skip("a file lock cannot be lost while its process lives")
    first = schedulers.start()
    until(lambda: holder_pid(world) == first.pid, "the first scheduler's heartbeat")
    second = schedulers.start()
    until(lambda: "standby" in schedulers.output(second), "the second scheduler to stand by")

    def terminate_lock_session():   # as a database restart or a failover would
        return db.session.scalar(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"))
    assert in_db(world, terminate_lock_session)
    until(lambda: "lease lost" in schedulers.output(first), "the holder to notice")
    # The lock is free: whichever takes it first runs; the other stands by, and both live on.
    after = add_due_clocks(world, 50)
    until(lambda: breached(world, after) == len(after), "the new holder to process what is due")
    assert_each_fired_once(world, after)
    assert first.poll() is None and second.poll() is None


def test_the_scheduler_lives_through_database_restarts(restartable_world):
    """A PostgreSQL restart ends every session, the lease's too: the scheduler steps
    down, takes the lease back when the database returns, and deadlines fire again."""
    world, schedulers = restartable_world, Schedulers(restartable_world)
    try:
        process = schedulers.start()
        until(lambda: holder_pid(world) == process.pid, "the scheduler's heartbeat")
        fired = add_due_clocks(world, 30)
        until(lambda: breached(world, fired) == len(fired), "the deadlines due before the restart")
        for mode in ("fast", "immediate"):
            world["cluster"].restart(mode)
            due = add_due_clocks(world, 30)
            until(lambda due=due: breached(world, due) == len(due),
                  f"deadlines due after a {mode} restart to fire", timeout=120)
            fired += due
        assert process.poll() is None, schedulers.output(process)
        assert "lease taken back" in schedulers.output(process)
        assert_each_fired_once(world, fired)
    finally:
        schedulers.stop_all()
