"""Who may see and act on what: decided here and nowhere else.

A viewer's reach comes from their grants. Seeing is expressed as SQL filters, so lists
and fetches by id share one rule; an object outside the filter answers 404, never 403,
so its existence does not leak. Acting needs seeing first, then a role that may act (403).

Names and codes of administrative areas are public geography: an object may name the
regions above it (breadcrumbs, a department's seat) even where the viewer cannot open them.
People's roles are not: a person's grants are shown only where grant_filter allows.

Later kinds (cases, orders) plug in by adding a filter to VISIBILITY.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import (AuditEntry, Case, CasePhoto, CaseSupport, Department, Grant, Order,
                            OutboxEffect, Photo, PhotoOwner, Region, Summons, User)
from backend.services.orders import locks
from backend.services.errors import Forbidden, NotFound
from workflows.summons import OPEN as SUMMONS_ACTIVE

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


# --- regions ---------------------------------------------------------------------------

def region_filter(viewer: Viewer):
    if viewer.is_platform_admin:
        return sa.true()
    return under_any(Region.path, viewer.paths(STAFF_REGION_ROLES + ("dept_staff",)))


# --- departments -----------------------------------------------------------------------

def department_filter(viewer: Viewer):
    """County and hub staff see departments in their area, hubs also the county's ones
    (they summon them); department staff see their own department and its family."""
    if viewer.is_platform_admin:
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
    if viewer.is_platform_admin:
        return sa.true()
    return sa.or_(Grant.user_id == viewer.user_id, _administered_grants(viewer))


def user_filter(viewer: Viewer):
    """Oneself, and the people holding a grant one administers. People left with no
    grant at all (retired, merged) stay within the county administrators' reach."""
    if viewer.is_platform_admin:
        return sa.true()
    holds_visible = (sa.select(Grant.id)
                     .where(Grant.user_id == User.id, _administered_grants(viewer)).exists())
    grantless = sa.and_(sa.true() if viewer.paths(("county_admin",)) else sa.false(),
                        ~sa.select(Grant.id).where(Grant.user_id == User.id).exists())
    return sa.or_(User.id == viewer.user_id, holds_visible, grantless)


# --- audit trail -----------------------------------------------------------------------

def audit_filter(viewer: Viewer):
    """Each county's administrators read the trail of changes made in their county."""
    if viewer.is_platform_admin:
        return sa.true()
    return under_any(AuditEntry.scope_path, viewer.paths(("county_admin",)))


# --- cases and their photos --------------------------------------------------------------

CASE_AREA_ROLES = ("grid_worker", "community_admin", "hub_dispatcher", "county_admin")


def case_filter(viewer: Viewer, followed: bool = True):
    """One's own reports and (followed) the cases one supports (我也遇到: a supporter sees
    only its public view, case_views decides what); staff the cases in their area (grid,
    community, township, county); department staff the cases their department was
    summoned to, whatever became of that summons (they keep the history they took part in)."""
    if viewer.is_platform_admin:
        return sa.true()
    summoned = sa.select(Summons.id).where(Summons.case_id == Case.id,
                                           Summons.department_id.in_(viewer.department_ids())).exists()
    ways = [Case.reporter_id == viewer.user_id, summoned,
            under_any(Case.region_path, viewer.paths(CASE_AREA_ROLES))]
    if followed:
        ways.append(sa.select(CaseSupport.case_id).where(
            CaseSupport.case_id == Case.id, CaseSupport.user_id == viewer.user_id).exists())
    return sa.or_(*ways)


def photo_filter(viewer: Viewer):
    """A photo one uploaded, or one attached to a case one may see in full (not merely follow)."""
    if viewer.is_platform_admin:
        return sa.true()
    owned = sa.select(PhotoOwner.photo_id).where(PhotoOwner.photo_id == Photo.id,
                                                 PhotoOwner.user_id == viewer.user_id).exists()
    on_visible_case = (sa.select(CasePhoto.id).join(Case, Case.id == CasePhoto.case_id)
                       .where(CasePhoto.photo_id == Photo.id, case_filter(viewer, followed=False)).exists())
    return sa.or_(owned, on_visible_case)


