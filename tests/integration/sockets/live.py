"""Helpers for the live socket tests: a real Socket.IO server (threading mode, Werkzeug in a
thread) on its own database, and python-socketio clients against it.

Sockets need a server that commits for real (its threads read what the test wrote), so these
tests cannot use the savepoint-per-test session: the server gets a database of its own
(a fresh SQLite file, or a database beside the suite's on PostgreSQL) holding the demo county,
and each test makes the cases it needs.
"""
from __future__ import annotations

import os
import queue
import threading
import time

import requests
import socketio

from backend.wechat.simulator import QuietRequestHandler
from tests.conftest import SIM_APPID, SIM_SECRET, SUITE_LIMITS, LiveServer, fresh_database

RECHECK_SECONDS = 0.3


def own_database(tmp_path_factory, name: str = "sockets") -> str:
    """A database of the tests' own (a SQLite file, or `shaobao_<name>` beside the suite's
    PostgreSQL database), where commits are real."""
    from config.settings import database_url as normalise
    raw = os.environ.get("SHAOBAO_TEST_DATABASE_URL")
    if not raw:
        return f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.sqlite3'}"
    return fresh_database(normalise(raw, None), f"shaobao_{name}")


def make_app(database_url: str, var_dir, sim_url: str, **overrides):
    from backend.app import create_app
    return create_app({
        "SHAOBAO_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
        "VAR_DIR": str(var_dir), "REDIS_URL": None, "WECHAT_APPID": SIM_APPID,
        "WECHAT_SECRET": SIM_SECRET, "WECHAT_API_BASE": sim_url, "WECHAT_TIMEOUT_SECONDS": 2.0,
        "SOCKETIO_ASYNC_MODE": "threading", "SOCKET_RECHECK_SECONDS": RECHECK_SECONDS,
        "RESYNC_MAX_ENTRIES": 5, **SUITE_LIMITS,   # many logins, all from 127.0.0.1
        # These tests push by hand and count what each socket heard between markers: the
        # relay's own pushes would land in the count (relay to sockets: tests/e2e).
        "OUTBOX_DELIVERY": "off", **overrides})


def prepare(app) -> None:
    from flask_migrate import upgrade

    from backend.demo import seed
    from backend.extensions import db
    from backend.services.catalogue import categories
    with app.app_context():
        upgrade()
        categories.load_catalogue()
        categories.load_calendar()
        seed.load()
        db.session.commit()
        db.session.remove()


class Phone:
    """HTTP as a logged-in user (the app's test client: real commits on the server's
    database); .get/.post answer Flask responses, as tests.integration.case_helpers expects."""

    def __init__(self, live, openid: str):
        self.live, self.openid = live, openid
        code = requests.post(f"{live.sim_url}/sim/wx-login", json={"openid": openid}, timeout=5).json()["code"]
        response = live.app.test_client().post("/api/mp/auth/login", json={"code": code})
        assert response.status_code == 200, response.json
        self.token = response.json["token"]
        self.user_id = response.json["user"]["id"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def __getattr__(self, method):
        def call(path, **kwargs):
            return getattr(self.live.app.test_client(), method)(path, headers=self.headers, **kwargs)
        return call


class Refused(Exception):
    """The server refused the connection; .data is what connect_error carried."""

    def __init__(self, data):
        super().__init__(data)
        self.data = data


class Ear:
    """A python-socketio client that keeps what it hears, in order."""

    def __init__(self, url: str):
        self.url = url
        self.heard: queue.Queue = queue.Queue()
        self.log: list[tuple[str, dict]] = []
        self.client = socketio.Client(reconnection=False)
        for name in ("case", "case_log", "refetch", "marker", "order"):
            self.client.on(name, self._keeper(name))
        self.client.on("disconnect", lambda *a: self.heard.put(("disconnect", {})))
        self.refused = None
        self.client.on("connect_error", self._refused)

    def _refused(self, data=None):
        self.refused = data

    def _keeper(self, name):
        def keep(data):
            self.heard.put((name, data))
        return keep

    def connect(self, token=None, headers=None, auth=None):
        try:
            self.client.connect(self.url, auth=auth if auth is not None else {"token": token},
                                headers=headers or {}, transports=["websocket"], wait_timeout=10)
        except socketio.exceptions.ConnectionError as exc:
            raise Refused(self.refused) from exc
        return self

    def call(self, event: str, data):
        return self.client.call(event, data, timeout=10)

    def until(self, name: str, where=lambda d: True, timeout: float = 10) -> dict:
        """The next event called name that matches; what came before is kept in .log."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name} event within {timeout}s; heard {self.log}")
            try:
                got = self.heard.get(timeout=left)
            except queue.Empty:
                continue
            self.log.append(got)
            if got[0] == name and where(got[1]):
                return got[1]

    def close(self):
        if self.client.connected:
            self.client.disconnect()
        self.client.shutdown() if hasattr(self.client, "shutdown") else None


class SocketRequestHandler(QuietRequestHandler):
    """Werkzeug keeps the connection for another request once a websocket ends, reads the
    client's close frame as one (a 400 in the log) and never answers it: the client then
    waits 3 s for the closing handshake. Closing the connection answers it at once."""

    def run_wsgi(self):
        super().run_wsgi()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.close_connection = True


class Live:
    def __init__(self, app, sim_url: str):
        self.app, self.sim_url = app, sim_url
        self.server = LiveServer(app, SocketRequestHandler)
        self.url = self.server.url
        self.ears: list[Ear] = []
        self._lock = threading.Lock()

    def phone(self, openid: str) -> Phone:
        return Phone(self, openid)

    def ear(self, token=None, **kwargs) -> Ear:
        ear = Ear(self.url)
        with self._lock:
            self.ears.append(ear)
        return ear.connect(token, **kwargs)

    def push(self, case_id: int, event: str = "case_changed", **extra) -> None:
        from backend.realtime.push import push_case
        with self.app.app_context():
            push_case(case_id, event, extra or None)

    def marker(self, user_id: int, value) -> None:
        """A plain emit to a user's room, after a push: sockets get their events in order, so
        once the marker arrived whatever the push was going to bring has arrived too."""
        self.app.extensions["socketio"].emit("marker", {"value": value}, to=f"user:{user_id}")

    def close_ears(self):
        with self._lock:
            ears, self.ears = self.ears, []
        for ear in ears:
            ear.close()




def in_app(live):
    """An app context for the case helpers' lookups; its session ends with the block, so the
    server's threads never wait on a transaction the test left open (SQLite)."""
    return live.app.app_context()


def heard_cases(ear, marker) -> list[dict]:
    """The case pushes an ear got before the marker that followed them."""
    start = len(ear.log)
    ear.until("marker", lambda d: d["value"] == marker)
    return [data for name, data in ear.log[start:] if name == "case"]
