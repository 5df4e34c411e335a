"""Benchmark: the scheduler's tick over 1,000,000 open cases on PostgreSQL — with nothing
due (goal < 20 ms: index ranges that read no row, shown by EXPLAIN ANALYZE), then with
10,000 clocks due at once (goal < 5 s, each processed exactly once: verified by counting
the markers, the effect rows and the log rows), then the same tick again (nothing left).

    .venv/bin/python scripts/bench/tick.py [--cases 1000000] [--due 10000]

Baselines measured in the same run: the floor of a transaction (one round trip and a
commit), the same "what is due" question answered by a scan instead of its index, and the
10,000 red alerts' writes as hand-written set-based SQL (rolled back).
Without DATABASE_URL it runs itself under scripts/bench/with_postgres (a throwaway
PostgreSQL, fsync off). Not a test: figures, not verdicts. The machine has 2 cores,
shared by PostgreSQL and this process (the tick runs in-process, as in the scheduler).
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402

# Rows of every kind the tick must not read: future clocks, stopped history, clocks already
# alerted that keep running (overdue cases stay open for days), parked clocks whose warning
# time has passed.
CASES_SQL = """
INSERT INTO case_file (category_id, urgency, description, attributes, lng, lat, region_id, grid_id,
    region_path, reporter_kind, channel, anonymous, state, level, version, on_site, rework_count,
    reopen_count, support_count, supervised, content_check, created_at, updated_at)
SELECT :category, 'general', 'bench ' || g, '{}'::jsonb, 112.99, 37.42, :grid, :grid, :path,
    'grid_worker', 'patrol', false, 'in_progress', 'township', 1, false, 0, 0, 0, false, 'passed',
    now() - interval '2 days', now()
FROM generate_series(1, :n) AS g
"""
RUNNING_SQL = """
INSERT INTO deadline (case_id, kind, party, unit, started_at, due_at, warn_at)
SELECT id, 'handling', 'lead', 'work_days', now() - interval '1 day',
    now() + interval '2 hours' + (id % 30) * interval '1 day',
    now() + interval '1 hour' + (id % 30) * interval '1 day'
FROM case_file
"""
HISTORY_SQL = """
INSERT INTO deadline (case_id, kind, party, unit, started_at, due_at, warn_at, warned_at, stopped_at)
SELECT id, 'sign_in', 'department', 'work_hours', now() - interval '2 days', now() - interval '1 day',
    now() - interval '1 day 2 hours', now() - interval '1 day 2 hours', now() - interval '1 day 1 hour'
FROM case_file WHERE id % 4 = 0
"""
OVERDUE_SQL = """
INSERT INTO deadline (case_id, kind, party, unit, started_at, due_at, warn_at, warned_at, breached_at)
SELECT id, 'arrival', 'department', 'minutes', now() - interval '2 days', now() - interval '1 day',
    now() - interval '1 day 1 hour', now() - interval '1 day 1 hour', now() - interval '1 day'
FROM case_file WHERE id % 40 = 1
"""
PARKED_SQL = """
INSERT INTO deadline (case_id, kind, party, unit, started_at, paused_at, remaining_seconds, warn_at)
SELECT id, 'dispatch', 'hub', 'work_hours', now() - interval '3 days', now() - interval '2 days', 3600,
    now() - interval '2 days'
FROM case_file WHERE id % 50 = 2
"""
MAKE_DUE_SQL = """
UPDATE deadline SET due_at = now() - interval '1 minute', warn_at = now() - interval '1 hour'
WHERE id IN (SELECT id FROM deadline WHERE kind = 'handling' AND breached_at IS NULL
             ORDER BY id LIMIT :n)
