"""Output schemas both faces use for the same objects."""
from __future__ import annotations

import marshmallow as ma


class RegionRefSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()


class DepartmentRefSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()


class GrantSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    role = ma.fields.String()
    region = ma.fields.Nested(RegionRefSchema, allow_none=True)
    department = ma.fields.Nested(DepartmentRefSchema, allow_none=True)
    created_at = ma.fields.AwareDateTime()


class UserSchema(ma.Schema):
    """A person as shown to anyone: the phone is always masked."""
    id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(attribute="phone_masked", allow_none=True,
                             metadata={"description": "masked, e.g. 138****1234"})
    active = ma.fields.Boolean()
    grants = ma.fields.List(ma.fields.Nested(GrantSchema))
