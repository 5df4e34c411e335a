"""Fixtures of the live socket tests (see live.py): one server for the session, clients
closed after each test."""
from __future__ import annotations

import pytest

from backend.services import runtime
from tests.integration.sockets.live import Live, make_app, own_database, prepare


@pytest.fixture(scope="session")
def live_server(sim, tmp_path_factory):
    app = make_app(own_database(tmp_path_factory), tmp_path_factory.mktemp("sockets-var"), sim.url)
    prepare(app)
    live = Live(app, sim.url)
    yield live
    live.close_ears()
    live.server.stop()
    from backend.extensions import db
    with app.app_context():
        db.engine.dispose()
    runtime.of(app).wechat.close()


@pytest.fixture()
def live(live_server):
    yield live_server
    live_server.close_ears()
