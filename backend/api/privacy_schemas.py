"""Schemas of a reveal (an audited unmasking of a case's personal data), shared by both faces."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import Id
from backend.services.privacy.reveal import WHAT


class RevealSchema(ma.Schema):
    what = ma.fields.String(required=True, validate=validate.OneOf(WHAT), metadata={
        "description": "reporter_phone, supporter_phone (with user_id) or free_text"})
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200), metadata={
        "description": "why you need it (kept in the audit trail)"})
    user_id = Id(metadata={"description": "the supporter, for supporter_phone"})

    @ma.validates_schema
    def _supporter_named(self, data, **_kwargs):
        if data.get("what") == "supporter_phone" and not data.get("user_id"):
            raise ma.ValidationError("name the supporter", "user_id")


class RevealedTextEntrySchema(ma.Schema):
    seq = ma.fields.Integer()
    payload = ma.fields.Dict()


class RevealedSchema(ma.Schema):
    """The whole value: a phone (with whose it is) or the case's free text as written."""
    case_id = ma.fields.Integer()
    what = ma.fields.String()
    user_id = ma.fields.Integer()
    phone = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    attributes = ma.fields.Dict()
    timeline = ma.fields.List(ma.fields.Nested(RevealedTextEntrySchema))
