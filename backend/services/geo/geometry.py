"""Validation of region polygons given as GeoJSON (GCJ-02 lng/lat degrees)."""
from __future__ import annotations

import math

import shapely
from shapely import make_valid
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

POLYGON_TYPES = ("Polygon", "MultiPolygon")
METRES_PER_DEGREE = 111_320.0


def _rings(geometry: dict):
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("a polygon needs at least an exterior ring")
        yield from polygon


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_ring(ring) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValueError("a ring needs at least 4 positions (3 corners and the closing one)")
    for position in ring:
        if not isinstance(position, list) or len(position) < 2 or not all(map(_is_number, position[:2])):
            raise ValueError("a position is [lng, lat] with finite numbers")
        lng, lat = position[:2]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValueError(f"position {position[:2]} is not a lng/lat in degrees")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise ValueError("a ring must be closed: its last position must repeat its first")


def parse_polygon(geometry) -> BaseGeometry:
    """A valid shapely (Multi)Polygon from GeoJSON, or ValueError saying what is wrong."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        raise ValueError("geometry must be a GeoJSON Polygon or MultiPolygon")
    if not isinstance(geometry.get("coordinates"), list):
        raise ValueError("geometry has no coordinates")
    for ring in _rings(geometry):
        _check_ring(ring)
    polygon = shapely.force_2d(shape(geometry))
    if not polygon.is_valid:
        raise ValueError(f"invalid polygon: {explain_validity(polygon)}")
    if polygon.area == 0:
        raise ValueError("the polygon has no area")
    return polygon


def to_geojson(geom: BaseGeometry) -> dict:
    """The stored form: plain GeoJSON with lists, nothing but type and coordinates."""
    def listed(value):
        return [listed(v) for v in value] if isinstance(value, list | tuple) else value
    raw = mapping(geom)
    return {"type": raw["type"], "coordinates": listed(raw["coordinates"])}


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in square metres of a small lng/lat shape (equirectangular)."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * METRES_PER_DEGREE ** 2 * math.cos(math.radians(lat))


def overlap_m2(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    return area_m2(make_valid(a.intersection(b)))


def outside_m2(child: BaseGeometry, parent: BaseGeometry) -> float:
    """How much of child lies outside parent."""
    return area_m2(make_valid(child.difference(parent)))
