"""The WeChat Pay client against the live simulator: real HTTP, real signatures."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from backend.services import runtime
from backend.wechat.pay import BillHashMismatch, NotificationRefused, PayError, PayUnavailable
from backend.wechat.pay_bill import CHINA
from tests.integration.pay_fixtures import (
    OPENID,
    REFUND_NOTIFY_PATH,
    SP_MCHID,
    SUB_MCHID,
    at,
    make_client,
    pay_app_config,
    place_and_pay,
)
from tests.integration.wechat_fixtures import APPID, FROZEN_NOW


def notifications(pay, receiver):
    return [pay.parse_notification(r.headers, r.body) for r in receiver.received]


# -- pay, notify, query -------------------------------------------------------------------

def test_prepay_pay_notify_and_query(pay, pay_sim, receiver):
    prepay_id = pay.jsapi_prepay(out_trade_no="FLOW000001", sub_mchid=SUB_MCHID, description="上门保洁",
                                 total_fen=8800, payer_openid=OPENID, time_expire=at(1800))
    params = pay.payment_params(prepay_id)
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert (params["appId"], params["package"], params["signType"]) == (APPID, f"prepay_id={prepay_id}", "RSA")
    assert params["timeStamp"] == str(int(FROZEN_NOW))
    assert pay.query(out_trade_no="FLOW000001", sub_mchid=SUB_MCHID).trade_state == "NOTPAY"

    status, phone = pay_sim.pay(params)
    assert status == 200
    assert pay_sim.deliver_due() == 1
    (received,) = receiver.received
    assert received.path == "/api/pay/notify/transaction"
    (notification,) = notifications(pay, receiver)
    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.created_at.timestamp() == int(FROZEN_NOW)
    trade = notification.trade()
    assert (trade.out_trade_no, trade.sub_mchid, trade.trade_state) == ("FLOW000001", SUB_MCHID, "SUCCESS")
    assert (trade.total_fen, trade.payer_total_fen, trade.sp_mchid, trade.sp_appid) == (8800, 8800, SP_MCHID, APPID)
    assert trade.transaction_id == phone["transaction_id"]
    assert trade.success_time.timestamp() == int(FROZEN_NOW) and trade.success_time.utcoffset() == timedelta(0)
    assert pay.query(out_trade_no="FLOW000001", sub_mchid=SUB_MCHID) == trade


def test_query_of_an_unknown_order_is_none(pay):
    assert pay.query(out_trade_no="UNKNOWN001", sub_mchid=SUB_MCHID) is None


def test_a_second_prepay_with_other_terms_is_refused(pay):
    pay.jsapi_prepay(out_trade_no="TWICE00001", sub_mchid=SUB_MCHID, description="d", total_fen=100,
                     payer_openid=OPENID, time_expire=at(600))
    with pytest.raises(PayError) as error:
        pay.jsapi_prepay(out_trade_no="TWICE00001", sub_mchid=SUB_MCHID, description="d", total_fen=200,
                         payer_openid=OPENID, time_expire=at(600))
    assert (error.value.status, error.value.code) == (400, "INVALID_REQUEST")


def test_close_then_paying_is_refused_and_closing_again_is_fine(pay, pay_sim):
    prepay_id = pay.jsapi_prepay(out_trade_no="CLOSE00001", sub_mchid=SUB_MCHID, description="d",
                                 total_fen=100, payer_openid=OPENID, time_expire=at(600))
    pay.close(out_trade_no="CLOSE00001", sub_mchid=SUB_MCHID)
    pay.close(out_trade_no="CLOSE00001", sub_mchid=SUB_MCHID)
    pay.close(out_trade_no="NEVERSEEN1", sub_mchid=SUB_MCHID)
    status, body = pay_sim.pay(pay.payment_params(prepay_id))
    assert status == 409 and "closed" in body["error"]
    assert pay.query(out_trade_no="CLOSE00001", sub_mchid=SUB_MCHID).trade_state == "CLOSED"


def test_closing_a_paid_order_raises_orderpaid(pay, pay_sim):
    place_and_pay(pay, pay_sim, "PAIDCLOSE1")
    with pytest.raises(PayError) as error:
        pay.close(out_trade_no="PAIDCLOSE1", sub_mchid=SUB_MCHID)
    assert error.value.code == "ORDERPAID"


# -- failures -------------------------------------------------------------------------------

def test_a_wrongly_signed_answer_is_refused(pay, pay_sim):
    # Only 2xx answers are verified (wechatpayv3 hands back no headers for the others): a
    # forged "no such order" can delay a payment's recognition, never invent one.
    place_and_pay(pay, pay_sim, "BADSIGN001")
    pay_sim.control("POST", "/sim/pay/bad-signature", {"count": 1})
    with pytest.raises(PayUnavailable, match="signature"):
        pay.query(out_trade_no="BADSIGN001", sub_mchid=SUB_MCHID)
    assert pay.query(out_trade_no="BADSIGN001", sub_mchid=SUB_MCHID).trade_state == "SUCCESS"


@pytest.mark.parametrize("mode", ["busy", "http500"])
def test_wechat_having_a_bad_day_is_unavailable(pay, pay_sim, mode):
    pay_sim.control("POST", "/sim/faults", {"path": "*", "mode": mode, "count": 1})
    with pytest.raises(PayUnavailable):
        pay.query(out_trade_no="ANYTHING01", sub_mchid=SUB_MCHID)


def test_a_timeout_is_unavailable(pay_sim, pay_keys):
    client = make_client(pay_sim, pay_keys, timeout=0.2)
    pay_sim.control("POST", "/sim/faults", {"path": "*", "mode": "timeout", "delay_seconds": 2})
    with pytest.raises(PayUnavailable, match="Timeout"):
        client.query(out_trade_no="ANYTHING01", sub_mchid=SUB_MCHID)


def test_our_own_bad_signature_is_a_pay_error(pay_sim, pay_keys):
    client = make_client(pay_sim, pay_keys, cert_serial_no="5157F09EFDC096DE15EBE81A47057A72")
    with pytest.raises(PayError) as error:
        client.query(out_trade_no="ANYTHING01", sub_mchid=SUB_MCHID)
    assert (error.value.status, error.value.code) == (401, "SIGN_ERROR")


# -- notifications refused ------------------------------------------------------------------

def paid_notification(pay, pay_sim, receiver, mode: str, out_trade_no: str):
    pay_sim.notify_mode(mode)
    place_and_pay(pay, pay_sim, out_trade_no)
    pay_sim.deliver_due()
    return receiver.received


def reason(pay, received, now=None) -> str:
    with pytest.raises(NotificationRefused) as refused:
        pay.parse_notification(received.headers, received.body, now=now)
    return refused.value.reason


def test_a_signtest_probe_is_refused_then_the_genuine_one_comes(pay, pay_sim, receiver):
    probe, genuine = paid_notification(pay, pay_sim, receiver, "signtest", "SIGNTEST01")
    assert probe.headers["Wechatpay-Signature"].startswith("WECHATPAY/SIGNTEST/")
    assert reason(pay, probe) == "signtest_probe"
    assert pay.parse_notification(genuine.headers, genuine.body).trade().out_trade_no == "SIGNTEST01"


def test_a_forged_notification_is_refused_and_the_genuine_one_never_sent(pay, pay_sim, receiver):
    receiver.statuses = [401]
    (forged,) = paid_notification(pay, pay_sim, receiver, "forge", "FORGED0001")
    assert reason(pay, forged) == "bad_signature"
    pay_sim.advance(3600)
    assert pay_sim.deliver_due() == 0                  # no retry of a forgery
    assert pay.query(out_trade_no="FORGED0001", sub_mchid=SUB_MCHID).trade_state == "SUCCESS"


def test_a_stale_notification_is_refused_and_its_retry_accepted(pay, pay_sim, receiver):
    receiver.statuses = [400]
    (stale,) = paid_notification(pay, pay_sim, receiver, "stale", "STALE00001")
    assert int(stale.headers["Wechatpay-Timestamp"]) == int(FROZEN_NOW) - 600
    assert reason(pay, stale) == "stale_timestamp"
    pay_sim.advance(15)
    assert pay_sim.deliver_due() == 1
    assert pay.parse_notification(receiver.received[1].headers, receiver.received[1].body).id


def test_the_window_is_five_minutes_either_way(pay, pay_sim, receiver):
    (fresh,) = paid_notification(pay, pay_sim, receiver, "normal", "WINDOW0001")
    stamp = int(fresh.headers["Wechatpay-Timestamp"])
    assert pay.parse_notification(fresh.headers, fresh.body, now=stamp + 300).id
    assert reason(pay, fresh, now=stamp + 301) == "stale_timestamp"
    assert reason(pay, fresh, now=stamp - 301) == "stale_timestamp"


def test_an_unknown_serial_is_refused(pay, pay_sim, receiver):
    (received,) = paid_notification(pay, pay_sim, receiver, "normal", "SERIAL0001")
    headers = {**received.headers, "Wechatpay-Serial": "PUB_KEY_ID_0000000000OTHER"}
    with pytest.raises(NotificationRefused) as refused:
        pay.parse_notification(headers, received.body)
    assert refused.value.reason == "unknown_serial"


def resigned(pay_sim, body: bytes) -> dict:
    """Headers WeChat's own key would put on ``body`` (to get past the signature check)."""
    return pay_sim.world.signer.signed_headers(body, int(pay_sim.now()))


