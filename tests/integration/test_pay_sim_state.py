"""The simulated WeChat Pay's state file: a simulator started again on the same file knows
what the first one did (orders, refunds, receivers and profit shares, notifications held
or due with their attempts, bill edits); /sim/reset empties it. The restart of the real
process is tests/e2e/test_wechat_sim_restart.py."""
from __future__ import annotations

import pytest

from backend.wechat.pay import BillHashMismatch
from backend.wechat.pay_bill import CHINA
from backend.wechat.simulator import pay_world_of, world_of
from tests.integration.pay_fixtures import SUB_MCHID, LiveServer, PaySim, at, make_client, pay_sim_app, place_and_pay


@pytest.fixture()
def started(pay_keys, tmp_path):
    """Start a simulator on one state file, as often as a test likes; all stopped after."""
    servers = []

    def start() -> PaySim:
        app = pay_sim_app(pay_keys, state_file=str(tmp_path / "wechat_sim.sqlite"), refund_seconds=5.0,
                          profit_sharing_seconds=60.0)
        servers.append((app, LiveServer(app)))
        return PaySim(app, servers[-1][1].url)
    yield start
    for app, server in servers:
        pay_world_of(app).store.close()
        world_of(app).reset()
        server.stop()


def test_a_second_simulator_on_the_file_knows_what_the_first_did(started, pay_keys, receiver):
    first = started()
    pay = make_client(first, pay_keys, notify_base=receiver.url)
    first.notify_mode("delay")
    paid = place_and_pay(pay, first, "STATE00001")
    pay.refund(out_refund_no="STATE00001R1", out_trade_no="STATE00001", sub_mchid=SUB_MCHID, refund_fen=1_000,
               total_fen=10_000, reason="部分退款")
    pay.add_platform_receiver(sub_mchid=SUB_MCHID)
    share = pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=paid["transaction_id"], out_order_no="STATE00001S",
                             platform_fee_fen=500, description="分账")
    first.control("POST", "/sim/pay/bill/tamper", {"action": "corrupt_hash"})

    second = started()
    pay = make_client(second, pay_keys, notify_base=receiver.url)
    assert pay.query(out_trade_no="STATE00001", sub_mchid=SUB_MCHID).transaction_id == paid["transaction_id"]
    assert pay.query_refund(out_refund_no="STATE00001R1", sub_mchid=SUB_MCHID).refund_fen == 1_000
    assert pay.query_profit_share(sub_mchid=SUB_MCHID, transaction_id=paid["transaction_id"],
                                  out_order_no="STATE00001S")["order_id"] == share["order_id"]
    [held] = second.notifications()["deliveries"]
    assert held["state"] == "held" and held["event_type"] == "TRANSACTION.SUCCESS"
    assert second.release() == 1 and [r.path for r in receiver.received] == ["/api/pay/notify/transaction"]
    [order] = second.world.orders_listing()
    assert (order["refunded"], order["shared"]) == (1_000, 500)
    second.advance(86_400)
    with pytest.raises(BillHashMismatch):   # the bill edit was kept too
        pay.trade_bill(at(0).astimezone(CHINA).date())


def test_a_forgotten_share_stays_forgotten_and_reset_empties_the_file(started, pay_keys, receiver):
    first = started()
    pay = make_client(first, pay_keys, notify_base=receiver.url)
    paid = place_and_pay(pay, first, "STATE00002")
    pay.add_platform_receiver(sub_mchid=SUB_MCHID)
    pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=paid["transaction_id"], out_order_no="STATE00002S",
                     platform_fee_fen=500, description="分账")
    first.control("POST", "/sim/pay/profit-sharing/forget", {"out_order_no": "STATE00002S"})
    second = started()
    pay = make_client(second, pay_keys, notify_base=receiver.url)
    assert pay.query_profit_share(sub_mchid=SUB_MCHID, transaction_id=paid["transaction_id"],
                                  out_order_no="STATE00002S") is None
    second.control("POST", "/sim/reset")
    third = started()
    assert make_client(third, pay_keys).query(out_trade_no="STATE00002", sub_mchid=SUB_MCHID) is None
    assert third.notifications()["deliveries"] == []
