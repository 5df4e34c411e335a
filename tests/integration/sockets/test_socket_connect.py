"""Connecting: the bearer token is checked at connect; forged, expired and revoked tokens,
and none at all, are refused with a reason in the one error shape."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuthToken
from backend.models.types import utcnow
from backend.services.people.auth import hash_token
from tests.integration.sockets.live import Refused


def refusal(live, **kwargs) -> dict:
    with pytest.raises(Refused) as caught:
        live.ear(**kwargs)
    return caught.value.data["data"]


def set_token(live, token: str, **values) -> None:
    with live.app.app_context():
        db.session.execute(sa.update(AuthToken).where(AuthToken.token_hash == hash_token(token)).values(**values))
        db.session.commit()


def test_a_valid_token_connects_by_payload_or_header(live):
    phone = live.phone("demo-resident-1")
    assert live.ear(phone.token).client.connected
    assert live.ear(auth={}, headers={"Authorization": f"Bearer {phone.token}"}).client.connected


@pytest.mark.parametrize("auth", [{}, {"token": ""}, {"token": 42}])
def test_no_token_is_refused(live, auth):
    body = refusal(live, auth=auth)
    assert body["error"]["code"] == "not_authenticated"
    assert "token" in body["error"]["message"]


def test_forged_token_is_refused(live):
    assert refusal(live, token="forged-" + "x" * 36)["error"]["code"] == "invalid_token"


def test_expired_token_is_refused(live):
    phone = live.phone("demo-resident-1")
    set_token(live, phone.token, expires_at=utcnow() - timedelta(seconds=1))
    assert refusal(live, token=phone.token)["error"]["code"] == "invalid_token"


def test_revoked_token_is_refused(live):
    phone = live.phone("demo-resident-1")
    assert phone.post("/api/mp/auth/logout").status_code == 204
    assert refusal(live, token=phone.token)["error"] == {
        "code": "invalid_token", "message": "the token is invalid, expired or revoked", "fields": {}}


def test_a_socket_whose_token_is_revoked_is_closed(live):
    phone = live.phone("demo-resident-1")
    ear = live.ear(phone.token)
    assert phone.post("/api/mp/auth/logout").status_code == 204
    ear.until("disconnect", timeout=10)
    assert not ear.client.connected
