"""Import a community's grids from a GeoJSON FeatureCollection, all or nothing.

Every feature is checked before anything is written (codes, polygons, overlaps with the
existing grids and with each other); one bad feature refuses the whole file, with the
problems listed per feature, so a half-imported community never exists.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Region
from backend.services import access, audit, regions
from backend.services.errors import DomainError, Invalid


def _feature_fields(index: int, feature) -> dict:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise Invalid("not a GeoJSON Feature", fields={f"features.{index}": ["not a Feature"]})
    props = feature.get("properties") or {}
    code, name = props.get("code"), props.get("name")
    if not isinstance(code, str) or not isinstance(name, str) or not name.strip():
        raise Invalid("each feature needs properties.code and properties.name",
                      fields={f"features.{index}.properties": ["code and name are required"]})
    return {"code": code, "name": name.strip(), "owner": props.get("owner"),
            "geometry": feature.get("geometry")}


def _check_all(community: Region, features: list, update_existing: bool):
    """Validate every feature; return (fields, existing grid or None) pairs or raise."""
    problems, accepted, seen = {}, [], {}
    existing = {r.code: r for r in db.session.scalars(
        sa.select(Region).where(Region.parent_id == community.id, Region.level == "grid"))}
    replaced = [existing[f.get("properties", {}).get("code")].id for f in features
                if isinstance(f, dict) and update_existing
                and (f.get("properties") or {}).get("code") in existing]
    siblings = regions.sibling_shapes(community, "grid", exclude_ids=replaced)
    for index, feature in enumerate(features):
        try:
            fields = _feature_fields(index, feature)
            if fields["code"] in seen:
                raise Invalid("duplicate code in the file", code="duplicate_code",
                              fields={f"features.{index}.properties.code": ["repeated in the file"]})
            current = existing.get(fields["code"]) if update_existing else None
            if current is None:
                regions.check_code(fields["code"], "grid", community)
            polygon = regions.check_geometry(fields["geometry"], community,
                                             siblings + list(seen.values()),
                                             field=f"features.{index}.geometry")
            seen[fields["code"]] = (fields["code"], polygon)
            accepted.append((fields, current))
        except DomainError as exc:
            problems.update({k if k.startswith("features.") else f"features.{index}.{k}": v
                             for k, v in (exc.fields or {"": [exc.message]}).items()})
    if problems:
        raise Invalid(f"{len(problems)} problem(s) in the file; nothing was imported",
                      code="invalid_import", fields=problems)
    return accepted


def import_grids(viewer, community_id: int, collection: dict, update_existing: bool) -> list[Region]:
    community = access.get_visible(viewer, Region, community_id)
    access.ensure_region_admin(viewer, community)
    if community.level != "community":
        raise Invalid("grids are imported into a community or village",
                      fields={"community_id": ["not a community or village"]})
    features = collection.get("features") if isinstance(collection, dict) else None
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list) or not features:
        raise Invalid("the body must be a non-empty GeoJSON FeatureCollection",
                      fields={"features": ["a non-empty list of Features is required"]})
    written = []
    for fields, current in _check_all(community, features, update_existing):
        if current is None:
            written.append(regions.insert({**fields, "level": "grid", "kind": "grid",
                                            "parent_id": community.id}, community))
            audit.record(viewer.user_id, "region.import", written[-1], None, regions.snapshot(written[-1]))
        else:
            before = regions.snapshot(current)
            current.name, current.owner, current.geometry = fields["name"], fields["owner"], fields["geometry"]
            db.session.flush()
            audit.record(viewer.user_id, "region.import", current, before, regions.snapshot(current))
            written.append(current)
    return written
