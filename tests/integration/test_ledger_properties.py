"""The ledger's invariants as a property: over random sequences of payments (notified once
or many times, by notification or by query, genuine or with a wrong amount), refund
requests of any size, refund results in any order and repeated, and settlement, every
order's ledger balances, escrow never goes negative, money is never credited twice, and
refunds never pass what was paid.

Each operation runs as a request would (a savepoint: a refusal leaves nothing behind);
each example runs in a savepoint rolled back after it, on the real database.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.extensions import db
from backend.models import LedgerEntry, Order
from backend.services.errors import DomainError
from backend.services.finance import ledger
from backend.services.orders import actions, payments, refunds, settlements
from backend.wechat.pay import RefundResult, Trade
from tests.integration import market_fixtures as market
from tests.integration.conftest import user_by_openid

OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("pay"), st.sampled_from(["notification", "query"])),
    st.tuples(st.just("pay_wrong_amount"), st.integers(1, 5)),
    st.tuples(st.just("refund"), st.integers(1, 12_000)),
    st.tuples(st.just("refund_result"), st.integers(0, 5),
              st.sampled_from(["SUCCESS", "CLOSED", "PROCESSING", "ABNORMAL"])),
    st.tuples(st.just("settle"), st.sampled_from(["SUCCESS", "CLOSED"])),
), max_size=14)


def trade(order: Order, total: int | None = None) -> Trade:
    config = current_app.config
    sub_mchid = db.session.get(market.Provider, order.provider_id).sub_mchid
    return Trade.from_resource({
        "sp_appid": config["WECHATPAY_SP_APPID"], "sp_mchid": config["WECHATPAY_SP_MCHID"],
        "sub_mchid": sub_mchid, "out_trade_no": order.out_trade_no, "transaction_id": f"42{order.id:026d}",
        "trade_state": "SUCCESS", "success_time": "2026-11-27T10:00:00+08:00",
        "amount": {"total": order.amount_fen if total is None else total, "payer_total": order.amount_fen,
                   "currency": "CNY"}})


def refund_result(order: Order, out_refund_no: str, amount: int, status: str) -> RefundResult:
    return RefundResult.from_resource({
        "out_refund_no": out_refund_no, "out_trade_no": order.out_trade_no, "refund_id": f"50{out_refund_no[-6:]}",
        "refund_status": status, "amount": {"refund": amount, "total": order.amount_fen}})


def locked(order_id: int) -> Order:
    return db.session.scalar(sa.select(Order).where(Order.id == order_id).with_for_update()
                             .execution_options(populate_existing=True))


def run(operation, order_id: int, requested: list) -> None:
    kind, *args = operation
    order = locked(order_id)
    if kind == "pay":
        payments.apply_trade(trade(order), args[0])
    elif kind == "pay_wrong_amount":
        payments.apply_trade(trade(order, order.amount_fen + args[0]), "notification")
    elif kind == "refund":
        requested.append(refunds.request(order, args[0], "property", None))
    elif kind == "refund_result" and requested:
        refund = requested[args[0] % len(requested)]
        refunds.apply_result(refund_result(order, refund.out_refund_no, refund.amount_fen, args[1]), "notification")
    elif kind == "settle":   # the platform's share paid (SUCCESS) or sent back (CLOSED)
        settlement = settlements.open(order)
        if settlement is not None:
            platform = current_app.config["WECHATPAY_SP_MCHID"]
            settlements.accepted(settlement, order, {"state": "FINISHED", "order_id": "30000", "receivers": [
                {"account": platform, "amount": settlement.fee_fen, "result": args[0]}]})


def check(order_id: int) -> None:
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    assert ledger.problems(order_id) == []
    totals = ledger.balances(order_id)
    assert sum(totals.values()) == 0
    assert totals.get("escrow", 0) >= 0
    assert order.paid_fen == ledger.moved(order_id, "payment") <= order.amount_fen
    assert order.refunded_fen == ledger.moved(order_id, "refund")
    assert order.refunded_fen + order.refund_pending_fen <= order.paid_fen
    payments_rows = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(
        LedgerEntry.order_id == order_id, LedgerEntry.movement == "payment"))
    assert payments_rows in (0, 2)


@pytest.fixture()
def order_maker(ctx):
    resident = user_by_openid("demo-resident-1")
    offering = market.offering(market.provider(resident.id))

    def make() -> int:
        order, _ = actions.create(resident.id, market.order_body(offering, quantity=2))
        return order.id
    return make


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_the_ledger_holds_whatever_arrives_in_whatever_order(order_maker, operations):
    example = db.session.begin_nested()
    try:
        order_id = order_maker()
        requested: list = []
        for operation in operations:
            step = db.session.begin_nested()
            try:
                run(operation, order_id, requested)
                step.commit()
            except DomainError:
                step.rollback()
                requested[:] = [r for r in requested if sa.inspect(r).persistent]
            check(order_id)
    finally:
        example.rollback()


def test_a_wrong_amount_credits_nothing(order_maker):
    order_id = order_maker()
    with pytest.raises(payments.PaymentMismatch):
        payments.apply_trade(trade(locked(order_id), 1), "notification")
    assert ledger.balances(order_id) == {}


def test_fifteen_notifications_pay_once(order_maker):
    order_id = order_maker()
    outcomes = [payments.apply_trade(trade(locked(order_id)), "notification") for _ in range(15)]
    assert outcomes == ["applied"] + ["duplicate"] * 14
    assert ledger.moved(order_id, "payment") == db.session.get(Order, order_id).amount_fen


def test_a_refund_over_what_was_paid_is_refused(order_maker):
    order_id = order_maker()
    payments.apply_trade(trade(locked(order_id)), "query")
    order = locked(order_id)
    refunds.request(order, order.paid_fen - 1, "part", None)
    with pytest.raises(DomainError) as refused:
        refunds.request(order, 2, "too much", None)
    assert refused.value.code == "refund_exceeds_paid"


def test_a_payment_after_closing_is_credited_and_refunded(order_maker):
    order_id = order_maker()
    order = locked(order_id)
    actions.system_act(order, "expire")
    assert payments.apply_trade(trade(locked(order_id)), "notification") == "late"
    order = db.session.get(Order, order_id)
    assert order.state == "closed" and order.refund_pending_fen == order.paid_fen == order.amount_fen
    assert [r.reason for r in order.refunds] == ["paid after the order was closed"]


def test_time_is_utc_aware(order_maker):
    order_id = order_maker()
    payments.apply_trade(trade(locked(order_id)), "query")
    assert db.session.get(Order, order_id).paid_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
