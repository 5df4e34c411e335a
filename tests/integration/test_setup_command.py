"""`flask setup` (what scripts/run does first) and the demo county kept out of production."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Grant, User


def flask(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_setup_brings_the_database_up_and_loads_both_seeds_once(app):
    first = flask(app, "setup")
    assert first.exit_code == 0, first.output
    assert "catalogue loaded:" in first.output and "demo county loaded:" in first.output
    again = flask(app, "setup")
    assert again.exit_code == 0, again.output
    assert "0 users added" in again.output and "0 categories added" in again.output


@pytest.mark.parametrize("command", [("setup",), ("seed", "demo")])
def test_production_refuses_the_demo_county(app, monkeypatch, command):
    monkeypatch.setitem(app.config, "SHAOBAO_ENV", "production")
    with app.app_context():
        users = db.session.scalar(sa.select(sa.func.count(User.id)))
        grants = db.session.scalar(sa.select(sa.func.count(Grant.id)))
    result = flask(app, *command)
    assert result.exit_code != 0
    assert "not loaded in production" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == users
        assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == grants


def test_the_first_security_administrator_is_named_once_from_the_shell(app, ctx):
    """In the test's savepoint: a fresh install has no security administrator yet."""
    db.session.execute(sa.delete(Grant).where(Grant.role == "security_admin"))
    db.session.add(User(openid="o-first-security-admin", name="首任"))
    db.session.flush()

    unknown = flask(app, "people", "first-security-admin", "o-nobody")
    assert unknown.exit_code != 0 and "log in once" in unknown.output
    named = flask(app, "people", "first-security-admin", "o-first-security-admin")
    assert named.exit_code == 0, named.output
    again = flask(app, "people", "first-security-admin", "demo-resident-1")
    assert again.exit_code != 0 and "already" in again.output

    holders = db.session.scalars(sa.select(User.openid).join(Grant, Grant.user_id == User.id)
                                 .where(Grant.role == "security_admin")).all()
    assert holders == ["o-first-security-admin"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "grant.bootstrap"))
    assert entry is not None and entry.actor_id is None and entry.after["role"] == "security_admin"


def test_the_platform_administrator_cannot_also_be_the_security_administrator(app, ctx):
    db.session.execute(sa.delete(Grant).where(Grant.role == "security_admin"))
    db.session.flush()
    refused = flask(app, "people", "first-security-admin", "demo-platform-admin")
    assert refused.exit_code != 0 and "different people" in refused.output
    assert not db.session.scalar(sa.select(Grant.id).where(Grant.role == "security_admin"))
