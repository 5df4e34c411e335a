"""`flask setup` (what scripts/run does first) and the demo county kept out of production."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, User


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
