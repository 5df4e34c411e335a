"""The region tree, and grid import from GeoJSON."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.schemas import ID
from backend.console import schemas
from backend.extensions import db
from backend.services.geo import grid_import, regions

blp = Blueprint("console_regions", __name__, url_prefix="/api/console/regions",
                description="The administrative tree: county, townships, communities, grids")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.RegionListQuerySchema, location="query")
@blp.response(200, schemas.RegionSchema(many=True))
def list_regions(query):
    """Regions the user may see, filtered by parent and level."""
    return regions.children(g.viewer, query.get("parent_id"), query.get("level"))


@blp.route("/tree", methods=["GET"])
@blp.response(200, schemas.RegionTreeSchema(many=True))
def region_tree():
    """The visible part of the tree, nested (without polygons)."""
    return regions.tree(g.viewer)


@blp.route("", methods=["POST"])
@blp.arguments(schemas.RegionCreateSchema)
@blp.response(201, schemas.RegionDetailSchema)
def create_region(body):
    """Add a region under a parent (county administrators)."""
    detail = regions.create(g.viewer, body)
    db.session.commit()
    return detail


@blp.route(f"/<{ID}:region_id>", methods=["GET"])
@blp.response(200, schemas.RegionDetailSchema)
def get_region(region_id):
    """One region with its polygon and the names above it."""
    return regions.get(g.viewer, region_id)


@blp.route(f"/<{ID}:region_id>", methods=["PATCH"])
@blp.arguments(schemas.RegionUpdateSchema)
@blp.response(200, schemas.RegionDetailSchema)
def update_region(body, region_id):
    """Rename a region, change its owner or its polygon."""
    detail = regions.update(g.viewer, region_id, body)
    db.session.commit()
    return detail


@blp.route(f"/<{ID}:region_id>", methods=["DELETE"])
@blp.response(204)
def delete_region(region_id):
    """Remove a region that nothing refers to."""
    regions.delete(g.viewer, region_id)
    db.session.commit()


@blp.route(f"/<{ID}:region_id>/grids/import", methods=["POST"])
@blp.arguments(schemas.FeatureCollectionSchema)
@blp.arguments(schemas.GridImportQuerySchema, location="query")
@blp.response(201, schemas.RegionSchema(many=True))
def import_grids(collection, query, region_id):
    """Import a community's grids from a GeoJSON FeatureCollection, all or nothing."""
    written = grid_import.import_grids(g.viewer, region_id, collection["features"],
                                       query["update_existing"])
    db.session.commit()
    return written
