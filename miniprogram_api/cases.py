"""Cases from phones: report, find similar ones, support, follow, act."""
from __future__ import annotations

from flask import g

from backend.api import case_schemas as shared
from backend.api.auth import wechat
from backend.api.blueprint import Blueprint
from backend.api.case_routes import add_case_routes
from backend.api.paging import page
from backend.api.privacy_routes import add_reveal_route
from backend.api.schemas import ID
from backend.extensions import db
from backend.services.cases import content_check, intake, views
from miniprogram_api import case_schemas as schemas

blp = Blueprint("mp_cases", __name__, url_prefix="/api/mp/cases",
                description="Report, follow and handle cases from the mini-program")


@blp.route("", methods=["POST"])
@blp.arguments(schemas.CaseCreateSchema)
@blp.response(201, shared.CaseSummarySchema)
@blp.alt_response(200, schema=shared.CaseSummarySchema,
                  description="a retry with a client_id already used: the first case")
def report(body):
    """Report a case (photos uploaded first); the same client_id again returns the first case.
    The answer is the case's summary: GET the case for its timeline and deadlines."""
    screened = intake.screen_from_phone(g.user, body)
    if screened.replayed is not None:
        return screened.replayed, 200
    # Nothing is written yet: end the reads, so that while WeChat decides (slowly, on a bad
    # day) this request holds no connection, nor the SQLite write lock every writer waits on.
    db.session.commit()
    check = content_check.verdict(wechat(), screened.openid, screened.text)
    case, created = intake.submit_from_phone(g.viewer, g.user, body, check)
    db.session.commit()
    return case, 201 if created else 200


@blp.route("/similar", methods=["GET"])
@blp.arguments(schemas.SimilarQuerySchema, location="query")
@blp.response(200, schemas.SimilarCaseSchema(many=True))
def similar(query):
    """Open cases of the same category nearby: support one instead of filing a duplicate."""
    return intake.similar(query["category_id"], query["lng"], query["lat"], query["coord_system"])


@blp.route(f"/<{ID}:case_id>/support", methods=["POST"])
@blp.arguments(shared.LocationSchema)
@blp.response(200, shared.CaseDetailSchema)
def support(body, case_id):
    """我也遇到: follow a similar open case near where you are (idempotent)."""
    intake.support(g.user.id, case_id, body["lng"], body["lat"], body["coord_system"])
    db.session.commit()
    return views.detail(g.viewer, case_id)


@blp.route("", methods=["GET"])
@blp.arguments(shared.CaseListQuerySchema, location="query")
@blp.response(200, shared.CaseSummarySchema(many=True))
@blp.paginate()
def list_cases(query, pagination_parameters):
    """Cases you may see: yours (scope=mine), followed (supported), your grid's, your department's."""
    rows = page(views.search(g.viewer, query), pagination_parameters)
    return views.summaries(g.viewer, rows)


add_case_routes(blp, "")
add_reveal_route(blp, "")
