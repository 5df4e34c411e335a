"""A resident finds a service where they live, pays, is served, confirms and rates; the
provider is paid less the platform's fee; cancellations and disputes refund by the rules.
All through the app's HTTP faces and the WeChat Pay simulator (signatures both ways)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.effects import delivery
from backend.extensions import db
from backend.models import OfferingSlot, Provider, Settlement
from backend.scheduler import order_jobs
from tests.integration.market_fixtures import OTHER_TOWNSHIP_CODE, inside
from tests.integration.order_helpers import STAFF, Shop, balances, dead_effects, row


@pytest.fixture()
def shop(client, as_user, sim, app):
    shop = Shop(client, as_user, sim, app)
    yield shop
    shop.close()


def test_find_order_pay_serve_confirm_and_settle(shop):
    found = shop.resident.get(f"/api/mp/services?region_id={inside('140730001').id}&q=保洁")
    assert [o["title"] for o in found.get_json()] == ["家政保洁"]
    order = shop.order("家政保洁", quantity=2)
    assert (order["state"], order["amount_fen"], order["available_actions"]) == ("created", 10_000, ["cancel"])
    shop.phone_pays(shop.payment(order["id"]))
    assert shop.deliver() == 1
    assert shop.get(order["id"])["state"] == "paid"
    for action in ("accept", "start", "complete"):
        assert shop.step(shop.staff, order["id"], action).status_code == 200
    done = shop.step(shop.resident, order["id"], "confirm", {"rating": 5, "comment": "很干净"}, face="mp")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "confirmed"
    settlement = db.session.scalar(sa.select(Settlement).where(Settlement.order_id == order["id"]))
    assert (settlement.status, settlement.provider_fen, settlement.fee_fen) == ("processing", 9_500, 500)
    assert balances(order["id"]) == {"payer": -10_000, "escrow": 10_000}   # booked when WeChat is done
    shop.later(120)   # WeChat finishes a profit share within minutes
    assert order_jobs.query_settlements() == 1
    db.session.refresh(settlement)
    assert settlement.status == "finished"
    assert balances(order["id"]) == {"payer": -10_000, "provider": 9_500, "platform": 500}
    provider = db.session.get(Provider, row(order["id"]).provider_id)
    assert (provider.rating_sum, provider.rating_count) == (5, 1)
    timeline = [e["action"] for e in shop.get(order["id"])["timeline"]]
    assert timeline == ["create", "pay", "accept", "start", "complete", "confirm", "settled"]
    assert dead_effects() == []


def settled_once_refunded(shop) -> None:
    """The settlement waited for the refund; a minute on, the relay sends it, and once WeChat
    has finished it the scheduler books the shares."""
    assert order_jobs.query_settlements() == 0
    shop.later(61)
    assert delivery.sweep().get("delivered") == 1
    shop.later(61)
    assert order_jobs.query_settlements() == 1


def test_the_same_client_id_gives_the_first_order(shop):
    body = {"client_id": "draft-0001-abcdef", "offering_id": shop.offering("家政保洁").id,
            "region_id": inside("140730001").id, "address": "文昌路1号", "service_date": "2026-12-01"}
    first = shop.resident.post("/api/mp/orders", json=body)
    again = shop.resident.post("/api/mp/orders", json=body)
    other = shop.resident.post("/api/mp/orders", json={**body, "quantity": 3})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert other.get_json()["error"]["code"] == "idempotency_mismatch"


def test_an_area_the_service_does_not_serve_is_refused(shop):
    response = shop.resident.post("/api/mp/orders", json={
        "client_id": "draft-area-0001", "offering_id": shop.offering("水电维修").id,
        "region_id": inside(OTHER_TOWNSHIP_CODE).id, "address": "柳河村", "service_date": "2026-12-01"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "area_not_served"


def test_cancel_before_acceptance_refunds_everything(shop):
    order = shop.paid_order()
    response = shop.step(shop.resident, order["id"], "cancel", {"reason": "改天再约"}, face="mp")
    assert response.get_json()["state"] == "cancelled"
    assert response.get_json()["refunds"][0]["status"] == "requested"   # sent after commit
    refund = shop.get(order["id"])["refunds"][0]
    assert (refund["amount_fen"], refund["status"]) == (10_000, "processing")
    shop.settle_refund(refund["out_refund_no"])
    assert shop.deliver() == 1
    assert shop.get(order["id"])["refunds"][0]["status"] == "success"
    assert balances(order["id"]) == {}   # paid and refunded: every account back to zero
    assert row(order["id"]).refunded_fen == 10_000


def test_cancel_after_acceptance_keeps_the_fee_for_the_provider(shop):
    order = shop.paid_order()
    shop.step(shop.staff, order["id"], "accept")
    response = shop.step(shop.resident, order["id"], "cancel_late", face="mp")
    assert response.status_code == 200, response.get_json()
    refund = response.get_json()["refunds"][0]
    assert refund["amount_fen"] == 8_000     # 20% of 10,000 fen kept
    shop.settle_refund(refund["out_refund_no"])
    shop.deliver()
    settled_once_refunded(shop)
    assert balances(order["id"]) == {"payer": -2_000, "provider": 1_900, "platform": 100}


def test_a_dispute_ruled_with_a_partial_refund(shop):
    order = shop.paid_order()
    for action in ("accept", "start", "complete"):
        shop.step(shop.staff, order["id"], action)
    assert shop.step(shop.resident, order["id"], "dispute", {"reason": "只做了一半"}, face="mp").status_code == 200
    too_much = shop.step(shop.county, order["id"], "resolve", {"refund_fen": 10_001, "reason": "过多"})
    assert too_much.status_code == 422
    assert too_much.get_json()["error"]["code"] == "refund_exceeds_paid"
    ruled = shop.step(shop.county, order["id"], "resolve", {"refund_fen": 4_000, "reason": "退一半"})
    assert ruled.get_json()["state"] == "confirmed"
    shop.settle_refund(ruled.get_json()["refunds"][0]["out_refund_no"])
    shop.deliver()
    settled_once_refunded(shop)
    assert balances(order["id"]) == {"payer": -6_000, "provider": 5_700, "platform": 300}


def test_only_the_right_people_take_each_step(shop, as_user):
    order = shop.paid_order()
    assert shop.step(shop.resident, order["id"], "accept", face="mp").status_code == 403
    assert shop.step(shop.county, order["id"], "accept").status_code == 403
    assert shop.step(as_user("demo-resident-2"), order["id"], "cancel", face="mp").status_code == 404
    assert shop.step(shop.staff, order["id"], "confirm", {"rating": 5}).status_code == 409  # not yet
    stale = shop.staff.post(f"/api/console/orders/{order['id']}/actions/accept",
                            json={"version": order["version"] - 1, "payload": {}})
    assert stale.status_code == 409
    for action in ("accept", "start", "complete"):
        assert shop.step(shop.staff, order["id"], action).status_code == 200
    assert shop.step(shop.staff, order["id"], "confirm", {"rating": 5}).status_code == 403
    assert shop.step(shop.resident, order["id"], "confirm", {"rating": 6}, face="mp").status_code == 422


def test_a_slot_is_taken_and_given_back(shop):
    offering = shop.offering("上门助浴")
    slot = db.session.scalar(sa.select(OfferingSlot).where(OfferingSlot.offering_id == offering.id)
                             .order_by(OfferingSlot.starts_at).limit(1))
    booked = slot.booked
    order = shop.order("上门助浴", quantity=1, slot_id=slot.id)
    db.session.refresh(slot)
    assert slot.booked == booked + 1
    shop.step(shop.resident, order["id"], "cancel", face="mp")
    db.session.refresh(slot)
    assert slot.booked == booked


def test_provider_staff_see_their_orders_only(shop, as_user):
    order = shop.order()
    assert shop.staff.get(f"/api/console/orders/{order['id']}").status_code == 200
    assert as_user("demo-provider-applicant-1").get(f"/api/console/orders/{order['id']}").status_code == 404
    assert as_user("demo-resident-2").get(f"/api/mp/orders/{order['id']}").status_code == 404
    listed = shop.staff.get("/api/console/orders").get_json()
    assert order["id"] in [o["id"] for o in listed]
    assert STAFF  # the demo staff member holds provider_staff for the demo provider


def test_the_resident_is_told_by_subscribe_message_when_the_provider_accepts(shop, sim_control):
    template = "dev-template-order-update"
    sim_control("POST", "/sim/subscribe", {"openid": "demo-resident-1", "template_id": template})
    assert shop.resident.post("/api/mp/me/subscriptions",
                              json={"results": {template: "accept"}}).status_code == 200
    before = len(sim_control("GET", "/sim/messages?openid=demo-resident-1")["messages"])
    order = shop.paid_order()    # "paid" is told too, but the one acceptance goes to it
    sent = sim_control("GET", "/sim/messages?openid=demo-resident-1")["messages"][before:]
    assert [(m["template_id"], m["data"]["phrase3"]["value"]) for m in sent] == [(template, "已支付")]
    assert sent[0]["data"]["character_string1"]["value"] == row(order["id"]).out_trade_no
    assert sent[0]["page"] == f"pages/order/detail?id={order['id']}"
    shop.step(shop.staff, order["id"], "accept")   # no acceptance left: nothing more is sent
    assert len(sim_control("GET", "/sim/messages?openid=demo-resident-1")["messages"]) == before + 1


def test_a_suspended_providers_service_cannot_be_ordered_or_paid(shop):
    order = shop.order()
    offering = shop.offering("家政保洁")
    db.session.execute(sa.update(Provider).where(Provider.id == offering.provider_id).values(status="suspended"))
    db.session.commit()
    refused = shop.resident.post("/api/mp/orders", json={
        "client_id": "draft-suspended-01", "offering_id": offering.id, "region_id": inside("140730001").id,
        "address": "文昌路1号", "service_date": "2026-12-01"})
    assert refused.status_code == 404
    # An order placed before the suspension is still the resident's to cancel, not to pay.
    unpaid = shop.resident.post(f"/api/mp/orders/{order['id']}/payment")
    assert (unpaid.status_code, unpaid.get_json()["error"]["code"]) == (409, "provider_suspended")
    assert shop.step(shop.resident, order["id"], "cancel", face="mp").status_code == 200
