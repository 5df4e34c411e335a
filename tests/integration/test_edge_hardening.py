"""Issue 11, items 11 and 12 and "Hardening": outages answer 503 with Retry-After, every
/api/mp/ route is one wx.request can call, and the headers and messages every answer carries."""
from __future__ import annotations

import json
import os

import pytest
import redis
import sqlalchemy as sa
from flask_migrate import upgrade
from wechatpy.session.redisstorage import RedisStorage

from backend.app import create_app
from backend.extensions import db
from backend.services import runtime
from backend.wechat.miniprogram import MiniProgramClient
from tests.conftest import SIM_APPID, SIM_SECRET, fresh_database
from tests.integration.case_helpers import upload

CLOSED = "127.0.0.1:9"  # the discard port: nothing listens on it here
WX_REQUEST_METHODS = {"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"}


def assert_unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"].isdigit()
    assert response.json["error"]["code"] == "unavailable"
    assert set(response.json["error"]) == {"code", "message", "fields"}


def outage_app(tmp_path, uri: str):
    return create_app({"SHAOBAO_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": uri,
                       "VAR_DIR": str(tmp_path), "REDIS_URL": None, "OUTBOX_DELIVERY": "off"})


def test_a_database_that_refuses_connections_is_503_with_retry_after(tmp_path):
    app = outage_app(tmp_path, f"postgresql+psycopg://shaobao@{CLOSED}/shaobao")
    client = app.test_client()
    assert_unavailable(client.get("/api/mp/me", headers={"Authorization": "Bearer anything"}))
    assert_unavailable(client.post("/api/mp/cases", json={"description": "x"},
                                   headers={"Authorization": "Bearer anything"}))
    assert client.get("/healthz").status_code == 503
    with app.app_context():
        db.engine.dispose()


@pytest.mark.skipif(not os.environ.get("SHAOBAO_TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_a_postgresql_that_goes_away_under_a_running_app_is_503(app, tmp_path):
    """The database is dropped (its connections killed) under an app that was serving."""
    test_url = app.config["SQLALCHEMY_DATABASE_URI"]
    served = outage_app(tmp_path, fresh_database(test_url, "edge_outage"))
    with served.app_context():
        upgrade()
    client = served.test_client()
    assert client.get("/api/mp/me", headers={"Authorization": "Bearer nobody"}).status_code == 401
    engine = sa.create_engine(test_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP DATABASE edge_outage WITH (FORCE)"))
    engine.dispose()
    assert_unavailable(client.get("/api/mp/me", headers={"Authorization": "Bearer nobody"}))
    with served.app_context():
        db.engine.dispose()


def test_wechat_unreachable_through_redis_is_503_with_retry_after(app, as_user, sim_control):
    """Binding a phone asks WeChat with the access token, kept in Redis when REDIS_URL is set:
    Redis away is WeChat unreachable for this request, and the phone is told when to retry."""
    resident = as_user("demo-resident-1")
    code = sim_control("POST", "/sim/phone-code", {"phone": "13812341234"})["code"]
    held = runtime.of(app)
    working = held.wechat
    held.wechat = MiniProgramClient(SIM_APPID, SIM_SECRET, app.config["WECHAT_API_BASE"], timeout=2.0,
                                    session_storage=RedisStorage(redis.Redis.from_url(f"redis://{CLOSED}/0"),
                                                                 prefix="shaobao:wechat"))
    try:
        response = resident.post("/api/mp/me/phone", json={"code": code})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert response.json["error"]["code"] == "upstream_unavailable"
    finally:
        held.wechat.close()
        held.wechat = working


def test_a_redis_error_reaching_the_edge_is_503_with_retry_after(tmp_path):
    """Whatever route meets Redis away unguarded (the known ones take it in their stride:
    the limiter, the token store, the relay) answers an outage, not a 500."""
    served = outage_app(tmp_path, f"sqlite:///{tmp_path / 'redis.sqlite3'}")

    def uses_redis():
        return redis.Redis.from_url(f"redis://{CLOSED}/0", socket_connect_timeout=1).get("anything")

    served.add_url_rule("/api/uses-redis", "uses_redis", uses_redis)
    assert_unavailable(served.test_client().get("/api/uses-redis"))


def test_no_mini_program_route_needs_a_method_wx_request_cannot_send(app, client):
    spec = client.get("/api/openapi.json").json
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if path.startswith("/api/mp/") and method != "parameters"}
    assert ("/api/mp/providers/{provider_id}", "PUT") in documented
    assert {method for _, method in documented} <= WX_REQUEST_METHODS
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/mp/"):
            assert set(rule.methods) <= WX_REQUEST_METHODS, rule.rule


def test_every_answer_says_nosniff_and_api_answers_are_not_stored(client, as_user):
    resident = as_user("demo-resident-1")
    photo = upload(resident)
    answers = {"health": client.get("/healthz"), "openapi": client.get("/api/openapi.json"),
               "anonymous": client.get("/api/mp/me"), "missing": client.get("/nothing"),
               "me": resident.get("/api/mp/me"), "photo": resident.get(f"/api/mp/photos/{photo}/thumbnail"),
               "list": resident.get("/api/mp/cases")}
    for name, response in answers.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        if name not in ("health", "missing"):
            assert response.headers["Cache-Control"] == "no-store", name
    assert answers["photo"].status_code == 200 and answers["photo"].mimetype == "image/jpeg"


def test_healthz_tells_strangers_only_ok(app, client):
    stranger = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert stranger.json == {"status": "ok"}
    proxied = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert proxied.json == {"status": "ok"}
    assert client.get("/healthz").json["checks"]["database"]["ok"] is True  # loopback
    app.config["HEALTH_TOKEN"] = "monitoring-token-for-tests"
    try:
        monitored = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.7"},
                               headers={"X-Health-Token": "monitoring-token-for-tests"})
        assert "checks" in monitored.json
        wrong = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.7"},
                           headers={"X-Health-Token": "guess"})
        assert wrong.json == {"status": "ok"}
    finally:
        app.config["HEALTH_TOKEN"] = None


