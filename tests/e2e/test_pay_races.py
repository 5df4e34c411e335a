"""WeChat Pay's notifications racing each other and the resident, against the real server
(threaded; on the PostgreSQL run, on PostgreSQL with its row locks): the same notification
six times at once credits once; a notification and a cancellation at the same moment end
with the order cancelled and the payment refunded in full, whichever came first."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from backend.wechat.pay_keys import DEV_SP_MCHID, ensure_dev_keys
from backend.wechat.simulator import PaySimConfig
from backend.wechat.simulator.pay_notify import Notifier
from backend.wechat.simulator.pay_sign import Signer
from backend.wechat.simulator.state import Clock
from config.settings import DEV_WECHAT_APPID
from tests.e2e.conftest import get, login
from tests.e2e.test_concurrency import at_once
from tests.e2e.test_marketplace import HOME, call

pytestmark = pytest.mark.e2e
PROVIDER_SUB_MCHID = "1900000101"   # the demo provider's


def paid_without_notification(running, resident: str) -> tuple[dict, str]:
    """An order the phone paid while WeChat's notification was lost (the simulator drops it)."""
    home = get(running, f"/api/mp/locate?{HOME}", resident).json()["region"]["id"]
    [cleaning] = [s for s in get(running, f"/api/mp/services?region_id={home}", resident).json()
                  if s["title"] == "家政保洁"]
    order = call(running, "POST", "/api/mp/orders", resident, client_id=uuid.uuid4().hex,
                 offering_id=cleaning["id"], region_id=home, address="文昌路1号", service_date="2026-12-01")
    params = call(running, "POST", f"/api/mp/orders/{order['id']}/payment", resident)
    requests.post(f"{running['sim']}/sim/pay/notify-mode", json={"mode": "drop"}, timeout=5).raise_for_status()
    paid = requests.post(f"{running['sim']}/sim/pay/request-payment",
                         json={**params, "openid": "demo-resident-1"}, timeout=10).json()
    return order, paid["transaction_id"]


def notification(keys_dir, order: dict, transaction_id: str) -> tuple[bytes, dict]:
    """The TRANSACTION.SUCCESS WeChat would have sent: encrypted and signed with the keys the
    simulator and the server share in development."""
    keys = ensure_dev_keys(keys_dir)
    signer = Signer(PaySimConfig.from_keys(keys, sp_mchid=DEV_SP_MCHID, sp_appid=DEV_WECHAT_APPID))
    resource = {"sp_appid": DEV_WECHAT_APPID, "sp_mchid": DEV_SP_MCHID, "sub_mchid": PROVIDER_SUB_MCHID,
                "out_trade_no": order["out_trade_no"], "transaction_id": transaction_id, "trade_type": "JSAPI",
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "success_time": "2026-11-27T10:00:00+08:00",
                "payer": {"sp_openid": "demo-resident-1"},
                "amount": {"total": order["amount_fen"], "payer_total": order["amount_fen"], "currency": "CNY"}}
    body = Notifier(signer, Clock()).envelope("TRANSACTION.SUCCESS", "支付成功", "transaction", resource)
    return body, {**signer.signed_headers(body, int(time.time())), "Content-Type": "application/json"}


def post(running, body: bytes, headers: dict):
    return lambda: requests.post(f"{running['api']}/api/pay/notify/transaction", data=body, headers=headers,
                                 timeout=30)


def test_the_same_notification_six_times_at_once_credits_once(running):
    resident, county = login(running, "demo-resident-1"), login(running, "demo-county-admin")
    order, transaction_id = paid_without_notification(running, resident)
    body, headers = notification(running["var"] / "wechatpay", order, transaction_id)
    answers = at_once(*[post(running, body, headers)] * 6)
    assert [a.status_code for a in answers] == [204] * 6, [a.text for a in answers]
    seen = get(running, f"/api/mp/orders/{order['id']}", resident).json()
    assert (seen["state"], seen["paid_fen"]) == ("paid", order["amount_fen"])
    assert [e["action"] for e in seen["timeline"]] == ["create", "pay"]
    books = get(running, f"/api/console/orders/{order['id']}/ledger", county).json()
    assert books["problems"] == []
    assert books["balances"] == {"payer": -order["amount_fen"], "escrow": order["amount_fen"]}


def test_a_notification_racing_a_cancellation_ends_refunded(running):
    resident, county = login(running, "demo-resident-1"), login(running, "demo-county-admin")
    order, transaction_id = paid_without_notification(running, resident)
    body, headers = notification(running["var"] / "wechatpay", order, transaction_id)
    version = get(running, f"/api/mp/orders/{order['id']}", resident).json()["version"]
    cancel = lambda: requests.post(  # noqa: E731 - one of the racers
        f"{running['api']}/api/mp/orders/{order['id']}/actions/cancel", timeout=30,
        headers={"Authorization": f"Bearer {resident}"}, json={"version": version, "payload": {}})
    notified, cancelled = at_once(post(running, body, headers), cancel)
    assert notified.status_code == 204
    # The cancellation lost only if the payment moved the order first (its version changed).
    if cancelled.status_code == 409:
        fresh = get(running, f"/api/mp/orders/{order['id']}", resident).json()["version"]
        cancelled = requests.post(f"{running['api']}/api/mp/orders/{order['id']}/actions/cancel", timeout=30,
                                  headers={"Authorization": f"Bearer {resident}"},
                                  json={"version": fresh, "payload": {}})
    assert cancelled.status_code == 200, cancelled.text
    seen = get(running, f"/api/mp/orders/{order['id']}", resident).json()
    assert seen["state"] == "cancelled" and seen["paid_fen"] == order["amount_fen"]
    assert [r["amount_fen"] for r in seen["refunds"]] == [order["amount_fen"]]
    assert get(running, f"/api/console/orders/{order['id']}/ledger", county).json()["problems"] == []
