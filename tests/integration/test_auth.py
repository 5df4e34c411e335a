"""Mini-program login, tokens, logout and phone binding, through the live simulator."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuthToken, Grant, User
from tests.integration.conftest import user_by_openid


def login(client, code):
    return client.post("/api/mp/auth/login", json={"code": code})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_first_login_creates_a_resident_and_me_shows_it(client, wx_code):
    response = login(client, wx_code("o-new-resident", unionid="u-123"))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["user"]["phone"] is None
    assert [g["role"] for g in body["user"]["grants"]] == ["resident"]
    assert body["user"]["grants"][0]["region"]["level"] == "county"
    me = client.get("/api/mp/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json["id"] == body["user"]["id"]
    stored = db.session.scalar(sa.select(AuthToken).where(AuthToken.user_id == me.json["id"]))
    assert stored.token_hash != body["token"] and len(stored.token_hash) == 64
    assert user_by_openid("o-new-resident").unionid == "u-123"


def test_second_login_finds_the_same_user(client, wx_code):
    first = login(client, wx_code("o-returning")).json
    second = login(client, wx_code("o-returning")).json
    assert first["user"]["id"] == second["user"]["id"]
    assert first["token"] != second["token"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)
                             .where(Grant.user_id == first["user"]["id"])) == 1


def test_demo_staff_login_shows_their_grants(client, wx_code):
    body = login(client, wx_code("demo-hub-dispatcher-1")).json
    grants = body["user"]["grants"]
    assert [(g["role"], g["region"]["name"]) for g in grants] == [("hub_dispatcher", "凤鸣街道")]
    assert body["user"]["phone"].count("*") == 4


def test_used_code_is_refused(client, wx_code):
    code = wx_code("o-reuse")
    assert login(client, code).status_code == 200
    again = login(client, code)
    assert again.status_code == 422
    assert again.json["error"]["code"] == "code_used"


def test_unknown_code_is_refused(client):
    response = login(client, "not-a-real-code")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_code"
    assert set(response.json["error"]) == {"code", "message", "fields"}


def test_expired_code_is_refused(client, wx_code, sim_control):
    code = wx_code("o-slow-phone")
    sim_control("POST", "/sim/clock", {"advance_seconds": 301})
    response = login(client, code)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_code"
    assert user_by_openid("o-slow-phone") is None


def test_wechat_busy_is_503_and_creates_nothing(client, wx_code, sim_control):
    code = wx_code("o-busy")
    sim_control("POST", "/sim/faults", {"path": "/sns/jscode2session", "mode": "busy", "count": 1})
    response = login(client, code)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "upstream_unavailable"
    assert user_by_openid("o-busy") is None


def test_wechat_timeout_is_503(client, wx_code, sim_control):
    code = wx_code("o-timeout")
    sim_control("POST", "/sim/faults", {"path": "/sns/jscode2session", "mode": "timeout",
                                        "count": 1, "delay_seconds": 3})
    response = login(client, code)
    assert response.status_code == 503
    assert user_by_openid("o-timeout") is None


def test_login_body_is_validated(client):
    for body in ({}, {"code": ""}, {"code": 12}):
        response = client.post("/api/mp/auth/login", json=body)
        assert response.status_code == 422
        assert "code" in response.json["error"]["fields"]


def test_bad_tokens_are_401(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/mp/me", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] in ("not_authenticated", "invalid_token")


def test_logout_revokes_the_token(client, wx_code):
    token = login(client, wx_code("o-logout")).json["token"]
    assert client.post("/api/mp/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/mp/me", headers=bearer(token)).status_code == 401


def test_expired_token_is_401(client, wx_code):
    token = login(client, wx_code("o-expiry")).json["token"]
    db.session.execute(sa.update(AuthToken).values(expires_at=AuthToken.created_at))
    db.session.commit()
    assert client.get("/api/mp/me", headers=bearer(token)).status_code == 401


def test_disabled_account_cannot_log_in(client, wx_code):
    login(client, wx_code("o-disabled"))
    user_by_openid("o-disabled").active = False
    db.session.commit()
    response = login(client, wx_code("o-disabled"))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "account_disabled"


def test_phone_binding_masks_the_number(client, wx_code, sim_control):
    token = login(client, wx_code("o-phone")).json["token"]
    code = sim_control("POST", "/sim/phone-code", {"phone": "13812341234"})["code"]
    response = client.post("/api/mp/me/phone", json={"code": code}, headers=bearer(token))
    assert response.status_code == 200, response.json
    assert response.json["user"]["phone"] == "138****1234"
    assert response.json["token"] is None
    assert user_by_openid("o-phone").phone == "13812341234"
    assert "13812341234" not in response.get_data(as_text=True)
    again = client.post("/api/mp/me/phone", json={"code": code}, headers=bearer(token))
    assert again.status_code == 422 and again.json["error"]["code"] == "invalid_code"


def test_phone_of_another_account_is_409(client, wx_code, sim_control):
    taken = user_by_openid("demo-resident-1").phone
    token = login(client, wx_code("o-phone-thief")).json["token"]
    code = sim_control("POST", "/sim/phone-code", {"phone": taken})["code"]
    response = client.post("/api/mp/me/phone", json={"code": code}, headers=bearer(token))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "phone_in_use"
    assert user_by_openid("o-phone-thief").phone is None


def test_provisioned_staff_claim_their_account_by_phone(client, wx_code, sim_control, as_user):
    admin = as_user("demo-county-admin")
    township = client.get("/api/console/regions?level=township", headers=admin.headers).json[0]
    created = admin.post("/api/console/users", json={
        "name": "新调度员", "phone": "13900001111",
        "grant": {"role": "hub_dispatcher", "region_id": township["id"]}})
    assert created.status_code == 201, created.json
    old_token = login(client, wx_code("o-new-staff")).json["token"]
    code = sim_control("POST", "/sim/phone-code", {"phone": "13900001111"})["code"]
    response = client.post("/api/mp/me/phone", json={"code": code}, headers=bearer(old_token))
    assert response.status_code == 200, response.json
    assert response.json["user"]["id"] == created.json["id"]
    new_token = response.json["token"]
    me = client.get("/api/mp/me", headers=bearer(new_token)).json
    assert [g["role"] for g in me["grants"]] == ["hub_dispatcher"]
    assert client.get("/api/mp/me", headers=bearer(old_token)).status_code == 401
    assert user_by_openid("o-new-staff").id == created.json["id"]


def test_a_removed_grant_takes_effect_at_once(as_user):
    admin = as_user("demo-county-admin")
    region_id = admin.get("/api/console/regions?level=county").json[0]["id"]
    assert admin.get(f"/api/console/regions/{region_id}").status_code == 200
    holder = db.session.scalar(sa.select(User).where(User.openid == "demo-county-admin"))
    grant_id = holder.grants[0].id
    security = as_user("demo-security-admin")
    assert security.delete(f"/api/console/grants/{grant_id}").status_code == 204
    assert admin.get(f"/api/console/regions/{region_id}").status_code == 404


def test_a_first_login_that_lost_the_race_finds_the_winner(ctx):
    from backend.services.people.auth import _find_or_create
    winner = User(openid="o-race")
    db.session.add(winner)
    db.session.commit()
    # The other request inserted between our select and our insert: the insert fails on
    # the unique openid, and the winner is found instead of a 500.
    original = db.session.scalar

    def first_select_misses(query, *args, **kwargs):
        db.session.scalar = original
        return None
    db.session.scalar = first_select_misses
    try:
        assert _find_or_create("o-race", None).id == winner.id
    finally:
        db.session.scalar = original
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.openid == "o-race")) == 1


def test_a_unique_key_race_at_the_database_is_409_not_500(as_user, monkeypatch):
    from backend.services.people import users
    admin = as_user("demo-county-admin")
    gw = user_by_openid("demo-grid-worker-1")
    # Blind the service's own duplicate check, as a concurrent request would be.
    monkeypatch.setattr(users, "_already_held", lambda *args: False)
    response = admin.post(f"/api/console/users/{gw.id}/grants",
                          json={"role": "grid_worker", "region_id": gw.grants[0].region_id})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