def test_404s_name_no_table(as_user):
    admin = as_user("demo-platform-admin")
    for path in ("/api/console/users/2000000000", "/api/console/regions/2000000000",
                 "/api/console/grants/2000000000", "/api/console/providers/2000000000",
                 "/api/console/offerings/2000000000", "/api/console/cases/2000000000"):
        response = admin.get(path)
        assert response.status_code == 404, path
        message = response.json["error"]["message"]
        assert not any(word in message for word in ("account", "user", "region", "grant", "provider",
                                                    "offering", "case", "2000000000")), (path, message)


def test_every_405_names_the_methods_allowed(as_user):
    resident = as_user("demo-resident-1")
    response = resident.delete("/api/mp/auth/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    patched = resident.patch("/api/mp/providers/1", json={})
    assert patched.status_code == 405 and "PUT" in patched.headers["Allow"]
    assert response.json["error"]["code"] == "method_not_allowed"


def test_the_openapi_document_states_the_pagination_header_as_sent(client, as_user):
    spec = client.get("/api/openapi.json").json
    listed = spec["paths"]["/api/mp/cases"]["get"]["responses"]["200"]
    assert "X-Pagination" in listed["headers"]
    header = spec["components"]["headers"]["PAGINATION"]
    sent = as_user("demo-resident-1").get("/api/mp/cases").headers["X-Pagination"]
    described = spec["components"]["schemas"]["PaginationMetadata"]
    assert header["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginationMetadata"}
    assert set(json.loads(sent)) <= set(described["properties"])


def request_properties(spec):
    """(schema name, property name, property) of every JSON body and query the API takes."""
    schemas = spec["components"]["schemas"]
    named = set()
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and "$ref" in body["schema"]:
                named.add(body["schema"]["$ref"].rsplit("/", 1)[-1])
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and "schema" in parameter:
                    yield "query", parameter["name"], parameter["schema"]
    for name in sorted(named):
        for prop_name, prop in schemas[name].get("properties", {}).items():
            yield name, prop_name, prop


def test_the_openapi_document_states_the_limits_the_server_enforces(client, as_user):
    spec = client.get("/api/openapi.json").json
    for schema, name, prop in request_properties(spec):
        if prop.get("type") == "string" and not {"enum", "format", "pattern"} & set(prop):
            assert "maxLength" in prop, (schema, name)
        for value in (prop, prop.get("items", {})):
            if value.get("type") == "integer":  # ids and versions: 32-bit keys and counters
                assert value.get("maximum", 2**32) < 2**31, (schema, name)
        if name == "client_id":
            assert prop["x-unique-per"] in ("user", "API client") and "422" in prop["description"]
    report = spec["components"]["schemas"]["CaseCreate"]["properties"]
    lat, lng = report["lat"], report["lng"]
    assert 30 < lat["minimum"] < lat["maximum"] < 45 and 100 < lng["minimum"] < lng["maximum"] < 125
    locate = {p["name"]: p["schema"] for p in spec["paths"]["/api/mp/locate"]["get"]["parameters"]}
    assert locate["lat"]["minimum"] == lat["minimum"]
    # The box is what the server holds to: a point just outside it is refused.
    resident = as_user("demo-resident-1")
    outside = resident.get("/api/mp/locate", query_string={"lng": lng["maximum"] + 0.001, "lat": lat["maximum"],
                                                           "coord_system": "gcj02"})
    assert outside.status_code == 422 and outside.json["error"]["code"] == "outside_county"
