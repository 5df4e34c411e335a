"""Photo upload (before the report that uses them) and download of renditions."""
from __future__ import annotations

from flask import Response, g

from backend.api.blueprint import Blueprint
from backend.api.schemas import ID
from backend.extensions import db
from backend.services.cases import photos
from miniprogram_api import case_schemas as schemas
from miniprogram_api.schemas import UploadSchema

blp = Blueprint("mp_photos", __name__, url_prefix="/api/mp/photos",
                description="Photos: upload first, then attach by id")


@blp.route("", methods=["POST"])
@blp.arguments(UploadSchema, location="files")
@blp.response(201, schemas.PhotoSchema)
def upload(files):
    """Upload one photo (multipart field "file"): verified, oriented, stripped of metadata."""
    photo = photos.upload(g.user.id, files["file"].read())
    db.session.commit()
    return photo


@blp.route(f"/<{ID}:photo_id>/<string:variant>", methods=["GET"])
@blp.response(200)
def download(photo_id, variant):
    """A rendition (original, display or thumbnail) of a photo you may see."""
    data, mimetype = photos.read(g.viewer, photo_id, variant)
    return Response(data, mimetype=mimetype, headers={"Cache-Control": "private, max-age=86400"})
