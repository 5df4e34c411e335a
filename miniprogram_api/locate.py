"""Point -> grid, for the report form (which grid will this case belong to?)."""
from __future__ import annotations

from backend.api.blueprint import Blueprint
from backend.services.geo import regions
from miniprogram_api.schemas import LocatedSchema, LocateQuerySchema

blp = Blueprint("mp_locate", __name__, url_prefix="/api/mp/locate", description="Where a point lies")


@blp.route("", methods=["GET"])
@blp.arguments(LocateQuerySchema, location="query")
@blp.response(200, LocatedSchema)
def locate(query):
    """The grid (or, between grids, the smallest region) containing a wx.getLocation point."""
    return regions.locate_point(query["lng"], query["lat"], query["coord_system"])