def test_a_tampered_ciphertext_fails_to_decrypt(pay, pay_sim, receiver):
    (received,) = paid_notification(pay, pay_sim, receiver, "normal", "TAMPER0001")
    envelope = json.loads(received.body)
    sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    sealed[5] ^= 1
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    body = json.dumps(envelope).encode()
    with pytest.raises(NotificationRefused) as refused:
        pay.parse_notification(resigned(pay_sim, body), body)
    assert refused.value.reason == "decrypt_failed"
    with pytest.raises(NotificationRefused) as refused:    # and unsigned tampering fails sooner
        pay.parse_notification(received.headers, body)
    assert refused.value.reason == "bad_signature"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "x", "event_type": "TRANSACTION.SUCCESS"}',
                                  b'{"id": "x", "event_type": "E", "resource_type": "encrypt-resource",'
                                  b' "resource": {"algorithm": "AEAD_AES_256_GCM"}}'])
def test_a_malformed_body_is_refused(pay, pay_sim, body):
    with pytest.raises(NotificationRefused) as refused:
        pay.parse_notification(resigned(pay_sim, body), body)
    assert refused.value.reason == "bad_body"


def test_a_custom_notification_carries_what_the_test_says(pay, pay_sim, receiver):
    resource = {"sp_mchid": SP_MCHID, "sub_mchid": SUB_MCHID, "out_trade_no": "NOSUCHORDER",
                "transaction_id": "4200000000000000000000000001", "trade_state": "SUCCESS",
                "amount": {"total": 1, "payer_total": 1}, "success_time": "2026-09-21T14:00:00+08:00"}
    pay_sim.control("POST", "/sim/pay/notifications/custom", {
        "event_type": "TRANSACTION.SUCCESS", "url": receiver.url + "/api/pay/notify/transaction",
        "resource": resource})
    pay_sim.deliver_due()
    (notification,) = notifications(pay, receiver)
    assert notification.resource == resource and notification.trade().total_fen == 1


