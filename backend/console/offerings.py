"""Offerings in the console: the provider's staff create, edit, list and unlist them and
open time slots; the county sees those of the providers in its county."""
from __future__ import annotations

from flask import g

from backend.api import provider_schemas as shared
from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID
from backend.console import offering_schemas as schemas
from backend.extensions import db
from backend.services.providers import offerings, slots

blp = Blueprint("console_offerings", __name__, url_prefix="/api/console",
                description="Providers' offerings and their time slots")


@blp.route("/offerings", methods=["GET"])
@blp.arguments(schemas.OfferingListQuerySchema, location="query")
@blp.response(200, schemas.OfferingSchema(many=True))
@blp.paginate()
def list_offerings(query, pagination_parameters):
    """Offerings you may see, any status (filter by provider and status)."""
    return page(offerings.search(g.viewer, query.get("provider_id"), query.get("status")), pagination_parameters)


@blp.route(f"/providers/<{ID}:provider_id>/offerings", methods=["POST"])
@blp.arguments(schemas.OfferingCreateSchema)
@blp.response(201, schemas.OfferingDetailSchema)
def create_offering(body, provider_id):
    """A new offering, as a draft (the provider's staff)."""
    offering = offerings.create(g.viewer, provider_id, body)
    db.session.commit()
    return offerings.get(g.viewer, offering.id)


@blp.route(f"/offerings/<{ID}:offering_id>", methods=["GET"])
@blp.response(200, schemas.OfferingDetailSchema)
def get_offering(offering_id):
    """One offering with its areas and coming slots."""
    return offerings.get(g.viewer, offering_id)


@blp.route(f"/offerings/<{ID}:offering_id>", methods=["PATCH"])
@blp.arguments(schemas.OfferingUpdateSchema)
@blp.response(200, schemas.OfferingDetailSchema)
def update_offering(body, offering_id):
    """Change an offering; 409 if it changed since the version you read."""
    offerings.update(g.viewer, offering_id, {k: v for k, v in body.items() if k != "version"}, body.get("version"))
    db.session.commit()
    return offerings.get(g.viewer, offering_id)


@blp.route(f"/offerings/<{ID}:offering_id>/list", methods=["POST"])
@blp.arguments(schemas.VersionSchema)
@blp.response(200, schemas.OfferingDetailSchema)
def list_offering(body, offering_id):
    """Put it in the residents' catalogue (only while the provider is approved)."""
    offerings.set_listed(g.viewer, offering_id, True, body.get("version"))
    db.session.commit()
    return offerings.get(g.viewer, offering_id)


@blp.route(f"/offerings/<{ID}:offering_id>/unlist", methods=["POST"])
@blp.arguments(schemas.VersionSchema)
@blp.response(200, schemas.OfferingDetailSchema)
def unlist_offering(body, offering_id):
    """Take it out of the catalogue."""
    offerings.set_listed(g.viewer, offering_id, False, body.get("version"))
    db.session.commit()
    return offerings.get(g.viewer, offering_id)


@blp.route(f"/offerings/<{ID}:offering_id>/slots", methods=["POST"])
@blp.arguments(schemas.SlotsCreateSchema)
@blp.response(201, shared.SlotSchema(many=True))
def add_slots(body, offering_id):
    """Open time slots with a capacity each."""
    rows = slots.add(g.viewer, offering_id, body["slots"])
    db.session.commit()
    return rows


@blp.route(f"/offerings/<{ID}:offering_id>/slots/<{ID}:slot_id>", methods=["PATCH"])
@blp.arguments(schemas.SlotUpdateSchema)
@blp.response(200, shared.SlotSchema)
def update_slot(body, offering_id, slot_id):
    """Change a slot's capacity (never below what is booked)."""
    slot = slots.set_capacity(g.viewer, offering_id, slot_id, body["capacity"])
    db.session.commit()
    return slot


@blp.route(f"/offerings/<{ID}:offering_id>/slots/<{ID}:slot_id>", methods=["DELETE"])
@blp.response(204)
def delete_slot(offering_id, slot_id):
    """Remove a slot nobody booked."""
    slots.delete(g.viewer, offering_id, slot_id)
    db.session.commit()
