"""Schemas of the marketplace's orders, one per purpose, shared by both faces."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.schemas import VERSION
from workflows.order_flow import STATES


class OrderQuerySchema(ma.Schema):
    state = ma.fields.String(validate=validate.OneOf([s.name for s in STATES]))
    provider_id = ma.fields.Integer(validate=validate.Range(min=1))


class OrderSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    out_trade_no = ma.fields.String()
    title = ma.fields.String()
    offering_id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    region_id = ma.fields.Integer()
    state = ma.fields.String()
    quantity = ma.fields.Integer()
    unit_price_fen = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    refunded_fen = ma.fields.Integer()
    refund_pending_fen = ma.fields.Integer()
    service_date = ma.fields.String(allow_none=True)
    slot_id = ma.fields.Integer(allow_none=True)
    pay_expires_at = ma.fields.AwareDateTime()
    rating = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()


class OrderLogSchema(ma.Schema):
    seq = ma.fields.Integer()
    action = ma.fields.String()
    actor_role = ma.fields.String()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String()
    payload = ma.fields.Dict()
    at = ma.fields.AwareDateTime()


class OrderRefundSchema(ma.Schema):
    out_refund_no = ma.fields.String()
    amount_fen = ma.fields.Integer()
    reason = ma.fields.String()
    status = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    settled_at = ma.fields.AwareDateTime(allow_none=True)


class OrderDetailSchema(OrderSummarySchema):
    address = ma.fields.String()
    note = ma.fields.String()
    rating_comment = ma.fields.String(allow_none=True)
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    timeline = ma.fields.List(ma.fields.Nested(OrderLogSchema))
    refunds = ma.fields.List(ma.fields.Nested(OrderRefundSchema))
    available_actions = ma.fields.List(ma.fields.String())


class OrderActionSchema(ma.Schema):
    version = ma.fields.Integer(validate=VERSION, required=True, metadata={"description": "the order version you read"})
    payload = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


