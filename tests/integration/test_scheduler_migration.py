"""Migration 0009 on a database of its own, arriving after 0010 as it does on a database
that followed main: clocks already running get their warning time on the working
calendar; it downgrades and upgrades again cleanly."""
from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from backend.app import create_app
from backend.extensions import db
from backend.models import Case, Category, Region
from backend.services import runtime
from workflows.calendar import Limit


@pytest.fixture()
def fresh_app(tmp_path):
    raw = os.environ.get("SHAOBAO_TEST_DATABASE_URL")
    if raw:
        from config.settings import database_url
        admin = sa.create_engine(database_url(raw, None), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS shaobao_migration_0009 WITH (FORCE)"))
            conn.execute(sa.text("CREATE DATABASE shaobao_migration_0009"))
        url = database_url(raw, None).rsplit("/", 1)[0] + "/shaobao_migration_0009"
    else:
        admin, url = None, f"sqlite:///{tmp_path / 'migration.sqlite3'}"
    app = create_app({"SHAOBAO_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "VAR_DIR": str(tmp_path), "REDIS_URL": None})
    yield app
    with app.app_context():
        db.engine.dispose()
    runtime.of(app).wechat.close()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS shaobao_migration_0009 WITH (FORCE)"))
        admin.dispose()


def test_running_clocks_get_their_warning_and_the_revision_goes_down_and_up(fresh_app):
    from flask_migrate import downgrade, upgrade

    from backend.demo import seed
    from backend.services.catalogue import categories
    started, due = datetime(2026, 3, 2, 2, 0, tzinfo=UTC), datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    with fresh_app.app_context():
        # The demo data is loaded by today's models, so at today's revision; then back to
        # 0008, the revision before the scheduler, where the case below begins its life.
        upgrade()
        categories.load_calendar()
        seed.load()
        categories.load_catalogue()
        db.session.commit()
        downgrade(revision="0008")
        category = db.session.scalar(sa.select(Category.id).where(Category.code == "T06-02"))
        grid = db.session.scalar(sa.select(Region).where(Region.code == "140730001001001"))
        now = datetime.now(UTC)
        case_id = db.session.scalar(sa.insert(Case.__table__).returning(Case.__table__.c.id).values(
            category_id=category, urgency="general", description="before 0009", attributes={}, lng=1.0,
            lat=1.0, region_id=grid.id, region_path=grid.path, reporter_kind="grid_worker", channel="patrol",
            anonymous=False, state="in_progress", level="township", version=1, on_site=False,
            rework_count=0, reopen_count=0, support_count=0, supervised=False, content_check="passed",
            created_at=now, updated_at=now))
        old_deadline = sa.table("deadline", *(sa.column(c) for c in (
            "case_id", "kind", "party", "unit", "started_at", "due_at", "paused_at", "stopped_at")))
        db.session.execute(old_deadline.insert(), [
            {"case_id": case_id, "kind": "handling", "party": "lead", "unit": "work_days",
             "started_at": started, "due_at": due, "paused_at": None, "stopped_at": None},
            {"case_id": case_id, "kind": "sign_in", "party": "department", "unit": "work_hours",
             "started_at": started, "due_at": due, "paused_at": None, "stopped_at": due}])
        db.session.commit()

        upgrade(revision="0009")
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0009"
        warn = [w for (w,) in db.session.execute(sa.text("SELECT warn_at FROM deadline ORDER BY id"))]
        expected = categories.work_calendar().warn_at(started, due, 0.8, Limit(1, "work_days").unit)
        running = warn[0] if isinstance(warn[0], datetime) else datetime.fromisoformat(warn[0])
        assert running.replace(tzinfo=UTC) == expected and warn[1] is None   # stopped clocks: none
        db.session.commit()

        upgrade()
        downgrade(revision="0008")
        inspector = sa.inspect(db.engine)
        assert "warn_at" not in {c["name"] for c in inspector.get_columns("deadline")}
        assert not inspector.has_table("scheduler_heartbeat")
        assert "ix_deadline_running_due" in {i["name"] for i in inspector.get_indexes("deadline")}
        upgrade()
        assert sa.inspect(db.engine).has_table("scheduler_heartbeat")
        db.session.remove()
