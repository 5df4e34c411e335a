"""With REDIS_URL set: /healthz checks Redis, and processes share one WeChat access token.

CI (SHAOBAO_REQUIRE_SERVICES=1) always provides Redis; elsewhere these tests need
SHAOBAO_TEST_REDIS_URL, which scripts/test sets when redis-server is installed.
"""
from __future__ import annotations

import os

import pytest
import redis
import requests
from wechatpy.session.redisstorage import RedisStorage

from backend.app import create_app
from backend.extensions import db
from backend.services import runtime
from backend.wechat.miniprogram import MiniProgramClient
from tests.conftest import SIM_APPID, SIM_SECRET

REDIS_URL = os.environ.get("SHAOBAO_TEST_REDIS_URL")
if not REDIS_URL:
    if os.environ.get("SHAOBAO_REQUIRE_SERVICES") == "1":
        raise RuntimeError("SHAOBAO_REQUIRE_SERVICES=1 but SHAOBAO_TEST_REDIS_URL is not set")
    pytest.skip("no Redis here (scripts/test starts one when redis-server is installed)",
                allow_module_level=True)


@pytest.fixture()
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture()
def app_with(app):
    """Another app (as another process would be) on the same database, with REDIS_URL."""
    made = []

    def make(redis_url):
        made.append(create_app({**{k: app.config[k] for k in (
            "SHAOBAO_ENV", "TESTING", "SQLALCHEMY_DATABASE_URI", "VAR_DIR", "WECHAT_APPID",
            "WECHAT_SECRET", "WECHAT_API_BASE", "WECHAT_TIMEOUT_SECONDS")}, "REDIS_URL": redis_url}))
        return made[-1]
    yield make
    for each in made:
        with each.app_context():
            db.engine.dispose()
        runtime.of(each).wechat.close()


def test_healthz_checks_redis(app_with, redis_client):
    body = app_with(REDIS_URL).test_client().get("/healthz").json
    assert body["checks"]["redis"]["ok"] is True and body["status"] == "ok"
    response = app_with("redis://127.0.0.1:1/0").test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"]["ok"] is False
    assert response.json["status"] == "degraded"


def test_processes_share_the_access_token_through_redis(sim, redis_client, sim_control):
    calls = lambda: requests.get(f"{sim.url}/sim/calls", timeout=5).json()["calls"]  # noqa: E731
    before = calls().get("/cgi-bin/stable_token", 0)
    clients = [MiniProgramClient(SIM_APPID, SIM_SECRET, sim.url, timeout=2,
                                 session_storage=RedisStorage(redis_client, prefix="shaobao:test"))
               for _ in range(3)]
    for index, client in enumerate(clients):
        code = sim_control("POST", "/sim/phone-code", {"phone": f"1380000000{index}"})["code"]
        assert client.phone_number(code) == f"1380000000{index}"
    assert calls().get("/cgi-bin/stable_token", 0) - before == 1
    for client in clients:
        client.close()
