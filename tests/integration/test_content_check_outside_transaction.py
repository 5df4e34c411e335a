"""WeChat's content check is asked with no transaction open: while it is in flight the
report holds no database connection, and on SQLite another writer writes at once instead
of waiting behind the report for the write lock (BEGIN IMMEDIATE).

The savepoint-per-test session holds one outer transaction for the whole test, so these
tests run an app on a database of its own, where commits are real (as the socket tests do).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from backend.extensions import db
from backend.models import Case, User
from backend.scheduler import jobs
from backend.services import runtime
from tests.integration.case_helpers import IN_G1, category_id
from tests.integration.sockets.live import Phone, make_app, own_database, prepare

# Long enough for a writer that is free to go, far shorter than a content check on a bad
# day: a writer held behind the report's transaction gives up and says so.
OTHER_WRITER_WAIT_SECONDS = 0.5


class OtherWriter:
    """Another process's writer: its own engine and connection, none of the app's."""

    def __init__(self, url: str):
        connect_args = {"timeout": OTHER_WRITER_WAIT_SECONDS} if url.startswith("sqlite") else {}
        self.engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)

    def write(self) -> str:
        """Rename a resident and commit: "wrote", or why it could not."""
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.update(User).where(User.openid == "demo-resident-2")
                                   .values(name="居民乙"))
        except sa.exc.OperationalError as exc:
            return str(exc.orig)
        return "wrote"


class WatchedWeChat:
    """The app's own mini-program client, asking the simulator as ever; as each content
    check goes out, it notes what the request holds and lets the other writer write."""

    def __init__(self, client, other: OtherWriter):
        self.client, self.other, self.checks = client, other, []

    def msg_sec_check(self, *args, **kwargs):
        self.checks.append({"in_transaction": db.session().in_transaction(),
                            "connections": db.engine.pool.checkedout(),
                            "other_writer": self.other.write()})
        return self.client.msg_sec_check(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture(scope="module")
def own_app(sim, tmp_path_factory):
    url = own_database(tmp_path_factory, "intake")
    app = make_app(url, tmp_path_factory.mktemp("intake-var"), sim.url, OUTBOX_DELIVERY="inline")
    prepare(app)
    other = OtherWriter(url)
    yield app, other
    other.engine.dispose()
    with app.app_context():
        db.engine.dispose()
    runtime.of(app).wechat.close()


@pytest.fixture()
def watched(own_app):
    app, other = own_app
    held = runtime.of(app)
    real = held.wechat
    held.wechat = WatchedWeChat(real, other)
    yield held.wechat
    held.wechat = real


@pytest.fixture()
def phone(own_app, sim):
    app, _ = own_app
    with app.app_context():   # ended before any request: the app's requests start with no transaction
        category = category_id("T06-02")
    resident = Phone(SimpleNamespace(app=app, sim_url=sim.url), "demo-resident-1")

    def send(client_id: str, expect: int, **extra) -> dict:
        body = {"client_id": client_id, "category_id": category, "description": "路边有一堆垃圾没人清理",
                "lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02", **extra}
        response = resident.post("/api/mp/cases", json=body)
        assert response.status_code == expect, response.json
        return response.json
    return send


def read(own_app, statement):
    app, _ = own_app
    with app.app_context():
        return db.session.scalar(statement)


def test_no_transaction_is_open_while_wechat_checks_the_text(own_app, watched, phone):
    case = phone("unlocked-000001", 201)
    assert case["content_check"] == "passed"
    assert watched.checks == [{"in_transaction": False, "connections": 0, "other_writer": "wrote"}]
    assert read(own_app, sa.select(Case.id).where(Case.id == case["id"])) == case["id"]
    assert read(own_app, sa.select(User.name).where(User.openid == "demo-resident-2")) == "居民乙"


def test_a_retry_of_a_filed_report_does_not_ask_wechat_again(watched, phone):
    first = phone("unlocked-000002", 201)
    assert phone("unlocked-000002", 200)["id"] == first["id"]
    assert len(watched.checks) == 1


def test_risky_text_is_refused_without_holding_the_database(watched, phone):
    refused = phone("unlocked-000003", 422, description="有人在这里赌博")
    assert refused["error"]["code"] == "content_risky"
    assert watched.checks == [{"in_transaction": False, "connections": 0, "other_writer": "wrote"}]


def test_the_recheck_asks_wechat_holding_nothing(own_app, watched, phone, sim_control):
    app, _ = own_app
    sim_control("POST", "/sim/faults", {"path": "/wxa/msg_sec_check", "mode": "busy", "count": 1})
    case = phone("unlocked-000004", 201)
    assert case["content_check"] == "pending"
    with app.app_context():
        counts = jobs.recheck()
    assert counts["passed"] >= 1
    assert watched.checks[-1] == {"in_transaction": False, "connections": 0, "other_writer": "wrote"}
    assert read(own_app, sa.select(Case.content_check).where(Case.id == case["id"])) == "passed"
