"""Fixtures for the WeChat simulator and client tests, loaded for the whole suite through
`pytest_plugins` in tests/conftest.py (a test names a fixture; it imports only constants
and helpers). The simulator runs on a frozen base clock, so simulated time moves only
when a test advances it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from backend.wechat.miniprogram import MiniProgramClient
from backend.wechat.simulator import QuietRequestHandler, create_simulator_app, world_of

APPID = "wx0000000000test1"
SECRET = "test-secret-7f3a9c-never-in-logs"
FROZEN_NOW = 1_790_000_000.0   # 2026-09-21, a Monday afternoon in Beijing

Send = Callable[..., tuple[int, object]]


class SimDriver:
    """Talks to a simulator, in process or over HTTP, the way the tests and the phone do."""

    def __init__(self, send: Send, url: str | None = None, app: Flask | None = None):
        self._send = send
        self.url = url
        self.app = app

    def call(self, method: str, path: str, json=None, **params) -> tuple[int, object]:
        return self._send(method, path, json=json, params=params)

    def wx(self, method: str, path: str, json=None, **params) -> dict:
        """A WeChat endpoint: its errors too come back as HTTP 200."""
        status, body = self.call(method, path, json=json, **params)
        assert status == 200, (status, body)
        return body

    def token(self, force_refresh: bool = False) -> str:
        body = self.wx("POST", "/cgi-bin/stable_token", json={
            "grant_type": "client_credential", "appid": APPID, "secret": SECRET,
            "force_refresh": force_refresh})
        return body["access_token"]

    def control(self, method: str, path: str, json=None, **params) -> dict:
        status, body = self.call(method, path, json=json, **params)
        assert status == 200, (status, body)
        return body

    def login(self, openid: str, unionid: str | None = None) -> str:
        body = {"openid": openid} if unionid is None else {"openid": openid, "unionid": unionid}
        return self.control("POST", "/sim/wx-login", body)["code"]

    def phone_code(self, phone: str) -> str:
        return self.control("POST", "/sim/phone-code", {"phone": phone})["code"]

    def subscribe(self, openid: str, template_id: str, count: int = 1) -> int:
        body = {"openid": openid, "template_id": template_id, "count": count}
        return self.control("POST", "/sim/subscribe", body)["available"]

    def fault(self, path: str, mode: str, count: int | None = 1, delay_seconds: float = 0.0) -> list:
        body = {"path": path, "mode": mode, "count": count, "delay_seconds": delay_seconds}
        return self.control("POST", "/sim/faults", body)["faults"]

    def advance(self, seconds: float) -> float:
        return self.control("POST", "/sim/clock", {"advance_seconds": seconds})["now"]

    def messages(self, openid: str | None = None) -> list[dict]:
        params = {} if openid is None else {"openid": openid}
        return self.control("GET", "/sim/messages", **params)["messages"]

    def calls(self) -> dict[str, int]:
        return self.control("GET", "/sim/calls")["calls"]


def simulator_app(**options) -> Flask:
    return create_simulator_app(APPID, SECRET, clock=lambda: FROZEN_NOW, **options)


def in_process(app: Flask) -> SimDriver:
    """A driver over Flask's test client: no sockets."""
    client = app.test_client()

    def send(method, path, json=None, params=None):
        response = client.open(path, method=method, json=json, query_string=params)
        return response.status_code, response.get_json(silent=True)

    return SimDriver(send, app=app)


@pytest.fixture
def live_sim() -> Iterator[SimDriver]:
    """The simulator served for real on 127.0.0.1 (a free port), stopped afterwards."""
    app = simulator_app()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    # A short poll keeps shutdown() quick; the default half second adds up over a suite.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="wechat-simulator", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}"
    http = requests.Session()

    def send(method, path, json=None, params=None):
        response = http.request(method, url + path, json=json, params=params, timeout=5)
        return response.status_code, _json_or_none(response)

    try:
        yield SimDriver(send, url=url, app=app)
    finally:
        http.close()
        world_of(app).reset()   # releases requests held by a timeout fault
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _json_or_none(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None


@pytest.fixture
def client_factory(live_sim: SimDriver) -> Iterator[Callable[..., MiniProgramClient]]:
    """Builds MiniProgramClients on the live simulator (one per simulated process)."""
    made: list[MiniProgramClient] = []

    def make(**options) -> MiniProgramClient:
        options.setdefault("timeout", 2.0)
        client = MiniProgramClient(APPID, SECRET, live_sim.url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def mp_client(client_factory) -> MiniProgramClient:
    return client_factory()
