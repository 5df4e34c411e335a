"""Retention of personal data (PIPL: kept no longer than needed). A case closed more than
PERSONAL_DATA_RETENTION_DAYS ago is anonymised once (anonymised_at marks it):

- the people: the reporter link (reporter_id, its client id, the phone's replay key for
  the report), the supporters' links (the count stays), the reporter's actor link on its
  timeline rows and its photo ownerships, the recipients of the case's settled messages;
- what they wrote: phone and ID-card numbers in the description, address, form answers and
  timeline payloads are masked for good (privacy.masking);
- the place: the exact point moves to its grid's centroid (the smallest region's, between
  grids), or to two decimals (about 1 km) where the region has no polygon; the address,
  a street and number, is dropped;
- the photos: originals are deleted (display and thumbnail renditions stay: they are
  re-encoded from pixels and carry no metadata, see backend.media.photos), and the places
  and times uploaders' EXIF said are forgotten; a photo another case still needs in full
  (not yet anonymised) or a provider's document keeps its original.
What the indicators need stays: category, region and grid, channel, times, states, the
timeline's steps and roles, deadlines, summonses, ratings and counters.

The timeline (case_log) is otherwise immutable; the two columns changed here are changed by
a plain UPDATE, the one sanctioned exception, so its ORM guard stays for everything else.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    Case,
    CaseLog,
    CasePhoto,
    CaseSupport,
    IdempotencyKey,
    OutboxEffect,
    Photo,
    PhotoOwner,
    Region,
)
from backend.models.providers import ProviderDocument
from backend.services import audit, clock, runtime
from backend.services.cases import photos
from backend.services.cases.actions import TERMINAL
from backend.services.geo.geometry import parse_polygon
from backend.services.privacy.masking import mask_text, mask_value

log = logging.getLogger("shaobao.retention")
BATCH = 100
COARSE_DIGITS = 2  # about 1.1 km of latitude


def cutoff(now: datetime) -> datetime:
    return now - timedelta(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS"))


def due(now: datetime, limit: int = BATCH) -> list[Case]:
    """Closed cases past retention, not yet anonymised, oldest first; locked on PostgreSQL (a
    second scheduler or `flask privacy anonymise` beside it skips them)."""
    ids = sa.select(Case.id).where(
        Case.anonymised_at.is_(None), Case.closed_at.is_not(None), Case.closed_at <= cutoff(now),
        Case.state.in_(sorted(TERMINAL))).order_by(Case.closed_at).limit(limit)
    return list(db.session.scalars(sa.select(Case).where(Case.id.in_(ids)).order_by(Case.closed_at)
                                   .with_for_update(skip_locked=True)))


def anonymise_due(limit: int = BATCH) -> dict[str, int]:
    """Anonymise one batch of what is due (flushes; the caller commits); counts."""
    now = clock.now()
    counts = {"cases": 0, "photo_originals": 0}
    for case in due(now, limit):
        counts["photo_originals"] += anonymise(case, now)
        counts["cases"] += 1
    if counts["cases"]:
        log.info("retention anonymised cases=%s photo_originals=%s", counts["cases"], counts["photo_originals"])
    return counts


def anonymise(case: Case, now: datetime) -> int:
    """Remove one case's personal data (see the module); the photo originals deleted."""
    reporter_id = case.reporter_id
    db.session.execute(sa.update(CaseLog).where(CaseLog.case_id == case.id, CaseLog.actor_id == reporter_id)
                       .values(actor_id=None).execution_options(synchronize_session=False))
    for entry in db.session.scalars(sa.select(CaseLog).where(CaseLog.case_id == case.id)):
        masked = mask_value(entry.payload)
        if masked != entry.payload:
            db.session.execute(sa.update(CaseLog).where(CaseLog.id == entry.id).values(payload=masked)
                               .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(CaseSupport).where(CaseSupport.case_id == case.id))
    # Delivered (or dead) subscribe messages name their recipient beside the case.
    db.session.execute(sa.update(OutboxEffect).where(OutboxEffect.case_id == case.id,
                                                     OutboxEffect.outcome.is_not(None))
                       .values(recipient_id=None).execution_options(synchronize_session=False))
    if reporter_id is not None and case.client_id:
        # The phone's replay key for the report (intake's owner user:<id>, the client id ->
        # this case) links the reporter to it as well; a year on, no phone retries it.
        db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.owner == f"user:{reporter_id}",
                                                           IdempotencyKey.key == case.client_id))
    case.lng, case.lat = _coarse_point(case)
    case.reporter_id, case.client_id, case.address = None, None, None
    case.description = mask_text(case.description)
    case.attributes = mask_value(case.attributes)
    case.anonymised_at = now
    removed = _forget_photos(case, reporter_id)
    audit.record_raw(None, "anonymise", "case_file", str(case.id), None,
                     {"reason": "retention", "closed_at": case.closed_at.isoformat(),
                      "photo_originals": removed}, case.region_path)
    db.session.flush()
    return removed


def _coarse_point(case: Case) -> tuple[float, float]:
    region = db.session.get(Region, case.grid_id or case.region_id)
    if region is not None and region.geometry:
        try:
            centre = parse_polygon(region.geometry).centroid
            return round(centre.x, 6), round(centre.y, 6)
        except ValueError:
            pass  # a stored polygon that no longer parses: fall back to rounding
    return round(case.lng, COARSE_DIGITS), round(case.lat, COARSE_DIGITS)


def _forget_photos(case: Case, reporter_id: int | None) -> int:
    """Delete the originals of the case's photos no other case or document needs in full."""
    photo_ids = set(db.session.scalars(sa.select(CasePhoto.photo_id).where(CasePhoto.case_id == case.id)))
    if not photo_ids:
        return 0
    if reporter_id is not None:
        db.session.execute(sa.delete(PhotoOwner).where(PhotoOwner.user_id == reporter_id,
                                                       PhotoOwner.photo_id.in_(photo_ids)))
    still_needed = set(db.session.scalars(
        sa.select(CasePhoto.photo_id).join(Case, Case.id == CasePhoto.case_id)
        .where(CasePhoto.photo_id.in_(photo_ids), Case.id != case.id, Case.anonymised_at.is_(None))
        .union(sa.select(ProviderDocument.photo_id).where(ProviderDocument.photo_id.in_(photo_ids)))))
    dropped = sorted(photo_ids - still_needed)
    if not dropped:
        return 0
    db.session.execute(sa.update(PhotoOwner).where(PhotoOwner.photo_id.in_(dropped))
                       .values(gps_lat=None, gps_lng=None, taken_at=None))
    store = photos.store()
    removed = 0
    for photo in db.session.scalars(sa.select(Photo).where(Photo.id.in_(dropped))):
        # Files go before the commit: a rollback leaves the case to be anonymised again,
        # and deleting a file twice is harmless.
        removed += store.delete(photos.key(photo, "original"))
    return removed
