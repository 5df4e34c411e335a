"""Schemas of providers, offerings and the catalogue, one per purpose, for both faces."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import Id, RegionRefSchema
from backend.models.people import mask_phone
from backend.models.providers import OFFERING_STATES, PRICE_UNITS, PROVIDER_STATES, SERVICE_CATEGORIES
from backend.services.providers.offerings import MAX_PRICE_FEN


def _distinct(values) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError("must not repeat")


def rating_average(provider) -> float | None:
    return round(provider.rating_sum / provider.rating_count, 1) if provider.rating_count else None


# --- providers -------------------------------------------------------------------------------

class ProviderApplySchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    credit_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "统一社会信用代码, 18 characters, checked against GB 32100"})
    contact_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    contact_phone = ma.fields.String(required=True, validate=validate.Length(min=5, max=20))
    categories = ma.fields.List(ma.fields.String(validate=validate.OneOf(SERVICE_CATEGORIES)), required=True,
                                validate=[validate.Length(min=1, max=len(SERVICE_CATEGORIES)), _distinct])
    area_region_ids = ma.fields.List(Id(), required=True, validate=[validate.Length(min=1, max=50), _distinct],
                                     metadata={"description": "counties, townships or communities served"})
    licence_photo_ids = ma.fields.List(Id(), required=True, validate=[validate.Length(min=1, max=9), _distinct],
                                       metadata={"description": "uploaded first (POST /api/mp/photos)"})
    qualification_photo_ids = ma.fields.List(Id(), load_default=list, validate=[validate.Length(max=9), _distinct])
    client_id = ma.fields.String(validate=validate.Length(min=8, max=64), metadata={
        "description": "generated on the phone: the same id again returns the first application"})


class ProviderUpdateSchema(ma.Schema):
    version = ma.fields.Integer(metadata={"description": "the provider version you read"})
    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    contact_name = ma.fields.String(validate=validate.Length(min=1, max=64))
    contact_phone = ma.fields.String(validate=validate.Length(min=5, max=20))
    categories = ma.fields.List(ma.fields.String(validate=validate.OneOf(SERVICE_CATEGORIES)),
                                validate=[validate.Length(min=1, max=len(SERVICE_CATEGORIES)), _distinct])
    area_region_ids = ma.fields.List(Id(), validate=[validate.Length(min=1, max=50), _distinct])
    licence_photo_ids = ma.fields.List(Id(), validate=[validate.Length(min=1, max=9), _distinct])
    qualification_photo_ids = ma.fields.List(Id(), validate=[validate.Length(max=9), _distinct])


class ProviderActionSchema(ma.Schema):
    version = ma.fields.Integer(required=True, metadata={"description": "the provider version you read"})
    payload = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class ProviderListQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(PROVIDER_STATES))
    q = ma.fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "name or credit code"})


class ProviderRefSchema(ma.Schema):
    """A provider as residents see it beside an offering."""
    id = ma.fields.Integer()
    name = ma.fields.String()
    rating_average = ma.fields.Function(rating_average, allow_none=True,
                                        metadata={"description": "mean rating, one decimal; null before any"})
    rating_count = ma.fields.Integer()


class ProviderSummarySchema(ProviderRefSchema):
    credit_code = ma.fields.String()
    status = ma.fields.String()
    status_reason = ma.fields.String(allow_none=True)
    categories = ma.fields.List(ma.fields.String())
    contact_name = ma.fields.String()
    contact_phone = ma.fields.Function(lambda p: mask_phone(p.contact_phone), metadata={"description": "masked"})
    applicant_id = ma.fields.Integer()
    version = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class DocumentSchema(ma.Schema):
    photo_id = ma.fields.Integer(metadata={"description": "GET /api/mp/photos/{id}/display"})
    kind = ma.fields.String()


class ProviderLogSchema(ma.Schema):
    seq = ma.fields.Integer()
    action = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True)
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String()
    payload = ma.fields.Dict()
    at = ma.fields.AwareDateTime()


class ProviderDetailSchema(ProviderSummarySchema):
    sub_mchid = ma.fields.String(allow_none=True)
    areas = ma.fields.List(ma.fields.Nested(RegionRefSchema))
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema))
    timeline = ma.fields.List(ma.fields.Nested(ProviderLogSchema))
    actions = ma.fields.List(ma.fields.String(), metadata={"description": "review steps you may take now"})


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


# --- offerings -------------------------------------------------------------------------------

class OfferingUpdateSchema(ma.Schema):
    version = ma.fields.Integer(metadata={"description": "the offering version you read"})
    title = ma.fields.String(validate=validate.Length(min=1, max=100))
    category = ma.fields.String(validate=validate.OneOf(SERVICE_CATEGORIES))
    description = ma.fields.String(validate=validate.Length(max=2000))
    price_fen = ma.fields.Integer(strict=True, validate=validate.Range(1, MAX_PRICE_FEN),
                                  metadata={"description": "price per unit, in fen"})
    unit = ma.fields.String(validate=validate.OneOf(PRICE_UNITS))
    daily_capacity = ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 10_000))
    area_region_ids = ma.fields.List(Id(), validate=[validate.Length(min=1, max=50), _distinct], metadata={
        "description": "inside the provider's areas; default: the provider's areas"})


class OfferingCreateSchema(OfferingUpdateSchema):
    class Meta:
        exclude = ("version",)

    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    category = ma.fields.String(required=True, validate=validate.OneOf(SERVICE_CATEGORIES))
    price_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_PRICE_FEN))
    unit = ma.fields.String(required=True, validate=validate.OneOf(PRICE_UNITS))


class VersionSchema(ma.Schema):
    version = ma.fields.Integer(metadata={"description": "the offering version you read"})


class OfferingListQuerySchema(ma.Schema):
    provider_id = Id()
    status = ma.fields.String(validate=validate.OneOf(OFFERING_STATES))


class SlotSchema(ma.Schema):
    id = ma.fields.Integer()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    capacity = ma.fields.Integer()
    booked = ma.fields.Integer()
    available = ma.fields.Function(lambda s: s.capacity - s.booked)


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


# --- the catalogue -------------------------------------------------------------------------

class CatalogueQuerySchema(ma.Schema):
    region_id = Id(required=True, metadata={
        "description": "where the resident lives (GET /api/mp/locate gives it from a position)"})
    q = ma.fields.String(validate=validate.Length(min=1, max=50),
                         metadata={"description": "words in the title, description or provider name"})
    category = ma.fields.String(validate=validate.OneOf(SERVICE_CATEGORIES))


class CatalogueEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    category = ma.fields.String()
    description = ma.fields.String()
    price_fen = ma.fields.Integer()
    unit = ma.fields.String()
    provider = ma.fields.Nested(ProviderRefSchema)


class CatalogueDetailSchema(CatalogueEntrySchema):
    daily_capacity = ma.fields.Integer(allow_none=True)
    areas = ma.fields.List(ma.fields.Nested(RegionRefSchema))
    slots = ma.fields.List(ma.fields.Nested(SlotSchema), metadata={"description": "coming slots with room left"})
