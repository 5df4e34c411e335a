"""WeChat Pay API v3 endpoints (service-provider mode), at their real paths and shapes.

Every request must carry the merchant's ``Authorization`` signature (else 401 SIGN_ERROR);
every answer is signed with the platform key (``Wechatpay-*`` headers), errors included,
as WeChat does; only the bill file itself is unsigned (its SHA1 comes in the signed answer
that announced it). Errors are ``{"code", "message"}`` with WeChat's HTTP statuses. The
simulator's fault table applies here too: ``busy`` answers 500 SYSTEM_ERROR, ``not_found``
404 RESOURCE_NOT_EXISTS.
"""
from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from .pay_bill import day_of
from .pay_sign import PayFailure
from .pay_state import PayWorld
from .state import World

bp = Blueprint("wechat_pay", __name__)

DOWNLOAD_PATH = "/v3/billdownload/file"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BILL_TYPES = ("ALL", "SUCCESS", "REFUND")


def pay_world() -> PayWorld:
    return current_app.extensions["wechat_pay_simulator"]


def request_uri() -> str:
    """The path and query exactly as sent: what the merchant signed."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")


@bp.before_request
def check_request():
    sim: World = current_app.extensions["wechat_simulator"]
    sim.record_call(request.path)
    fault = sim.faults.take(request.path)
    if fault is not None and fault.mode == "timeout":
        sim.wait(fault.delay_seconds)
    elif fault is not None and fault.mode == "busy":
        raise PayFailure(500, "SYSTEM_ERROR", "系统错误")
    elif fault is not None and fault.mode == "not_found":
        raise PayFailure(404, "RESOURCE_NOT_EXISTS", "记录不存在")
    elif fault is not None:
        return Response("Internal Server Error", 500)
    pay_world().signer.check_request(request.headers.get("Authorization", ""), request.method,
                                     request_uri(), request.get_data(as_text=True))
    return None


@bp.after_request
def sign_answer(response: Response) -> Response:
    if request.path == DOWNLOAD_PATH or response.status_code == 500 and not response.is_json:
        return response
    world = pay_world()
    forged = world.take_bad_signature()
    response.headers.update(world.signer.signed_headers(response.get_data(), int(world.clock.now()), forged))
    return response


@bp.errorhandler(PayFailure)
def render_failure(failure: PayFailure):
    return failure.body(), failure.status


def json_body() -> dict:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PayFailure(400, "PARAM_ERROR", "请求体不是 JSON 对象")
    return body


@bp.post("/v3/pay/partner/transactions/jsapi")
def jsapi_prepay():
    return {"prepay_id": pay_world().prepay(json_body())}


@bp.get("/v3/pay/partner/transactions/out-trade-no/<out_trade_no>")
def query_by_out_trade_no(out_trade_no: str):
    args = request.args
    return pay_world().query(args.get("sub_mchid"), out_trade_no, args.get("sp_mchid"))


@bp.get("/v3/pay/partner/transactions/id/<transaction_id>")
def query_by_transaction_id(transaction_id: str):
    return pay_world().query_transaction(request.args.get("sub_mchid"), transaction_id)


@bp.post("/v3/pay/partner/transactions/out-trade-no/<out_trade_no>/close")
def close_order(out_trade_no: str):
    body = json_body()
    pay_world().close(body.get("sub_mchid"), out_trade_no, body.get("sp_mchid"))
    return Response(status=204)


@bp.post("/v3/refund/domestic/refunds")
def create_refund():
    return pay_world().refund(json_body())


@bp.get("/v3/refund/domestic/refunds/<out_refund_no>")
def query_refund(out_refund_no: str):
    return pay_world().query_refund(request.args.get("sub_mchid"), out_refund_no)


@bp.post("/v3/profitsharing/receivers/add")
def add_receiver():
    return pay_world().add_receiver(json_body(), request.headers.get("Wechatpay-Serial"))


@bp.post("/v3/profitsharing/orders")
def profit_share():
    return pay_world().share(json_body())


@bp.post("/v3/profitsharing/orders/unfreeze")
def unfreeze():
    return pay_world().unfreeze(json_body())


@bp.get("/v3/profitsharing/orders/<out_order_no>")
def query_profit_share(out_order_no: str):
    args = request.args
    return pay_world().query_share(args.get("sub_mchid"), out_order_no, args.get("transaction_id"))


@bp.get("/v3/bill/tradebill")
def trade_bill():
    args = request.args
    day, bill_type = args.get("bill_date", ""), args.get("bill_type", "ALL")
    if not DAY.match(day) or bill_type not in BILL_TYPES or args.get("tar_type") not in (None, "GZIP"):
        raise PayFailure(400, "PARAM_ERROR", "bill_date/bill_type/tar_type")
    world = pay_world()
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise PayFailure(400, "PARAM_ERROR", "bill_date") from None
    if wanted >= day_of(world.clock.now()):
        raise PayFailure(400, "STATEMENT_CREATING", "账单生成中 (a day's bill is ready the next day)")
    orders, refunds = world.bill_lines()
    made = world.bills.make(wanted, bill_type, orders, refunds, gzipped=args.get("tar_type") == "GZIP")
    if made is None:
        raise PayFailure(400, "NO_STATEMENT_EXIST", "账单文件不存在")
    _, digest, token = made
    return {"hash_type": "SHA1", "hash_value": digest,
            "download_url": f"{request.host_url.rstrip('/')}{DOWNLOAD_PATH}?token={token}"}


@bp.get(DOWNLOAD_PATH)
def download_bill():
    content = pay_world().bills.download(request.args.get("token", ""))
    if content is None:
        raise PayFailure(400, "INVALID_REQUEST", "token 无效")
    return Response(content, mimetype="application/octet-stream")
