"""Abuse limits: a burst past a limit answers 429 in the one error shape with Retry-After,
counted per user, per client address (login) or per API key (intake); other users,
addresses and keys are not affected; a Redis that cannot be reached never fails a request.

The suite's app runs with every limit on at a height its own tests never reach
(tests/conftest.py SUITE_LIMITS); each test here lowers the one it is about and starts
from empty counts."""
from __future__ import annotations

import itertools
import os
import re
import uuid

import pytest
import redis
import sqlalchemy as sa

from backend.api.limits import LIMITED
from backend.app import create_app
from backend.extensions import db
from backend.models import Case
from backend.services import runtime
from tests.integration.case_helpers import IN_G1, category_id

_addresses = itertools.count(1)
# scripts/test starts a Redis when redis-server is installed; CI always has one.
REDIS_URL = os.environ.get("SHAOBAO_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL and os.environ.get("SHAOBAO_REQUIRE_SERVICES") != "1",
                                 reason="no Redis here (SHAOBAO_TEST_REDIS_URL unset)")


def fresh_address() -> str:
    """An address no other test was counted under (the counts live as long as the app)."""
    n = next(_addresses)
    return f"10.77.{n // 250}.{n % 250 + 1}"


@pytest.fixture()
def limited(app, monkeypatch):
    """limited(SETTING, "3/minute"): that limit, from empty counts."""
    limiter = app.extensions["shaobao_limiter"]
    limiter.reset()

    def lower(setting: str, value: str) -> None:
        monkeypatch.setitem(app.config, setting, value)
    yield lower
    limiter.reset()


@pytest.fixture()
def other_app(app):
    """Another app (as another process would be) on the suite's database and simulator."""
    made = []

    def make(**overrides):
        keep = ("SHAOBAO_ENV", "TESTING", "SQLALCHEMY_DATABASE_URI", "VAR_DIR", "WECHAT_APPID",
                "WECHAT_SECRET", "WECHAT_API_BASE", "WECHAT_TIMEOUT_SECONDS")
        # Delivery off: a relay thread of its own would sweep pushes every few seconds on
        # the suite's database, under the other tests' savepoints.
        made.append(create_app({**{k: app.config[k] for k in keep}, "REDIS_URL": None,
                                "OUTBOX_DELIVERY": "off", **overrides}))
        return made[-1]
    yield make
    for each in made:
        with each.app_context():
            db.engine.dispose()
        runtime.of(each).wechat.close()


def report_body(n: int) -> dict:
    return {"client_id": f"burst-report-{n:04d}", "category_id": category_id("T06-02"),
            "description": "路边有一堆垃圾没人清理", "lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02"}


