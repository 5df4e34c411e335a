"""The migrations and the models agree, on SQLite and on PostgreSQL (whichever the suite runs on).

pytest-alembic's checks, run on a database of their own through Flask-Migrate's alembic
configuration: one head; base to head, revision by revision, and every downgrade back; the
schema the migrations build is the one the models describe (an autogenerate finds nothing).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from pytest_alembic import Config, runner
from pytest_alembic.plugin.error import AlembicTestFailure
from pytest_alembic.tests import default

from backend.app import create_app
from backend.extensions import db, migrate
from backend.services import runtime
from tests.conftest import fresh_database


@pytest.fixture()
def empty_app(database_url, tmp_path):
    """The app on an empty database of its own: the suite's holds the demo county."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        url = fresh_database(database_url, "shaobao_migrations")
    app = create_app({"SHAOBAO_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "VAR_DIR": str(tmp_path), "REDIS_URL": None})
    yield app
    with app.app_context():
        db.engine.dispose()
    runtime.of(app).wechat.close()


@pytest.fixture()
def alembic_runner(empty_app):
    """pytest-alembic's runner on Flask-Migrate's configuration (migrations/env.py migrates
    the app's own engine, so it runs inside the app)."""
    with empty_app.app_context():
        config = Config(alembic_config=migrate.get_config())
        with runner(config=config, engine=db.engine) as alembic_runner:
            yield alembic_runner


def test_the_history_has_one_head(alembic_runner):
    default.test_single_head_revision(alembic_runner)


def test_every_revision_goes_up_and_down_again(alembic_runner):
    default.test_up_down_consistency(alembic_runner)  # up one by one, down to base, up again
    assert alembic_runner.current == alembic_runner.heads[0]
    alembic_runner.migrate_down_to("base", return_current=False)
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_models_describe_the_migrated_schema(alembic_runner):
    default.test_model_definitions_match_ddl(alembic_runner)


def test_the_drift_check_fails_on_a_column_the_models_lack(alembic_runner):
    alembic_runner.migrate_up_to("heads", return_current=False)
    with db.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE region ADD COLUMN house_rule_probe INTEGER"))
    with pytest.raises(AlembicTestFailure, match="out of sync") as failure:
        default.test_model_definitions_match_ddl(alembic_runner)
    assert "drop_column('house_rule_probe')" in str(failure.value)
