"""Fixtures for WeChat Pay: the simulator with Pay on, the client, a notification receiver.

Loaded through `pytest_plugins` in tests/conftest.py, like wechat_fixtures. The simulator runs
on the frozen FROZEN_NOW clock and the client judges notification freshness on that same
clock, so a test moves time for both with ``pay_sim.advance``. Request signatures are
checked on the wall clock (wechatpayv3 signs with time.time()).

Reuse for app-level tests: ``pay_app_config(pay_sim)`` gives the app config keys that point
a Shaobao app at a simulator; ``deliver_to(test_client)`` routes the simulator's
notifications into a Flask test client instead of over HTTP.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from backend.wechat.pay import PayClient
from backend.wechat.pay_keys import DEV_SP_NAME, DevPayKeys, ensure_dev_keys
from backend.wechat.simulator import (
    PaySimConfig,
    PayWorld,
    QuietRequestHandler,
    create_simulator_app,
    pay_world_of,
    world_of,
)
from tests.integration.wechat_fixtures import APPID, FROZEN_NOW, SECRET

SP_MCHID = "1900000001"
SUB_MCHID = "1900000109"
OPENID = "o_payer_resident_1"
NOTIFY_PATH = "/api/pay/notify/transaction"
REFUND_NOTIFY_PATH = "/api/pay/notify/refund"


def at(seconds_from_now: float) -> datetime:
    """A UTC time relative to the frozen sim clock."""
    return datetime.fromtimestamp(FROZEN_NOW, UTC) + timedelta(seconds=seconds_from_now)


@pytest.fixture(scope="session")
def pay_keys(tmp_path_factory) -> DevPayKeys:
    """One made-up key set per test session (RSA key generation is slow)."""
    return ensure_dev_keys(tmp_path_factory.mktemp("wechatpay"))


def pay_sim_app(keys: DevPayKeys, **options) -> Flask:
    config = PaySimConfig.from_keys(keys, sp_mchid=SP_MCHID, sp_appid=APPID, **options)
    return create_simulator_app(APPID, SECRET, clock=lambda: FROZEN_NOW, pay=config)


class LiveServer:
    """A WSGI app served on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """Our server's notify endpoints, reduced to recording what arrives and answering the
    next scripted statuses (then 200)."""
    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.received.append(Received(request.path, dict(request.headers), request.get_data()))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response(status=status)(environ, start_response)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = LiveServer(receiver.wsgi)
    receiver.url = server.url
    yield receiver
    server.stop()


class PaySim:
    """Drives a live simulator with Pay on, as tests and the phone do."""

    def __init__(self, app: Flask, url: str):
        self.app, self.url = app, url
        self.world: PayWorld = pay_world_of(app)
        self.http = requests.Session()

    def call(self, method: str, path: str, json=None) -> tuple[int, dict | None]:
        response = self.http.request(method, self.url + path, json=json, timeout=10)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def control(self, method: str, path: str, json=None) -> dict:
        status, body = self.call(method, path, json)
        assert status == 200, (status, body)
        return body

    def pay(self, params: dict, openid: str = OPENID, **extra) -> tuple[int, dict]:
        return self.call("POST", "/sim/pay/request-payment", {**params, "openid": openid, **extra})

    def notify_mode(self, mode: str, count: int = 1) -> list[str]:
        return self.control("POST", "/sim/pay/notify-mode", {"mode": mode, "count": count})["armed"]

    def deliver_due(self) -> int:
        return self.control("POST", "/sim/pay/notifications/deliver-due")["sent"]

    def release(self) -> int:
        return self.control("POST", "/sim/pay/notifications/release")["sent"]

    def notifications(self) -> dict:
        return self.control("GET", "/sim/pay/notifications")

    def advance(self, seconds: float) -> float:
        return self.control("POST", "/sim/clock", {"advance_seconds": seconds})["now"]

    def now(self) -> float:
        return self.world.clock.now()


@pytest.fixture
def pay_sim(pay_keys) -> Iterator[PaySim]:
    app = pay_sim_app(pay_keys, refund_seconds=5.0, profit_sharing_seconds=60.0)
    server = LiveServer(app)
    sim = PaySim(app, server.url)
    yield sim
    sim.http.close()
    world_of(app).reset()
    server.stop()


def make_client(pay_sim: PaySim, keys: DevPayKeys, notify_base: str = "http://127.0.0.1:9", **options) -> PayClient:
    defaults = dict(base_url=pay_sim.url, sp_mchid=SP_MCHID, sp_appid=APPID,
                    private_key_pem=keys.merchant_private_key_pem, cert_serial_no=keys.cert_serial_no,
                    apiv3_key=keys.apiv3_key, public_key_pem=keys.platform_public_key_pem,
                    public_key_id=keys.public_key_id, notify_url=notify_base + NOTIFY_PATH,
                    refund_notify_url=notify_base + REFUND_NOTIFY_PATH, sp_name=DEV_SP_NAME,
                    timeout=5.0, clock=pay_sim.now)
    return PayClient(**{**defaults, **options})


@pytest.fixture
def pay(pay_sim, pay_keys, receiver) -> PayClient:
    """The client on the live simulator, with notifications going to ``receiver``."""
    return make_client(pay_sim, pay_keys, notify_base=receiver.url)


def pay_app_config(pay_sim: PaySim, keys_dir, notify_base: str) -> dict:
    """App config keys for a Shaobao app using this simulator (keys_dir: pay_keys.directory)."""
    keys = ensure_dev_keys(keys_dir)
    return {"WECHATPAY_BASE_URL": pay_sim.url, "WECHATPAY_SP_MCHID": SP_MCHID,
            "WECHATPAY_SP_APPID": APPID, "WECHATPAY_SP_NAME": DEV_SP_NAME,
            "WECHATPAY_CERT_SERIAL_NO": keys.cert_serial_no,
            "WECHATPAY_PRIVATE_KEY_PATH": str(keys.merchant_private_key_path),
            "WECHATPAY_APIV3_KEY": keys.apiv3_key,
            "WECHATPAY_PUBLIC_KEY_PATH": str(keys.platform_public_key_path),
            "WECHATPAY_PUBLIC_KEY_ID": keys.public_key_id, "WECHATPAY_NOTIFY_BASE": notify_base,
            "WECHATPAY_TIMEOUT_SECONDS": 5.0}


def deliver_to(test_client) -> Callable[[str, dict, bytes], int]:
    """A PayWorld ``deliver`` hook posting into a Flask test client (set
    ``pay_sim.world.notifier.deliver = deliver_to(client)``)."""
    def deliver(url: str, headers: dict, body: bytes) -> int:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return test_client.post(path, data=body, headers={**headers, "Content-Type": "application/json"}).status_code
    return deliver


def place_and_pay(pay: PayClient, pay_sim: PaySim, out_trade_no: str, total_fen: int = 10000,
                  profit_sharing: bool = True, sub_mchid: str = SUB_MCHID) -> dict:
    """Prepay, pay on the phone; returns the phone's answer (with transaction_id)."""
    prepay_id = pay.jsapi_prepay(out_trade_no=out_trade_no, sub_mchid=sub_mchid, description="上门保洁 2 小时",
                                 total_fen=total_fen, payer_openid=OPENID, time_expire=at(1800),
                                 profit_sharing=profit_sharing)
    status, body = pay_sim.pay(pay.payment_params(prepay_id))
    assert status == 200, body
    return body
