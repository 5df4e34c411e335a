"""The demo county's regions and departments from config/demo/county.json, loaded
idempotently by their codes, so a second load adds nothing."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Department, Region
from backend.services.geo import regions


def by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def load_regions(rows) -> int:
    added = 0
    for row in rows:
        if by_code(Region, row["code"]):
            continue
        parent = by_code(Region, row["parent"]) if row["parent"] else None
        regions.insert({k: row[k] for k in ("code", "name", "level", "kind", "owner", "geometry")}
                       | {"parent_id": parent.id if parent else None}, parent)
        added += 1
    return added


def load_departments(rows) -> int:
    added = 0
    for row in rows:
        if by_code(Department, row["code"]):
            continue
        parent = by_code(Department, row["parent"]) if row["parent"] else None
        db.session.add(Department(code=row["code"], name=row["name"],
                                  region_id=by_code(Region, row["region"]).id,
                                  parent_id=parent.id if parent else None))
        db.session.flush()
        added += 1
    return added
