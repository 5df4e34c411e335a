"""The edges of an order's money: refunds WeChat reports as abnormal or closes, a payment
asked for while the order is being cancelled, a platform fee WeChat sends back, one bad
order among the scheduler's, a slot with history, a certification revoked."""
from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from backend.effects import delivery
from backend.extensions import db
from backend.models import Grant, OfferingSlot, Order, Provider, Settlement, User
from backend.scheduler import order_jobs
from backend.services import access
from backend.services.orders import payments, settlements
from tests.integration.order_helpers import STAFF, Shop, balances, row
from tests.integration.test_pay_notifications import overdue


@pytest.fixture()
def shop(client, as_user, sim, app):
    shop = Shop(client, as_user, sim, app)
    yield shop
    shop.close()


def cancelled_and_refunding(shop) -> tuple[dict, str]:
    order = shop.paid_order()
    shop.step(shop.resident, order["id"], "cancel", face="mp")
    return order, shop.get(order["id"])["refunds"][0]["out_refund_no"]


def test_an_abnormal_refund_that_later_succeeds_is_booked(shop):
    order, out_refund_no = cancelled_and_refunding(shop)
    shop.settle_refund(out_refund_no, "ABNORMAL")
    shop.deliver()
    assert (row(order["id"]).refund_pending_fen, shop.get(order["id"])["refunds"][0]["status"]) == (10_000, "abnormal")
    # The merchant sees to it (WeChat's abnormal-refund API); WeChat then reports SUCCESS.
    requests.post(f"{shop.sim.url}/sim/pay/notifications/custom", timeout=5, json={
        "event_type": "REFUND.SUCCESS", "url": "http://127.0.0.1:9/api/pay/notify/refund",
        "resource": {"sp_mchid": "1900000001", "sub_mchid": "1900000101", "out_trade_no": row(order["id"]).out_trade_no,
                     "out_refund_no": out_refund_no, "refund_id": "50300000000000000000000000000001",
                     "refund_status": "SUCCESS", "success_time": "2026-11-27T18:00:00+08:00",
                     "amount": {"total": 10_000, "refund": 10_000, "payer_total": 10_000, "payer_refund": 10_000}},
    }).raise_for_status()
    shop.deliver()
    assert row(order["id"]).refunded_fen == 10_000
    assert balances(order["id"]) == {}


def test_a_closed_refund_is_asked_for_again_by_the_county(shop):
    order, out_refund_no = cancelled_and_refunding(shop)
    shop.settle_refund(out_refund_no, "CLOSED")
    shop.deliver()
    closed = shop.county.get("/api/console/refunds?status=closed").get_json()
    [refund] = [r for r in closed if r["out_refund_no"] == out_refund_no]
    assert shop.staff.post(f"/api/console/refunds/{refund['id']}/retry").status_code == 403
    again = shop.county.post(f"/api/console/refunds/{refund['id']}/retry")
    assert again.status_code == 201 and again.get_json()["retry_of_id"] == refund["id"]
    assert shop.county.post(f"/api/console/refunds/{refund['id']}/retry").status_code == 409
    shop.settle_refund(again.get_json()["out_refund_no"])
    shop.deliver()
    assert row(order["id"]).refunded_fen == 10_000 and balances(order["id"]) == {}


def test_a_payment_asked_for_while_the_order_is_cancelled_cannot_be_made(shop):
    order = shop.order()
    resident = db.session.get(User, row(order["id"]).resident_id)
    # the phone's /payment has read the order...
    checkout = payments.checkout(access.viewer_for(resident), order["id"])
    shop.step(shop.resident, order["id"], "cancel", face="mp")   # ... the resident cancels meanwhile ...
    assert payments.prepay(checkout) is None                # ... and WeChat's new order is closed again
    db.session.commit()
    delivery.sweep()
    [held] = [o for o in requests.get(f"{shop.sim.url}/sim/pay/orders", timeout=5).json()["orders"]
              if o["out_trade_no"] == row(order["id"]).out_trade_no]
    assert held["trade_state"] == "CLOSED"


def test_a_platform_fee_wechat_sends_back_is_the_providers(shop):
    order = shop.paid_order()
    locked = db.session.scalar(sa.select(Order).where(Order.id == order["id"]).with_for_update())
    settlement = settlements.open(locked)
    settlements.accepted(settlement, locked, {"state": "FINISHED", "order_id": "3008", "receivers": [
        {"account": "1900000001", "amount": settlement.fee_fen, "result": "CLOSED"}]})
    db.session.commit()
    assert balances(order["id"]) == {"payer": -10_000, "provider": 10_000}
    assert db.session.get(Settlement, settlement.id).status == "finished"


def test_one_bad_order_does_not_stop_the_others(shop):
    bad, good = shop.order(), shop.order()
    for placed in (bad, good):
        shop.phone_pays(shop.payment(placed["id"]))
    shop.world.notifier._deliveries.clear()   # both notifications lost: the final query must find them
    db.session.execute(sa.update(Order).where(Order.id == bad["id"])
                       .values(amount_fen=Order.amount_fen + 1))   # ours no longer matches WeChat's answer
    overdue(bad["id"])
    overdue(good["id"])
    counts = order_jobs.expire_unpaid()
    assert counts["failed"] == 1 and counts["paid"] == 1
    assert row(good["id"]).state == "paid" and row(bad["id"]).state == "created"


def test_a_slot_with_orders_in_its_history_stays(shop):
    offering = shop.offering("上门助浴")
    slot = db.session.scalar(sa.select(OfferingSlot).where(OfferingSlot.offering_id == offering.id)
                             .order_by(OfferingSlot.starts_at.desc()).limit(1))
    order = shop.order("上门助浴", quantity=1, slot_id=slot.id)
    shop.step(shop.resident, order["id"], "cancel", face="mp")
    refused = shop.staff.delete(f"/api/console/offerings/{offering.id}/slots/{slot.id}")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "slot_has_orders")


def test_revoking_a_certification_ends_its_staffs_access(shop):
    order = shop.order()
    provider = db.session.get(Provider, row(order["id"]).provider_id)
    for action, payload in (("suspend", {"reason": "投诉核实"}), ("revoke", {"reason": "吊销"})):
        version = shop.county.get(f"/api/console/providers/{provider.id}").get_json()["version"]
        answer = shop.county.post(f"/api/console/providers/{provider.id}/actions/{action}",
                                  json={"version": version, "payload": payload})
        assert answer.status_code == 200, answer.get_json()
    assert db.session.scalar(sa.select(Grant.id).where(Grant.provider_id == provider.id)) is None
    assert shop.staff.get(f"/api/console/orders/{order['id']}").status_code == 404
    assert STAFF
