"""Schemas of cases, shared by the mini-program and console faces."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import COUNTY_LAT, COUNTY_LNG, VERSION, DepartmentRefSchema, Id, RegionRefSchema
from backend.services.catalogue import categories
from backend.services.geo import lookup
from backend.services.geo.coords import SYSTEMS


class LocationSchema(ma.Schema):
    lng = ma.fields.Float(required=True, validate=validate.Range(-180, 180), metadata=COUNTY_LNG)
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90), metadata=COUNTY_LAT)
    coord_system = ma.fields.String(required=True, validate=validate.OneOf(SYSTEMS))


class ActionSchema(ma.Schema):
    version = ma.fields.Integer(validate=VERSION, required=True, metadata={"description": "the case version you read"})
    payload = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class CasePhotoSchema(ma.Schema):
    photo_id = ma.fields.Integer()
    purpose = ma.fields.String()
    log_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class SummonsSchema(ma.Schema):
    id = ma.fields.Integer()
    department = ma.fields.Nested(DepartmentRefSchema)
    role = ma.fields.String()
    status = ma.fields.String()
    on_site = ma.fields.Boolean()
    return_reason = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class DeadlineSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    party = ma.fields.String()
    department_id = ma.fields.Integer(allow_none=True)
    summons_id = ma.fields.Integer(allow_none=True)
    unit = ma.fields.String()
    started_at = ma.fields.AwareDateTime()
    due_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "null while paused"})
    paused_at = ma.fields.AwareDateTime(allow_none=True)
    stopped_at = ma.fields.AwareDateTime(allow_none=True)
    warn_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "the yellow warning's time"})
    warned_at = ma.fields.AwareDateTime(allow_none=True)
    breached_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "when it went overdue (red)"})


class PersonRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "masked unless you handle the case"})


class TimelineEntrySchema(ma.Schema):
    seq = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    action = ma.fields.String()
    actor = ma.fields.String(allow_none=True)
    actor_role = ma.fields.String()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String()
    payload = ma.fields.Dict()


class IndexedRegion(ma.fields.Nested):
    """A case's region named from the per-process region index, not by loading the row."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return lookup.region_ref(obj.region_id)


class CaseSummarySchema(ma.Schema):
    """In lists, a case the viewer only follows (我也遇到) comes without description, address
    and place."""
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    state = ma.fields.String()
    level = ma.fields.String()
    category = ma.fields.Function(lambda c: categories.reference(c.category_id))
    urgency = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    region = IndexedRegion(RegionRefSchema)
    channel = ma.fields.String()
    support_count = ma.fields.Integer()
    rework_count = ma.fields.Integer()
    reopen_count = ma.fields.Integer()
    supervised = ma.fields.Boolean()
    rating = ma.fields.String(allow_none=True)
    content_check = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    closed_at = ma.fields.AwareDateTime(allow_none=True)


class CaseDetailSchema(CaseSummarySchema):
    """Followers (supporters) get description, address, place, attributes, photos, summonses
    and deadlines empty: the public view."""
    description = ma.fields.String(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    state_label = ma.fields.String()
    attributes = ma.fields.Dict(allow_none=True)
    anonymous = ma.fields.Boolean()
    reporter = ma.fields.Nested(PersonRefSchema, allow_none=True)
    supporters = ma.fields.List(ma.fields.Nested(PersonRefSchema))
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))
    photos = ma.fields.List(ma.fields.Nested(CasePhotoSchema))
    summonses = ma.fields.List(ma.fields.Nested(SummonsSchema))
    deadlines = ma.fields.List(ma.fields.Nested(DeadlineSchema))
    actions = ma.fields.List(ma.fields.String(), metadata={"description": "what you may do now"})
    relations = ma.fields.List(ma.fields.String(), metadata={"description": "how you stand to it"})


class CaseListQuerySchema(ma.Schema):
    queue = ma.fields.String(validate=validate.OneOf(("awaiting_me", "due_soon", "overdue")))
    scope = ma.fields.String(validate=validate.OneOf(("mine", "supported")))
    state = ma.fields.String(validate=validate.Length(max=32))
    open = ma.fields.Boolean()
    category_id = Id()
    grid_id = Id()
    department_id = Id()
    q = ma.fields.String(validate=validate.Length(min=1, max=50))
    within_hours = ma.fields.Integer(validate=validate.Range(1, 24 * 30), load_default=24)


class ActionListSchema(ma.Schema):
    case_id = ma.fields.Integer()
    version = ma.fields.Integer()
    state = ma.fields.String()
    actions = ma.fields.List(ma.fields.String())
