"""The viewer: the acting user and what their grants reach, and the one SQL helper every
filter builds on (a materialised path under one of the viewer's subtrees)."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import Department, Grant, Region, User


@dataclass(frozen=True)
class Scope:
    role: str
    region_path: str | None
    department_id: int | None
    provider_id: int | None = None


@dataclass(frozen=True)
class Viewer:
    """The acting user and what their grants reach, loaded once per request."""

    user_id: int
    scopes: tuple[Scope, ...]

    @property
    def roles(self) -> set[str]:
        return {s.role for s in self.scopes}

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles

    @property
    def is_security_admin(self) -> bool:
        return "security_admin" in self.roles

    @property
    def is_audit_admin(self) -> bool:
        return "audit_admin" in self.roles

    def paths(self, roles) -> list[str]:
        return [s.region_path for s in self.scopes if s.role in roles and s.region_path]

    def department_ids(self) -> list[int]:
        return [s.department_id for s in self.scopes if s.role == "dept_staff"]

    def provider_ids(self) -> list[int]:
        return [s.provider_id for s in self.scopes if s.role == "provider_staff" and s.provider_id]


@functools.cache
def grant_scopes():
    """(user_id, role, path, department_id, provider_id) of every grant that reaches something: a grant
    in a deactivated department reaches nothing. A subquery, so authentication can read the
    token and the grants in one statement; built once, as every request asks it."""
    dept_region = aliased(Region)
    return (sa.select(Grant.user_id, Grant.role,
                      sa.func.coalesce(Region.path, dept_region.path).label("path"),
                      Grant.department_id, Grant.provider_id)
            .outerjoin(Region, Grant.region_id == Region.id)
            .outerjoin(Department, Grant.department_id == Department.id)
            .outerjoin(dept_region, Department.region_id == dept_region.id)
            .where(sa.or_(Department.id.is_(None), Department.active))
            .subquery("scope"))


def viewer_from(user_id: int, rows) -> Viewer:
    """The viewer from (role, path, department_id, provider_id) rows of grant_scopes (role
    None: none)."""
    return Viewer(user_id, tuple(Scope(role, path, department_id, provider_id)
                                 for role, path, department_id, provider_id in rows if role is not None))


def viewer_for(user: User) -> Viewer:
    """Build the viewer from the grants as they are now: a removed grant is gone at once."""
    scope = grant_scopes()
    rows = db.session.execute(sa.select(scope.c.role, scope.c.path, scope.c.department_id,
                                        scope.c.provider_id)
                              .where(scope.c.user_id == user.id)).all()
    return viewer_from(user.id, rows)


def under_any(column, paths: list[str]):
    """column (a materialised path) lies in one of the subtrees rooted at paths."""
    if not paths:
        return sa.false()
    return sa.or_(*[column.startswith(p, autoescape=True) for p in paths])
