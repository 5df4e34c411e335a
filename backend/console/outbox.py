"""Delivery of effects: dead letters (what could not be delivered) and sending one again."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID
from backend.console import schemas
from backend.effects import admin
from backend.extensions import db

blp = Blueprint("console_outbox", __name__, url_prefix="/api/console/outbox",
                description="Notifications and pushes: what was delivered, what is dead")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.EffectQuerySchema, location="query")
@blp.response(200, schemas.EffectSchema(many=True))
@blp.paginate()
def list_effects(query, pagination_parameters):
    """Effects about the viewer's county's cases, newest first; outcome=dead for dead letters."""
    return admin.seen(g.viewer, page(admin.listing(g.viewer, query.get("outcome")), pagination_parameters))


@blp.route(f"/<{ID}:effect_id>/retry", methods=["POST"])
@blp.response(200, schemas.EffectSchema)
def retry_effect(effect_id):
    """Send a dead letter again (after its cause was fixed)."""
    effect = admin.retry(g.viewer, effect_id)
    db.session.commit()
    return effect
