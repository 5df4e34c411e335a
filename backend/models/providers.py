"""Third-party service providers (社会化服务主体), their certification timeline, and what
they offer residents: the marketplace's supply side."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.types import JSONType, UTCDateTime, utcnow

# The kinds of service the seed names; a provider declares some, each offering is one.
SERVICE_CATEGORIES = ("elderly_care", "medical_elderly_care", "housekeeping", "repairs",
                      "childcare", "waste_sorting", "other")
PROVIDER_STATES = ("applied", "more_requested", "approved", "rejected", "suspended")
DOCUMENT_KINDS = ("licence", "qualification")
PRICE_UNITS = ("visit", "hour", "month")
OFFERING_STATES = ("draft", "listed", "unlisted")


class Provider(db.Model):
    __tablename__ = "provider"
    __table_args__ = (
        sa.CheckConstraint("status IN ({})".format(", ".join(f"'{s}'" for s in PROVIDER_STATES)),
                           name="status"),
        sa.CheckConstraint("rating_count >= 0 AND rating_sum >= 0", name="rating"),
        # One live application or provider per credit code; a rejected one keeps its timeline
        # and the entity may apply again with a new application.
        sa.Index("uq_provider_credit_code_live", "credit_code", unique=True,
                 postgresql_where=sa.text("status <> 'rejected'"),
                 sqlite_where=sa.text("status <> 'rejected'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # 统一社会信用代码, 18 characters, checked against its GB 32100 check character.
    credit_code: Mapped[str] = mapped_column(sa.String(18))
    contact_name: Mapped[str] = mapped_column(sa.String(64))
    contact_phone: Mapped[str] = mapped_column(sa.String(20))
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="applied")
    # The WeChat Pay sub-merchant number (特约商户号); set when the county approves.
    sub_mchid: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    areas: Mapped[list[ProviderArea]] = relationship(cascade="all, delete-orphan",
                                                     order_by="ProviderArea.region_id")
    # Every UPDATE checks and bumps version: a review and an edit racing cannot both win.
    __mapper_args__ = {"version_id_col": version}
    documents: Mapped[list[ProviderDocument]] = relationship(cascade="all, delete-orphan",
                                                             order_by="ProviderDocument.id")


class ProviderArea(db.Model):
    """A region (county, township or community) the provider serves, subtree included."""

    __tablename__ = "provider_area"

    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), primary_key=True, index=True)


class ProviderDocument(db.Model):
    """A licence or qualification photo, through the same photo pipeline as case photos."""

    __tablename__ = "provider_document"
    __table_args__ = (
        sa.UniqueConstraint("provider_id", "photo_id", name="uq_provider_document_provider_photo"),
        sa.CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in DOCUMENT_KINDS)), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))


class ProviderLog(db.Model):
    """One immutable row per onboarding step: the provider's certification timeline."""

    __tablename__ = "provider_log"
    __table_args__ = (sa.UniqueConstraint("provider_id", "seq", name="uq_provider_log_provider_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@sa.event.listens_for(ProviderLog, "before_update")
@sa.event.listens_for(ProviderLog, "before_delete")
def _log_is_immutable(mapper, connection, target):
    raise RuntimeError("provider_log rows are immutable: write a new one")


class Offering(db.Model):
    """One service a provider lists: price in fen per unit, where, how much of it."""

    __tablename__ = "offering"
    __table_args__ = (
        sa.CheckConstraint("price_fen > 0", name="price_positive"),
        sa.CheckConstraint("unit IN ({})".format(", ".join(f"'{u}'" for u in PRICE_UNITS)), name="unit"),
        sa.CheckConstraint("status IN ({})".format(", ".join(f"'{s}'" for s in OFFERING_STATES)),
                           name="status"),
        sa.CheckConstraint("daily_capacity IS NULL OR daily_capacity > 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    price_fen: Mapped[int]
    unit: Mapped[str] = mapped_column(sa.String(8))
    # Orders a day it can take when it has no time slots (NULL: no limit).
    daily_capacity: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship()
    areas: Mapped[list[OfferingArea]] = relationship(cascade="all, delete-orphan",
                                                     order_by="OfferingArea.region_id")
    __mapper_args__ = {"version_id_col": version}


class OfferingArea(db.Model):
    """A region the offering is sold in (subtree included); inside the provider's area."""

    __tablename__ = "offering_area"

    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), primary_key=True, index=True)


class OfferingSlot(db.Model):
    """A bookable time slot; `booked` counts live orders and never passes `capacity`."""

    __tablename__ = "offering_slot"
    __table_args__ = (
        sa.UniqueConstraint("offering_id", "starts_at", name="uq_offering_slot_offering_starts"),
        sa.CheckConstraint("capacity > 0 AND booked >= 0 AND booked <= capacity", name="booked"),
        sa.CheckConstraint("ends_at > starts_at", name="span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0, server_default="0")
