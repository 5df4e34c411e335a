"""The audit trail."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.console import schemas
from backend.services import audit

blp = Blueprint("console_audit", __name__, url_prefix="/api/console/audit",
                description="Who changed what, when, before and after")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.AuditQuerySchema, location="query")
@blp.response(200, schemas.AuditEntrySchema(many=True))
@blp.paginate()
def list_audit(query, pagination_parameters):
    """Audit entries of the viewer's county, newest first."""
    return page(audit.listing(g.viewer, query.get("object_type"), query.get("object_id")),
                pagination_parameters)
