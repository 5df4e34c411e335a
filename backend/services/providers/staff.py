"""A provider's staff: provider_staff grants, given by phone as people.py provisions staff.

A phone nobody uses yet becomes a provisioned account the person claims by binding that
phone in the mini-program; a phone already in use gets the grant on its account. Either
way the answer looks the same, so the endpoint does not tell which numbers are registered.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Provider, User
from backend.models.people import mask_phone
from backend.services import access, audit
from backend.services.errors import Conflict, Forbidden, Invalid, NotFound
from backend.services.people import users
from backend.services.providers import areas

log = logging.getLogger("shaobao.providers")


@dataclass(frozen=True)
class StaffMember:
    grant: Grant
    user: User

    @property
    def grant_id(self) -> int:
        return self.grant.id

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str | None:
        return self.user.name

    @property
    def phone(self) -> str | None:
        return mask_phone(self.user.phone)

    @property
    def claimed(self) -> bool:
        return self.user.openid is not None

    @property
    def since(self):
        return self.grant.created_at


def _grant_snapshot(grant: Grant) -> dict:
    return {"user_id": grant.user_id, "role": grant.role, "provider_id": grant.provider_id}


def _provider(viewer, provider_id: int, reading: bool = False) -> Provider:
    provider = access.get_visible(viewer, Provider, provider_id)
    access.ensure_may_manage_staff(viewer, provider, reading)
    return provider


def listing(viewer, provider_id: int) -> list[StaffMember]:
    provider = _provider(viewer, provider_id, reading=True)
    rows = db.session.execute(sa.select(Grant, User).join(User, User.id == Grant.user_id).where(
        Grant.role == "provider_staff", Grant.provider_id == provider.id).order_by(Grant.id)).all()
    return [StaffMember(grant, user) for grant, user in rows]


def _user_for(name: str, phone: str) -> User:
    if not users.PHONE.match(phone):
        raise Invalid("a mainland mobile number has 11 digits starting with 1",
                      fields={"phone": ["not a mobile number"]})
    user = db.session.scalar(sa.select(User).where(User.phone == phone))
    if user is None:
        user = User(name=name, phone=phone)
        db.session.add(user)
        db.session.flush()
    return user


def add(viewer, provider_id: int, name: str, phone: str) -> StaffMember:
    """Give the person with this phone (provisioned if new) the provider_staff role."""
    provider = _provider(viewer, provider_id)
    user = _user_for(name, phone)
    held = sa.select(Grant.id).where(Grant.user_id == user.id, Grant.role == "provider_staff",
                                     Grant.provider_id == provider.id)
    if db.session.scalar(held) is not None:
        raise Conflict("the person already works for this provider", code="duplicate_grant")
    grant = Grant(user_id=user.id, role="provider_staff", provider_id=provider.id,
                  created_by_id=viewer.user_id)
    db.session.add(grant)
    db.session.flush()
    audit.record(viewer.user_id, "grant.create", grant, None, _grant_snapshot(grant), areas.county_path(provider))
    log.info("provider staff add provider=%s user=%s phone=%s actor=%s", provider.id, user.id,
             mask_phone(phone), viewer.user_id)
    return StaffMember(grant, user)


def remove(viewer, provider_id: int, grant_id: int) -> None:
    """Takes effect at once (viewers are built from the grants on every request)."""
    provider = _provider(viewer, provider_id)
    grant = db.session.scalar(sa.select(Grant).where(Grant.id == grant_id, Grant.role == "provider_staff",
                                                     Grant.provider_id == provider.id))
    if grant is None:
        raise NotFound(f"staff grant {grant_id} not found")
    if grant.user_id == viewer.user_id:
        raise Forbidden("you may not change your own roles")
    audit.record(viewer.user_id, "grant.delete", grant, _grant_snapshot(grant), None, areas.county_path(provider))
    db.session.delete(grant)
    db.session.flush()
    log.info("provider staff remove provider=%s grant=%s actor=%s", provider.id, grant_id, viewer.user_id)