# -- refunds ------------------------------------------------------------------------------

def test_partial_then_full_refund_and_no_more(pay, pay_sim, receiver):
    place_and_pay(pay, pay_sim, "REFUND0001", total_fen=10000)
    first = pay.refund(out_refund_no="RF00000001", out_trade_no="REFUND0001", sub_mchid=SUB_MCHID,
                       refund_fen=3000, total_fen=10000, reason="服务未完成")
    assert (first.status, first.refund_fen, first.total_fen, first.sub_mchid) == ("PROCESSING", 3000, 10000, SUB_MCHID)
    again = pay.refund(out_refund_no="RF00000001", out_trade_no="REFUND0001", sub_mchid=SUB_MCHID,
                       refund_fen=3000, total_fen=10000, reason="服务未完成")
    assert again.refund_id == first.refund_id
    rest = pay.refund(out_refund_no="RF00000002", out_trade_no="REFUND0001", sub_mchid=SUB_MCHID,
                      refund_fen=7000, total_fen=10000, reason="取消")
    with pytest.raises(PayError) as error:
        pay.refund(out_refund_no="RF00000003", out_trade_no="REFUND0001", sub_mchid=SUB_MCHID,
                   refund_fen=1, total_fen=10000, reason="多退")
    assert (error.value.status, error.value.code) == (400, "INVALID_REQUEST")
    assert "exceeds" in error.value.message
    assert pay.query(out_trade_no="REFUND0001", sub_mchid=SUB_MCHID).trade_state == "REFUND"

    pay_sim.advance(5)
    assert pay_sim.deliver_due() == 3          # the payment and both refunds
    refunds = [n for n in notifications(pay, receiver) if n.event_type.startswith("REFUND")]
    assert [n.event_type for n in refunds] == ["REFUND.SUCCESS", "REFUND.SUCCESS"]
    assert {r.path for r in receiver.received[1:]} == {REFUND_NOTIFY_PATH}
    result = refunds[1].refund()
    assert (result.out_refund_no, result.refund_id, result.status) == ("RF00000002", rest.refund_id, "SUCCESS")
    assert (result.refund_fen, result.total_fen, result.out_trade_no) == (7000, 10000, "REFUND0001")
    assert result.success_time.timestamp() == int(FROZEN_NOW) + 5
    queried = pay.query_refund(out_refund_no="RF00000002", sub_mchid=SUB_MCHID)
    assert (queried.status, queried.sub_mchid) == ("SUCCESS", SUB_MCHID)
    assert pay.query_refund(out_refund_no="RF99999999", sub_mchid=SUB_MCHID) is None


