"""Users (WeChat identities), their grants (a role in a scope) and their bearer tokens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.departments import Department
from backend.models.regions import Region
from backend.models.types import UTCDateTime, utcnow

ROLES = ("resident", "grid_worker", "community_admin", "hub_dispatcher", "dept_staff",
         "county_admin", "provider_staff", "platform_admin", "security_admin", "audit_admin")
# 三员分立 (等保 2.0 level 3): the system (platform), security and audit administrators are
# three people; each role is held platform-wide, and nobody holds two of them.
SEPARATED_ROLES = ("platform_admin", "security_admin", "audit_admin")


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough for a person to recognise, not enough to call."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def scope_key(region_id: int | None, department_id: int | None,
              provider_id: int | None = None) -> str:
    """The one string a scope is unique by (NULLs are never equal in a unique index)."""
    if region_id is not None:
        return f"region:{region_id}"
    if department_id is not None:
        return f"department:{department_id}"
    if provider_id is not None:
        return f"provider:{provider_id}"
    return "-"


class User(db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(64))
    # Kept whole so staff can be found by it; every output masks it (mask_phone).
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    grants: Mapped[list[Grant]] = relationship(back_populates="user", order_by="Grant.id",
                                               foreign_keys="Grant.user_id")

    @property
    def phone_masked(self) -> str | None:
        return mask_phone(self.phone)


class Grant(db.Model):
    """A role held in one scope: a region, a department, a service provider, or none."""

    __tablename__ = "role_grant"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "scope_key", name="uq_role_grant_user_role_scope"),
        sa.CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    # "region:5", "department:3", "provider:2" or "-": see scope_key(); set on creation.
    scope_key: Mapped[str] = mapped_column(sa.String(48))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    region: Mapped[Region | None] = relationship()
    department: Mapped[Department | None] = relationship()

    def __init__(self, **kwargs):
        kwargs.setdefault("scope_key", scope_key(kwargs.get("region_id"), kwargs.get("department_id"),
                                                 kwargs.get("provider_id")))
        super().__init__(**kwargs)


class AuthToken(db.Model):
    """A bearer token; only its SHA-256 is kept, so a database leak yields no sessions."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
