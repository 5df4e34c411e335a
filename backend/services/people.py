"""People and their grants, as administrators manage them."""
from __future__ import annotations

import re

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Department, Grant, Region, User
from backend.models.people import scope_key
from backend.services import access, audit, auth
from backend.services.errors import Conflict, Invalid

PHONE = re.compile(r"^1[3-9]\d{9}$")
# The scope each role is held in: a region of a level, a department, or nothing.
ROLE_SCOPE = {"resident": "county", "grid_worker": "grid", "community_admin": "community",
              "hub_dispatcher": "township", "county_admin": "county", "dept_staff": "department",
              "platform_admin": None, "provider_staff": "provider"}


def user_snapshot(user: User) -> dict:
    return {"name": user.name, "phone": user.phone_masked, "active": user.active,
            "openid_bound": user.openid is not None}


def grant_snapshot(grant: Grant) -> dict:
    return {"user_id": grant.user_id, "role": grant.role, "region_id": grant.region_id,
            "department_id": grant.department_id}


def check_phone(phone: str, exclude_user_id: int | None = None) -> None:
    if not PHONE.match(phone):
        raise Invalid("a mainland mobile number has 11 digits starting with 1",
                      fields={"phone": ["not a mobile number"]})
    clash = sa.select(User.id).where(User.phone == phone, User.id != (exclude_user_id or 0))
    if db.session.scalar(clash):
        raise Conflict("this phone number belongs to another account", code="phone_in_use",
                       fields={"phone": ["already used"]})


def _resolve_scope(viewer, role: str, data: dict):
    """(region, department, scope path) for a grant of role, checked against the role."""
    kind = ROLE_SCOPE[role]
    if kind == "provider":
        raise Invalid("provider staff are granted when providers are onboarded",
                      fields={"role": ["not grantable here yet"]})
    if kind is None:
        return None, None, None
    if kind == "department":
        if not data.get("department_id"):
            raise Invalid(f"{role} is held in a department", fields={"department_id": ["required"]})
        dept = access.get_visible(viewer, Department, data["department_id"])
        return None, dept, dept.region.path
    if not data.get("region_id"):
        raise Invalid(f"{role} is held in a region", fields={"region_id": ["required"]})
    region = access.get_visible(viewer, Region, data["region_id"])
    if region.level != kind:
        raise Invalid(f"{role} is held in a {kind}", fields={"region_id": [f"must be a {kind}"]})
    return region, None, region.path


def _checked_scope(viewer, data: dict):
    region, dept, path = _resolve_scope(viewer, data["role"], data)
    access.ensure_may_grant(viewer, data["role"], path)
    return region, dept


def _already_held(user: User, role: str, key: str) -> bool:
    return db.session.scalar(sa.select(Grant.id).where(
        Grant.user_id == user.id, Grant.role == role, Grant.scope_key == key)) is not None


def grant(viewer, user: User, data: dict) -> Grant:
    role = data["role"]
    region, dept = _checked_scope(viewer, data)
    region_id, dept_id = (region.id if region else None), (dept.id if dept else None)
    if _already_held(user, role, scope_key(region_id, dept_id)):
        raise Conflict("the person already holds this role there", code="duplicate_grant")
    row = Grant(user_id=user.id, role=role, region_id=region_id, department_id=dept_id,
                created_by_id=viewer.user_id)
    db.session.add(row)
    db.session.flush()
    audit.record(viewer.user_id, "grant.create", row, None, grant_snapshot(row))
    return row


def revoke_grant(viewer, grant_id: int) -> None:
    """Takes effect at once: viewers are built from the grants on every request."""
    row = access.get_visible(viewer, Grant, grant_id)
    path = row.region.path if row.region else row.department.region.path if row.department else None
    access.ensure_may_grant(viewer, row.role, path)
    audit.record(viewer.user_id, "grant.delete", row, grant_snapshot(row), None)
    db.session.delete(row)
    db.session.flush()


def create_user(viewer, data: dict) -> User:
    """Provision a staff member by phone with a first grant; they claim it by binding that
    phone in the mini-program."""
    check_phone(data["phone"])
    _checked_scope(viewer, data["grant"])  # refuse before anything is written
    user = User(name=data["name"], phone=data["phone"])
    db.session.add(user)
    db.session.flush()
    grant(viewer, user, data["grant"])
    audit.record(viewer.user_id, "user.create", user, None, user_snapshot(user))
    return user


def update_user(viewer, user_id: int, data: dict) -> User:
    user = access.get_visible(viewer, User, user_id)
    access.ensure_may_manage_user(viewer, user)
    before = user_snapshot(user)
    if "phone" in data:
        check_phone(data["phone"], exclude_user_id=user.id)
    for key in ("name", "phone", "active"):
        if key in data:
            setattr(user, key, data[key])
    if data.get("active") is False:
        auth.revoke_tokens(user)
    db.session.flush()
    audit.record(viewer.user_id, "user.update", user, before, user_snapshot(user))
    return user



def search_users(viewer, phone: str | None, name: str | None, role: str | None):
    query = access.visible(viewer, User).order_by(User.id)
    if phone:
        query = query.where(User.phone == phone)
    if name:
        query = query.where(User.name.contains(name, autoescape=True))
    if role:
        query = query.where(User.grants.any(Grant.role == role))
    return query
