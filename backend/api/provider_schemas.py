"""Schemas of providers, offerings and the catalogue, one per purpose, for both faces."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import VERSION, Id, RegionRefSchema, unique_client_id
from backend.models.people import mask_phone
from backend.models.providers import SERVICE_CATEGORIES


def distinct(values) -> None:
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
                                validate=[validate.Length(min=1, max=len(SERVICE_CATEGORIES)), distinct])
    area_region_ids = ma.fields.List(Id(), required=True, validate=[validate.Length(min=1, max=50), distinct],
                                     metadata={"description": "counties, townships or communities served"})
    licence_photo_ids = ma.fields.List(Id(), required=True, validate=[validate.Length(min=1, max=9), distinct],
                                       metadata={"description": "uploaded first (POST /api/mp/photos)"})
    qualification_photo_ids = ma.fields.List(Id(), load_default=list, validate=[validate.Length(max=9), distinct])
    client_id = ma.fields.String(validate=validate.Length(min=8, max=64),
                                 metadata=unique_client_id("user", "application"))


class ProviderUpdateSchema(ma.Schema):
    version = ma.fields.Integer(validate=VERSION, metadata={"description": "the provider version you read"})
    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    contact_name = ma.fields.String(validate=validate.Length(min=1, max=64))
    contact_phone = ma.fields.String(validate=validate.Length(min=5, max=20))
    categories = ma.fields.List(ma.fields.String(validate=validate.OneOf(SERVICE_CATEGORIES)),
                                validate=[validate.Length(min=1, max=len(SERVICE_CATEGORIES)), distinct])
    area_region_ids = ma.fields.List(Id(), validate=[validate.Length(min=1, max=50), distinct])
    licence_photo_ids = ma.fields.List(Id(), validate=[validate.Length(min=1, max=9), distinct])
    qualification_photo_ids = ma.fields.List(Id(), validate=[validate.Length(max=9), distinct])


class ProviderActionSchema(ma.Schema):
    version = ma.fields.Integer(validate=VERSION, required=True,
                                metadata={"description": "the provider version you read"})
    payload = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


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


# --- offerings -------------------------------------------------------------------------------


class SlotSchema(ma.Schema):
    id = ma.fields.Integer()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    capacity = ma.fields.Integer()
    booked = ma.fields.Integer()
    available = ma.fields.Function(lambda s: s.capacity - s.booked)


# --- the catalogue -------------------------------------------------------------------------


