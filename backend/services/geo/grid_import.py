"""Import a community's grids from a GeoJSON FeatureCollection, all or nothing.

Every feature is checked before anything is written (codes, polygons, overlaps with the
existing grids and with each other); one bad feature refuses the whole file, with the
problems listed per feature, so a half-imported community never exists.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Region
from backend.services import access, audit
from backend.services.errors import DomainError, Invalid
from backend.services.geo import geometry, lookup, regions


def _check_feature(community, index, feature, existing, pending, replaced_ids):
    """The grid row to write (None for a new grid) and its checked polygon, or raise."""
    props = feature["properties"]
    code_field = f"features.{index}.properties.code"
    if props["code"] in pending:
        raise Invalid("duplicate code in the file", fields={code_field: ["repeated in the file"]})
    current = existing.get(props["code"])
    if current is None:
        regions.check_code(props["code"], "grid", community, field=code_field)
    polygon = regions.place_polygon(feature["geometry"], "grid", community, exclude_ids=replaced_ids,
                                    pending=pending.values(), field=f"features.{index}.geometry")
    return current, polygon


def _check_all(community: Region, features: list[dict], update_existing: bool):
    existing = {}
    if update_existing:
        existing = {r.code: r for r in db.session.scalars(
            sa.select(Region).where(Region.parent_id == community.id, Region.level == "grid"))}
    replaced_ids = [existing[f["properties"]["code"]].id for f in features
                    if f["properties"]["code"] in existing]
    problems, accepted, pending = {}, [], {}
    for index, feature in enumerate(features):
        try:
            current, polygon = _check_feature(community, index, feature, existing, pending, replaced_ids)
        except DomainError as exc:
            problems.update(exc.fields)
            continue
        pending[feature["properties"]["code"]] = (feature["properties"]["code"], polygon)
        accepted.append((feature["properties"], geometry.to_geojson(polygon), current))
    if problems:
        raise Invalid(f"{len(problems)} problem(s) in the file; nothing was imported",
                      code="invalid_import", fields=problems)
    return accepted


def _write(viewer, community, props, polygon, current) -> Region:
    fields = {"name": props["name"], "owner": props.get("owner"), "geometry": polygon}
    if current is None:
        grid = regions.insert({**fields, "code": props["code"], "level": "grid", "kind": "grid",
                               "parent_id": community.id}, community)
        audit.record(viewer.user_id, "region.import", grid, None, regions.snapshot(grid), grid.path)
        return grid
    before = regions.snapshot(current)
    for key, value in fields.items():
        setattr(current, key, value)
    db.session.flush()
    lookup.regions_changed()
    audit.record(viewer.user_id, "region.import", current, before, regions.snapshot(current), current.path)
    return current


def import_grids(viewer, community_id: int, features: list[dict], update_existing: bool) -> list[Region]:
    community = access.get_visible(viewer, Region, community_id)
    access.ensure_region_admin(viewer, community)
    if community.level != "community":
        raise Invalid("grids are imported into a community or village",
                      fields={"region_id": ["not a community or village"]})
    return [_write(viewer, community, props, polygon, current)
            for props, polygon, current in _check_all(community, features, update_existing)]
