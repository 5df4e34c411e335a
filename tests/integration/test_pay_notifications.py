"""WeChat Pay's notifications as they really come: twice, late, out of order, never, forged,
stale, probing, for an order we do not know or for the wrong amount. Money is credited
once, never on a notification we cannot trust or match, and every one is kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, PayNotice
from backend.scheduler import order_jobs
from backend.services import clock
from backend.services.finance import ledger
from tests.integration.order_helpers import Shop, balances, row


@pytest.fixture()
def shop(client, as_user, sim, app):
    shop = Shop(client, as_user, sim, app)
    yield shop
    shop.close()


def notices(order_id: int | None = None) -> list[tuple[str, str]]:
    query = sa.select(PayNotice.outcome, PayNotice.detail).order_by(PayNotice.id)
    if order_id is not None:
        query = query.where(PayNotice.order_id == order_id)
    return [tuple(r) for r in db.session.execute(query)]


def overdue(order_id: int) -> None:
    """The order's 15 minutes to pay are over."""
    db.session.execute(sa.update(Order).where(Order.id == order_id)
                       .values(pay_expires_at=clock.now() - timedelta(seconds=1)))
    db.session.commit()


def ordered_and_paid_on_phone(shop) -> dict:
    order = shop.order()
    shop.phone_pays(shop.payment(order["id"]))
    return order


def statuses(shop) -> list[int | None]:
    return [a["status"] for a in shop.attempts()]


def test_a_duplicate_is_credited_once(shop):
    shop.notify_mode("duplicate")
    order = ordered_and_paid_on_phone(shop)
    assert shop.deliver() == 2
    assert statuses(shop) == [204, 204]
    assert row(order["id"]).paid_fen == 10_000
    assert balances(order["id"]) == {"payer": -10_000, "escrow": 10_000}
    assert [o for o, _ in notices(order["id"])] == ["applied"]   # the copy is known by its id


def test_delayed_notifications_arrive_after_the_query_credited_the_payment(shop):
    shop.notify_mode("delay")
    order = ordered_and_paid_on_phone(shop)
    assert shop.deliver() == 0
    overdue(order["id"])
    assert order_jobs.expire_unpaid() == {"paid": 1, "closed": 0, "later": 0}   # the final query
    assert shop.get(order["id"])["state"] == "paid"
    assert shop.release() == 1
    assert statuses(shop) == [204]
    assert ledger.moved(order["id"], "payment") == 10_000
    assert [o for o, _ in notices(order["id"])] == ["duplicate"]


def test_a_dropped_notification_loses_no_payment(shop):
    shop.notify_mode("drop")
    order = ordered_and_paid_on_phone(shop)
    assert shop.deliver() == 0
    overdue(order["id"])
    assert order_jobs.expire_unpaid()["paid"] == 1
    assert row(order["id"]).state == "paid"


def test_reordered_notifications_each_credit_their_own_order(shop):
    shop.notify_mode("reorder", count=2)
    first, second = ordered_and_paid_on_phone(shop), ordered_and_paid_on_phone(shop)
    assert shop.release() == 2
    assert [a["status"] for a in shop.attempts()] == [204, 204]
    assert (row(first["id"]).state, row(second["id"]).state) == ("paid", "paid")


def test_a_forged_notification_credits_nothing_and_is_kept(shop):
    shop.notify_mode("forge")
    order = ordered_and_paid_on_phone(shop)
    assert shop.deliver() == 1
    assert statuses(shop) == [401]
    assert row(order["id"]).state == "created" and balances(order["id"]) == {}
    assert notices()[-1] == ("refused", "bad_signature")


@pytest.mark.parametrize("mode, reason", [("signtest", "signtest_probe"), ("stale", "stale_timestamp")])
def test_probes_and_stale_notifications_are_refused_then_the_genuine_retry_counts(shop, mode, reason):
    shop.notify_mode(mode)
    order = ordered_and_paid_on_phone(shop)
    shop.deliver()
    assert statuses(shop)[0] == 401
    assert ("refused", reason) in notices()
    shop.world.clock.advance(16)   # WeChat's first retry, 15 s later, is genuine and fresh
    shop.deliver()
    assert row(order["id"]).state == "paid"


