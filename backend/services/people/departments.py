"""County departments and their stationed teams."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Department, Region
from backend.services import access, audit
from backend.services.errors import Conflict, Invalid


def snapshot(dept: Department) -> dict:
    return {"code": dept.code, "name": dept.name, "region_id": dept.region_id,
            "parent_id": dept.parent_id, "active": dept.active}


def _check_family(region: Region, parent: Department | None) -> None:
    """A county department sits at the county; a stationed team in a township of it."""
    if parent is None and region.level != "county":
        raise Invalid("a department without a parent belongs to the county",
                      fields={"region_id": ["must be the county"]})
    if parent is not None:
        if parent.parent_id is not None or parent.region.level != "county":
            raise Invalid("a team is stationed by a county department",
                          fields={"parent_id": ["must be a county department"]})
        if region.level != "township" or not parent.region.contains(region):
            raise Invalid("a stationed team sits in a township of its department's county",
                          fields={"region_id": ["must be a township"]})


def create(viewer, data: dict) -> Department:
    region = access.get_visible(viewer, Region, data["region_id"])
    access.ensure_region_admin(viewer, region)
    parent = access.get_visible(viewer, Department, data["parent_id"]) if data.get("parent_id") else None
    _check_family(region, parent)
    if db.session.scalar(sa.select(Department.id).where(Department.code == data["code"])):
        raise Conflict(f"department code {data['code']} is already used", code="duplicate_code",
                       fields={"code": ["already used"]})
    dept = Department(code=data["code"], name=data["name"], region_id=region.id,
                      parent_id=parent.id if parent else None)
    db.session.add(dept)
    db.session.flush()
    audit.record(viewer.user_id, "department.create", dept, None, snapshot(dept), region.path)
    return dept


def update(viewer, dept_id: int, data: dict) -> Department:
    dept = access.get_visible(viewer, Department, dept_id)
    access.ensure_region_admin(viewer, dept.region)
    before = snapshot(dept)
    for key in ("name", "active"):
        if key in data:
            setattr(dept, key, data[key])
    db.session.flush()
    if snapshot(dept) != before:
        audit.record(viewer.user_id, "department.update", dept, before, snapshot(dept), dept.region.path)
    return dept


def listing(viewer, region_id: int | None = None):
    query = access.visible(viewer, Department).order_by(Department.code)
    if region_id is not None:
        query = query.where(Department.region_id == region_id)
    return db.session.scalars(query).all()
