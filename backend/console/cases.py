"""Cases in the console: hub and county inboxes, search, one case, actions; and intake
from sensors and external systems with an API key."""
from __future__ import annotations

from flask import g, request

from backend.api import case_schemas as shared
from backend.api.auth import api_key
from backend.api.blueprint import Blueprint
from backend.api.case_routes import add_case_routes
from backend.api.paging import page
from backend.api.privacy_routes import add_reveal_route
from backend.api.schemas import ID
from backend.console import case_schemas as schemas
from backend.console import schemas as console_schemas
from backend.extensions import db
from backend.services.cases import intake, views
from backend.services.people import api_clients

blp = Blueprint("console_cases", __name__, url_prefix="/api/console",
                description="Inboxes, search and handling of cases; machine intake")


@blp.route("/cases", methods=["GET"])
@blp.arguments(shared.CaseListQuerySchema, location="query")
@blp.response(200, shared.CaseSummarySchema(many=True))
@blp.paginate()
def inbox(query, pagination_parameters):
    """Inboxes (queue=awaiting_me|due_soon|overdue) and search by state, category, grid,
    department and text, within what you may see."""
    rows = page(views.search(g.viewer, query), pagination_parameters)
    return views.summaries(g.viewer, rows)


add_case_routes(blp, "/cases")
add_reveal_route(blp, "/cases")


@blp.route("/intake/cases", methods=["POST"])
@api_key
@blp.arguments(schemas.MachineCaseSchema)
@blp.response(201, shared.CaseSummarySchema)
@blp.doc(security=[{"apiKey": []}])
def machine_intake(body):
    """A case from a sensor or an external system (header X-Api-Key), marked as such."""
    case, created = intake.submit_from_machine(api_clients.hash_key(request.headers["X-Api-Key"]), body)
    db.session.commit()
    return case, 201 if created else 200


@blp.route("/api-clients", methods=["GET"])
@blp.response(200, console_schemas.ApiClientSchema(many=True))
def list_clients():
    """Sensors and external systems allowed to submit cases."""
    return api_clients.listing(g.viewer)


@blp.route("/api-clients", methods=["POST"])
@blp.arguments(console_schemas.ApiClientCreateSchema)
@blp.response(201, console_schemas.ApiClientCreatedSchema)
def create_client(body):
    """Register a client; its key is shown in this answer only."""
    client, key = api_clients.create(g.viewer, body)
    db.session.commit()
    return {"client": client, "key": key}


@blp.route(f"/api-clients/<{ID}:client_id>", methods=["DELETE"])
@blp.response(204)
def deactivate_client(client_id):
    """Stop a client's key working."""
    api_clients.deactivate(g.viewer, client_id)
    db.session.commit()
