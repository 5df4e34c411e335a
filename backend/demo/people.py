"""The demo users and their grants, by openid and role+scope, so a second load adds nothing."""
from __future__ import annotations

import sqlalchemy as sa

from backend.demo import county
from backend.extensions import db
from backend.models import Department, Grant, Region, User
from backend.models.people import scope_key


def _scope(spec: dict) -> tuple[int | None, int | None]:
    region = county.by_code(Region, spec["region"]) if "region" in spec else None
    dept = county.by_code(Department, spec["department"]) if "department" in spec else None
    return (region.id if region else None), (dept.id if dept else None)


def load_users(rows) -> tuple[int, int]:
    users = grants = 0
    for row in rows:
        user = db.session.scalar(sa.select(User).where(User.openid == row["openid"]))
        if user is None:
            user = User(openid=row["openid"], name=row["name"], phone=row["phone"])
            db.session.add(user)
            db.session.flush()
            users += 1
        for spec in row["grants"]:
            region_id, dept_id = _scope(spec)
            held = sa.select(Grant.id).where(Grant.user_id == user.id, Grant.role == spec["role"],
                                             Grant.scope_key == scope_key(region_id, dept_id))
            if not db.session.scalar(held):
                db.session.add(Grant(user_id=user.id, role=spec["role"], region_id=region_id,
                                     department_id=dept_id))
                grants += 1
    db.session.flush()
    return users, grants
