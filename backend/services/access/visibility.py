"""One table from each kind of object to its filter, so lists and fetches by id share one
rule: an object outside the filter answers 404, never 403, so its existence does not leak.
A new kind plugs in by adding its filter here."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Case, Department, Grant, OutboxEffect, Photo, Region, User
from backend.models.providers import Offering, Provider
from backend.services.access.cases import case_filter
from backend.services.access.people import department_filter, grant_filter, region_filter, user_filter
from backend.services.access.providers import offering_filter, provider_filter, provider_photo_filter
from backend.services.access.trails import audit_filter, effect_filter
from backend.services.access.viewer import Viewer
from backend.services.errors import NotFound

# Photos: those of visible cases, and the documents of visible providers (the county reviews
# what an applicant uploaded).
VISIBILITY = {Region: region_filter, Department: department_filter, Grant: grant_filter,
              User: user_filter, AuditEntry: audit_filter, Case: case_filter, Photo: provider_photo_filter,
              OutboxEffect: effect_filter, Provider: provider_filter, Offering: offering_filter}


def visible(viewer: Viewer, model):
    """A select of the model's rows the viewer may see."""
    return sa.select(model).where(VISIBILITY[model](viewer))


def get_visible(viewer: Viewer, model, object_id: int):
    """The row by id, or NotFound whether it is absent or out of reach."""
    row = db.session.scalar(visible(viewer, model).where(model.id == object_id))
    if row is None:
        raise NotFound(f"{model.__tablename__.replace('_account', '')} {object_id} not found")
    return row