AREA_RELATIONS = (("grid_worker", "grid_worker_of_grid"),
                  ("community_admin", "community_admin_of_community"),
                  ("hub_dispatcher", "hub_of_township"), ("county_admin", "county_admin"))


def case_ancestor_path(case: Case, depth: int) -> str:
    """The path of the case's ancestor at depth (1 county, 2 township, 3 community)."""
    return "/" + "/".join(case.region_path.strip("/").split("/")[:depth]) + "/"


def _unstaffed(role: str, path: str) -> bool:
    """Nobody holds role right at this region (a village without its admin...)."""
    return db.session.scalar(sa.select(Grant.id).join(Region, Grant.region_id == Region.id)
                             .where(Grant.role == role, Region.path == path).limit(1)) is None


# Who owns each level, nearest first: if the nearer ones are unstaffed, the next acts (属地兜底).
OWNER_CHAIN = {"community": (("community_admin", 3), ("hub_dispatcher", 2), ("county_admin", 1)),
               "township": (("hub_dispatcher", 2), ("county_admin", 1)), "county": (("county_admin", 1),)}
LEVEL_OWNER_RELATION = {"community": "community_admin_of_community", "township": "hub_of_township",
                        "county": "county_admin"}


def _fallbacks(viewer: Viewer, case: Case, relations: set[str]) -> set[str]:
    """属地兜底: where a level has nobody to act, the nearest staffed level above acts in its
    place (a hub for a village without its admin, the county for a township without a hub);
    a community admin verifies in a grid without a grid worker."""
    extra = set()
    for position, (role, depth) in enumerate(OWNER_CHAIN[case.level]):
        if position and any(case_ancestor_path(case, depth).startswith(p) for p in viewer.paths((role,))):
            if all(_unstaffed(r, case_ancestor_path(case, d)) for r, d in OWNER_CHAIN[case.level][:position]):
                extra.add(LEVEL_OWNER_RELATION[case.level])
            break
    if ("grid_worker_of_grid" not in relations and "community_admin_of_community" in relations | extra
            and (case.grid_id is None or _unstaffed("grid_worker", case.region_path))):
        extra.add("grid_worker_of_grid")
    return extra


def case_relations(viewer: Viewer, case: Case) -> frozenset[str]:
    """How the viewer stands to a case, in the flow engine's words (workflows.case_flow)."""
    relations = set()
    if case.reporter_id == viewer.user_id:
        relations.add("reporter")
    if case.assignee_id == viewer.user_id:
        relations.add("assignee")
    for role, relation in AREA_RELATIONS:
        if any(case.region_path.startswith(p) for p in viewer.paths((role,))):
            relations.add(relation)
    staffed = set(viewer.department_ids())
    for summons in case.summonses:
        if summons.department_id in staffed and summons.status in SUMMONS_ACTIVE:
            relations.add("summoned_staff")
            relations.add("lead_staff" if summons.role == "lead" else "co_staff")
    return frozenset(relations | _fallbacks(viewer, case, relations))


# --- outbox effects (dead letters) -------------------------------------------------------

def effect_filter(viewer: Viewer):
    """A county's administrators watch the delivery of effects about their county's cases
    and orders (dead letters: what could not be delivered); platform administrators all."""
    if viewer.is_platform_admin:
        return sa.true()
    paths = viewer.paths(("county_admin",))
    if not paths:
        return sa.false()
    return sa.or_(OutboxEffect.case_id.in_(sa.select(Case.id).where(under_any(Case.region_path, paths))),
                  OutboxEffect.order_id.in_(sa.select(Order.id).where(under_any(Order.region_path, paths))))



# --- real-time rooms (Socket.IO) -------------------------------------------------------
# A socket joins one room per row that lets its user see cases: the user's own room (cases
# they reported or support) and one per grant that reaches cases — a grid, community,
# township or county grant is that region's room for its holder, a dept_staff grant that
# department's room. A push names its rooms from the rows as they are when it is sent, so a
# removed grant, a deactivated department, a withdrawn support or a disabled user is never
# named again: room membership cannot outlive the access it stood for. (Rooms shared by a
# whole region would: a socket stays in them after its grant goes.) The same reasoning keeps
# case rooms (subscriptions) out of pushes: everyone subscribed to a case sits in one of its
# audience rooms anyway, and a stale subscription must not be a way in.

