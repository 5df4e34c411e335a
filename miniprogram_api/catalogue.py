"""The residents' catalogue of social services (统一入口): one list, filtered to where they live."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID
from backend.services.providers import offerings
from miniprogram_api import catalogue_schemas as schemas

blp = Blueprint("mp_services", __name__, url_prefix="/api/mp/services",
                description="Social services residents can order where they live")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.CatalogueQuerySchema, location="query")
@blp.response(200, schemas.CatalogueEntrySchema(many=True))
@blp.paginate()
def catalogue(query, pagination_parameters):
    """Listed services of certified providers serving region_id, by words and category."""
    region = offerings.resident_region(query["region_id"])
    return page(offerings.catalogue(g.viewer, region.path, query.get("q"), query.get("category")),
                pagination_parameters)


@blp.route(f"/<{ID}:offering_id>", methods=["GET"])
@blp.response(200, schemas.CatalogueDetailSchema)
def offering(offering_id):
    """One service with its areas and coming slots that have room."""
    return offerings.public(offering_id)
