"""Point -> grid, for the report form (which grid will this case belong to?)."""
from __future__ import annotations

from flask_smorest import Blueprint

from backend.services import geo, regions
from backend.web.auth import login_required
from miniprogram_api.schemas import LocatedSchema, LocateQuerySchema

blp = Blueprint("mp_locate", __name__, url_prefix="/api/mp/locate", description="Where a point lies")


@blp.route("", methods=["GET"])
@blp.arguments(LocateQuerySchema, location="query")
@blp.response(200, LocatedSchema)
@login_required
def locate(query):
    """The grid (or, between grids, the smallest region) containing a wx.getLocation point."""
    found = geo.locate(query["lng"], query["lat"], query["coord_system"])
    region = regions.by_id(found.region_id)
    chain = regions.ancestors(region) + [region]
    return {"region": region, "grid": region if region.level == "grid" else None, "path": chain,
            "lng": found.lng, "lat": found.lat, "coord_system": found.coord_system}
