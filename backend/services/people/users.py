"""People and their grants, as administrators manage them."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Department, Grant, Region, User
from backend.models.people import scope_key
from backend.services import access, audit
from backend.services.errors import Conflict, Invalid
from backend.services.people import auth

PHONE = re.compile(r"^1[3-9]\d{9}$")
# The scope each role is held in: a region of a level, a department, or nothing.
ROLE_SCOPE = {"resident": "county", "grid_worker": "grid", "community_admin": "community",
              "hub_dispatcher": "township", "county_admin": "county", "dept_staff": "department",
              "platform_admin": None, "security_admin": None, "audit_admin": None,
              "provider_staff": "provider"}


@dataclass(frozen=True)
class Person:
    """A user as one viewer may see them: only the grants that viewer may see."""
    user: User
    grants: list[Grant]

    def __getattr__(self, name):
        return getattr(self.user, name)


def person(viewer, user: User) -> Person:
    return people(viewer, [user])[0]


def people(viewer, users: list[User]) -> list[Person]:
    """Persons with their visible grants, in one query for the whole page."""
    rows = db.session.scalars(access.visible(viewer, Grant)
                              .where(Grant.user_id.in_([u.id for u in users])).order_by(Grant.id))
    grants: dict[int, list[Grant]] = {}
    for grant in rows:
        grants.setdefault(grant.user_id, []).append(grant)
    return [Person(u, grants.get(u.id, [])) for u in users]


def user_snapshot(user: User) -> dict:
    return {"name": user.name, "phone": user.phone_masked, "active": user.active,
            "openid_bound": user.openid is not None}


def grant_snapshot(grant: Grant) -> dict:
    return {"user_id": grant.user_id, "role": grant.role, "region_id": grant.region_id,
            "department_id": grant.department_id}


def user_scope_path(user: User) -> str | None:
    """Where a person sits in the tree for the audit trail: the deepest place all their
    grants share (the county for most), None if they hold only unscoped roles."""
    paths = [p for p in (access.grant_path(g) for g in user.grants) if p]
    return os.path.commonpath(paths).rstrip("/") + "/" if paths else None


def check_phone(phone: str, exclude_user_id: int | None = None) -> None:
    if not PHONE.match(phone):
        raise Invalid("a mainland mobile number has 11 digits starting with 1",
                      fields={"phone": ["not a mobile number"]})
    clash = sa.select(User.id).where(User.phone == phone, User.id != (exclude_user_id or 0))
    if db.session.scalar(clash):
        raise Conflict("this phone number belongs to another account", code="phone_in_use",
                       fields={"phone": ["already used"]})


def _resolve_scope(viewer, role: str, data: dict):
    """(region, department) for a grant of role, checked against the role's scope kind."""
    kind = ROLE_SCOPE[role]
    if kind == "provider":
        raise Invalid("provider staff are granted when providers are onboarded",
                      fields={"role": ["not grantable here yet"]})
    if kind is None:
        return None, None
    if kind == "department":
        if not data.get("department_id"):
            raise Invalid(f"{role} is held in a department", fields={"department_id": ["required"]})
        dept = access.get_visible(viewer, Department, data["department_id"])
        if not dept.active:
            raise Invalid("the department is inactive", fields={"department_id": ["inactive"]})
        return None, dept
    if not data.get("region_id"):
        raise Invalid(f"{role} is held in a region", fields={"region_id": ["required"]})
    region = access.get_visible(viewer, Region, data["region_id"])
    if region.level != kind:
        raise Invalid(f"{role} is held in a {kind}", fields={"region_id": [f"must be a {kind}"]})
    return region, None


def _checked_scope(viewer, data: dict, holder_id: int | None):
    region, dept = _resolve_scope(viewer, data["role"], data)
    path = region.path if region else dept.region.path if dept else None
    access.ensure_may_grant(viewer, data["role"], path, holder_id)
    return region, dept, path


def _already_held(user: User, role: str, key: str) -> bool:
    return db.session.scalar(sa.select(Grant.id).where(
        Grant.user_id == user.id, Grant.role == role, Grant.scope_key == key)) is not None


def _add_grant(viewer, user: User, role: str, checked) -> Grant:
    region, dept, path = checked
    region_id, dept_id = (region.id if region else None), (dept.id if dept else None)
    if _already_held(user, role, scope_key(region_id, dept_id)):
        raise Conflict("the person already holds this role there", code="duplicate_grant")
    access.ensure_duties_apart(role, user.id)
    row = Grant(user_id=user.id, role=role, region_id=region_id, department_id=dept_id,
                created_by_id=viewer.user_id)
    db.session.add(row)
    db.session.flush()
    audit.record(viewer.user_id, "grant.create", row, None, grant_snapshot(row), path)
    return row


def grant(viewer, user_id: int, data: dict) -> Grant:
    user = access.get_visible(viewer, User, user_id)
    return _add_grant(viewer, user, data["role"], _checked_scope(viewer, data, user.id))


def revoke_grant(viewer, grant_id: int) -> None:
    """Takes effect at once: viewers are built from the grants on every request."""
    row = access.get_visible(viewer, Grant, grant_id)
    path = access.grant_path(row)
    access.ensure_may_grant(viewer, row.role, path, row.user_id)
    audit.record(viewer.user_id, "grant.delete", row, grant_snapshot(row), None, path)
    db.session.delete(row)
    db.session.flush()


def create_user(viewer, data: dict) -> Person:
    """Provision a staff member by phone with a first grant; they claim the account by
    binding that phone in the mini-program. Permission is checked before the phone, so
    the endpoint tells nobody else which numbers are registered."""
    checked = _checked_scope(viewer, data["grant"], None)
    check_phone(data["phone"])
    user = User(name=data["name"], phone=data["phone"])
    db.session.add(user)
    db.session.flush()
    _add_grant(viewer, user, data["grant"]["role"], checked)
    audit.record(viewer.user_id, "user.create", user, None, user_snapshot(user), checked[2])
    return person(viewer, user)


def update_user(viewer, user_id: int, data: dict) -> Person:
    user = access.get_visible(viewer, User, user_id)
    access.ensure_may_manage_user(viewer, user, data)
    before = user_snapshot(user)
    if "phone" in data and data["phone"] != user.phone:
        check_phone(data["phone"], exclude_user_id=user.id)
        auth.revoke_tokens(user)  # whoever held the old number's sessions must log in again
    for key in ("name", "phone", "active"):
        if key in data:
            setattr(user, key, data[key])
    if data.get("active") is False:
        auth.revoke_tokens(user)
    db.session.flush()
    after = user_snapshot(user)
    if after != before:
        audit.record(viewer.user_id, "user.update", user, before, after, user_scope_path(user))
    return person(viewer, user)


def get_user(viewer, user_id: int) -> Person:
    return person(viewer, access.get_visible(viewer, User, user_id))


def search_users(viewer, phone: str | None, name: str | None, role: str | None):
    """A select of visible users; a role matches only through grants the viewer sees."""
    query = access.visible(viewer, User).order_by(User.id)
    if phone:
        query = query.where(User.phone == phone)
    if name:
        query = query.where(User.name.contains(name, autoescape=True))
    if role:
        query = query.where(User.grants.any(sa.and_(Grant.role == role, access.grant_filter(viewer))))
    return query
