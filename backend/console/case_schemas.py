"""The console's own schemas for cases: a case filed by a machine (an API client)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.case_schemas import LocationSchema
from backend.api.schemas import Id, unique_client_id


class MachineCaseSchema(LocationSchema):
    client_id = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$"),
                                 metadata=unique_client_id("API client", "case"))
    category_id = Id(required=True)
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    address = ma.fields.String(validate=validate.Length(max=200), load_default=None)
    attributes = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