def test_an_unknown_order_and_a_wrong_amount_credit_nothing(shop, app):
    order = shop.order()
    resource = {"sp_appid": app.config["WECHATPAY_SP_APPID"], "sp_mchid": app.config["WECHATPAY_SP_MCHID"],
                "sub_mchid": "1900000101", "transaction_id": "4200000000202611270000000001",
                "trade_state": "SUCCESS", "trade_type": "JSAPI", "success_time": "2026-11-27T10:00:00+08:00",
                "payer": {"sp_openid": "demo-resident-1"}, "amount": {"total": 1, "payer_total": 1, "currency": "CNY"}}
    for out_trade_no in ("SBNOSUCHORDER000000000000", row(order["id"]).out_trade_no):
        requests.post(f"{shop.sim.url}/sim/pay/notifications/custom", timeout=5, json={
            "event_type": "TRANSACTION.SUCCESS", "url": "http://127.0.0.1:9/api/pay/notify/transaction",
            "resource": {**resource, "out_trade_no": out_trade_no}}).raise_for_status()
    assert shop.deliver() == 2
    assert statuses(shop) == [404, 422]
    assert [o for o, _ in notices()][-2:] == ["unknown_order", "payment_mismatch"]
    assert row(order["id"]).state == "created" and balances(order["id"]) == {}
    shop.world.clock.advance(16)
    shop.deliver()                 # WeChat retries: answered the same, kept once
    assert statuses(shop)[-2:] == [404, 422]
    assert [o for o, _ in notices()][-2:] == ["unknown_order", "payment_mismatch"]


def test_an_unanswered_notification_is_retried_on_wechats_schedule(shop, client, monkeypatch):
    order = ordered_and_paid_on_phone(shop)
    deliver = shop.world.notifier.deliver
    shop.world.notifier.deliver = lambda url, headers, body: 500
    shop.deliver()
    assert row(order["id"]).state == "created"
    shop.world.notifier.deliver = deliver
    shop.world.clock.advance(16)
    assert shop.deliver() == 1
    assert row(order["id"]).state == "paid"


def test_an_unpaid_order_is_closed_at_wechat_and_cannot_be_paid(shop):
    order = shop.order()
    params = shop.payment(order["id"])
    overdue(order["id"])
    assert order_jobs.expire_unpaid() == {"paid": 0, "closed": 1, "later": 0}
    assert shop.get(order["id"])["state"] == "closed"
    refused = requests.post(f"{shop.sim.url}/sim/pay/request-payment",
                            json={**params, "openid": "demo-resident-1"}, timeout=5)
    assert refused.status_code == 409
    again = shop.resident.post(f"/api/mp/orders/{order['id']}/payment")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_payable"


def test_a_refund_notification_for_an_unknown_or_different_refund_changes_nothing(shop):
    order = shop.paid_order()
    shop.step(shop.resident, order["id"], "cancel", face="mp")
    out_refund_no = shop.get(order["id"])["refunds"][0]["out_refund_no"]
    base = {"sp_mchid": "1900000001", "sub_mchid": "1900000101", "out_trade_no": row(order["id"]).out_trade_no,
            "refund_id": "50300000000000000000000000000009", "refund_status": "SUCCESS",
            "success_time": "2026-11-27T18:00:00+08:00"}
    for out_no, refunded in (("SBNOSUCHREFUND0001", 10_000), (out_refund_no, 9_999)):
        requests.post(f"{shop.sim.url}/sim/pay/notifications/custom", timeout=5, json={
            "event_type": "REFUND.SUCCESS", "url": "http://127.0.0.1:9/api/pay/notify/refund",
            "resource": {**base, "out_refund_no": out_no,
                         "amount": {"total": 10_000, "refund": refunded, "payer_total": 10_000,
                                    "payer_refund": refunded}}}).raise_for_status()
    assert shop.deliver() == 2
    assert statuses(shop)[-2:] == [404, 422]
    assert [o for o, _ in notices()][-2:] == ["unknown_refund", "refund_mismatch"]
    assert row(order["id"]).refunded_fen == 0 and balances(order["id"]) == {"payer": -10_000, "escrow": 10_000}
