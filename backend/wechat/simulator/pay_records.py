"""The simulated WeChat Pay's records and how each looks in WeChat's JSON.

Times are sim-clock seconds inside, RFC 3339 in Beijing time outside, as WeChat shows them.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .pay_sign import PayFailure

CHINA = timezone(timedelta(hours=8))
PAID_STATES = ("SUCCESS", "REFUND")
STATE_DESC = {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭", "REFUND": "转入退款",
              "PAYERROR": "支付失败", "USERPAYING": "用户支付中", "REVOKED": "已撤销"}
OUT_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{6,32}$")
MCHID = re.compile(r"^\d{8,12}$")


def rfc3339(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(int(seconds), CHINA).isoformat(timespec="seconds")


def parse_rfc3339(value) -> float:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise param_error("time_expire is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise param_error("time_expire has no time zone")
    return moment.timestamp()


def digits(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice("0123456789") for _ in range(length - len(prefix)))


def param_error(message: str) -> PayFailure:
    return PayFailure(400, "PARAM_ERROR", f"参数错误: {message}")


def invalid(message: str) -> PayFailure:
    return PayFailure(400, "INVALID_REQUEST", message)


@dataclass
class Order:
    sp_appid: str
    sp_mchid: str
    sub_mchid: str
    out_trade_no: str
    description: str
    total: int
    openid: str
    notify_url: str
    time_expire: float | None
    profit_sharing: bool
    prepay_id: str
    prepaid_at: float
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: float | None = None
    refunded: int = 0           # refunds not CLOSED
    shared: int = 0             # profit shared or unfrozen so far
    sharing_finished: bool = False

    def terms(self) -> tuple:
        """What a repeated prepay must repeat to be the same order."""
        return (self.sp_appid, self.description, self.total, self.openid, self.notify_url,
                self.time_expire, self.profit_sharing)

    def as_json(self) -> dict:
        body = {"sp_appid": self.sp_appid, "sp_mchid": self.sp_mchid, "sub_mchid": self.sub_mchid,
                "out_trade_no": self.out_trade_no, "trade_state": self.state,
                "trade_state_desc": STATE_DESC[self.state], "attach": "",
                "amount": {"total": self.total, "currency": "CNY"}}
        if self.transaction_id:
            body.update(transaction_id=self.transaction_id, trade_type="JSAPI", bank_type="OTHERS",
                        success_time=rfc3339(self.success_time), payer={"sp_openid": self.openid})
            body["amount"].update(payer_total=self.total, payer_currency="CNY")
        return body


@dataclass
class Refund:
    order: Order
    out_refund_no: str
    refund_id: str
    amount: int
    reason: str | None
    notify_url: str | None
    created_at: float
    settle_at: float
    status: str = "PROCESSING"
    success_time: float | None = None

    def as_json(self) -> dict:
        body = {"refund_id": self.refund_id, "out_refund_no": self.out_refund_no,
                "transaction_id": self.order.transaction_id, "out_trade_no": self.order.out_trade_no,
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                "create_time": rfc3339(self.created_at), "status": self.status,
                "funds_account": "AVAILABLE", "amount": self._amount()}
        if self.success_time is not None:
            body["success_time"] = rfc3339(self.success_time)
        return body

    def notification_resource(self) -> dict:
        body = {"sp_mchid": self.order.sp_mchid, "sub_mchid": self.order.sub_mchid,
                "transaction_id": self.order.transaction_id, "out_trade_no": self.order.out_trade_no,
                "refund_id": self.refund_id, "out_refund_no": self.out_refund_no,
                "refund_status": self.status, "user_received_account": "支付用户零钱",
                "amount": {"total": self.order.total, "refund": self.amount,
                           "payer_total": self.order.total, "payer_refund": self.amount}}
        if self.success_time is not None:
            body["success_time"] = rfc3339(self.success_time)
        return body

    def _amount(self) -> dict:
        return {"total": self.order.total, "refund": self.amount, "payer_total": self.order.total,
                "payer_refund": self.amount, "settlement_total": self.order.total,
                "settlement_refund": self.amount, "discount_refund": 0, "currency": "CNY"}


@dataclass
class Share:
    """A profit-sharing order (or an unfreeze, which is one with the sub-merchant as receiver)."""
    order: Order
    out_order_no: str
    order_id: str
    receivers: list[dict]
    created_at: float
    finish_at: float
    request: tuple = field(default=())

    def as_json(self, now: float) -> dict:
        finished = now >= self.finish_at
        receivers = [{**r, "result": "SUCCESS" if finished else "PENDING",
                      "create_time": rfc3339(self.created_at),
                      **({"finish_time": rfc3339(self.finish_at)} if finished else {})}
                     for r in self.receivers]
        return {"sub_mchid": self.order.sub_mchid, "transaction_id": self.order.transaction_id,
                "out_order_no": self.out_order_no, "order_id": self.order_id,
                "state": "FINISHED" if finished else "PROCESSING", "receivers": receivers}
