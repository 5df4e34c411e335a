"""Photos: stored content-addressed; a row per distinct image, an owner row per uploader."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.types import UTCDateTime, utcnow


class Photo(db.Model):
    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    format: Mapped[str] = mapped_column(sa.String(8))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhotoOwner(db.Model):
    """Who uploaded a photo and so may attach it: the same image from two phones is one
    photo with two owners."""

    __tablename__ = "photo_owner"

    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    # Recorded from this uploader's EXIF before it was stripped: where and when they took it.
    # Per owner, not per photo: the same pixels from someone else must not tell their place.
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None]
    gps_lng: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
