"""WeChat Pay's trade bill (交易账单, bill_type ALL) as records.

The file is CSV: a header line of Chinese column names, one line per payment or refund with
every value prefixed by a backtick (so spreadsheets keep long numbers as text), then a
summary header and one summary line. Amounts are yuan with two decimals (the fee with five).
Columns are found by name, so a column WeChat adds or moves does not shift the others.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CHINA = timezone(timedelta(hours=8))

# BillRow field -> the column WeChat names it by.
COLUMNS = {
    "trade_time": "交易时间", "sp_appid": "公众账号ID", "sp_mchid": "商户号", "sub_mchid": "特约商户号",
    "transaction_id": "微信订单号", "out_trade_no": "商户订单号", "trade_state": "交易状态",
    "total_fen": "订单金额", "refund_id": "微信退款单号", "out_refund_no": "商户退款单号",
    "refund_fen": "退款金额", "refund_status": "退款状态", "fee_fen": "手续费",
}
MONEY_FIELDS = ("total_fen", "refund_fen", "fee_fen")
# Older bills lack 订单金额; 应结订单金额 is the same figure when no coupon was used.
FALLBACK_COLUMNS = {"订单金额": "应结订单金额"}
SUMMARY_FIRST_COLUMN = "总交易单数"


class BillFormatError(ValueError):
    """The bill is not in the format this parser knows."""


@dataclass(frozen=True)
class BillRow:
    trade_time: datetime        # UTC-aware (the bill shows Beijing time)
    sp_appid: str
    sp_mchid: str
    sub_mchid: str
    transaction_id: str
    out_trade_no: str
    trade_state: str            # SUCCESS for a payment line, REFUND for a refund line
    total_fen: int
    refund_id: str | None
    out_refund_no: str | None
    refund_fen: int
    refund_status: str | None
    fee_fen: int                # negative on a refund line: the fee WeChat gives back


def parse_trade_bill(text: str) -> list[BillRow]:
    """The payment and refund lines of a trade bill (summary lines skipped)."""
    lines = [line for line in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(line)]
    if not lines:
        return []
    header = [name.strip() for name in lines[0]]
    where = _column_positions(header)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if line[0].strip().lstrip("`") == SUMMARY_FIRST_COLUMN:
            break
        values = [value.strip().removeprefix("`") for value in line]
        if len(values) != len(header):
            raise BillFormatError(f"line {number} has {len(values)} values, the header {len(header)}")
        rows.append(_row({field: values[index] for field, index in where.items()}, number))
    return rows


def _column_positions(header: list[str]) -> dict[str, int]:
    positions = {}
    for field, name in COLUMNS.items():
        if name not in header:
            name = FALLBACK_COLUMNS.get(name, name)
        if name not in header:
            raise BillFormatError(f"the bill has no column {COLUMNS[field]}")
        positions[field] = header.index(name)
    return positions


def _row(values: dict[str, str], number: int) -> BillRow:
    try:
        moment = datetime.strptime(values["trade_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
        money = {field: fen(values[field]) for field in MONEY_FIELDS}
    except (ValueError, InvalidOperation) as error:
        raise BillFormatError(f"line {number}: {error}") from None
    return BillRow(
        trade_time=moment.astimezone(UTC), sp_appid=values["sp_appid"],
        sp_mchid=values["sp_mchid"], sub_mchid=values["sub_mchid"],
        transaction_id=values["transaction_id"], out_trade_no=values["out_trade_no"],
        trade_state=values["trade_state"], refund_id=values["refund_id"] or None,
        out_refund_no=values["out_refund_no"] or None, refund_status=values["refund_status"] or None,
        **money)


def fen(yuan: str) -> int:
    """``"12.34"`` -> 1234; empty is 0; a fee's fifth decimal rounds half up."""
    if not yuan:
        return 0
    return int((Decimal(yuan) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
