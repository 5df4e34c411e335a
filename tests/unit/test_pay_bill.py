"""The trade bill parser reads WeChat's CSV (backticks, yuan, summary lines)."""
from datetime import UTC, datetime

import pytest

from backend.wechat.pay_bill import BillFormatError, fen, parse_trade_bill

HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
          "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
          "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
PAYMENT = ("`2026-09-21 14:13:20,`wx0000000000test1,`1900000001,`1900000109,`,`4200001234567890123456789012,"
           "`SB20260921A,`o_payer,`JSAPI,`SUCCESS,`OTHERS,`CNY,`100.00,`0.00,`,`,`0.00,`0.00,`,`,`上门保洁,`,"
           "`0.60000,`0.60%,`100.00,`0.00,`")
REFUND = ("`2026-09-21 15:00:00,`wx0000000000test1,`1900000001,`1900000109,`,`4200001234567890123456789012,"
          "`SB20260921A,`o_payer,`JSAPI,`REFUND,`OTHERS,`CNY,`100.00,`0.00,`50300000000000000000000000000001,"
          "`RF20260921A,`30.00,`0.00,`ORIGINAL,`SUCCESS,`上门保洁,`,`-0.18000,`0.60%,`100.00,`30.00,`")
SUMMARY = ("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
           "`2,`100.00,`30.00,`0.00,`0.42000,`100.00,`30.00")


def bill(*lines) -> str:
    return "\r\n".join((HEADER,) + lines + (SUMMARY,)) + "\r\n"


def test_payment_and_refund_lines():
    payment, refund = parse_trade_bill(bill(PAYMENT, REFUND))
    assert payment.trade_time == datetime(2026, 9, 21, 6, 13, 20, tzinfo=UTC)
    assert (payment.sp_mchid, payment.sub_mchid, payment.out_trade_no) == ("1900000001", "1900000109", "SB20260921A")
    assert (payment.trade_state, payment.total_fen, payment.fee_fen) == ("SUCCESS", 10000, 60)
    refund_fields = (payment.refund_id, payment.out_refund_no, payment.refund_status, payment.refund_fen)
    assert refund_fields == (None, None, None, 0)
    assert (refund.trade_state, refund.refund_fen, refund.fee_fen) == ("REFUND", 3000, -18)
    assert (refund.out_refund_no, refund.refund_status) == ("RF20260921A", "SUCCESS")
    assert refund.transaction_id == payment.transaction_id


def test_a_bill_with_a_byte_order_mark_and_only_a_header():
    assert parse_trade_bill("\ufeff" + HEADER + "\r\n") == []
    assert parse_trade_bill("") == []


def test_columns_are_found_by_name():
    names = HEADER.split(",")
    values = PAYMENT.split(",")
    order = list(reversed(range(len(names))))
    moved = ",".join(names[i] for i in order) + "\n" + ",".join(values[i] for i in order) + "\n"
    (row,) = parse_trade_bill(moved)
    assert row.out_trade_no == "SB20260921A" and row.total_fen == 10000


def test_a_missing_column_or_a_short_line_is_an_error():
    with pytest.raises(BillFormatError, match="商户订单号"):
        parse_trade_bill(HEADER.replace("商户订单号", "订单") + "\n" + PAYMENT + "\n")
    with pytest.raises(BillFormatError, match="line 2"):
        parse_trade_bill(bill(PAYMENT.rsplit(",", 3)[0]))
    with pytest.raises(BillFormatError, match="line 2"):
        parse_trade_bill(bill(PAYMENT.replace("`100.00", "`abc", 1).replace("`100.00", "`x.y")))


@pytest.mark.parametrize("text, expected", [("0.01", 1), ("100.00", 10000), ("0.00500", 1),
                                            ("0.00499", 0), ("-0.18000", -18), ("", 0), ("12", 1200)])
def test_yuan_to_fen(text, expected):
    assert fen(text) == expected
