"""WeChat mini-program server endpoints, at their real paths with their real shapes.

Errors are HTTP 200 with ``{"errcode", "errmsg"}`` as WeChat sends them. Request bodies are
read as JSON whatever the Content-Type says: WeChat does, and wechatpy sends none.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request

from .data_rules import check_data
from .errors import WxFailure, new_rid
from .state import World

bp = Blueprint("wechat_mp", __name__)

SCENES = (1, 2, 3, 4)            # profile, comment, forum, social log
MINIPROGRAM_STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")
LABEL_NORMAL = 100


def world() -> World:
    return current_app.extensions["wechat_simulator"]


@bp.before_request
def log_call_and_inject_fault():
    sim = world()
    sim.record_call(request.path)
    fault = sim.faults.take(request.path)
    if fault is None:
        return None
    if fault.mode == "timeout":
        sim.wait(fault.delay_seconds)
        return None
    if fault.mode == "busy":
        return WxFailure(-1).body()
    if fault.mode == "not_found":
        return "Not Found", 404
    return "Internal Server Error", 500


@bp.errorhandler(WxFailure)
def render_failure(failure: WxFailure):
    return failure.body()


def json_body() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise WxFailure(47001)
    return body


def token_appid() -> str:
    return world().app_for_token(request.args.get("access_token"))


@bp.get("/cgi-bin/token")
def access_token():
    args = request.args
    if args.get("grant_type") != "client_credential":
        raise WxFailure(40002)
    world().check_app(args.get("appid"), args.get("secret"))
    value, expires_in = world().basic_token(args["appid"])
    return {"access_token": value, "expires_in": expires_in}


@bp.post("/cgi-bin/stable_token")
def stable_token():
    body = json_body()
    force = body.get("force_refresh", False)
    if not isinstance(force, bool):
        raise WxFailure(47001)
    if body.get("grant_type") != "client_credential":
        raise WxFailure(40002)
    world().check_app(body.get("appid"), body.get("secret"))
    value, expires_in = world().stable_token(body["appid"], force)
    return {"access_token": value, "expires_in": expires_in}


@bp.get("/sns/jscode2session")
def code_to_session():
    # wechatpy adds an access_token to this call; WeChat does not need it, neither do we.
    args = request.args
    world().check_app(args.get("appid"), args.get("secret"))
    if args.get("grant_type") != "authorization_code":
        raise WxFailure(40002)
    return world().redeem_login_code(args["appid"], args.get("js_code"))


@bp.post("/wxa/business/getuserphonenumber")
def phone_number():
    appid = token_appid()
    phone, shared_at = world().redeem_phone_code(appid, json_body().get("code"))
    info = {"phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
            "watermark": {"timestamp": shared_at, "appid": appid}}
    return {"errcode": 0, "errmsg": "ok", "phone_info": info}


@bp.post("/cgi-bin/message/subscribe/send")
def send_subscribe_message():
    appid = token_appid()
    body = json_body()
    world().require_user(appid, body.get("touser"))
    message = subscribe_message(body)
    msgid = world().send_subscribe_message(appid, message)
    return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


def subscribe_message(body: dict) -> dict:
    """The message as WeChat would store it, or 40037/47003 for what it would refuse."""
    if not isinstance(body.get("template_id"), str) or not body["template_id"]:
        raise WxFailure(40037)
    check_data(body.get("data"))
    state = body.get("miniprogram_state", "formal")
    lang = body.get("lang", "zh_CN")
    page = body.get("page")
    if state not in MINIPROGRAM_STATES:
        raise WxFailure(47003, "miniprogram_state is invalid")
    if lang not in LANGS:
        raise WxFailure(47003, "lang is invalid")
    if page is not None and not isinstance(page, str):
        raise WxFailure(47003, "page is invalid")
    return {"touser": body["touser"], "template_id": body["template_id"], "page": page,
            "data": body["data"], "miniprogram_state": state, "lang": lang}


@bp.post("/wxa/msg_sec_check")
def msg_sec_check():
    appid = token_appid()
    body = json_body()
    if not well_formed_check(body):
        raise WxFailure(47001)
    world().require_user(appid, body["openid"])
    result, detail = assess(body["content"], world().risky_words)
    return {"errcode": 0, "errmsg": "ok", "result": result, "detail": detail, "trace_id": new_rid()}


def well_formed_check(body: dict) -> bool:
    version, scene = body.get("version"), body.get("scene")
    # WeChat documents version as a string but its own examples send a number.
    return (version in (2, "2") and type(scene) is int and scene in SCENES
            and all(isinstance(body.get(k), str) and body[k] for k in ("openid", "content")))


def assess(content: str, risky_words: dict[str, int]) -> tuple[dict, list[dict]]:
    """The v2 verdict: a keyword hit is risky with its label; anything else passes."""
    hit = next(((word, label) for word, label in risky_words.items() if word in content), None)
    if hit is None:
        model = {"strategy": "content_model", "errcode": 0, "suggest": "pass",
                 "label": LABEL_NORMAL, "prob": 0}
        return {"suggest": "pass", "label": LABEL_NORMAL}, [model]
    word, label = hit
    model = {"strategy": "content_model", "errcode": 0, "suggest": "risky", "label": label, "prob": 90}
    keyword = {"strategy": "keyword", "errcode": 0, "suggest": "risky", "label": label,
               "level": 20, "keyword": word}
    return {"suggest": "risky", "label": label}, [model, keyword]
