"""Regions, departments, grants and people: who sees them, and who may shape the tree,
hand out roles and change someone's account.

Names and codes of administrative areas are public geography: an object may name the
regions above it (breadcrumbs, a department's seat) even where the viewer cannot open them.
People's roles are not: a person's grants are shown only where grant_filter allows.

三员分立: the security administrator hands out and takes back roles (any role, anywhere)
and manages accounts; the platform administrator (the system administrator) runs the
system and hands out nothing; the audit administrator only reads the audit trail
(trails.py). Regional administrators keep handing out the business roles of their area
(GRANTABLE): staffing a grid is the county's daily work, not a security decision."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import Department, Grant, Region, User
from backend.models.people import SEPARATED_ROLES
from backend.services.access.viewer import Viewer, under_any
from backend.services.errors import Conflict, Forbidden

STAFF_REGION_ROLES = ("grid_worker", "community_admin", "hub_dispatcher", "county_admin")
# Roles that administer people in their region: they see the grants held there.
ADMIN_ROLES = ("community_admin", "hub_dispatcher", "county_admin")
# What each administering role may hand out (and take back), inside its own region.
# Department staff are the county's to appoint: a hub must not staff the departments
# it summons and rates (双考核).
GRANTABLE = {
    "county_admin": {"resident", "grid_worker", "community_admin", "hub_dispatcher",
                     "dept_staff", "county_admin"},
    "hub_dispatcher": {"grid_worker", "community_admin"},
    "community_admin": {"grid_worker"},
}


# --- regions ---------------------------------------------------------------------------

def region_filter(viewer: Viewer):
    """Staff their area; the security administrator the whole tree (a grant's scope is
    chosen from it)."""
    if viewer.is_platform_admin or viewer.is_security_admin:
        return sa.true()
    return under_any(Region.path, viewer.paths(STAFF_REGION_ROLES + ("dept_staff",)))


# --- departments -----------------------------------------------------------------------

def department_filter(viewer: Viewer):
    """County and hub staff see departments in their area, hubs also the county's ones
    (they summon them); department staff see their own department and its family; the
    security administrator all (department staff are granted in one)."""
    if viewer.is_platform_admin or viewer.is_security_admin:
        return sa.true()
    dept_region = aliased(Region)
    in_area = sa.select(dept_region.id).where(
        dept_region.id == Department.region_id,
        under_any(dept_region.path, viewer.paths(("hub_dispatcher", "county_admin"))),
    ).exists()
    hub_counties = [int(p.split("/")[1]) for p in viewer.paths(("hub_dispatcher",))]
    county_level = Department.region_id.in_(hub_counties)
    own = viewer.department_ids()
    family = sa.or_(Department.id.in_(own), Department.parent_id.in_(own),
                    Department.id.in_(sa.select(Department.parent_id)
                                      .where(Department.id.in_(own)).scalar_subquery()))
    return sa.or_(in_area, county_level, family)


# --- grants and people -----------------------------------------------------------------

def grant_scope_path():
    """SQL: the path a grant's scope sits at (its region, or its department's region)."""
    dept = aliased(Department)
    dept_region = aliased(Region)
    region = aliased(Region)
    return sa.func.coalesce(
        sa.select(region.path).where(region.id == Grant.region_id).scalar_subquery(),
        sa.select(dept_region.path).join(dept, dept.region_id == dept_region.id)
        .where(dept.id == Grant.department_id).scalar_subquery(),
    )


def grant_path(grant: Grant) -> str | None:
    """The same, for a loaded grant."""
    if grant.region is not None:
        return grant.region.path
    return grant.department.region.path if grant.department is not None else None


def _administered_grants(viewer: Viewer):
    return under_any(grant_scope_path(), viewer.paths(ADMIN_ROLES))


def grant_filter(viewer: Viewer):
    if viewer.is_platform_admin or viewer.is_security_admin:
        return sa.true()
    return sa.or_(Grant.user_id == viewer.user_id, _administered_grants(viewer))


def user_filter(viewer: Viewer):
    """Oneself, and the people holding a grant one administers. People left with no
    grant at all (retired, merged) stay within the county administrators' reach."""
    if viewer.is_platform_admin or viewer.is_security_admin:
        return sa.true()
    holds_visible = (sa.select(Grant.id)
                     .where(Grant.user_id == User.id, _administered_grants(viewer)).exists())
    grantless = sa.and_(sa.true() if viewer.paths(("county_admin",)) else sa.false(),
                        ~sa.select(Grant.id).where(Grant.user_id == User.id).exists())
    return sa.or_(User.id == viewer.user_id, holds_visible, grantless)


# --- acting ----------------------------------------------------------------------------

def ensure_region_admin(viewer: Viewer, region: Region | None) -> None:
    """Shape the tree under region (None: the root) — county admins and platform admins."""
    if viewer.is_platform_admin:
        return
    if region is not None and any(region.path.startswith(p) for p in viewer.paths(("county_admin",))):
        return
    raise Forbidden("only the county administrator may change the region tree")


def ensure_county_admin(viewer: Viewer) -> str | None:
    """County-wide settings (catalogue, calendar, API clients): the county's administrators.
    Returns the county path the change is audited under."""
    if viewer.is_platform_admin:
        return None
    paths = viewer.paths(("county_admin",))
    if not paths:
        raise Forbidden("only the county administrator may change this")
    return paths[0]


def may_grant(viewer: Viewer, role: str, scope_path: str | None) -> bool:
    """The security administrator any role anywhere; a regional administrator the business
    roles of GRANTABLE inside their region; nobody else (the platform administrator neither)."""
    if viewer.is_security_admin:
        return True
    return any(role in GRANTABLE.get(s.role, ()) and scope_path and s.region_path
               and scope_path.startswith(s.region_path) for s in viewer.scopes)


def _separated_roles_held(holder_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(Grant.role).where(Grant.user_id == holder_id,
                                                              Grant.role.in_(SEPARATED_ROLES))))


def ensure_may_grant(viewer: Viewer, role: str, scope_path: str | None, holder_id: int | None) -> None:
    """Hand out (or take back) role in the scope at scope_path, to or from holder_id.
    Nobody changes their own roles (a second security administrator does theirs)."""
    if holder_id == viewer.user_id:
        raise Forbidden("you may not change your own roles")
    if not may_grant(viewer, role, scope_path):
        raise Forbidden(f"you may not grant {role} in that scope")


def ensure_duties_apart(role: str, holder_id: int) -> None:
    """三员分立: one person is at most one of the system, security and audit administrators."""
    if role in SEPARATED_ROLES and _separated_roles_held(holder_id) - {role}:
        raise Conflict("the platform, security and audit administrators must be different people",
                       code="separated_duties", fields={"role": ["held apart from the other administrators"]})


def ensure_may_manage_user(viewer: Viewer, user: User, fields) -> None:
    """Change someone's account. Oneself: the name only (a phone is what WeChat vouches
    for, through binding). Others: only who could take back every role they hold, so a
    community admin cannot disable or re-phone a county administrator who also happens
    to hold a grid there; the security administrator anyone (the platform administrator
    nobody: re-phoning an account would hand its roles over)."""
    if user.id == viewer.user_id:
        if set(fields) - {"name"}:
            raise Forbidden("you may change your own name only; bind a phone in the mini-program")
        return
    if viewer.is_security_admin:
        return
    if not user.grants and viewer.paths(("county_admin",)):
        return
    if not user.grants or not all(may_grant(viewer, g.role, grant_path(g)) for g in user.grants):
        raise Forbidden("you do not administer every role this person holds")
