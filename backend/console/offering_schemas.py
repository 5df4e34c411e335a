"""The console's own schemas for offerings and their slots (provider staff edit them)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.provider_schemas import SlotSchema, distinct
from backend.api.schemas import VERSION, Id, RegionRefSchema
from backend.models.providers import OFFERING_STATES, PRICE_UNITS, SERVICE_CATEGORIES
from backend.services.providers.offerings import MAX_PRICE_FEN


class OfferingUpdateSchema(ma.Schema):
    version = ma.fields.Integer(validate=VERSION, metadata={"description": "the offering version you read"})
    title = ma.fields.String(validate=validate.Length(min=1, max=100))
    category = ma.fields.String(validate=validate.OneOf(SERVICE_CATEGORIES))
    description = ma.fields.String(validate=validate.Length(max=2000))
    price_fen = ma.fields.Integer(strict=True, validate=validate.Range(1, MAX_PRICE_FEN),
                                  metadata={"description": "price per unit, in fen"})
    unit = ma.fields.String(validate=validate.OneOf(PRICE_UNITS))
    daily_capacity = ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 10_000))
    area_region_ids = ma.fields.List(Id(), validate=[validate.Length(min=1, max=50), distinct], metadata={
        "description": "inside the provider's areas; default: the provider's areas"})



class OfferingCreateSchema(OfferingUpdateSchema):
    class Meta:
        exclude = ("version",)

    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    category = ma.fields.String(required=True, validate=validate.OneOf(SERVICE_CATEGORIES))
    price_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_PRICE_FEN))
    unit = ma.fields.String(required=True, validate=validate.OneOf(PRICE_UNITS))



class VersionSchema(ma.Schema):
    version = ma.fields.Integer(validate=VERSION, metadata={"description": "the offering version you read"})



class OfferingListQuerySchema(ma.Schema):
    provider_id = Id()
    status = ma.fields.String(validate=validate.OneOf(OFFERING_STATES))



class SlotSpecSchema(ma.Schema):
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    capacity = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, 1000))



class SlotsCreateSchema(ma.Schema):
    slots = ma.fields.List(ma.fields.Nested(SlotSpecSchema), required=True, validate=validate.Length(min=1, max=100))



class SlotUpdateSchema(ma.Schema):
    capacity = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, 1000))



class OfferingSchema(ma.Schema):
    id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    title = ma.fields.String()
    category = ma.fields.String()
    description = ma.fields.String()
    price_fen = ma.fields.Integer()
    unit = ma.fields.String()
    daily_capacity = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    version = ma.fields.Integer()
    updated_at = ma.fields.AwareDateTime()



class OfferingDetailSchema(OfferingSchema):
    areas = ma.fields.List(ma.fields.Nested(RegionRefSchema))
    slots = ma.fields.List(ma.fields.Nested(SlotSchema), metadata={"description": "slots not yet started"})
