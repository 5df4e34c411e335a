"""The simulated WeChat Pay answers as WeChat does: signatures both ways, error shapes,
order rules, notification delivery and retries, bills. Raw HTTP here; the client's view is
in test_pay_client.py."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import secrets
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from backend.wechat.pay_bill import CHINA
from backend.wechat.simulator.pay_notify import RETRY_SCHEDULE
from tests.integration.pay_fixtures import OPENID, SP_MCHID, SUB_MCHID, at, make_client, place_and_pay
from tests.integration.wechat_fixtures import APPID

QUERY = f"/v3/pay/partner/transactions/out-trade-no/NOSUCH0001?sp_mchid={SP_MCHID}&sub_mchid={SUB_MCHID}"


def authorization(method, uri, body, key_pem, serial, mchid=SP_MCHID, timestamp=None) -> str:
    stamp, nonce = str(int(timestamp if timestamp is not None else time.time())), secrets.token_hex(16)
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    signature = base64.b64encode(key.sign(f"{method}\n{uri}\n{stamp}\n{nonce}\n{body}\n".encode(),
                                          padding.PKCS1v15(), hashes.SHA256())).decode()
    return (f'WECHATPAY2-SHA256-RSA2048 mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{stamp}",serial_no="{serial}"')


def signed_call(pay_sim, keys, method, uri, body=None, **overrides):
    text = json.dumps(body) if body is not None else ""
    options = {"key_pem": keys.merchant_private_key_pem, "serial": keys.cert_serial_no, **overrides}
    headers = {"Authorization": authorization(method, uri, text, **options), "Content-Type": "application/json"}
    return requests.request(method, pay_sim.url + uri, data=text or None, headers=headers, timeout=5)


def verifies(response, keys) -> bool:
    h = response.headers
    public = serialization.load_pem_public_key(keys.platform_public_key_pem.encode())
    message = f"{h['Wechatpay-Timestamp']}\n{h['Wechatpay-Nonce']}\n{response.text}\n".encode()
    try:
        public.verify(base64.b64decode(h["Wechatpay-Signature"]), message, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return h["Wechatpay-Serial"] == keys.public_key_id


# -- signatures -------------------------------------------------------------------------

def test_a_signed_request_passes_and_the_answer_is_signed(pay_sim, pay_keys):
    response = signed_call(pay_sim, pay_keys, "GET", QUERY)
    assert response.status_code == 404
    assert response.json()["code"] == "ORDER_NOT_EXIST" and response.json()["message"]
    assert response.headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert verifies(response, pay_keys)


def other_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("overrides", [
    {"key_pem": "other"}, {"serial": "5157F09EFDC096DE15EBE81A47057A72"},
    {"timestamp": -360}, {"timestamp": +360}, {"mchid": "1900000002"},
], ids=["other key", "wrong serial", "6 min old", "6 min ahead", "wrong mchid"])
def test_badly_signed_requests_get_sign_error(pay_sim, pay_keys, overrides):
    if overrides.get("key_pem") == "other":
        overrides = {"key_pem": other_key_pem()}
    if "timestamp" in overrides:   # taken now, not when the suite was collected minutes ago
        overrides = {"timestamp": time.time() + overrides["timestamp"]}
    response = signed_call(pay_sim, pay_keys, "GET", QUERY, **overrides)
    assert response.status_code == 401
    assert response.json()["code"] == "SIGN_ERROR"


def test_an_unsigned_request_and_a_body_changed_after_signing_get_sign_error(pay_sim, pay_keys):
    assert requests.get(pay_sim.url + QUERY, timeout=5).json()["code"] == "SIGN_ERROR"
    uri = "/v3/pay/partner/transactions/out-trade-no/NOSUCH0001/close"
    headers = {"Authorization": authorization("POST", uri, '{"a": 1}', pay_keys.merchant_private_key_pem,
                                              pay_keys.cert_serial_no)}
    response = requests.post(pay_sim.url + uri, data='{"a": 2}', headers=headers, timeout=5)
    assert response.status_code == 401


def test_unknown_paths_answer_wechat_shaped_404(pay_sim, pay_keys):
    response = requests.get(pay_sim.url + "/v3/nothing/here", timeout=5)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


# -- orders -----------------------------------------------------------------------------

def prepay_body(out_trade_no="SIMORDER01", **changes) -> dict:
    body = {"sp_appid": APPID, "sp_mchid": SP_MCHID, "sub_mchid": SUB_MCHID, "description": "助老餐 1 份",
            "out_trade_no": out_trade_no, "time_expire": at(1800).isoformat(),
            "notify_url": "https://shaobao.example/api/pay/notify/transaction",
            "amount": {"total": 1500, "currency": "CNY"}, "payer": {"sp_openid": OPENID},
            "settle_info": {"profit_sharing": True}}
    body.update(changes)
    return body


def test_prepay_is_idempotent_for_the_same_order_and_refuses_a_changed_one(pay_sim, pay_keys):
    path = "/v3/pay/partner/transactions/jsapi"
    first = signed_call(pay_sim, pay_keys, "POST", path, prepay_body())
    again = signed_call(pay_sim, pay_keys, "POST", path, prepay_body())
    assert first.status_code == 200 and first.json() == again.json()
    assert first.json()["prepay_id"].startswith("wx")
    changed = signed_call(pay_sim, pay_keys, "POST", path, prepay_body(amount={"total": 1600}))
    assert (changed.status_code, changed.json()["code"]) == (400, "INVALID_REQUEST")
    assert "out_trade_no" in changed.json()["message"]


@pytest.mark.parametrize("changes, code", [
    ({"payer": {}}, "PARAM_ERROR"), ({"amount": {"total": 0}}, "PARAM_ERROR"),
    ({"out_trade_no": "x"}, "PARAM_ERROR"), ({"sp_appid": "wx_other"}, "APPID_MCHID_NOT_MATCH"),
    ({"time_expire": "tomorrow"}, "PARAM_ERROR"),
])
def test_prepay_parameter_errors(pay_sim, pay_keys, changes, code):
    response = signed_call(pay_sim, pay_keys, "POST", "/v3/pay/partner/transactions/jsapi", prepay_body(**changes))
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert verifies(response, pay_keys)


def test_request_payment_checks_pay_sign_and_the_payer(pay_sim, pay):
    prepay_id = pay.jsapi_prepay(out_trade_no="SIGNCHECK1", sub_mchid=SUB_MCHID, description="d",
                                 total_fen=100, payer_openid=OPENID, time_expire=at(600))
    params = pay.payment_params(prepay_id)
    status, body = pay_sim.pay({**params, "paySign": params["paySign"][::-1]})
    assert status == 409 and body["errMsg"].startswith("requestPayment:fail")
    status, body = pay_sim.pay(params, openid="o_someone_else")
    assert status == 409 and "another user" in body["error"]
    status, body = pay_sim.pay(params, fail=True)
    assert status == 409
    assert pay.query(out_trade_no="SIGNCHECK1", sub_mchid=SUB_MCHID).trade_state == "PAYERROR"
    status, body = pay_sim.pay(params)     # the user tries again, and it goes through
    assert status == 200 and body["errMsg"] == "requestPayment:ok"


def test_an_expired_unpaid_order_stays_notpay_and_cannot_be_paid(pay_sim, pay):
    prepay_id = pay.jsapi_prepay(out_trade_no="EXPIRE0001", sub_mchid=SUB_MCHID, description="d",
                                 total_fen=100, payer_openid=OPENID, time_expire=at(900))
    pay_sim.advance(901)
    assert pay.query(out_trade_no="EXPIRE0001", sub_mchid=SUB_MCHID).trade_state == "NOTPAY"
    status, body = pay_sim.pay(pay.payment_params(prepay_id))
    assert status == 409 and "time_expire" in body["error"]
    pay.close(out_trade_no="EXPIRE0001", sub_mchid=SUB_MCHID)
    assert pay.query(out_trade_no="EXPIRE0001", sub_mchid=SUB_MCHID).trade_state == "CLOSED"


# -- notifications ----------------------------------------------------------------------

def test_retries_follow_wechats_schedule_until_received(pay_sim, pay, receiver):
    receiver.statuses = [500, 500, 503]
    place_and_pay(pay, pay_sim, "RETRY00001")
    assert pay_sim.deliver_due() == 1
    for wait in RETRY_SCHEDULE[:3]:
        pay_sim.advance(wait - 1)
        assert pay_sim.deliver_due() == 0        # not yet due
        pay_sim.advance(1)
        assert pay_sim.deliver_due() == 1
    (delivery,) = pay_sim.notifications()["deliveries"]
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 503, 200]
    assert delivery["state"] == "received" and delivery["event_type"] == "TRANSACTION.SUCCESS"
    bodies = {r.body for r in receiver.received}
    assert len(bodies) == 1                      # the same body (and id) every time
    assert len({r.headers["Wechatpay-Nonce"] for r in receiver.received}) == 4   # signed afresh


def test_wechat_gives_up_after_fifteen_retries(pay_sim, pay, receiver):
    receiver.statuses = [500] * 20
    place_and_pay(pay, pay_sim, "GIVEUP0001")
    pay_sim.deliver_due()
    for wait in RETRY_SCHEDULE:
        pay_sim.advance(wait)
        assert pay_sim.deliver_due() == 1
    pay_sim.advance(86400)
    assert pay_sim.deliver_due() == 0
    (delivery,) = pay_sim.notifications()["deliveries"]
    assert delivery["state"] == "given_up" and len(delivery["attempts"]) == 16


def test_no_answer_counts_as_a_failure(pay_sim, pay_keys):
    # Nothing listens on port 9 (the discard port): a refused connection is retried.
    client = make_client(pay_sim, pay_keys, notify_base="http://127.0.0.1:9")
    place_and_pay(client, pay_sim, "NOANSWER01")
    pay_sim.deliver_due()
    (delivery,) = pay_sim.notifications()["deliveries"]
    assert delivery["attempts"][0]["status"] is None and delivery["state"] == "pending"


def test_drop_sends_nothing_but_the_trade_is_paid(pay_sim, pay, receiver):
    pay_sim.notify_mode("drop")
    place_and_pay(pay, pay_sim, "DROP000001")
    assert pay_sim.deliver_due() == 0 and receiver.received == []
    assert pay_sim.notifications()["dropped"][0]["event_type"] == "TRANSACTION.SUCCESS"
    assert pay.query(out_trade_no="DROP000001", sub_mchid=SUB_MCHID).trade_state == "SUCCESS"


def test_delay_holds_until_released(pay_sim, pay, receiver):
    pay_sim.notify_mode("delay")
    place_and_pay(pay, pay_sim, "DELAY00001")
    pay_sim.advance(3600)
    assert pay_sim.deliver_due() == 0 and receiver.received == []
    assert pay_sim.release() == 1 and len(receiver.received) == 1


def test_duplicate_sends_the_same_notification_twice(pay_sim, pay, receiver):
    pay_sim.notify_mode("duplicate")
    place_and_pay(pay, pay_sim, "DUPLIC0001")
    assert pay_sim.deliver_due() == 2
    first, second = (pay.parse_notification(r.headers, r.body) for r in receiver.received)
    assert first.id == second.id and first.trade() == second.trade()


def test_reorder_releases_in_reverse(pay_sim, pay, receiver):
    pay_sim.notify_mode("reorder", count=2)
    place_and_pay(pay, pay_sim, "REORDER001")
    place_and_pay(pay, pay_sim, "REORDER002")
    assert pay_sim.deliver_due() == 0
    assert pay_sim.release() == 2
    order = [pay.parse_notification(r.headers, r.body).trade().out_trade_no for r in receiver.received]
    assert order == ["REORDER002", "REORDER001"]


def test_modes_apply_to_the_next_n_then_normal_again(pay_sim, pay, receiver):
    assert pay_sim.notify_mode("drop", count=2) == ["drop", "drop"]
    assert pay_sim.notify_mode("normal") == []
    place_and_pay(pay, pay_sim, "NORMAL0001")
    assert pay_sim.deliver_due() == 1


def test_reset_forgets_pay_state(pay_sim, pay):
    place_and_pay(pay, pay_sim, "RESET00001")
    pay_sim.control("POST", "/sim/reset")
    assert pay.query(out_trade_no="RESET00001", sub_mchid=SUB_MCHID) is None
    assert pay_sim.notifications()["deliveries"] == []


# -- bills ------------------------------------------------------------------------------

def test_the_bill_is_wechats_csv_with_a_sha1(pay_sim, pay, pay_keys):
    place_and_pay(pay, pay_sim, "BILLRAW001", total_fen=12345)
    day = at(0).astimezone(CHINA).date()
    uri = f"/v3/bill/tradebill?bill_date={day}&bill_type=ALL&tar_type=GZIP"
    early = signed_call(pay_sim, pay_keys, "GET", uri)
    assert (early.status_code, early.json()["code"]) == (400, "STATEMENT_CREATING")
    pay_sim.advance(86400)
    answer = signed_call(pay_sim, pay_keys, "GET", uri).json()
    assert answer["hash_type"] == "SHA1"
    path = answer["download_url"].removeprefix(pay_sim.url)
    content = signed_call(pay_sim, pay_keys, "GET", path).content
    text = gzip.decompress(content)
    assert hashlib.sha1(text).hexdigest() == answer["hash_value"]
    lines = text.decode().splitlines()
    assert lines[0].startswith("交易时间,公众账号ID,商户号,特约商户号")
    assert lines[1].startswith("`") and "`BILLRAW001" in lines[1] and "`123.45" in lines[1]
    assert lines[2].startswith("总交易单数") and lines[3].startswith("`1,`123.45")


def test_no_bill_for_a_day_without_trades(pay_sim, pay_keys):
    response = signed_call(pay_sim, pay_keys, "GET", "/v3/bill/tradebill?bill_date=2026-01-01&bill_type=ALL")
    assert (response.status_code, response.json()["code"]) == (400, "NO_STATEMENT_EXIST")


def test_notifications_can_go_into_a_flask_test_client(pay_sim, pay):
    from flask import Flask, request

    from tests.integration.pay_fixtures import deliver_to
    app = Flask("notify-receiver")
    seen = []

    @app.post("/api/pay/notify/transaction")
    def transaction():
        seen.append(pay.parse_notification(request.headers, request.get_data()))
        return "", 204

    pay_sim.world.notifier.deliver = deliver_to(app.test_client())
    place_and_pay(pay, pay_sim, "INPROCESS1")
    assert pay_sim.deliver_due() == 1
    assert seen[0].trade().out_trade_no == "INPROCESS1"
    assert pay_sim.notifications()["attempts"][0]["status"] == 204
