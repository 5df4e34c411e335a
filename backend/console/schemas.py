"""Request and response schemas of the console face, one per purpose."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import Id, RegionRefSchema
from backend.models.outbox import OUTCOMES
from backend.models.people import ROLES
from backend.models.regions import LEVELS

NAME = validate.Length(min=1, max=64)


class RegionSchema(RegionRefSchema):
    kind = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)
    owner = ma.fields.String(allow_none=True)
    has_geometry = ma.fields.Function(lambda r: r.geometry is not None)
    updated_at = ma.fields.AwareDateTime()


class RegionTreeSchema(ma.Schema):
    region = ma.fields.Nested(RegionSchema)
    children = ma.fields.List(ma.fields.Nested(lambda: RegionTreeSchema()))


class RegionDetailSchema(RegionSchema):
    geometry = ma.fields.Dict(allow_none=True, metadata={"description": "GeoJSON, GCJ-02"})
    ancestors = ma.fields.List(ma.fields.Nested(RegionRefSchema))


class RegionCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{6,15}$"))
    name = ma.fields.String(required=True, validate=NAME)
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    kind = ma.fields.String(validate=validate.Length(max=16))
    parent_id = Id(allow_none=True)
    owner = ma.fields.String(allow_none=True, validate=validate.Length(max=128))
    geometry = ma.fields.Dict(allow_none=True)


class RegionUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    kind = ma.fields.String(validate=validate.Length(max=16))
    owner = ma.fields.String(allow_none=True, validate=validate.Length(max=128))
    geometry = ma.fields.Dict(allow_none=True)


class RegionListQuerySchema(ma.Schema):
    parent_id = Id()
    level = ma.fields.String(validate=validate.OneOf(LEVELS))


class GridImportQuerySchema(ma.Schema):
    update_existing = ma.fields.Boolean(load_default=False, metadata={
        "description": "replace grids whose code exists (otherwise a duplicate code is refused)"})


class GridPropertiesSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # GeoJSON files carry other properties; only these are read

    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{15}$"))
    name = ma.fields.String(required=True, validate=NAME)
    owner = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=128))


class FeatureSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # GeoJSON allows foreign members (id, bbox, ...)

    type = ma.fields.String(required=True, validate=validate.Equal("Feature"))
    properties = ma.fields.Nested(GridPropertiesSchema, required=True)
    geometry = ma.fields.Dict(required=True, metadata={"description": "Polygon or MultiPolygon"})


class FeatureCollectionSchema(ma.Schema):
    """A GeoJSON FeatureCollection of grids: properties code (15 digits), name, owner."""
    class Meta:
        unknown = ma.EXCLUDE

    type = ma.fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = ma.fields.List(ma.fields.Nested(FeatureSchema), required=True,
                              validate=validate.Length(min=1, max=5000))


class DepartmentSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    region = ma.fields.Nested(RegionRefSchema)
    parent_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()


class DepartmentCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$"))
    name = ma.fields.String(required=True, validate=NAME)
    region_id = Id(required=True)
    parent_id = Id(allow_none=True)


class DepartmentUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    active = ma.fields.Boolean()


class DepartmentQuerySchema(ma.Schema):
    region_id = Id()


class GrantCreateSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    region_id = Id(allow_none=True)
    department_id = Id(allow_none=True)


class UserCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    phone = ma.fields.String(required=True, validate=validate.Length(equal=11))
    grant = ma.fields.Nested(GrantCreateSchema, required=True)


class UserUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    phone = ma.fields.String(validate=validate.Length(equal=11))
    active = ma.fields.Boolean()


class UserQuerySchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    role = ma.fields.String(validate=validate.OneOf(ROLES))


class UserSearchSchema(UserQuerySchema):
    phone = ma.fields.String(validate=validate.Length(equal=11))


class AuditEntrySchema(ma.Schema):
    """On an anonymous case, whatever names its reporter is null (actor, object, people in
    the snapshots) for everyone but the reporter."""
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String(metadata={"description": "e.g. grant.create, user.update, reveal"})
    object_type = ma.fields.String()
    object_id = ma.fields.String(allow_none=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)


class AuditDaysSchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", metadata={"description": "first Beijing day, YYYY-MM-DD"})
    to = ma.fields.Date(metadata={"description": "last Beijing day (included), YYYY-MM-DD"})


class AuditQuerySchema(AuditDaysSchema):
    object_type = ma.fields.String(validate=validate.Length(max=32))
    object_id = ma.fields.String(validate=validate.Length(max=64))


class AuditExportQuerySchema(AuditDaysSchema):
    pass


class CategoryUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    departments = ma.fields.List(ma.fields.String(validate=validate.Length(max=32)))
    urgency = ma.fields.String(validate=validate.Length(max=16))
    fields = ma.fields.List(ma.fields.Dict())
    limits = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict())
    active = ma.fields.Boolean()


class CalendarQuerySchema(ma.Schema):
    year = ma.fields.Integer(required=True, validate=validate.Range(2000, 2100))


class CalendarDaySchema(ma.Schema):
    day = ma.fields.Date()
    kind = ma.fields.String()
    note = ma.fields.String(allow_none=True)


class CalendarDayUpdateSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(("holiday", "makeup_workday")))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=64))


class ApiClientSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    region_id = ma.fields.Integer()
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class ApiClientCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    kind = ma.fields.String(required=True, validate=validate.OneOf(("sensor", "external")))
    region_id = Id(required=True)


class ApiClientCreatedSchema(ma.Schema):
    client = ma.fields.Nested(ApiClientSchema)
    key = ma.fields.String(metadata={"description": "send as X-Api-Key; shown only once"})


class EffectQuerySchema(ma.Schema):
    outcome = ma.fields.String(validate=validate.OneOf(("pending",) + OUTCOMES))


class EffectSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "push | subscribe_message"})
    case_id = ma.fields.Integer(allow_none=True)
    recipient_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "null for a case's pushes, and for messages to an anonymous case's reporter"})
    payload = ma.fields.Dict()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True, metadata={"description": "null while pending"})
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