def test_an_abnormal_refund_is_notified(pay, pay_sim, receiver):
    place_and_pay(pay, pay_sim, "ABNORMAL01", total_fen=500)
    pay.refund(out_refund_no="RFABNORMAL", out_trade_no="ABNORMAL01", sub_mchid=SUB_MCHID, refund_fen=500,
               total_fen=500, reason="r")
    pay_sim.control("POST", "/sim/pay/refunds/settle", {"out_refund_no": "RFABNORMAL", "status": "ABNORMAL"})
    pay_sim.deliver_due()
    assert notifications(pay, receiver)[-1].refund().status == "ABNORMAL"


def test_refunding_an_unpaid_order_is_refused(pay):
    pay.jsapi_prepay(out_trade_no="UNPAID0001", sub_mchid=SUB_MCHID, description="d", total_fen=100,
                     payer_openid=OPENID, time_expire=at(600))
    with pytest.raises(PayError):
        pay.refund(out_refund_no="RFUNPAID01", out_trade_no="UNPAID0001", sub_mchid=SUB_MCHID,
                   refund_fen=100, total_fen=100, reason="r")


# -- profit sharing ---------------------------------------------------------------------------

def test_profit_share_with_a_fee(pay, pay_sim):
    transaction_id = place_and_pay(pay, pay_sim, "SHARE00001", total_fen=10000)["transaction_id"]
    with pytest.raises(PayError) as error:      # the platform is not a receiver yet
        pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=transaction_id, out_order_no="PS00000001",
                         platform_fee_fen=500, description="平台服务费")
    assert error.value.code == "INVALID_REQUEST"
    pay.add_platform_receiver(sub_mchid=SUB_MCHID)
    pay.add_platform_receiver(sub_mchid=SUB_MCHID)
    shared = pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=transaction_id, out_order_no="PS00000001",
                              platform_fee_fen=500, description="平台服务费")
    assert shared["state"] == "PROCESSING" and shared["order_id"]
    (receiver_row,) = shared["receivers"]
    assert (receiver_row["type"], receiver_row["account"], receiver_row["amount"]) == ("MERCHANT_ID", SP_MCHID, 500)
    pay_sim.advance(60)
    done = pay.query_profit_share(sub_mchid=SUB_MCHID, transaction_id=transaction_id, out_order_no="PS00000001")
    assert done["state"] == "FINISHED" and done["receivers"][0]["result"] == "SUCCESS"
    with pytest.raises(PayError):               # unfreeze_unsplit: nothing left to share
        pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=transaction_id, out_order_no="PS00000002",
                         platform_fee_fen=100, description="again")


def test_zero_fee_unfreezes(pay, pay_sim):
    transaction_id = place_and_pay(pay, pay_sim, "UNFREEZE01", total_fen=2000)["transaction_id"]
    released = pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=transaction_id, out_order_no="UF00000001",
                                platform_fee_fen=0, description="解冻")
    assert released["state"] == "PROCESSING"
    assert released["receivers"][0]["account"] == SUB_MCHID and released["receivers"][0]["amount"] == 2000
    again = pay.unfreeze(sub_mchid=SUB_MCHID, transaction_id=transaction_id, out_order_no="UF00000001",
                         description="解冻")
    assert again["order_id"] == released["order_id"]


def test_profit_sharing_limits(pay, pay_sim):
    pay.add_platform_receiver(sub_mchid=SUB_MCHID)
    plain = place_and_pay(pay, pay_sim, "NOSHARE001", profit_sharing=False)["transaction_id"]
    with pytest.raises(PayError):
        pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=plain, out_order_no="PSNOSHARE1",
                         platform_fee_fen=100, description="fee")
    shared = place_and_pay(pay, pay_sim, "TOOMUCH001", total_fen=1000)["transaction_id"]
    with pytest.raises(PayError) as error:
        pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=shared, out_order_no="PSTOOMUCH1",
                         platform_fee_fen=301, description="more than 30%")
    assert (error.value.status, error.value.code) == (403, "NOT_ENOUGH")


# -- bills --------------------------------------------------------------------------------

def bill_day():
    return at(0).astimezone(CHINA).date()