CASE_ROOM_ROLES = CASE_AREA_ROLES + ("dept_staff", "platform_admin")


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def grant_room(grant_id: int, role: str, region_id: int | None, department_id: int | None,
               user_id: int) -> str:
    # The holder is part of the name: SQLite hands a deleted grant's id to the next grant,
    # and a socket of the old holder must not find itself in the new holder's room.
    if role == "dept_staff":
        return f"dept:{department_id}:grant:{grant_id}:user:{user_id}"
    if role == "platform_admin":
        return f"platform:grant:{grant_id}:user:{user_id}"
    return f"region:{region_id}:grant:{grant_id}:user:{user_id}"


def _room_grants():
    """Grants that reach cases, of active users, not in a deactivated department (the same
    conditions viewer_for and case_filter apply)."""
    return (sa.select(Grant.id, Grant.role, Grant.region_id, Grant.department_id, Grant.user_id)
            .join(User, User.id == Grant.user_id)
            .outerjoin(Department, Grant.department_id == Department.id)
            .where(User.active, Grant.role.in_(CASE_ROOM_ROLES),
                   sa.or_(Department.id.is_(None), Department.active))
            .order_by(Grant.id))


def socket_rooms(user: User) -> list[str]:
    """The rooms a socket of this user joins, from its grants as they are now."""
    rows = db.session.execute(_room_grants().where(Grant.user_id == user.id)).all()
    return [user_room(user.id)] + [grant_room(*row) for row in rows]


