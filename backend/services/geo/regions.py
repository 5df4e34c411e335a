"""The region tree: create, edit, remove; where polygons may go; point -> region answers."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from shapely.geometry import shape

from backend.extensions import db
from backend.models import Department, Grant, Region
from backend.models.regions import CODE_LENGTH, KINDS, LEVELS
from backend.services import access, audit, runtime
from backend.services.errors import Conflict, Invalid
from backend.services.geo import coords, geometry, lookup


@dataclass(frozen=True)
class RegionDetail:
    """A region with the names above it (breadcrumbs are public geography)."""
    region: Region
    ancestors: list[Region]

    def __getattr__(self, name):
        return getattr(self.region, name)


@dataclass(frozen=True)
class PointAnswer:
    region: Region
    grid: Region | None
    path: list[Region]
    lng: float
    lat: float
    coord_system: str


def snapshot(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level, "kind": region.kind,
            "parent_id": region.parent_id, "owner": region.owner, "geometry": region.geometry}


def _tolerance() -> float:
    return runtime.setting("GRID_OVERLAP_TOLERANCE_M2")


def check_code(code: str, level: str, parent: Region | None, field="code") -> None:
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        raise Invalid(f"a {level} code has {CODE_LENGTH[level]} digits",
                      fields={field: [f"{CODE_LENGTH[level]} digits expected"]})
    if parent is not None and not code.startswith(parent.code):
        raise Invalid("a region's code starts with its parent's code",
                      fields={field: [f"must start with {parent.code}"]})
    if db.session.scalar(sa.select(Region.id).where(Region.code == code)):
        raise Conflict(f"region code {code} is already used", code="duplicate_code",
                       fields={field: ["already used"]})


def check_place(level: str, kind: str, parent: Region | None) -> None:
    if kind not in KINDS[level]:
        raise Invalid(f"a {level} is one of {', '.join(KINDS[level])}", fields={"kind": ["wrong kind"]})
    expected = None if level == "county" else LEVELS[LEVELS.index(level) - 1]
    if (parent.level if parent else None) != expected:
        raise Invalid(f"a {level} sits under a {expected or 'nothing (it is the root)'}",
                      fields={"parent_id": ["wrong level for this parent"]})


def _enclosing(parent: Region | None) -> Region | None:
    """The nearest region at or above parent that has a polygon."""
    chain = ([parent] + ancestors(parent)[::-1]) if parent else []
    return next((r for r in chain if r.geometry), None)


def place_polygon(raw, level: str, parent: Region | None, *, exclude_ids=(), pending=(),
                  field="geometry"):
    """Parse a polygon and check where it goes: inside the nearest enclosing polygon, over
    no other region of its level anywhere (nor the pending ones of the same import)."""
    def refuse(message, code="invalid_geometry"):
        raise Invalid(message, code=code, fields={field: [message]})
    try:
        polygon = geometry.parse_polygon(raw)
    except ValueError as exc:
        refuse(str(exc))
    tolerance = _tolerance()
    enclosing = _enclosing(parent)
    if enclosing and geometry.outside_m2(polygon, shape(enclosing.geometry)) > tolerance:
        refuse(f"the polygon reaches outside {enclosing.name} ({enclosing.code})")
    others = lookup.region_index().near(polygon, level, exclude_ids) + list(pending)
    for code, other in others:
        if geometry.overlap_m2(polygon, other) > tolerance:
            refuse(f"the polygon overlaps {code}", "overlapping_geometry")
    return polygon


def _check_children_inside(region: Region, polygon) -> None:
    children = db.session.scalars(sa.select(Region).where(Region.parent_id == region.id,
                                                          Region.geometry.is_not(None))).all()
    for child in children:
        if geometry.outside_m2(shape(child.geometry), polygon) > _tolerance():
            message = f"the new polygon would leave {child.name} ({child.code}) outside"
            raise Invalid(message, code="invalid_geometry", fields={"geometry": [message]})


def insert(fields: dict, parent: Region | None) -> Region:
    region = Region(path="/", **fields)
    db.session.add(region)
    db.session.flush()
    region.path = (parent.path if parent else "/") + f"{region.id}/"
    db.session.flush()
    lookup.regions_changed()
    return region


def create(viewer, data: dict) -> RegionDetail:
    parent = access.get_visible(viewer, Region, data["parent_id"]) if data.get("parent_id") else None
    access.ensure_region_admin(viewer, parent)
    level, kind = data["level"], data.get("kind") or KINDS[data["level"]][0]
    check_place(level, kind, parent)
    check_code(data["code"], level, parent)
    polygon = None
    if data.get("geometry") is not None:
        polygon = geometry.to_geojson(place_polygon(data["geometry"], level, parent))
    region = insert({"code": data["code"], "name": data["name"], "level": level, "kind": kind,
                     "parent_id": parent.id if parent else None, "owner": data.get("owner"),
                     "geometry": polygon}, parent)
    audit.record(viewer.user_id, "region.create", region, None, snapshot(region), region.path)
    return detail(region)


def update(viewer, region_id: int, data: dict) -> RegionDetail:
    region = access.get_visible(viewer, Region, region_id)
    access.ensure_region_admin(viewer, region)
    before = snapshot(region)
    if "kind" in data:
        check_place(region.level, data["kind"], region.parent)
    if data.get("geometry") is not None:
        polygon = place_polygon(data["geometry"], region.level, region.parent, exclude_ids=[region.id])
        _check_children_inside(region, polygon)
        data = {**data, "geometry": geometry.to_geojson(polygon)}
    for key in ("name", "kind", "owner", "geometry"):
        if key in data:
            setattr(region, key, data[key])
    db.session.flush()
    lookup.regions_changed()
    if snapshot(region) != before:
        audit.record(viewer.user_id, "region.update", region, before, snapshot(region), region.path)
    return detail(region)


def delete(viewer, region_id: int) -> None:
    region = access.get_visible(viewer, Region, region_id)
    access.ensure_region_admin(viewer, region.parent or region)
    for model, column in ((Region, Region.parent_id), (Grant, Grant.region_id),
                          (Department, Department.region_id)):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model).where(column == region.id)):
            raise Conflict(f"{region.name} still has {model.__tablename__} rows attached",
                           code="region_in_use")
    audit.record(viewer.user_id, "region.delete", region, snapshot(region), None, region.path)
    db.session.delete(region)
    db.session.flush()
    lookup.regions_changed()


def children(viewer, parent_id: int | None, level: str | None):
    query = access.visible(viewer, Region).order_by(Region.code)
    if parent_id is not None:
        query = query.where(Region.parent_id == parent_id)
    if level is not None:
        query = query.where(Region.level == level)
    return db.session.scalars(query).all()


def tree(viewer) -> list[dict]:
    """The visible regions nested under the highest ones the viewer may see."""
    rows = db.session.scalars(access.visible(viewer, Region).order_by(Region.code)).all()
    nodes = {r.id: {"region": r, "children": []} for r in rows}
    roots = []
    for region in rows:
        parent = nodes.get(region.parent_id)
        (parent["children"] if parent else roots).append(nodes[region.id])
    return roots


def ancestors(region: Region) -> list[Region]:
    """The chain above a region, root first."""
    ids = region.ancestor_ids()[:-1]
    if not ids:
        return []
    rows = {r.id: r for r in db.session.scalars(sa.select(Region).where(Region.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def detail(region: Region) -> RegionDetail:
    return RegionDetail(region, ancestors(region))


def get(viewer, region_id: int) -> RegionDetail:
    return detail(access.get_visible(viewer, Region, region_id))


def locate_point(lng: float, lat: float, coord_system: str) -> PointAnswer:
    """Which grid (or, between grids, which smallest region) a phone's point lies in.
    Public geography: any signed-in user may ask."""
    found = lookup.locate(lng, lat, coord_system)
    region = db.session.get(Region, found.region_id)
    return PointAnswer(region, region if region.level == "grid" else None,
                       ancestors(region) + [region], found.lng, found.lat, coords.STORED)
