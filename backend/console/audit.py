"""The audit trail (reveals of personal data included) and its export."""
from __future__ import annotations

from flask import Response, g, stream_with_context

from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.console import schemas
from backend.extensions import db
from backend.services import audit

blp = Blueprint("console_audit", __name__, url_prefix="/api/console/audit",
                description="Who changed (or revealed) what, when, before and after")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.AuditQuerySchema, location="query")
@blp.response(200, schemas.AuditEntrySchema(many=True))
@blp.paginate()
def list_audit(query, pagination_parameters):
    """Audit entries the viewer may read (the audit administrator all, a county's its own), newest first."""
    entries = audit.listing(g.viewer, query.get("object_type"), query.get("object_id"),
                            query.get("from_"), query.get("to"))
    return audit.seen(g.viewer, page(entries, pagination_parameters))


@blp.route("/export.csv", methods=["GET"])
@blp.arguments(schemas.AuditExportQuerySchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv")
def export_audit(query):
    """The audit trail of the Beijing days from..to as CSV, oldest first, streamed; the audit administrator only."""
    lines = audit.export(g.viewer, query.get("from_"), query.get("to"))
    db.session.commit()
    return Response(stream_with_context(lines), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=audit.csv", "Cache-Control": "no-store"})