def assert_refused(response) -> None:
    assert response.status_code == 429, response.json
    assert response.json["error"]["code"] == "rate_limited"
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def cases() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def login(client, address: str, **headers):
    return client.post("/api/mp/auth/login", json={"code": "not-a-real-code"},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_a_burst_of_reports_stops_at_the_limit_and_files_nothing_more(limited, as_user):
    limited("LIMIT_REPORTS", "3/minute;10/hour")
    resident, neighbour = as_user("demo-resident-1"), as_user("demo-resident-2")
    before = cases()
    answers = [resident.post("/api/mp/cases", json=report_body(n)) for n in range(6)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429, 429]
    assert_refused(answers[-1])
    assert cases() == before + 3
    # Another resident reports as usual.
    assert neighbour.post("/api/mp/cases", json=report_body(100)).status_code == 201


def test_bad_login_codes_are_limited_per_address_whatever_x_forwarded_for_says(limited, client):
    limited("LIMIT_LOGIN", "3/minute")
    attacker, other = fresh_address(), fresh_address()
    answers = [login(client, attacker, **{"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(5)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429, 429]
    assert_refused(answers[-1])
    assert login(client, other).status_code == 422


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(other_app):
    app = other_app(TRUSTED_PROXY_COUNT=1, LIMIT_LOGIN="2/minute")
    client, proxy = app.test_client(), fresh_address()
    first, second = fresh_address(), fresh_address()
    assert [login(client, proxy, **{"X-Forwarded-For": first}).status_code for _ in range(3)] == [422, 422, 429]
    assert login(client, proxy, **{"X-Forwarded-For": second}).status_code == 422
    # A client putting its own X-Forwarded-For before the proxy's is still counted as itself.
    spoofed = login(client, proxy, **{"X-Forwarded-For": f"{second}, {first}"})
    assert spoofed.status_code == 429


def test_machine_intake_is_limited_per_api_key(limited, client, as_user):
    limited("LIMIT_INTAKE", "2/minute")
    admin = as_user("demo-county-admin")
    county = admin.get("/api/console/regions").json[0]["id"]
    keys = [admin.post("/api/console/api-clients", json={"name": f"传感器网{n}", "kind": "sensor",
                                                         "region_id": county}).json["key"] for n in (1, 2)]
    post = lambda key, n: client.post("/api/console/intake/cases", headers={"X-Api-Key": key},  # noqa: E731
                                      json={**report_body(n), "client_id": f"sensor-burst-{n:04d}"})
    assert [post(keys[0], n).status_code for n in range(3)] == [201, 201, 429]
    assert_refused(post(keys[0], 9))
    assert post(keys[1], 10).status_code == 201


def request_for(app, endpoint: str):
    """The method and a URL of an endpoint, ids filled with 1."""
    [rule] = app.url_map.iter_rules(endpoint)
    method = next(iter(rule.methods - {"HEAD", "OPTIONS"}))
    return method, re.sub(r"<[^<>]+>", "1", rule.rule)


@pytest.mark.parametrize("endpoint", sorted(LIMITED))
def test_every_limited_endpoint_answers_429_past_its_limit(endpoint, app, limited, client, token_for):
    """Counted before the body is even read: refused attempts count too."""
    setting, _ = LIMITED[endpoint]
    limited(setting, "1/minute")
    method, url = request_for(app, endpoint)
    headers = {"Authorization": f"Bearer {token_for('demo-resident-1')}", "X-Api-Key": "sbk_made_up"}
    address = fresh_address()
    send = lambda: client.open(url, method=method, data="{", content_type="application/json",  # noqa: E731
                               headers=headers, environ_base={"REMOTE_ADDR": address})
    assert send().status_code != 429
    assert_refused(send())


def test_an_empty_setting_turns_a_limit_off(limited, client):
    limited("LIMIT_LOGIN", "")
    address = fresh_address()
    assert {login(client, address).status_code for _ in range(5)} == {422}


def intake_with_unknown_key(client, key: str):
    return client.post("/api/console/intake/cases", json={}, headers={"X-Api-Key": key})


def test_redis_out_of_reach_neither_fails_requests_nor_lifts_the_limit(other_app):
    """Nothing listens on port 1: the counts fall back to this process's memory."""
    client = other_app(REDIS_URL="redis://127.0.0.1:1/0", LIMIT_INTAKE="2/minute").test_client()
    key = f"sbk_unknown_{uuid.uuid4().hex}"
    codes = [intake_with_unknown_key(client, key).status_code for _ in range(3)]
    assert codes[2] == 429 and set(codes[:2]) <= {401, 422}, codes   # refused, but not 500


@needs_redis
def test_two_processes_count_together_through_redis(other_app):
    first, second = (other_app(REDIS_URL=REDIS_URL, LIMIT_INTAKE="3/minute").test_client() for _ in range(2))
    key = f"sbk_unknown_{uuid.uuid4().hex}"
    codes = [intake_with_unknown_key(client, key).status_code for client in (first, second, first, second)]
    assert codes[3] == 429 and 429 not in codes[:3], codes
    stored = [k.decode() for k in redis.Redis.from_url(REDIS_URL).keys("*shaobao*")]
    assert stored and not any(key in k for k in stored), stored   # the key's hash, never the key


def test_the_openapi_document_announces_429_on_limited_routes_only(client):
    spec = client.get("/api/openapi.json").json
    assert "429" in spec["paths"]["/api/mp/cases"]["post"]["responses"]
    assert "429" in spec["paths"]["/api/console/intake/cases"]["post"]["responses"]
    assert "Retry-After" in spec["paths"]["/api/mp/auth/login"]["post"]["responses"]["429"]["headers"]
    assert "429" not in spec["paths"]["/api/mp/cases"]["get"]["responses"]
    limited = sum("429" in operation.get("responses", {})
                  for item in spec["paths"].values() for operation in item.values() if isinstance(operation, dict))
    assert limited == len(LIMITED)
