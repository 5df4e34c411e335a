"""Every claim the scheduler makes is a range on its own partial index, never a scan of
the clocks (the benchmark shows the cost at a million open cases; this keeps it so)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg

from backend.extensions import db
from backend.scheduler import claims


def plan(statement) -> str:
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite":  # with the parameters bound, as the claim runs
        compiled = statement.compile(dialect=dialect)
        values = tuple(compiled.construct_params()[name] for name in compiled.positiontup)
        values = tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in values)
        rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
        return "\n".join(row[-1] for row in rows)
    # The plan PostgreSQL caches for a prepared statement (psycopg prepares a query after
    # a few runs): generic, blind to parameter values, so only literals in the query can
    # prove a partial index applies. Tables this small are cheaper to scan: forbid that,
    # so that only an index that cannot serve the query shows a (disabled) scan.
    compiled = statement.compile(dialect=psycopg.dialect(paramstyle="numeric_dollar"))
    values = [compiled.params[name] for name in compiled.positiontup]
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    # On tables this small the general running-clock index costs the same as a question's
    # own and the planner picks either by a hair (a CI run saw it): drop it for this test's
    # transaction (rolled back with the test) so the question's partial index must serve.
    connection.exec_driver_sql("DROP INDEX ix_deadline_running_due")
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    connection.exec_driver_sql(f"PREPARE scheduler_claim AS {compiled}")
    try:
        arguments = ", ".join(f"'{v.isoformat()}'" if isinstance(v, datetime) else str(int(v)) for v in values)
        rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE scheduler_claim({arguments})")
        return "\n".join(row[0] for row in rows)
    finally:
        connection.exec_driver_sql("DEALLOCATE scheduler_claim")


@pytest.mark.parametrize("name", sorted(claims.QUESTIONS))
def test_each_claim_is_a_range_on_its_partial_index(ctx, name):
    dialect = db.session.get_bind().dialect.name
    text = plan(claims.statement(name, datetime(2026, 3, 2, tzinfo=UTC), 500, dialect))
    index = claims.QUESTIONS[name].index
    assert index in text, text
    if dialect == "sqlite":
        assert f"SEARCH deadline USING INDEX {index}" in text and "SCAN deadline" not in text, text
        assert "TEMP B-TREE" not in text, text          # ordered by the index itself: no sort
    else:
        assert "Seq Scan" not in text and "Sort" not in text, text
        assert "LockRows" in text, text                  # FOR UPDATE SKIP LOCKED


def test_the_model_declares_the_indexes_the_migration_makes(ctx):
    declared = {i.name: str(i.dialect_options["postgresql"]["where"])
                for i in db.metadata.tables["deadline"].indexes}
    inspector = sa.inspect(db.session.connection())
    made = {i["name"] for i in inspector.get_indexes("deadline")}
    for question in claims.QUESTIONS.values():
        assert question.index in declared and question.index in made
    assert "warn_at" in {c["name"] for c in inspector.get_columns("deadline")}
    assert inspector.has_table("scheduler_heartbeat")
