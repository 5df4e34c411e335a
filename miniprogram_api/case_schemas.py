"""The mini-program's own schemas for cases: a report from a phone, similar cases nearby, a photo."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.case_schemas import LocationSchema
from backend.api.schemas import Id, unique_client_id

PHOTO_IDS = ma.fields.List(Id(), validate=validate.Length(max=9), load_default=list,
                           metadata={"description": "ids from POST /api/mp/photos, at most 9"})


class CaseCreateSchema(LocationSchema):
    client_id = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$"),
                                 metadata=unique_client_id("user", "case"))
    category_id = Id(required=True)
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    address = ma.fields.String(validate=validate.Length(max=200), load_default=None)
    photo_ids = PHOTO_IDS
    attributes = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
    anonymous = ma.fields.Boolean(load_default=False)



class SimilarQuerySchema(LocationSchema):
    category_id = Id(required=True)



class SimilarCaseSchema(ma.Schema):
    """What a stranger may know of a nearby case: enough to recognise it, nothing personal."""
    id = ma.fields.Integer()
    category = ma.fields.String()
    state = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    support_count = ma.fields.Integer()
    distance_m = ma.fields.Integer()



class PhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    taken_at = ma.fields.AwareDateTime(allow_none=True)
    gps_lat = ma.fields.Float(allow_none=True)
    gps_lng = ma.fields.Float(allow_none=True)
