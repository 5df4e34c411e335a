"""The console's own schemas for providers: the review list's query, their staff."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.models.providers import PROVIDER_STATES


class ProviderListQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(PROVIDER_STATES))
    q = ma.fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "name or credit code"})



class StaffSchema(ma.Schema):
    grant_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "masked"})
    claimed = ma.fields.Boolean(metadata={"description": "the person has bound the phone in the mini-program"})
    since = ma.fields.AwareDateTime()



class StaffAddSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    phone = ma.fields.String(required=True, validate=validate.Length(equal=11))
