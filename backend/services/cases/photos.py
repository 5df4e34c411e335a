"""Photos from phones: verified, cleaned and stored (backend.media), then attached to cases."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from backend.extensions import db
from backend.media.photos import EXTENSIONS, PhotoRejected, ingest
from backend.media.storage import LocalPhotoStore, make_key
from backend.models import CasePhoto, Photo, PhotoOwner
from backend.services import access, runtime
from backend.services.errors import Invalid, NotFound

VARIANTS = ("original", "display", "thumbnail")
MAX_PER_ACTION = 9


def store() -> LocalPhotoStore:
    return LocalPhotoStore(Path(runtime.setting("VAR_DIR")) / "photos")


def key(photo: Photo, variant: str) -> str:
    """Renditions are always JPEG; the original keeps its format."""
    return make_key(photo.sha256, variant, EXTENSIONS[photo.format] if variant == "original" else "jpg")


@dataclass(frozen=True)
class Upload:
    """An uploaded photo as its uploader sees it: with what their own copy's EXIF said."""
    photo: Photo
    owner: PhotoOwner

    def __getattr__(self, name):
        return getattr(self.owner if name in ("taken_at", "gps_lat", "gps_lng") else self.photo, name)


def upload(user_id: int, data: bytes) -> Upload:
    """Store a phone's photo once (content-addressed) and make the user one of its owners."""
    try:
        processed = ingest(data)
    except PhotoRejected as exc:
        raise Invalid(exc.message, code=f"photo_{exc.reason_code}", fields={"file": [exc.message]}) from exc
    photo = db.session.scalar(sa.select(Photo).where(Photo.sha256 == processed.sha256))
    if photo is None:
        photo = Photo(sha256=processed.sha256, format=processed.format, width=processed.width,
                      height=processed.height)
        db.session.add(photo)
        db.session.flush()
    target = store()
    for variant in VARIANTS:  # files first: a row without its files would be a broken photo
        target.put(key(photo, variant), getattr(processed, variant))
    owner = db.session.get(PhotoOwner, (photo.id, user_id))
    if owner is None:
        lat, lng = processed.gps or (None, None)
        owner = PhotoOwner(photo_id=photo.id, user_id=user_id, taken_at=processed.taken_at,
                           gps_lat=lat, gps_lng=lng)
        db.session.add(owner)
        db.session.flush()
    return Upload(photo, owner)


def owned(user_id: int, photo_ids: list[int], field: str = "photo_ids") -> list[Photo]:
    """The photos, if the user uploaded every one of them (the order kept)."""
    ids = list(dict.fromkeys(photo_ids))
    if not ids:
        return []
    if len(ids) > MAX_PER_ACTION:
        raise Invalid(f"at most {MAX_PER_ACTION} photos", fields={field: [f"at most {MAX_PER_ACTION}"]})
    rows = {p.id: p for p in db.session.scalars(
        sa.select(Photo).join(PhotoOwner, PhotoOwner.photo_id == Photo.id)
        .where(Photo.id.in_(ids), PhotoOwner.user_id == user_id))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise Invalid("upload the photos first", fields={field: [f"unknown photo ids: {missing}"]})
    return [rows[i] for i in ids]


def attach(case_id: int, photos: list[Photo], purpose: str, user_id: int | None, entry) -> None:
    """Photos on a case, tied to the log row (entry) of the action that brought them."""
    for photo in photos:
        db.session.add(CasePhoto(case_id=case_id, photo_id=photo.id, purpose=purpose,
                                 added_by_id=user_id, log=entry))


def read(viewer, photo_id: int, variant: str) -> tuple[bytes, str]:
    """A rendition's bytes and MIME type, for a photo the viewer may see."""
    if variant not in VARIANTS:
        raise NotFound("no such rendition")
    photo = access.get_visible(viewer, Photo, photo_id)
    ext = key(photo, variant).rsplit(".", 1)[1]
    try:
        return store().get(key(photo, variant)), {"jpg": "image/jpeg", "png": "image/png",
                                                  "webp": "image/webp"}[ext]
    except KeyError as exc:
        raise NotFound("the photo's file is missing") from exc
