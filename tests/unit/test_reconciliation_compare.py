"""The comparison of a bill with our records, without a database."""
from __future__ import annotations

from datetime import UTC, date, datetime

from backend.services.finance.reconciliation import Ours, compare, day_window
from backend.wechat.pay_bill import BillRow

AT = datetime(2026, 9, 21, 4, 0, tzinfo=UTC)


def line(out_trade_no="T1", total_fen=1000, state="SUCCESS", out_refund_no=None, refund_fen=0,
         transaction_id="42001", refund_status=None) -> BillRow:
    return BillRow(trade_time=AT, sp_appid="wx1", sp_mchid="1900000001", sub_mchid="1900000109",
                   transaction_id=transaction_id, out_trade_no=out_trade_no, trade_state=state, total_fen=total_fen,
                   refund_id="503" if out_refund_no else None, out_refund_no=out_refund_no, refund_fen=refund_fen,
                   refund_status=refund_status, fee_fen=6)


def paid(no="T1", fen=1000, ledger_fen=1000, transaction_id="42001") -> Ours:
    return Ours(no, None, "paid", fen, ledger_fen, transaction_id)


def test_the_beijing_day_in_utc():
    assert day_window(date(2026, 9, 21)) == (datetime(2026, 9, 20, 16, tzinfo=UTC),
                                              datetime(2026, 9, 21, 16, tzinfo=UTC))


def test_lines_for_what_we_recorded_on_a_neighbouring_day_match():
    refund = Ours("T1", "T1R1", "success", 300, 300, "42001")
    result = compare([line(), line(state="REFUND", out_refund_no="T1R1", refund_fen=300, refund_status="SUCCESS")],
                     {}, {}, {"T1": paid()}, {"T1R1": refund})
    assert (result.matched, result.found) == (2, [])


def test_a_line_listed_twice_is_missing_here_once():
    result = compare([line(), line()], {"T1": paid()}, {}, {}, {})
    assert result.matched == 1
    assert [(f.kind, f.detail["reason"]) for f in result.found] == [("missing_here", "listed twice in the bill")]


def test_another_transaction_id_and_a_failed_state_differ():
    found = compare([line(transaction_id="42999")], {"T1": paid()}, {}, {}, {}).found
    assert [(f.kind, f.detail["theirs_transaction_id"]) for f in found] == [("state_differs", "42999")]
    found = compare([line(state="REVOKED")], {"T1": paid()}, {}, {}, {}).found
    assert [(f.kind, f.detail["theirs_state"]) for f in found] == [("state_differs", "REVOKED")]


def test_a_payment_missing_from_our_ledger_differs_in_amount():
    found = compare([line()], {"T1": paid(ledger_fen=None)}, {}, {}, {}).found
    assert [(f.kind, f.ours_fen, f.theirs_fen, f.detail["ledger_fen"]) for f in found] == [
        ("amount_differs", 1000, 1000, None)]


def test_a_refund_line_without_a_number_is_missing_here():
    found = compare([line(state="REFUND", refund_fen=300)], {}, {}, {}, {}).found
    assert [(f.kind, f.detail["reason"], f.theirs_fen) for f in found] == [
        ("missing_here", "a refund line without a number", 300)]
