"""The category catalogue, for the report form."""
from __future__ import annotations

from backend.api.blueprint import Blueprint
from backend.api.catalogue_schemas import CategoryNodeSchema
from backend.services.catalogue import categories as catalogue

blp = Blueprint("mp_categories", __name__, url_prefix="/api/mp/categories",
                description="What can be reported, and what each form asks")


@blp.route("", methods=["GET"])
@blp.response(200, CategoryNodeSchema(many=True))
def categories():
    """Active categories as a tree; cases are filed under the leaves."""
    return catalogue.tree()
