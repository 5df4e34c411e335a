"""The region tree: create, edit, remove, and import grids from GeoJSON."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from shapely.geometry import shape

from backend.extensions import db
from backend.models import Department, Grant, Region
from backend.models.regions import CODE_LENGTH, KINDS, LEVELS
from backend.services import access, audit, geometry
from backend.services.errors import Conflict, Invalid, NotFound


def snapshot(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level, "kind": region.kind,
            "parent_id": region.parent_id, "owner": region.owner, "geometry": region.geometry}


def _tolerance() -> float:
    return current_app.config["GRID_OVERLAP_TOLERANCE_M2"]


def check_code(code: str, level: str, parent: Region | None) -> None:
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        raise Invalid(f"a {level} code has {CODE_LENGTH[level]} digits",
                      fields={"code": [f"{CODE_LENGTH[level]} digits expected"]})
    if parent is not None and not code.startswith(parent.code):
        raise Invalid("a region's code starts with its parent's code",
                      fields={"code": [f"must start with {parent.code}"]})
    if db.session.scalar(sa.select(Region.id).where(Region.code == code)):
        raise Conflict(f"region code {code} is already used", code="duplicate_code",
                       fields={"code": ["already used"]})


def check_place(level: str, kind: str, parent: Region | None) -> None:
    if kind not in KINDS[level]:
        raise Invalid(f"a {level} is one of {', '.join(KINDS[level])}", fields={"kind": ["wrong kind"]})
    expected = None if level == "county" else LEVELS[LEVELS.index(level) - 1]
    if (parent.level if parent else None) != expected:
        raise Invalid(f"a {level} sits under a {expected or 'nothing (it is the root)'}",
                      fields={"parent_id": ["wrong level for this parent"]})


def check_geometry(raw, parent: Region | None, siblings, field="geometry"):
    """Parse and place a polygon: valid, inside its parent, not over its siblings."""
    try:
        polygon = geometry.parse_polygon(raw)
    except ValueError as exc:
        raise Invalid(str(exc), code="invalid_geometry", fields={field: [str(exc)]}) from exc
    tolerance = _tolerance()
    if parent is not None and parent.geometry:
        if geometry.outside_m2(polygon, shape(parent.geometry)) > tolerance:
            raise Invalid(f"the polygon reaches outside {parent.name}", code="invalid_geometry",
                          fields={field: ["outside the parent region"]})
    for sibling_code, sibling_shape in siblings:
        if geometry.overlap_m2(polygon, sibling_shape) > tolerance:
            raise Invalid(f"the polygon overlaps {sibling_code}", code="overlapping_geometry",
                          fields={field: [f"overlaps {sibling_code}"]})
    return polygon


def sibling_shapes(parent: Region | None, level: str, exclude_ids=()):
    same_parent = Region.parent_id == parent.id if parent else Region.parent_id.is_(None)
    rows = db.session.execute(
        sa.select(Region.code, Region.geometry).where(
            same_parent, Region.level == level, Region.geometry.is_not(None),
            Region.id.not_in(exclude_ids))
    ).all()
    return [(code, shape(geom)) for code, geom in rows]


def insert(fields: dict, parent: Region | None) -> Region:
    region = Region(path="/", **fields)
    db.session.add(region)
    db.session.flush()
    region.path = (parent.path if parent else "/") + f"{region.id}/"
    db.session.flush()
    return region


def create(viewer, data: dict) -> Region:
    parent = access.get_visible(viewer, Region, data["parent_id"]) if data.get("parent_id") else None
    access.ensure_region_admin(viewer, parent)
    level, kind = data["level"], data.get("kind") or KINDS[data["level"]][0]
    check_place(level, kind, parent)
    check_code(data["code"], level, parent)
    if data.get("geometry") is not None:
        check_geometry(data["geometry"], parent, sibling_shapes(parent, level))
    region = insert({"code": data["code"], "name": data["name"], "level": level, "kind": kind,
                      "parent_id": parent.id if parent else None, "owner": data.get("owner"),
                      "geometry": data.get("geometry")}, parent)
    audit.record(viewer.user_id, "region.create", region, None, snapshot(region))
    return region


def update(viewer, region_id: int, data: dict) -> Region:
    region = access.get_visible(viewer, Region, region_id)
    access.ensure_region_admin(viewer, region)
    before = snapshot(region)
    if "kind" in data:
        check_place(region.level, data["kind"], region.parent)
    if data.get("geometry") is not None:
        check_geometry(data["geometry"], region.parent,
                       sibling_shapes(region.parent, region.level, exclude_ids=[region.id]))
    for key in ("name", "kind", "owner", "geometry"):
        if key in data:
            setattr(region, key, data[key])
    db.session.flush()
    audit.record(viewer.user_id, "region.update", region, before, snapshot(region))
    return region


def delete(viewer, region_id: int) -> None:
    region = access.get_visible(viewer, Region, region_id)
    access.ensure_region_admin(viewer, region.parent or region)
    for model, column in ((Region, Region.parent_id), (Grant, Grant.region_id),
                          (Department, Department.region_id)):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model).where(column == region.id)):
            raise Conflict(f"{region.name} still has {model.__tablename__} rows attached",
                           code="region_in_use")
    audit.record(viewer.user_id, "region.delete", region, snapshot(region), None)
    db.session.delete(region)
    db.session.flush()


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
    """The chain above a region, root first (names for breadcrumbs)."""
    ids = region.ancestor_ids()[:-1]
    if not ids:
        return []
    rows = {r.id: r for r in db.session.scalars(sa.select(Region).where(Region.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def get(viewer, region_id: int) -> Region:
    return access.get_visible(viewer, Region, region_id)


def find_by_code(code: str) -> Region:
    region = db.session.scalar(sa.select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"region {code} not found")
    return region


def by_id(region_id: int) -> Region:
    """A region without a viewer: only for public geography (which grid is this point in)."""
    return db.session.get(Region, region_id)
