"""What the WeChat Pay client hands its callers: exceptions and plain frozen records.

Amounts are integer fen (WeChat's own unit in API v3), times UTC-aware datetimes; ``raw``
keeps WeChat's JSON for whatever a caller needs that the record leaves out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


class PayError(Exception):
    """WeChat Pay said no: ``status`` is the HTTP status, ``code`` WeChat's (``ORDER_NOT_EXIST``,
    ``NOT_ENOUGH``, ``ORDERPAID``, ...)."""

    def __init__(self, status: int | None, code: str, message: str = ""):
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message

    def __str__(self) -> str:
        return f"WeChat Pay {self.status} {self.code}: {self.message}"


class PayUnavailable(Exception):
    """No trustworthy answer now (timeout, connection, 5xx, SYSTEM_ERROR, a response whose
    signature does not verify): try again later, and query before assuming anything."""


class NotificationRefused(Exception):
    """A notification not to act on; answer WeChat 4xx. ``reason`` is one of REFUSAL_REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail

    def __str__(self) -> str:
        return f"notification refused ({self.reason}){': ' + self.detail if self.detail else ''}"


REFUSAL_REASONS = ("signtest_probe", "bad_signature", "stale_timestamp", "unknown_serial",
                   "bad_body", "decrypt_failed")


def parse_time(value) -> datetime | None:
    """WeChat's RFC 3339 time (``2026-09-21T14:00:00+08:00``) as UTC; None if absent."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Trade:
    """A transaction as WeChat reports it (query answer or TRANSACTION.* resource)."""
    out_trade_no: str
    sub_mchid: str
    trade_state: str    # SUCCESS | NOTPAY | CLOSED | REFUND | USERPAYING | PAYERROR | REVOKED
    transaction_id: str | None
    total_fen: int | None
    payer_total_fen: int | None
    sp_appid: str | None
    sp_mchid: str | None
    success_time: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_resource(cls, data: dict) -> Trade:
        amount = data.get("amount") or {}
        return cls(out_trade_no=data["out_trade_no"], sub_mchid=data.get("sub_mchid", ""),
                   trade_state=data["trade_state"], transaction_id=data.get("transaction_id") or None,
                   total_fen=amount.get("total"), payer_total_fen=amount.get("payer_total"),
                   sp_appid=data.get("sp_appid"), sp_mchid=data.get("sp_mchid"),
                   success_time=parse_time(data.get("success_time")), raw=data)


@dataclass(frozen=True)
class RefundResult:
    """A refund (create or query answer, or REFUND.* resource)."""
    out_refund_no: str
    out_trade_no: str
    refund_id: str | None
    status: str         # SUCCESS | CLOSED | PROCESSING | ABNORMAL
    refund_fen: int
    total_fen: int
    sub_mchid: str | None
    success_time: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_resource(cls, data: dict) -> RefundResult:
        amount = data.get("amount") or {}
        # The refund API says "status", the refund notification "refund_status".
        return cls(out_refund_no=data["out_refund_no"], out_trade_no=data["out_trade_no"],
                   refund_id=data.get("refund_id") or None,
                   status=data.get("status") or data["refund_status"],
                   refund_fen=int(amount["refund"]), total_fen=int(amount["total"]),
                   sub_mchid=data.get("sub_mchid"), success_time=parse_time(data.get("success_time")),
                   raw=data)


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification; ``resource`` is the plaintext JSON."""
    id: str
    event_type: str     # TRANSACTION.SUCCESS | REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED
    created_at: datetime | None
    resource: dict = field(repr=False)

    def trade(self) -> Trade:
        return Trade.from_resource(self.resource)

    def refund(self) -> RefundResult:
        return RefundResult.from_resource(self.resource)
