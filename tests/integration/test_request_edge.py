"""The request edge (issue 11, item 2): hostile input is a 4xx in the one error shape, with
nothing written, on every route the OpenAPI document lists, whatever its schema.

The sweeps send each hostile body to every JSON write route and each hostile query value to
every GET route, and check that the edge parser (backend/api/parsing.py) answered it: the
message it gives, not marshmallow's, names every field sent."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from backend.api.blueprint import Blueprint
from backend.api.parsing import EDGE_PARSER
from backend.extensions import db
from backend.models import Case, Provider
from tests.integration.case_helpers import IN_G1, category_id

HUGE = 2**70
DEEP = 100_000
PATH_VALUES = {"action": "accept", "day": "2026-01-01", "variant": "thumb", "kind": "transaction"}
METHODS = ("get", "post", "put", "patch", "delete")
EDGE_REASONS = {"nested": "nested deeper", "surrogate": "lone surrogate", "nul": "NUL character",
                "huge_int": "beyond 64 bits"}


@pytest.fixture()
def spec(client):
    return client.get("/api/openapi.json").json


@pytest.fixture()
def callers(as_user, client):
    """Who calls each face: a resident on the mini-program, the platform admin on the console,
    a sensor's key on machine intake."""
    admin = as_user("demo-county-admin")
    county = admin.get("/api/console/regions?level=county").json[0]["id"]
    key = admin.post("/api/console/api-clients", json={"name": "边界测试", "kind": "sensor",
                                                       "region_id": county}).json["key"]
    resident = as_user("demo-resident-1")
    platform = as_user("demo-platform-admin")

    def call(method: str, path: str, **kwargs):
        if path == "/api/console/intake/cases":
            return getattr(client, method)(path, headers={"X-Api-Key": key}, **kwargs)
        return getattr(resident if path.startswith("/api/mp/") else platform, method)(path, **kwargs)
    return call


def rows() -> int:
    """Rows in every table: a refused request adds none."""
    counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery()
              for table in db.metadata.sorted_tables]
    return sum(db.session.execute(sa.select(*counts)).one())


def concrete(path: str, value=1) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(PATH_VALUES.get(m.group(1), value)), path)


def _resolve(spec, schema: dict) -> dict:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_write_routes(spec) -> list[tuple[str, str, dict]]:
    """(method, path, body schema) of every operation taking a JSON body."""
    routes = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                routes.append((method, path, _resolve(spec, content["application/json"]["schema"])))
    assert len(routes) > 30  # the sweep reaches every face, not a few routes
    return routes


def hostile(kind: str, properties) -> str:
    """A body setting every property of the schema to the hostile value, as raw JSON text."""
    if kind == "nested":
        nested: object = "leaf"
        for _ in range(40):
            nested = {"a": nested}
        return json.dumps(dict.fromkeys(properties, nested))
    value = {"surrogate": "\ud800", "nul": "a\x00b", "huge_int": HUGE}[kind]
    return json.dumps(dict.fromkeys(properties, value))  # ensure_ascii: "\ud800" as an escape


def assert_refused(response, status=(422,)):
    assert response.status_code in status, (response.status_code, response.get_data(as_text=True)[:300])
    assert set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("kind", sorted(EDGE_REASONS))
def test_every_json_write_route_refuses_hostile_bodies_at_the_edge(spec, callers, kind):
    for method, path, schema in json_write_routes(spec):
        properties = list(schema.get("properties", {})) or ["anything"]
        before = rows()
        response = callers(method, concrete(path), data=hostile(kind, properties),
                           content_type="application/json")
        assert_refused(response)
        fields = response.json["error"]["fields"]
        for name in properties:  # the edge's reason for each field, not marshmallow's
            reasons = [m for key, ms in fields.items() if key.split(".")[0] == name for m in ms]
            assert any(EDGE_REASONS[kind] in m for m in reasons), (method, path, name, fields)
        assert rows() == before, (method, path)


def test_every_json_write_route_refuses_a_body_nested_past_recursion(spec, callers):
    deep = "[" * DEEP + "]" * DEEP
    for method, path, _ in json_write_routes(spec):
        before = rows()
        response = callers(method, concrete(path), data=deep, content_type="application/json")
        assert_refused(response)
        assert "nested deeper" in str(response.json["error"]["fields"]), (method, path)
        assert rows() == before


def test_every_json_write_route_refuses_overlong_text_before_the_database(spec, callers):
    """Longer than any column: marshmallow's maxLength (or, should one be missing, the
    database's refusal, answered 422) refuses it; PostgreSQL never gives a 500."""
    for method, path, schema in json_write_routes(spec):
        strings = [name for name, prop in schema.get("properties", {}).items() if prop.get("type") == "string"]
        if not strings:
            continue
        before = rows()
        response = callers(method, concrete(path), json=dict.fromkeys(strings, "长" * 5000))
        assert_refused(response)
        assert rows() == before, (method, path)


def test_every_json_write_route_refuses_a_body_that_is_not_json(spec, callers):
    for method, path, _ in json_write_routes(spec):
        before = rows()
        response = callers(method, concrete(path), data="name=x",
                           content_type="application/x-www-form-urlencoded")
        assert_refused(response, status=(415,))
        assert rows() == before


