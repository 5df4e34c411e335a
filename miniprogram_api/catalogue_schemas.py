"""The mini-program's own schemas for the one catalogue of services residents browse."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.provider_schemas import ProviderRefSchema, SlotSchema
from backend.api.schemas import Id, RegionRefSchema
from backend.models.providers import SERVICE_CATEGORIES


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
