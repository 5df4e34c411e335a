"""API keys for sensors and external systems (the third intake channel)."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from backend.extensions import db
from backend.models import ApiClient, Region
from backend.services import access, audit
from backend.services.errors import NotAuthenticated, NotFound


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate(key: str) -> ApiClient:
    """The active client holding this key; NotAuthenticated otherwise."""
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.key_hash == hash_key(key),
                                                          ApiClient.active)) if key else None
    if client is None:
        raise NotAuthenticated("send an active client's key in X-Api-Key",
                               code="invalid_api_key" if key else "api_key_required")
    return client


def snapshot(client: ApiClient) -> dict:
    return {"name": client.name, "kind": client.kind, "region_id": client.region_id,
            "active": client.active}


def create(viewer, data: dict) -> tuple[ApiClient, str]:
    """A new client and its key, shown this once (only its hash is kept)."""
    scope = access.ensure_county_admin(viewer)
    region = access.get_visible(viewer, Region, data["region_id"])
    key = "sbk_" + secrets.token_urlsafe(32)
    client = ApiClient(name=data["name"], kind=data["kind"], key_hash=hash_key(key),
                       region_id=region.id, created_by_id=viewer.user_id)
    db.session.add(client)
    db.session.flush()
    audit.record(viewer.user_id, "api_client.create", client, None, snapshot(client), scope or region.path)
    return client, key


def listing(viewer) -> list[ApiClient]:
    access.ensure_county_admin(viewer)
    regions = access.visible(viewer, Region).with_only_columns(Region.id)
    return db.session.scalars(sa.select(ApiClient).where(ApiClient.region_id.in_(regions))
                              .order_by(ApiClient.id)).all()


def deactivate(viewer, client_id: int) -> ApiClient:
    scope = access.ensure_county_admin(viewer)
    client = next((c for c in listing(viewer) if c.id == client_id), None)
    if client is None:
        raise NotFound(f"API client {client_id} not found")
    before = snapshot(client)
    client.active = False
    db.session.flush()
    audit.record(viewer.user_id, "api_client.deactivate", client, before, snapshot(client), scope)
    return client
