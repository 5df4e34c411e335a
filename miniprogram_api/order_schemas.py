"""The mini-program's own schemas for orders: placing one, paying it."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import Id, unique_client_id

DATE = r"^\d{4}-\d{2}-\d{2}$"


class OrderCreateSchema(ma.Schema):
    client_id = ma.fields.String(required=True, validate=validate.Length(8, 64),
                                 metadata=unique_client_id("user", "order"))
    offering_id = Id(required=True)
    region_id = Id(required=True,
                                  metadata={"description": "where the service is given (your community or grid)"})
    address = ma.fields.String(required=True, validate=validate.Length(2, 200))
    quantity = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100),
                                 metadata={"description": "visits, hours or months, by the offering's unit"})
    slot_id = Id()
    service_date = ma.fields.String(validate=validate.Regexp(DATE))
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))



class PaymentParamsSchema(ma.Schema):
    """Exactly what wx.requestPayment takes (signType RSA: WeChat Pay API v3)."""
    appId = ma.fields.String()
    timeStamp = ma.fields.String()
    nonceStr = ma.fields.String()
    package = ma.fields.String()
    signType = ma.fields.String()
    paySign = ma.fields.String()