def _ancestor_paths(region_path: str) -> list[str]:
    parts = region_path.strip("/").split("/")
    return ["/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1)]


@functools.cache
def _case_room_queries():
    """Built once, bound per push: building these statements cost more than running them."""
    area = sa.and_(Grant.role.in_(CASE_AREA_ROLES), Grant.region_id.in_(
        sa.select(Region.id).where(Region.path.in_(sa.bindparam("paths", expanding=True)))))
    summoned = sa.and_(Grant.role == "dept_staff", Grant.department_id.in_(
        sa.select(Summons.department_id).where(Summons.case_id == sa.bindparam("case_id"))))
    grants = _room_grants().where(sa.or_(area, summoned, Grant.role == "platform_admin"))
    people = sa.select(User.id).where(User.active, sa.or_(
        User.id == sa.bindparam("reporter_id"),
        User.id.in_(sa.select(CaseSupport.user_id).where(CaseSupport.case_id == sa.bindparam("case_id")))
    )).order_by(User.id)
    return grants, people


def case_rooms(case: Case) -> list[str]:
    """The rooms whose members may see the case now: case_filter read the other way round.
    Staff of the regions above it, staff of every department ever summoned to it, platform
    administrators, its reporter and its supporters."""
    grants, people = _case_room_queries()
    rows = db.session.execute(grants, {"paths": _ancestor_paths(case.region_path), "case_id": case.id}).all()
    users = db.session.scalars(people, {"reporter_id": case.reporter_id, "case_id": case.id})
    return [grant_room(*row) for row in rows] + [user_room(user_id) for user_id in users]


VISIBILITY = {Region: region_filter, Department: department_filter, Grant: grant_filter,
              User: user_filter, AuditEntry: audit_filter, Case: case_filter, Photo: photo_filter,
              OutboxEffect: effect_filter}


def visible(viewer: Viewer, model):
    """A select of the model's rows the viewer may see."""
    return sa.select(model).where(VISIBILITY[model](viewer))


def get_visible(viewer: Viewer, model, object_id: int):
    """The row by id, or NotFound whether it is absent or out of reach."""
    row = db.session.scalar(visible(viewer, model).where(model.id == object_id))
    if row is None:
        raise NotFound(f"{model.__tablename__.replace('_account', '')} {object_id} not found")
    return row


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
    if viewer.is_platform_admin:
        return True
    return any(role in GRANTABLE.get(s.role, ()) and scope_path and s.region_path
               and scope_path.startswith(s.region_path) for s in viewer.scopes)


def ensure_may_grant(viewer: Viewer, role: str, scope_path: str | None, holder_id: int | None) -> None:
    """Hand out (or take back) role in the scope at scope_path, to or from holder_id.
    Nobody but a platform administrator changes their own roles."""
    if holder_id == viewer.user_id and not viewer.is_platform_admin:
        raise Forbidden("you may not change your own roles")
    if not may_grant(viewer, role, scope_path):
        raise Forbidden(f"you may not grant {role} in that scope")


def ensure_may_manage_user(viewer: Viewer, user: User, fields) -> None:
    """Change someone's account. Oneself: the name only (a phone is what WeChat vouches
    for, through binding). Others: only who could take back every role they hold, so a
    community admin cannot disable or re-phone a county administrator who also happens
    to hold a grid there."""
    if viewer.is_platform_admin:
        return
    if user.id == viewer.user_id:
        if set(fields) - {"name"}:
            raise Forbidden("you may change your own name only; bind a phone in the mini-program")
        return
    if not user.grants and viewer.paths(("county_admin",)):
        return
    if not user.grants or not all(may_grant(viewer, g.role, grant_path(g)) for g in user.grants):
        raise Forbidden("you do not administer every role this person holds")


# --- providers and offerings -------------------------------------------------------------
# Imported here, not at the top, so this section stays one block (the orders section
# follows it). A provider is the county's to certify: county administrators see the
# providers serving somewhere in their county; a provider's staff see their own provider; an
# applicant sees their own application until it is approved (then their staff grant is the
# way in, and taking that grant away must close it). Everyone else meets providers only as
# the name and rating beside a listed offering in the catalogue (catalogue_filter).
from backend.models.providers import Offering, Provider, ProviderArea  # noqa: E402

APPLICATION_STATES = ("applied", "more_requested", "rejected")


def _serves_in(paths: list[str]):
    """SQL: the provider has an area inside one of the subtrees at paths."""
    return (sa.select(ProviderArea.region_id).join(Region, Region.id == ProviderArea.region_id)
            .where(ProviderArea.provider_id == Provider.id, under_any(Region.path, paths)).exists())


def provider_filter(viewer: Viewer):
    if viewer.is_platform_admin:
        return sa.true()
    return sa.or_(Provider.id.in_(viewer.provider_ids()),
                  sa.and_(Provider.applicant_id == viewer.user_id, Provider.status.in_(APPLICATION_STATES)),
                  _serves_in(viewer.paths(("county_admin",))))


def offering_filter(viewer: Viewer):
    """Offerings (any status) in the console: those of the providers the viewer may see,
    except that an applicant has none to see (offerings belong to certified providers)."""
    if viewer.is_platform_admin:
        return sa.true()
    reach = sa.or_(Provider.id.in_(viewer.provider_ids()), _serves_in(viewer.paths(("county_admin",))))
    return Offering.provider_id.in_(sa.select(Provider.id).where(reach))


def catalogue_filter():
    """What residents may see: listed offerings of approved providers. A filter, not a flag
    written on each offering, so a suspension empties the catalogue in the same commit."""
    return sa.and_(Offering.status == "listed", Offering.provider_id.in_(
        sa.select(Provider.id).where(Provider.status == "approved")))


def provider_relations(viewer: Viewer, provider: Provider) -> frozenset[str]:
    """How the viewer stands to a provider, in the onboarding flow's words."""
    relations = set()
    if provider.applicant_id == viewer.user_id:
        relations.add("applicant")
    if provider.id in viewer.provider_ids():
        relations.add("provider_staff")
    area_paths = [a.path for a in db.session.scalars(
        sa.select(Region).join(ProviderArea, ProviderArea.region_id == Region.id)
        .where(ProviderArea.provider_id == provider.id))]
    county = viewer.paths(("county_admin",))
    if viewer.is_platform_admin or any(p.startswith(c) for p in area_paths for c in county):
        relations.add("county_admin")
    return frozenset(relations)


def ensure_provider_staff(viewer: Viewer, provider: Provider) -> None:
    """Offerings and slots are managed by the provider's own staff only: the county
    certifies providers, it does not run their business."""
    if provider.id not in viewer.provider_ids():
        raise Forbidden("only the provider's staff manage its offerings")


def ensure_may_manage_staff(viewer: Viewer, provider: Provider) -> None:
    """The provider's staff, or the county that certified it, add and remove its staff."""
    relations = provider_relations(viewer, provider)
    if not relations & {"provider_staff", "county_admin"}:
        raise Forbidden("only the provider's staff or the county administrator manage its staff")


VISIBILITY.update({Provider: provider_filter, Offering: offering_filter})


def provider_photo_filter(viewer: Viewer):
    """Photos as before, and the licence and qualification photos of providers the viewer
    may see: the county reviews what the applicant uploaded."""
    from backend.models.providers import ProviderDocument
    documents = (sa.select(ProviderDocument.photo_id).join(Provider, Provider.id == ProviderDocument.provider_id)
                 .where(provider_filter(viewer)))
    return sa.or_(photo_filter(viewer), Photo.id.in_(documents))


VISIBILITY[Photo] = provider_photo_filter


# --- orders (the marketplace) ---------------------------------------------------------
# A resident sees their own orders; a provider's staff its provider's; the county
# administrator the orders served in the county (to referee disputes and reconcile money).

def order_filter(viewer: Viewer):
    if viewer.is_platform_admin:
        return sa.true()
    clauses = [Order.resident_id == viewer.user_id]
    if viewer.provider_ids():
        clauses.append(Order.provider_id.in_(viewer.provider_ids()))
    clauses.append(under_any(Order.region_path, viewer.paths(("county_admin",))))
    return sa.or_(*clauses)


def visible_order(viewer: Viewer, order_id: int, *, lock: bool = False) -> Order:
    """The order if the viewer may see it, else NotFound; locked for update when asked
    (what changes money holds the row until commit)."""
    if lock:
        order = locks.order(Order.id == order_id, order_filter(viewer))
    else:
        order = db.session.scalar(sa.select(Order).where(Order.id == order_id, order_filter(viewer)))
    if order is None:
        raise NotFound("no such order")
    return order


def order_relations(viewer: Viewer, order: Order) -> frozenset[str]:
    """The order flow's relations between the viewer and an order they can see."""
    relations = set()
    if order.resident_id == viewer.user_id:
        relations.add("resident")
    if order.provider_id in viewer.provider_ids():
        relations.add("provider_staff")
    if viewer.is_platform_admin or any(order.region_path.startswith(p)
                                       for p in viewer.paths(("county_admin",))):
        relations.add("county_admin")
    return frozenset(relations)


def ensure_finance_viewer(viewer: Viewer) -> None:
    """Refunds across providers, reconciliation and settlement totals: the county's
    administrators (and the platform's) only."""
    if not (viewer.is_platform_admin or viewer.paths(("county_admin",))):
        raise Forbidden("only the county administrator may see the marketplace's money")


def finance_filter(viewer: Viewer, provider_column, region_column=None):
    """Rows about money (settlements, refunds): a provider's staff sees its own provider's,
    the county administrator the county's."""
    if viewer.is_platform_admin:
        return sa.true()
    clauses = [provider_column.in_(viewer.provider_ids())] if viewer.provider_ids() else []
    if region_column is not None:
        clauses.append(under_any(region_column, viewer.paths(("county_admin",))))
    return sa.or_(sa.false(), *clauses)


def ensure_money_viewer(viewer: Viewer) -> None:
    """Money lists (refunds, settlement totals): a provider's staff (their provider's rows,
    through finance_filter) and the county's or platform's administrators; nobody else."""
    if not (viewer.is_platform_admin or viewer.paths(("county_admin",)) or viewer.provider_ids()):
        raise Forbidden("only a provider's staff and the county administrator see the marketplace's money")


def visible_order_books(viewer: Viewer, order_id: int) -> Order:
    """An order whose ledger the viewer may read: its provider's staff and the county
    administrator. The resident sees the order (so 403, not 404), not its books."""
    order = visible_order(viewer, order_id)
    if not order_relations(viewer, order) & {"provider_staff", "county_admin"}:
        raise Forbidden("an order's ledger is for its provider and the county administrator")
    return order
