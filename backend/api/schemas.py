"""Output schemas both faces use for the same objects."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

# Ids are 32-bit keys: bounded in URLs and bodies, so a 20-digit id is a 404 or 422,
# not an overflow inside the database driver.
MAX_ID = 2**31 - 1
ID = f"int(min=1, max={MAX_ID})"


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802  (a field factory, used like a class)
    return ma.fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


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
    """A person as one viewer sees them (services.people.Person): phone always masked,
    only the grants that viewer may see."""
    id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(attribute="phone_masked", allow_none=True,
                             metadata={"description": "masked, e.g. 138****1234"})
    active = ma.fields.Boolean()
    grants = ma.fields.List(ma.fields.Nested(GrantSchema))


