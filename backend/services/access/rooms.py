"""Real-time rooms (Socket.IO): which rooms a socket joins, and which rooms hear a case.

A socket joins one room per row that lets its user see cases: the user's own room (cases
they reported or support) and one per grant that reaches cases — a grid, community,
township or county grant is that region's room for its holder, a dept_staff grant that
department's room. A push names its rooms from the rows as they are when it is sent, so a
removed grant, a deactivated department, a withdrawn support or a disabled user is never
named again: room membership cannot outlive the access it stood for. (Rooms shared by a
whole region would: a socket stays in them after its grant goes.) The same reasoning keeps
case rooms (subscriptions) out of pushes: everyone subscribed to a case sits in one of its
audience rooms anyway, and a stale subscription must not be a way in."""
from __future__ import annotations

import functools

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseSupport, Department, Grant, Region, Summons, User
from backend.services.access.cases import CASE_AREA_ROLES

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
