"""Service providers in the console: applications to review, a provider with its
certification timeline, review steps, and the provider's staff."""
from __future__ import annotations

from flask import g

from backend.api import provider_schemas as shared
from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID
from backend.console import provider_schemas as schemas
from backend.extensions import db
from backend.services.providers import actions, applications, staff

blp = Blueprint("console_providers", __name__, url_prefix="/api/console/providers",
                description="Provider onboarding (认证服务主体): review, timeline, staff")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.ProviderListQuerySchema, location="query")
@blp.response(200, shared.ProviderSummarySchema(many=True))
@blp.paginate()
def list_providers(query, pagination_parameters):
    """Applications and providers you may see, newest first (filter by status, name or code)."""
    return page(applications.search(g.viewer, query.get("status"), query.get("q")), pagination_parameters)


@blp.route("", methods=["POST"])
@blp.arguments(shared.ProviderApplySchema)
@blp.response(201, shared.ProviderDetailSchema)
def apply(body):
    """Apply to become a provider (licence photos uploaded first)."""
    provider, created = applications.apply(g.viewer, body)
    db.session.commit()
    return applications.get(g.viewer, provider.id), 201 if created else 200


@blp.route(f"/<{ID}:provider_id>", methods=["GET"])
@blp.response(200, shared.ProviderDetailSchema)
def get_provider(provider_id):
    """One provider: areas, documents, timeline, and the review steps you may take now."""
    return applications.get(g.viewer, provider_id)


@blp.route(f"/<{ID}:provider_id>", methods=["PATCH"])
@blp.arguments(shared.ProviderUpdateSchema)
@blp.response(200, shared.ProviderDetailSchema)
def update_provider(body, provider_id):
    """Edit an application (its applicant) or a certified provider's contact and areas (its staff)."""
    applications.update(g.viewer, provider_id, body, body.get("version"))
    db.session.commit()
    return applications.get(g.viewer, provider_id)


@blp.route(f"/<{ID}:provider_id>/actions/<string:action>", methods=["POST"])
@blp.arguments(shared.ProviderActionSchema)
@blp.response(200, shared.ProviderDetailSchema)
def take_action(body, provider_id, action):
    """A review step (request_more, approve, reject, suspend, reinstate, revoke); 409 if stale."""
    actions.act(g.viewer, provider_id, action, body["payload"], body["version"])
    db.session.commit()
    return applications.get(g.viewer, provider_id)


@blp.route(f"/<{ID}:provider_id>/staff", methods=["GET"])
@blp.response(200, schemas.StaffSchema(many=True))
def list_staff(provider_id):
    """The provider's staff (its own staff and the county administrator see them)."""
    return staff.listing(g.viewer, provider_id)


@blp.route(f"/<{ID}:provider_id>/staff", methods=["POST"])
@blp.arguments(schemas.StaffAddSchema)
@blp.response(201, schemas.StaffSchema)
def add_staff(body, provider_id):
    """Add a staff member by phone; a new number is provisioned and claimed by binding it."""
    member = staff.add(g.viewer, provider_id, body["name"], body["phone"])
    db.session.commit()
    return member


@blp.route(f"/<{ID}:provider_id>/staff/<{ID}:grant_id>", methods=["DELETE"])
@blp.response(204)
def remove_staff(provider_id, grant_id):
    """Take a staff member's role away; it stops working at once."""
    staff.remove(g.viewer, provider_id, grant_id)
    db.session.commit()