def test_changes_and_searches_refuse_an_empty_body(spec, callers):
    asked = [(m, p) for m, p, _ in json_write_routes(spec) if m in ("patch", "put") or p.endswith("/search")]
    assert ("post", "/api/console/users/search") in asked and ("put", "/api/mp/providers/{provider_id}") in asked
    for method, path in asked:
        before = rows()
        for empty in ({}, {"content_type": "application/json"}):
            response = callers(method, concrete(path), **empty)
            assert_refused(response)
        assert rows() == before


def get_routes(spec):
    for path, operations in spec["paths"].items():
        if "get" in operations:
            yield path, operations["get"].get("parameters", [])


def test_query_integers_beyond_range_and_nul_are_refused_on_every_list(spec, callers):
    swept = 0
    for path, parameters in get_routes(spec):
        for parameter in parameters:
            if parameter["in"] != "query":
                continue
            kind = parameter.get("schema", {}).get("type")
            value = str(HUGE) if kind == "integer" else "a\x00b"
            required = {p["name"]: "1" for p in parameters if p["in"] == "query" and p.get("required")}
            response = callers("get", concrete(path), query_string={**required, parameter["name"]: value})
            assert_refused(response)
            assert parameter["name"] in response.json["error"]["fields"], (path, parameter["name"])
            swept += 1
    assert swept > 40


def test_ids_beyond_range_in_paths_are_not_there(spec, callers):
    for path, operations in spec["paths"].items():
        if not re.search(r"\{\w+_id\}", path):
            continue
        for method in operations:
            if method in METHODS:
                assert_refused(callers(method, concrete(path, HUGE), json={}), status=(404,))


# --- the defects as they were met, with otherwise valid requests ---------------------------

def report_body(**overrides):
    return {"client_id": "edge-report-0001", "category_id": category_id("T06-02"),
            "description": "路边有一堆垃圾没人清理", "address": "文昌路12号",
            "lng": IN_G1[0], "lat": IN_G1[1], "coord_system": "gcj02", **overrides}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("field", ["description", "address"])
@pytest.mark.parametrize("text", ["坏\ud800字", "空\x00字"])
def test_a_report_with_unstorable_text_is_refused_and_not_filed(as_user, field, text):
    resident = as_user("demo-resident-1")
    before = count(Case)
    response = resident.post("/api/mp/cases", data=json.dumps(report_body(**{field: text})),
                             content_type="application/json")
    assert_refused(response)
    assert field in response.json["error"]["fields"]
    assert count(Case) == before


def test_deep_attributes_are_refused(as_user):
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    response = as_user("demo-resident-1").post("/api/mp/cases", json=report_body(attributes={"x": deep}))
    assert_refused(response)


def test_a_nul_in_a_providers_name_is_not_stored(as_user):
    admin = as_user("demo-county-admin")
    provider = admin.get("/api/console/providers").json[0]
    before = db.session.get(Provider, provider["id"]).name
    response = admin.patch(f"/api/console/providers/{provider['id']}",
                           json={"version": provider.get("version", 1), "name": "好\x00邻居"})
    assert_refused(response)
    assert db.session.get(Provider, provider["id"]).name == before


@pytest.mark.parametrize("query", [{"page": HUGE}, {"page": 2**40}, {"page_size": HUGE}, {"category_id": HUGE}])
def test_huge_paging_and_filters_are_422(as_user, query):
    response = as_user("demo-resident-1").get("/api/mp/cases", query_string=query)
    assert_refused(response)
    assert set(query) <= set(response.json["error"]["fields"])


# int() reads "1_000" and full-width or other Unicode digits as numbers; marshmallow uses it.
UNDERSCORED = f"{HUGE:_}"


@pytest.mark.parametrize("query", [{"page": UNDERSCORED}, {"page_size": UNDERSCORED},
                                   {"category_id": UNDERSCORED}])
def test_huge_integers_written_with_underscores_are_422_too(as_user, query):
    response = as_user("demo-resident-1").get("/api/mp/cases", query_string=query)
    assert_refused(response)
    assert set(query) <= set(response.json["error"]["fields"])


def test_an_empty_patch_is_refused_not_a_200_that_did_nothing(as_user):
    admin = as_user("demo-platform-admin")
    user = admin.get("/api/console/users").json[0]
    assert_refused(admin.patch(f"/api/console/users/{user['id']}"))
    assert_refused(admin.post("/api/console/users/search", data=""))


def test_machine_intake_without_a_good_key_is_401_whatever_the_body(client):
    for headers in ({}, {"X-Api-Key": "sbk_wrong"}):
        for body in ({}, {"description": "x"}, report_body()):
            response = client.post("/api/console/intake/cases", json=body, headers=headers)
            assert_refused(response, status=(401,))


def test_every_blueprint_parses_through_the_edge(app):
    """A blueprint made from flask-smorest's own class would parse with webargs' parser and
    let all of the above through."""
    smorest = [name for name, blueprint in app.blueprints.items()
               if hasattr(blueprint, "arguments") and not isinstance(blueprint, Blueprint)]
    assert smorest == []
    assert Blueprint.ARGUMENTS_PARSER is EDGE_PARSER is Blueprint.PAGINATION_ARGUMENTS_PARSER
