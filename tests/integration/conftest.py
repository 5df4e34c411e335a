"""Integration fixtures: each test runs inside a transaction it rolls back.

The session is bound to a connection holding an outer transaction and joins it with
savepoints, so the code under test commits for real (after-commit code runs) and the
test still leaves the database as it found it.
"""
from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.models import User
from backend.services import cache
from backend.services.cases import content_check
from backend.services.people import auth


@pytest.fixture()
def ctx(app):
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        factory_kw = dict(db.session.session_factory.kw)
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield
        finally:
            db.session.remove()
            db.session.session_factory.kw.clear()
            db.session.session_factory.kw.update(factory_kw)
            outer.rollback()
            connection.close()
            cache.clear_all()  # what the test wrote is gone: so is what was built from it
            content_check.reset_back_off()


@pytest.fixture()
def client(app, ctx):
    return app.test_client()


def user_by_openid(openid: str) -> User:
    return db.session.scalar(sa.select(User).where(User.openid == openid))


@pytest.fixture()
def token_for(ctx, sim):
    """A bearer token for a demo user (issued directly; login itself is tested apart). The
    simulator is told of the openid, as WeChat knows every user who opened the app."""
    def issue(openid: str) -> str:
        requests.post(f"{sim.url}/sim/wx-login", json={"openid": openid}, timeout=5).raise_for_status()
        token, _ = auth.issue_token(user_by_openid(openid))
        db.session.commit()
        return token
    return issue


@pytest.fixture()
def as_user(client, token_for):
    """A test client call made as a demo user: as_user("demo-county-admin").get(...)."""
    class Caller:
        def __init__(self, openid):
            self.headers = {"Authorization": f"Bearer {token_for(openid)}"}

        def __getattr__(self, method):
            def call(path, **kwargs):
                return getattr(client, method)(path, headers=self.headers, **kwargs)
            return call
    return Caller


@pytest.fixture()
def wx_code(sim):
    """A wx.login code minted by the simulator, as the phone would get it."""
    def mint(openid: str, **extra) -> str:
        response = requests.post(f"{sim.url}/sim/wx-login", json={"openid": openid, **extra}, timeout=5)
        response.raise_for_status()
        return response.json()["code"]
    return mint


@pytest.fixture()
def sim_control(sim):
    """Drive the simulator's test-only endpoints; faults are cleared after the test."""
    def call(method: str, path: str, body=None) -> dict:
        response = requests.request(method, f"{sim.url}{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()
    yield call
    requests.delete(f"{sim.url}/sim/faults", timeout=5)
