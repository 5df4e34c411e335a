"""The first security administrator of a fresh install. Under 三员分立 only the security
administrator hands out roles, so the first one cannot be granted through the console: an
operator with shell access names them once, by the openid their first login created, and
from then on the command refuses (grants go through the security administrator)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, User
from backend.services import access, audit
from backend.services.errors import Conflict, NotFound
from backend.services.people.users import grant_snapshot


def first_security_admin(openid: str) -> Grant:
    if db.session.scalar(sa.select(Grant.id).where(Grant.role == "security_admin").limit(1)):
        raise Conflict("there is a security administrator already: they grant the role from now on",
                       code="security_admin_exists")
    user = db.session.scalar(sa.select(User).where(User.openid == openid))
    if user is None:
        raise NotFound(f"no user with openid {openid!r}: they log in once from the mini-program first")
    access.ensure_duties_apart("security_admin", user.id)
    row = Grant(user_id=user.id, role="security_admin")
    db.session.add(row)
    db.session.flush()
    # No acting user: the audit row says so (actor none, action of its own).
    audit.record(None, "grant.bootstrap", row, None, grant_snapshot(row), None)
    return row
