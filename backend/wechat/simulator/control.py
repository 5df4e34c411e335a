"""Test-only control endpoints: play the phone's part and bend the simulated WeChat.

Bodies are JSON; a bad one answers HTTP 400 ``{"error": "..."}``. Where a body may name an
``appid`` it defaults to the app the simulator was created for.

- ``POST /sim/wx-login {"openid", "unionid"?}`` -> ``{"code"}``: what wx.login gives the phone.
  The openid becomes a user of the app (send and check calls for others answer 40003).
- ``POST /sim/phone-code {"phone"}`` -> ``{"code"}``: what the getPhoneNumber button gives.
- ``POST /sim/subscribe {"openid", "template_id", "count": 1}`` -> ``{"available"}``: the user
  accepted ``count`` more messages of that template in wx.requestSubscribeMessage.
- ``GET /sim/messages?openid=`` -> ``{"messages": [...]}``: subscribe messages sent (to one user).
- ``GET /sim/calls`` -> ``{"calls": {path: count}}``: WeChat endpoint hits, faulted ones included.
- ``POST /sim/faults {"path", "mode", "count", "delay_seconds"}``, ``GET /sim/faults``,
  ``DELETE /sim/faults``: arm, list and clear faults (see ``faults.py`` for the modes).
- ``POST /sim/clock {"advance_seconds"}`` -> ``{"now"}``, ``GET /sim/clock``: the simulated time.
- ``POST /sim/reset``: forget codes, tokens, users, subscriptions, messages, calls, faults and
  the clock offset, and all WeChat Pay state (orders, refunds, notifications, knobs).
WeChat Pay's own control endpoints are under ``/sim/pay`` (``pay_control.py``).
"""
from __future__ import annotations

from flask import Blueprint, current_app, request

from .faults import parse_fault
from .state import World

bp = Blueprint("wechat_sim_control", __name__, url_prefix="/sim")


class ControlError(Exception):
    """A malformed control request: the test is wrong, not the client under test."""


@bp.errorhandler(ControlError)
def render_control_error(error: ControlError):
    return {"error": str(error)}, 400


def world() -> World:
    return current_app.extensions["wechat_simulator"]


def json_body() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def text(body: dict, key: str, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(f"{key} must be a non-empty string")
    return value


def app_of(body: dict) -> str:
    appid = text(body, "appid", required=False) or world().primary_appid
    if not world().has_app(appid):
        raise ControlError(f"unknown appid {appid}")
    return appid


@bp.post("/wx-login")
def wx_login():
    body = json_body()
    openid, unionid = text(body, "openid"), text(body, "unionid", required=False)
    return {"code": world().issue_login_code(openid, unionid, app_of(body))}


@bp.post("/phone-code")
def phone_code():
    body = json_body()
    phone = text(body, "phone")
    if not phone.isdigit():
        raise ControlError("phone must be digits, as purePhoneNumber is")
    return {"code": world().issue_phone_code(phone, app_of(body))}


@bp.post("/subscribe")
def subscribe():
    body = json_body()
    openid, template_id, appid = text(body, "openid"), text(body, "template_id"), app_of(body)
    count = body.get("count", 1)
    if type(count) is not int or count < 1:
        raise ControlError("count must be a positive integer")
    if not world().is_user(openid, appid):
        raise ControlError("that openid never logged in; only users can accept messages")
    return {"available": world().subscribe(openid, template_id, count, appid)}


@bp.get("/messages")
def messages():
    return {"messages": world().messages(request.args.get("openid"))}


@bp.get("/calls")
def calls():
    return {"calls": world().calls()}


@bp.post("/faults")
def arm_fault():
    try:
        fault = parse_fault(json_body())
    except ValueError as error:
        raise ControlError(str(error)) from None
    world().faults.arm(fault)
    return {"faults": world().faults.listing()}


@bp.get("/faults")
def list_faults():
    return {"faults": world().faults.listing()}


@bp.delete("/faults")
def clear_faults():
    world().faults.clear()
    return {"faults": []}


@bp.post("/clock")
def advance_clock():
    seconds = json_body().get("advance_seconds")
    if type(seconds) not in (int, float) or seconds < 0:
        raise ControlError("advance_seconds must be a non-negative number")
    return {"now": world().clock.advance(seconds)}


@bp.get("/clock")
def read_clock():
    return {"now": world().clock.now()}


@bp.post("/reset")
def reset():
    world().reset()
    pay = current_app.extensions.get("wechat_pay_simulator")
    if pay is not None:
        pay.reset()
    return {"reset": True}
