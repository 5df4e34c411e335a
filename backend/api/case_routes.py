"""The routes both faces share for one case: read it, list its actions, take one."""
from __future__ import annotations

from flask import g

from backend.api import case_schemas as schemas
from backend.api.blueprint import Blueprint
from backend.api.schemas import ID
from backend.extensions import db
from backend.services.cases import actions as case_actions
from backend.services.cases import views


def add_case_routes(blp: Blueprint, prefix: str) -> None:
    """GET {prefix}/<id>, GET {prefix}/<id>/actions, POST {prefix}/<id>/actions/<action>."""

    @blp.route(f"{prefix}/<{ID}:case_id>", methods=["GET"])
    @blp.response(200, schemas.CaseDetailSchema)
    def get_case(case_id):
        """One case: timeline, photos, summonses, deadlines, supporters, what you may do now."""
        return views.detail(g.viewer, case_id)

    @blp.route(f"{prefix}/<{ID}:case_id>/actions", methods=["GET"])
    @blp.response(200, schemas.ActionListSchema)
    def actions(case_id):
        """The actions you may take on the case now, and its version to send with one."""
        return views.actions(g.viewer, case_id)

    @blp.route(f"{prefix}/<{ID}:case_id>/actions/<string:action>", methods=["POST"])
    @blp.arguments(schemas.ActionSchema)
    @blp.response(200, schemas.CaseDetailSchema)
    def take_action(body, case_id, action):
        """Take an action; 409 if the case changed since you read its version."""
        case_actions.act(g.viewer, case_id, action, body["payload"], body["version"])
        db.session.commit()
        return views.detail(g.viewer, case_id)