RETURNING id
"""
# The same writes as the red alerts, by hand, set-based: the floor for the 10,000 due.
BARE_ALERTS_SQL = [
    """CREATE TEMP TABLE bare_due ON COMMIT DROP AS
       SELECT id, case_id FROM deadline WHERE kind = 'handling' AND breached_at IS NULL
       ORDER BY id DESC LIMIT :n""",
    "UPDATE deadline SET breached_at = now(), warned_at = now() WHERE id IN (SELECT id FROM bare_due)",
    """INSERT INTO outbox_effect (kind, case_id, payload, created_at, next_attempt_at)
       SELECT 'push', case_id, jsonb_build_object('case_id', case_id, 'event', 'overdue', 'seq', 1),
              now(), now() FROM bare_due""",
    """INSERT INTO case_log (case_id, seq, action, actor_role, from_state, to_state, payload, at)
       SELECT case_id, 1, 'overdue', 'system', 'in_progress', 'in_progress', '{}'::jsonb, now() FROM bare_due""",
    "UPDATE case_file SET supervised = true WHERE id IN (SELECT case_id FROM bare_due)",
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def timed(fn, repeat: int = 1) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def prepare(cases: int) -> None:
    from flask_migrate import upgrade

    from backend.demo import seed
    from backend.models import Category, Region
    from backend.services.catalogue import categories
    upgrade()
    logging.getLogger().setLevel(logging.WARNING)  # alembic's logging config turned INFO on
    logging.getLogger("alembic").setLevel(logging.WARNING)
    categories.load_catalogue()
    categories.load_calendar()
    seed.load()
    db.session.commit()
    category = db.session.scalar(sa.select(Category.id).where(Category.code == "T06-02"))
    grid = db.session.scalar(sa.select(Region).where(Region.code == "140730001001001"))
    steps = [("cases", CASES_SQL, {"category": category, "grid": grid.id, "path": grid.path, "n": cases}),
             ("running clocks (not due)", RUNNING_SQL, {}), ("stopped clocks", HISTORY_SQL, {}),
             ("overdue clocks already alerted", OVERDUE_SQL, {}), ("parked clocks", PARKED_SQL, {})]
    for name, sql, params in steps:
        started = time.perf_counter()
        count = db.session.execute(sa.text(sql), params).rowcount
        db.session.commit()
        print(f"  {count:>9,} {name:<32} {time.perf_counter() - started:6.1f} s")
    with db.engine.connect() as connection:  # VACUUM runs outside a transaction
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM ANALYZE case_file")
        connection.exec_driver_sql("VACUUM ANALYZE deadline")


def explain_claims(moment: datetime) -> None:
    from backend.scheduler import claims
    dialect = db.engine.dialect
    for name in claims.QUESTIONS:
        statement = claims.statement(name, moment, 500, dialect.name)
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        rows = db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)).all()
        print(f"  {name}:")
        for (line,) in rows:
            if not line.strip().startswith(("Planning:", "Buffers: shared hit=", "Filter:")) or "Index" in line:
                print(f"    {line}")
    db.session.rollback()


def scan_baseline(moment: datetime) -> float:
    """The warnings question with its index forbidden: what a tick would cost without it."""
    from backend.scheduler import claims
    statement = claims.statement("warnings", moment, 500, db.engine.dialect.name)

    def run():
        db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
        db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
        db.session.scalars(statement).all()
        db.session.rollback()
    times, _ = timed(run, 5)
    return statistics.median(times)


def floor_baseline() -> float:
    def run():
        db.session.execute(sa.text("SELECT 1"))
        db.session.commit()
    times, _ = timed(run, 50)
    return statistics.median(times)


def verify_once(ids: list[int]) -> dict:
    """For the clocks made due: how many alerted, and how many pushes and log rows each
    got (the push names the change by its log row's seq, so one row per clock means one
    push per clock), and how many of their cases are marked supervised."""
    query = sa.text("""
        WITH due AS (SELECT id, case_id FROM deadline WHERE id = ANY(:ids)),
             entries AS (SELECT l.case_id, l.seq FROM case_log l JOIN due ON due.case_id = l.case_id
                         WHERE l.action = 'overdue' AND (l.payload->>'deadline_id')::int = due.id)
        SELECT (SELECT count(*) FROM deadline WHERE id = ANY(:ids) AND breached_at IS NOT NULL),
               (SELECT count(*) FROM entries),
               (SELECT count(DISTINCT case_id) FROM entries),
               (SELECT count(*) FROM outbox_effect o JOIN entries e ON o.case_id = e.case_id
                   AND o.kind = 'push' AND o.payload->>'event' = 'overdue'
                   AND (o.payload->>'seq')::int = e.seq),
               (SELECT count(*) FROM case_file WHERE supervised AND id IN (SELECT case_id FROM due))""")
    row = db.session.execute(query, {"ids": ids}).one()
    db.session.rollback()
    return dict(zip(("breached", "log rows", "distinct cases", "pushes", "supervised"), row))


def bare_alerts(count: int) -> float:
    def run():
        for sql in BARE_ALERTS_SQL:
            db.session.execute(sa.text(sql), {"n": count})
        db.session.rollback()
    times, _ = timed(run, 1)
    return times[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.execvp("bash", ["bash", str(ROOT / "scripts/bench/with_postgres"), sys.executable, __file__,
                           *sys.argv[1:]])
    logging.basicConfig(level=logging.WARNING)
    from backend.scheduler import jobs
    from backend.services import heartbeat

    var = tempfile.TemporaryDirectory(prefix="shaobao-bench-tick-")
    app = create_app({"VAR_DIR": var.name, "REDIS_URL": None})
    logging.getLogger("shaobao").setLevel(logging.WARNING)
    with app.app_context():
        print(f"Scheduler tick on PostgreSQL (fsync off), {args.cases:,} open cases. "
              f"Batch size {app.config['SCHEDULER_BATCH_SIZE']}.")
        print("Note: 2 cores, shared by PostgreSQL and the tick (in this process).\n")
        print("Generating rows (INSERT ... SELECT generate_series):")
        prepare(args.cases)
        total = db.session.scalar(sa.text("SELECT count(*) FROM deadline"))
        print(f"  {total:>9,} deadline rows in all\n")
        holder = heartbeat.Holder.this_process(datetime.now(UTC))
        jobs.tick(holder)                               # warm: imports, pool, catalogue
        moment = datetime.now(UTC)

        print("1. Nothing due")
        times, counts = timed(lambda: jobs.tick(holder), 30)
        assert counts == {"breached": 0, "escalated": 0, "warned": 0}, counts
        idle = statistics.median(times)
        floor, scan = floor_baseline(), scan_baseline(moment)
        print(f"  tick (3 claims + heartbeat + commit): median {ms(idle)}, max {ms(max(times))} "
              f"over 30 ticks  -> goal < 20 ms: {'met' if idle < 0.020 else 'NOT met'}")
        print(f"  baseline, a transaction's floor (SELECT 1 + commit): {ms(floor)}  "
              f"-> tick = {idle / floor:.1f}x the floor")
        print(f"  baseline, the warnings claim as a table scan: {ms(scan)}  "
              f"-> {scan / idle:,.0f}x a whole tick")
        print("  EXPLAIN ANALYZE of each claim (index range, no row read):")
        explain_claims(moment)

        print(f"\n2. {args.due:,} clocks due at once")
        ids = list(db.session.scalars(sa.text(MAKE_DUE_SQL), {"n": args.due}))
        db.session.commit()
        times, counts = timed(lambda: jobs.tick(holder))
        busy = times[0]
        checked = verify_once(ids)
        print(f"  tick: {ms(busy)}  {counts}  -> goal < 5 s: {'met' if busy < 5 else 'NOT met'}")
        print(f"  each processed once: {checked}  -> "
              f"{'yes' if set(checked.values()) == {args.due} else 'NO'}")
        bare = bare_alerts(args.due)
        print(f"  baseline, the same writes as set-based SQL by hand: {ms(bare)}  "
              f"-> tick = {busy / bare:.1f}x")
        times, again = timed(lambda: jobs.tick(holder))
        print(f"  the next tick: {ms(times[0])}  {again}  (nothing fired twice: "
              f"{'yes' if verify_once(ids) == checked and not any(again.values()) else 'NO'})")
    with app.app_context():
        db.engine.dispose()
    var.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
