"""Test-only WeChat Pay control endpoints: play the phone's part and bend the simulated Pay.

Bodies are JSON; a malformed one answers HTTP 400 ``{"error": "..."}``.

- ``POST /sim/pay/request-payment {appId, timeStamp, nonceStr, package, signType, paySign,
  openid, "fail"?}``: what the phone passes to wx.requestPayment, plus who pays. paySign is
  checked with the merchant public key as WeChat does. Paid: ``{"errMsg":
  "requestPayment:ok", "transaction_id"}`` and a TRANSACTION.SUCCESS notification is queued
  to the order's notify_url. Refused (bad sign, closed, expired, paid, other user): HTTP 409
  ``{"errMsg": "requestPayment:fail ...", "error"}``. ``"fail": true``: the payment fails
  (PAYERROR, no notification); ``"deliver": true``: deliver what is due before answering.
- ``POST /sim/pay/notify-mode {"mode", "count": 1}``: how the next ``count`` notifications
  go: normal (clears), drop, delay, duplicate, reorder, forge, signtest, stale (pay_notify.py).
- ``POST /sim/pay/notifications/deliver-due`` -> ``{"sent"}``: send what is due on the sim
  clock (first settling refunds whose time has come). ``serve()`` does this every second.
- ``POST /sim/pay/notifications/release`` -> ``{"sent"}``: send the held (delay/reorder) ones.
- ``POST /sim/pay/notifications/custom {"event_type", "url", "resource", "summary"?,
  "original_type"?}`` -> ``{"id"}``: a correctly signed notification with any resource
  (amount mismatch, unknown order); queued like the others, so modes apply.
- ``GET /sim/pay/notifications`` -> ``{"deliveries", "attempts", "dropped", "armed"}``: every
  attempt with id, event_type, url, kind, attempt number and the HTTP status received
  (null: no answer).
- ``POST /sim/pay/refunds/settle {"out_refund_no", "sub_mchid"?, "status"}``: a PROCESSING
  refund ends now as SUCCESS, ABNORMAL or CLOSED (with its notification).
- ``POST /sim/pay/bad-signature {"count": 1}``: sign the next answers wrongly.
- ``POST /sim/pay/bill/tamper {"action": add|alter|remove|corrupt_hash, "bill_date"?,
  "match"?: {BillRow field: value}, "values"?: {BillRow field: value}}``: edit bills (money
  fields in fen).
- ``GET /sim/pay/orders``: the orders as the simulator holds them.
- ``POST /sim/pay/profit-sharing/forget {"out_order_no"}``: WeChat no longer knows that
  profit share (queries answer 404 RESOURCE_NOT_EXISTS; what it moved is frozen again), as
  a simulator that lost its memory answered.
``POST /sim/reset`` clears all of this; ``POST /sim/clock`` moves the time it runs on.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request

from .pay_notify import MODES
from .pay_state import PaymentRefused, PayWorld

bp = Blueprint("wechat_pay_sim_control", __name__, url_prefix="/sim/pay")
PAYMENT_FIELDS = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")
SETTLE_STATUSES = ("SUCCESS", "ABNORMAL", "CLOSED")


class ControlError(Exception):
    """A malformed control request: the test is wrong, not the client under test."""


@bp.errorhandler(ControlError)
def render_control_error(error: ControlError):
    return {"error": str(error)}, 400


@bp.errorhandler(PaymentRefused)
def render_refused_payment(error: PaymentRefused):
    return {"errMsg": f"requestPayment:fail {error}", "error": str(error)}, 409


def world() -> PayWorld:
    return current_app.extensions["wechat_pay_simulator"]


def json_body() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def count_of(body: dict) -> int:
    count = body.get("count", 1)
    if type(count) is not int or count < 1:
        raise ControlError("count must be a positive integer")
    return count


@bp.post("/request-payment")
def request_payment():
    body = json_body()
    if any(not isinstance(body.get(k), str) for k in PAYMENT_FIELDS + ("openid",)):
        raise ControlError(f"{', '.join(PAYMENT_FIELDS)} and openid must be strings")
    order = world().pay({k: body[k] for k in PAYMENT_FIELDS}, body["openid"], fail=body.get("fail") is True)
    if body.get("deliver") is True:
        deliver_due()
    if order.state != "SUCCESS":
        raise PaymentRefused("支付失败 (the payment failed)")
    return {"errMsg": "requestPayment:ok", "transaction_id": order.transaction_id}


@bp.post("/notify-mode")
def notify_mode():
    body = json_body()
    if body.get("mode") not in MODES:
        raise ControlError(f"mode must be one of {', '.join(MODES)}")
    return {"armed": world().notifier.arm(body["mode"], count_of(body))}


@bp.post("/notifications/deliver-due")
def deliver_due():
    pay = world()
    pay.tick()
    return {"sent": pay.notifier.deliver_due()}


@bp.post("/notifications/release")
def release():
    pay = world()
    pay.notifier.release()
    return {"sent": pay.notifier.deliver_due()}


@bp.post("/notifications/custom")
def custom_notification():
    body = json_body()
    event_type, url, resource = body.get("event_type"), body.get("url"), body.get("resource")
    if not isinstance(event_type, str) or not isinstance(url, str) or not isinstance(resource, dict):
        raise ControlError("event_type and url must be strings, resource an object")
    original = body.get("original_type") or ("refund" if event_type.startswith("REFUND") else "transaction")
    notification_id = world().notifier.enqueue(event_type, body.get("summary", "自定义通知"), original, url, resource)
    return {"id": notification_id}


@bp.get("/notifications")
def notifications():
    return world().notifier.listing()


@bp.post("/refunds/settle")
def settle_refund():
    body = json_body()
    if not isinstance(body.get("out_refund_no"), str) or body.get("status") not in SETTLE_STATUSES:
        raise ControlError(f"out_refund_no and a status of {', '.join(SETTLE_STATUSES)} are needed")
    try:
        return world().settle_refund(body.get("sub_mchid"), body["out_refund_no"], body["status"])
    except KeyError:
        raise ControlError(f"no refund {body['out_refund_no']}") from None


@bp.post("/bad-signature")
def bad_signature():
    pay = world()
    pay.bad_signatures += count_of(json_body())
    return {"bad_signatures": pay.bad_signatures}


@bp.post("/bill/tamper")
def tamper_bill():
    try:
        world().bills.tamper(json_body())
    except ValueError as error:
        raise ControlError(str(error)) from None
    return {"tampered": True}


@bp.get("/orders")
def orders():
    return {"orders": world().orders_listing()}


@bp.post("/profit-sharing/forget")
def forget_share():
    body = json_body()
    if not isinstance(body.get("out_order_no"), str):
        raise ControlError("out_order_no must be a string")
    if not world().forget_share(body["out_order_no"]):
        raise ControlError(f"no profit share {body['out_order_no']}")
    return {"forgotten": body["out_order_no"]}
