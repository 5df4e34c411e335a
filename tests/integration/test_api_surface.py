"""OpenAPI, /healthz and the one error shape on routes that do not exist."""
from __future__ import annotations


def test_openapi_covers_both_faces(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ("/api/mp/auth/login", "/api/mp/me", "/api/mp/me/phone", "/api/mp/locate",
                 "/api/console/regions", "/api/console/regions/{region_id}/grids/import",
                 "/api/console/departments", "/api/console/users", "/api/console/grants/{grant_id}",
                 "/api/console/audit"):
        assert path in paths, path
    login = paths["/api/mp/auth/login"]["post"]
    assert login["security"] == []
    assert "requestBody" in login
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Error" in spec["components"]["schemas"]


def test_healthz(client):
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"] == {"ok": True, "configured": False}


def test_unknown_route_and_method_use_the_error_shape(client, as_user):
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    # Under the API prefixes nothing is answered to anonymous callers, not even "no such route".
    assert client.get("/api/console/secret-route").status_code == 401
    assert client.delete("/api/mp/auth/login").status_code == 401
    resident = as_user("demo-resident-1")
    assert resident.get("/api/console/secret-route").status_code == 404
    wrong = resident.delete("/api/mp/auth/login")
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"


def test_authentication_comes_before_validation(client):
    response = client.post("/api/console/users", json={})
    assert response.status_code == 401
    assert response.json["error"]["fields"] == {}


def test_huge_ids_are_404_or_422_not_500(as_user):
    admin = as_user("demo-platform-admin")
    for path in ("/api/console/regions/99999999999999999999", "/api/console/users/9223372036854775808",
                 "/api/console/grants/2147483648"):
        assert admin.get(path).status_code == 404, path
    response = admin.get("/api/console/regions?parent_id=9223372036854775808")
    assert response.status_code == 422 and "parent_id" in response.json["error"]["fields"]


def test_a_non_json_body_is_415_in_the_error_shape(client):
    response = client.post("/api/mp/auth/login", data="code=abc",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert set(response.json["error"]) == {"code", "message", "fields"}
