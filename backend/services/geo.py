"""Point -> grid: which region of the tree a coordinate falls in.

One STRtree over every region that has a polygon, built per process and rebuilt when the
tree changes (services.cache: a change made through another worker shows within a second).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
import sqlalchemy as sa
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from backend.extensions import db
from backend.models import Region
from backend.services import coords
from backend.services import cache
from backend.services.cache import StampedCache
from backend.services.errors import Invalid

METRES_PER_DEGREE = 111_320.0
DEPTH = {"county": 0, "township": 1, "community": 2, "grid": 3}


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Metres between two nearby points (equirectangular: exact enough within a county)."""
    dlat = (lat2 - lat1) * METRES_PER_DEGREE
    dlng = (lng2 - lng1) * METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dlat, dlng)


@dataclass(frozen=True)
class Located:
    region_id: int
    level: str
    lng: float
    lat: float
    coord_system: str = "gcj02"


class RegionIndex:
    def __init__(self, rows):
        self.ids, self.levels, self.codes, self.shapes = [], [], [], []
        for region_id, level, code, geometry in rows:
            polygon = shape(geometry)
            shapely.prepare(polygon)
            self.ids.append(region_id)
            self.levels.append(level)
            self.codes.append(code)
            self.shapes.append(polygon)
        self.tree = STRtree(self.shapes)

    def locate(self, lng: float, lat: float) -> tuple[int, str] | None:
        """The deepest region covering the point; on a shared border the lower code wins."""
        point = Point(lng, lat)
        hits = [int(i) for i in self.tree.query(point, predicate="intersects")]
        if not hits:
            return None
        best = min(hits, key=lambda i: (-DEPTH[self.levels[i]], self.codes[i]))
        return self.ids[best], self.levels[best]

    def near(self, polygon, level: str, exclude_ids=()) -> list[tuple[str, object]]:
        """(code, shape) of the regions of a level whose box meets polygon's."""
        return [(self.codes[i], self.shapes[i]) for i in map(int, self.tree.query(polygon))
                if self.levels[i] == level and self.ids[i] not in exclude_ids]


def _build() -> RegionIndex:
    return RegionIndex(db.session.execute(
        sa.select(Region.id, Region.level, Region.code, Region.geometry)
        .where(Region.geometry.is_not(None))).all())


_index = StampedCache("regions", _build)


def region_index() -> RegionIndex:
    return _index.get()


def regions_changed() -> None:
    """Called by whoever changes the tree, in their transaction."""
    cache.bump("regions")


def locate(lng: float, lat: float, coord_system: str) -> Located:
    """Resolve a client coordinate; outside every region of the county is refused."""
    stored_lng, stored_lat = coords.to_stored(lng, lat, coord_system)
    found = region_index().locate(stored_lng, stored_lat)
    if found is None:
        raise Invalid("the location is outside the county this service covers",
                      code="outside_county", fields={"location": ["outside the county"]})
    region_id, level = found
    return Located(region_id, level, round(stored_lng, 7), round(stored_lat, 7))
