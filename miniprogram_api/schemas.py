"""Request and response schemas of the mini-program face, one per purpose."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import COUNTY_LAT, COUNTY_LNG, RegionRefSchema, UserSchema
from backend.services.geo.coords import SYSTEMS


class CodeSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=256),
                            metadata={"description": "the code wx.login (or getPhoneNumber) gave"})


class LoginResultSchema(ma.Schema):
    token = ma.fields.String(metadata={"description": "send as Authorization: Bearer <token>"})
    expires_at = ma.fields.AwareDateTime()
    user = ma.fields.Nested(UserSchema)


class PhoneBoundSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema)
    token = ma.fields.String(allow_none=True, metadata={
        "description": "set when the phone claimed an account an administrator provisioned: "
                       "use it from now on (the old token is revoked)"})


class LocateQuerySchema(ma.Schema):
    lng = ma.fields.Float(required=True, validate=validate.Range(-180, 180), metadata=COUNTY_LNG)
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90), metadata=COUNTY_LAT)
    coord_system = ma.fields.String(required=True, validate=validate.OneOf(SYSTEMS), metadata={
        "description": "the type wx.getLocation was called with: gcj02 or wgs84"})


class LocatedSchema(ma.Schema):
    region = ma.fields.Nested(RegionRefSchema, metadata={"description": "the deepest region containing the point"})
    grid = ma.fields.Nested(RegionRefSchema, allow_none=True)
    path = ma.fields.List(ma.fields.Nested(RegionRefSchema), metadata={"description": "county first"})
    lng = ma.fields.Float()
    lat = ma.fields.Float()
    coord_system = ma.fields.String(metadata={"description": "the datum lng/lat are given in (gcj02)"})


class SubscribeResultSchema(ma.Schema):
    results = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
                             values=ma.fields.String(), required=True,
                             validate=validate.Length(min=1, max=20),
                             metadata={"description": "wx.requestSubscribeMessage's answer: "
                                                      "template id -> accept | reject | ban | filter"})


class SubscriptionsSchema(ma.Schema):
    templates = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                               metadata={"description": "step -> template id"})
    available = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                               metadata={"description": "step -> messages accepted and not yet sent"})


class UploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
