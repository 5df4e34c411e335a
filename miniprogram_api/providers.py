"""Becoming a provider from the mini-program: apply, follow one's applications, resubmit."""
from __future__ import annotations

from flask import g

from backend.api import provider_schemas as schemas
from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID
from backend.extensions import db
from backend.services.providers import actions, applications

blp = Blueprint("mp_providers", __name__, url_prefix="/api/mp/providers",
                description="Apply to provide social services; follow and resubmit applications")


@blp.route("", methods=["POST"])
@blp.arguments(schemas.ProviderApplySchema)
@blp.response(201, schemas.ProviderDetailSchema)
@blp.alt_response(200, schema=schemas.ProviderDetailSchema,
                  description="a retry with a client_id already used: the first application")
def apply(body):
    """Apply (licence photos uploaded first); the same client_id again returns the first application."""
    provider, created = applications.apply(g.viewer, body)
    db.session.commit()
    return applications.get(g.viewer, provider.id), 201 if created else 200


@blp.route("", methods=["GET"])
@blp.response(200, schemas.ProviderSummarySchema(many=True))
@blp.paginate()
def my_applications(pagination_parameters):
    """Your applications, newest first, with the county's reason when it asked for more."""
    return page(applications.search(g.viewer, mine=True), pagination_parameters)


@blp.route(f"/<{ID}:provider_id>", methods=["GET"])
@blp.response(200, schemas.ProviderDetailSchema)
def get_application(provider_id):
    """One of your applications (or your provider), with its timeline."""
    return applications.get(g.viewer, provider_id)


@blp.route(f"/<{ID}:provider_id>", methods=["PUT"])
@blp.arguments(schemas.ProviderUpdateSchema)
@blp.response(200, schemas.ProviderDetailSchema)
def edit_application(body, provider_id):
    """Edit your application while it is under review or more is requested."""
    applications.update(g.viewer, provider_id, body, body.get("version"))
    db.session.commit()
    return applications.get(g.viewer, provider_id)


@blp.route(f"/<{ID}:provider_id>/resubmit", methods=["POST"])
@blp.arguments(schemas.ProviderActionSchema)
@blp.response(200, schemas.ProviderDetailSchema)
def resubmit(body, provider_id):
    """Send the edited application back for review (payload: optional note)."""
    actions.act(g.viewer, provider_id, "resubmit", body["payload"], body["version"])
    db.session.commit()
    return applications.get(g.viewer, provider_id)
