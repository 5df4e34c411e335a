"""Request and response schemas of the console's money views, one per purpose."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.models.orders import ACCOUNTS, MOVEMENTS, REFUND_STATES, SETTLEMENT_RESOLUTIONS, SETTLEMENT_STATES
from backend.services.finance import problems
from backend.services.finance.reconciliation import KINDS, STATUSES

FEN = {"description": "integer fen (1 yuan = 100 fen)"}


class RefundQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(REFUND_STATES))


class RefundSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    out_trade_no = ma.fields.Function(lambda r: r.order.out_trade_no)
    provider_id = ma.fields.Function(lambda r: r.order.provider_id)
    out_refund_no = ma.fields.String()
    amount_fen = ma.fields.Integer(metadata=FEN)
    reason = ma.fields.String()
    status = ma.fields.String(metadata={"description": " | ".join(REFUND_STATES)})
    refund_id = ma.fields.String(allow_none=True, metadata={"description": "WeChat's refund number"})
    retry_of_id = ma.fields.Integer(allow_none=True, metadata={"description": "the closed refund this asks for again"})
    created_at = ma.fields.AwareDateTime()
    settled_at = ma.fields.AwareDateTime(allow_none=True)


class RunQuerySchema(ma.Schema):
    bill_date = ma.fields.Date(metadata={"description": "YYYY-MM-DD, Beijing"})


class RunCreateSchema(ma.Schema):
    bill_date = ma.fields.Date(required=True, metadata={"description": "YYYY-MM-DD (Beijing), before today"})


class RunSchema(ma.Schema):
    id = ma.fields.Integer()
    bill_date = ma.fields.String(metadata={"description": "YYYY-MM-DD, Beijing"})
    county_id = ma.fields.Function(
        lambda run: int(run.scope_path.strip("/")) if run.scope_path else None, allow_none=True,
        metadata={"description": "the county whose money the run compares; null: the whole bill (the platform's)"})
    status = ma.fields.String(metadata={"description": " | ".join(STATUSES)})
    bill_rows = ma.fields.Integer(metadata={"description": "lines in WeChat's bill"})
    matched = ma.fields.Integer(metadata={"description": "bill lines that matched ours"})
    mismatched = ma.fields.Integer(metadata={"description": "mismatches found"})
    error = ma.fields.String(allow_none=True, metadata={"description": "why the bill could not be had"})
    started_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime(allow_none=True)


class MismatchSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": " | ".join(KINDS)})
    out_trade_no = ma.fields.String(allow_none=True)
    out_refund_no = ma.fields.String(allow_none=True)
    ours_fen = ma.fields.Integer(allow_none=True, metadata=FEN)
    theirs_fen = ma.fields.Integer(allow_none=True, metadata=FEN)
    detail = ma.fields.Dict()


class RunDetailSchema(RunSchema):
    mismatches = ma.fields.List(ma.fields.Nested(MismatchSchema))


class TotalsQuerySchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", metadata={"description": "first Beijing day, YYYY-MM-DD"})
    to = ma.fields.Date(metadata={"description": "last Beijing day (included), YYYY-MM-DD"})


class ProviderTotalsSchema(ma.Schema):
    provider_id = ma.fields.Integer()
    provider_name = ma.fields.String()
    orders_paid = ma.fields.Integer()
    paid_fen = ma.fields.Integer(metadata=FEN)
    refunded_fen = ma.fields.Integer(metadata=FEN)
    provider_fen = ma.fields.Integer(metadata={"description": "shared to the provider (profit_share)"})
    platform_fee_fen = ma.fields.Integer(metadata=FEN)
    held_fen = ma.fields.Integer(metadata={"description": "escrow's net change: paid, not yet refunded or shared"})


class LedgerEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    movement = ma.fields.String(metadata={"description": " | ".join(MOVEMENTS)})
    account = ma.fields.String(metadata={"description": " | ".join(ACCOUNTS)})
    amount_fen = ma.fields.Integer(metadata={"description": "signed fen: the two legs of a movement sum to zero"})
    reference = ma.fields.String(metadata={"description": "transaction id, refund or profit-share number"})
    at = ma.fields.AwareDateTime()


class OrderBooksSchema(ma.Schema):
    order_id = ma.fields.Integer()
    out_trade_no = ma.fields.String()
    provider_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer(metadata=FEN)
    paid_fen = ma.fields.Integer(metadata=FEN)
    refunded_fen = ma.fields.Integer(metadata=FEN)
    refund_pending_fen = ma.fields.Integer(metadata=FEN)
    entries = ma.fields.List(ma.fields.Nested(LedgerEntrySchema))
    balances = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              metadata={"description": "account -> fen"})
    problems = ma.fields.List(ma.fields.String(), metadata={"description": "empty when the books hold"})


class SettlementSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    out_order_no = ma.fields.String(metadata={"description": "our profit-share number at WeChat Pay"})
    provider_fen = ma.fields.Integer(metadata=FEN)
    fee_fen = ma.fields.Integer(metadata={"description": "the platform fee asked for, fen"})
    status = ma.fields.String(metadata={"description": " | ".join(SETTLEMENT_STATES)})
    queries = ma.fields.Integer(metadata={"description": "queries to WeChat Pay since it was sent"})
    next_query_at = ma.fields.AwareDateTime(allow_none=True)
    unknown_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "when WeChat Pay was found not to know it (no longer asked about)"})
    resolution = ma.fields.String(allow_none=True, metadata={
        "description": " | ".join(SETTLEMENT_RESOLUTIONS) + ": what the county did about it"})
    created_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime(allow_none=True)


class LedgerProblemSchema(ma.Schema):
    order_id = ma.fields.Integer()
    out_trade_no = ma.fields.String()
    order_state = ma.fields.String()
    provider_id = ma.fields.Integer()
    provider_name = ma.fields.String()
    escrow_fen = ma.fields.Integer(metadata={"description": "what WeChat Pay still holds for the order, fen"})
    completed_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "when the service was completed"})
    expected_by = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "completed_at + SETTLEMENT_EXPECTED_DAYS"})
    kinds = ma.fields.List(ma.fields.String(), metadata={"description": " | ".join(problems.KINDS)})
    settlement = ma.fields.Nested(SettlementSchema, allow_none=True)
    actions = ma.fields.List(ma.fields.String(), metadata={
        "description": "POST /api/console/settlements/{settlement.id}/{action}: " + " | ".join(problems.ACTIONS)})