def test_trade_bill_lists_payments_and_refunds(pay, pay_sim):
    paid = place_and_pay(pay, pay_sim, "BILL000001", total_fen=10000)["transaction_id"]
    place_and_pay(pay, pay_sim, "BILL000002", total_fen=250)
    with pytest.raises(PayUnavailable, match="STATEMENT_CREATING"):   # today's bill is made tomorrow
        pay.trade_bill(bill_day())
    pay.refund(out_refund_no="RFBILL0001", out_trade_no="BILL000001", sub_mchid=SUB_MCHID,
               refund_fen=4000, total_fen=10000, reason="r")
    pay_sim.advance(5)
    pay_sim.deliver_due()
    pay_sim.advance(86400)
    rows = pay.trade_bill(bill_day())
    assert [(r.out_trade_no, r.trade_state, r.total_fen, r.refund_fen, r.fee_fen) for r in rows] == [
        ("BILL000001", "SUCCESS", 10000, 0, 60), ("BILL000002", "SUCCESS", 250, 0, 2),
        ("BILL000001", "REFUND", 10000, 4000, -24)]
    assert rows[0].transaction_id == paid and rows[0].sub_mchid == SUB_MCHID and rows[0].sp_mchid == SP_MCHID
    assert rows[2].out_refund_no == "RFBILL0001" and rows[2].refund_status == "SUCCESS"
    assert rows[0].trade_time.timestamp() == int(FROZEN_NOW)
    assert pay.trade_bill(bill_day() - timedelta(days=30)) == []


def test_tampered_bills(pay, pay_sim):
    place_and_pay(pay, pay_sim, "TAMPERB001", total_fen=1000)
    place_and_pay(pay, pay_sim, "TAMPERB002", total_fen=2000)
    pay_sim.advance(86400)
    day = bill_day().isoformat()
    tamper = [
        {"action": "remove", "bill_date": day, "match": {"out_trade_no": "TAMPERB001"}},
        {"action": "alter", "match": {"out_trade_no": "TAMPERB002"}, "values": {"total_fen": 1999}},
        {"action": "add", "values": {"out_trade_no": "GHOST00001", "trade_time": "2026-09-21 12:00:00",
                                     "trade_state": "SUCCESS", "total_fen": 700, "sub_mchid": SUB_MCHID}},
    ]
    for edit in tamper:
        pay_sim.control("POST", "/sim/pay/bill/tamper", edit)
    rows = pay.trade_bill(bill_day())
    assert [(r.out_trade_no, r.total_fen) for r in rows] == [("TAMPERB002", 1999), ("GHOST00001", 700)]
    pay_sim.control("POST", "/sim/pay/bill/tamper", {"action": "corrupt_hash"})
    with pytest.raises(BillHashMismatch):
        pay.trade_bill(bill_day())


def test_the_composition_root_builds_the_client_from_the_config(pay_sim, pay_keys, tmp_path):
    from backend.app import attach_pay_client
    config = {"SHAOBAO_ENV": "test", "VAR_DIR": str(tmp_path),
              **pay_app_config(pay_sim, pay_keys.directory, "http://127.0.0.1:9")}
    held = runtime.Runtime(settings=config, wechat=None)
    attach_pay_client(held)
    client = held.pay_client()
    assert client is held.pay
    assert client.notify_url == "http://127.0.0.1:9/api/pay/notify/transaction"
    assert client.query(out_trade_no="FROMAPP001", sub_mchid=SUB_MCHID) is None


def test_without_wechat_pay_the_money_paths_hear_why(tmp_path):
    from backend.app import attach_pay_client
    held = runtime.Runtime(settings={"SHAOBAO_ENV": "test", "VAR_DIR": str(tmp_path),
                                     "WECHATPAY_SP_MCHID": None}, wechat=None)
    attach_pay_client(held)
    assert held.pay is None
    with pytest.raises(PayUnavailable, match="WECHATPAY_SP_MCHID is unset"):
        held.pay_client()


def test_a_key_file_that_cannot_be_read_does_not_stop_the_process(pay_sim, pay_keys, tmp_path, caplog):
    """A migration job without the key mount still runs: the app starts, the money paths
    answer why, and the log says it."""
    from backend.app import create_app
    config = {"SHAOBAO_ENV": "test", "VAR_DIR": str(tmp_path), "REDIS_URL": None,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keyless.sqlite3'}",
              **pay_app_config(pay_sim, pay_keys.directory, "http://127.0.0.1:9"),
              "WECHATPAY_PRIVATE_KEY_PATH": str(tmp_path / "not-mounted" / "apiclient_key.pem")}
    app = create_app(config)
    held = runtime.of(app)
    try:
        assert held.pay is None
        with pytest.raises(PayUnavailable, match="keys could not be loaded: FileNotFoundError"):
            held.pay_client()
        assert any("keys could not be loaded" in r.getMessage() for r in caplog.records)
    finally:
        held.wechat.close()
