"""The reveal route both faces share: an audited unmasking of one case's personal data."""
from __future__ import annotations

from flask import g

from backend.api import privacy_schemas as schemas
from backend.api.blueprint import Blueprint
from backend.api.schemas import ID
from backend.extensions import db
from backend.services.privacy import reveal


def add_reveal_route(blp: Blueprint, prefix: str) -> None:
    """POST {prefix}/<id>/reveal."""

    @blp.route(f"{prefix}/<{ID}:case_id>/reveal", methods=["POST"])
    @blp.arguments(schemas.RevealSchema)
    @blp.response(200, schemas.RevealedSchema)
    def reveal_case_data(body, case_id):
        """A whole phone number or the case's unmasked text, for one who must call back; audited."""
        answer = reveal.reveal(g.viewer, case_id, body["what"], body["reason"], body.get("user_id"))
        db.session.commit()
        return answer
