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
from backend.services import cache
from backend.services.cache import StampedCache
from backend.services.errors import Invalid
from backend.services.geo import coords

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
    path: str
    code: str


class RegionIndex:
    """Every region: its reference (id, code, name, level) and path; and an STRtree over
    the ones with a polygon."""

    def __init__(self, rows):
        self.refs: dict[int, dict] = {}
        self.paths: dict[int, str] = {}
        self.ids, self.levels, self.codes, self.shapes = [], [], [], []
        for region_id, level, code, name, path, geometry in rows:
            self.refs[region_id] = {"id": region_id, "code": code, "name": name, "level": level}
            self.paths[region_id] = path
            if geometry is None:
                continue
            polygon = shape(geometry)
            shapely.prepare(polygon)
            self.ids.append(region_id)
            self.levels.append(level)
            self.codes.append(code)
            self.shapes.append(polygon)
        self.tree = STRtree(self.shapes)

    def locate(self, lng: float, lat: float) -> int | None:
        """The deepest region covering the point; on a shared border the lower code wins."""
        point = Point(lng, lat)
        hits = [int(i) for i in self.tree.query(point, predicate="intersects")]
        if not hits:
            return None
        return self.ids[min(hits, key=lambda i: (-DEPTH[self.levels[i]], self.codes[i]))]

    def near(self, polygon, level: str, exclude_ids=()) -> list[tuple[str, object]]:
        """(code, shape) of the regions of a level whose box meets polygon's."""
        return [(self.codes[i], self.shapes[i]) for i in map(int, self.tree.query(polygon))
                if self.levels[i] == level and self.ids[i] not in exclude_ids]


def _build() -> RegionIndex:
    return RegionIndex(db.session.execute(
        sa.select(Region.id, Region.level, Region.code, Region.name, Region.path, Region.geometry)).all())


_index = StampedCache("regions", _build)


def region_index() -> RegionIndex:
    return _index.get()


def regions_changed() -> None:
    """Called by whoever changes the tree, in their transaction."""
    cache.bump("regions")


def locate(lng: float, lat: float, coord_system: str) -> Located:
    """Resolve a client coordinate; outside every region of the county is refused."""
    stored_lng, stored_lat = coords.to_stored(lng, lat, coord_system)
    index = region_index()
    found = index.locate(stored_lng, stored_lat)
    if found is None:
        raise Invalid("the location is outside the county this service covers",
                      code="outside_county", fields={"location": ["outside the county"]})
    ref = index.refs[found]
    return Located(found, ref["level"], round(stored_lng, 7), round(stored_lat, 7),
                   index.paths[found], ref["code"])


def region_ref(region_id: int) -> dict:
    """{"id", "code", "name", "level"} of a region, from the per-process index: answers
    name a case's region without loading it."""
    ref = region_index().refs.get(region_id)
    if ref is None:
        # Made in another process within the index's last second: rebuild it now.
        _index.clear()
        ref = region_index().refs[region_id]
    return ref
