"""The audit trail."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from backend.console import schemas
from backend.models import AuditEntry
from backend.services import access
from backend.web.auth import login_required
from backend.web.paging import page

blp = Blueprint("console_audit", __name__, url_prefix="/api/console/audit",
                description="Who changed what, when, before and after")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.AuditQuerySchema, location="query")
@blp.response(200, schemas.AuditEntrySchema(many=True))
@blp.paginate()
@login_required
def list_audit(query, pagination_parameters):
    """Audit entries, newest first."""
    select = access.visible(g.viewer, AuditEntry).order_by(AuditEntry.id.desc())
    for key in ("object_type", "object_id"):
        if query.get(key):
            select = select.where(getattr(AuditEntry, key) == query[key])
    return page(select, pagination_parameters)
