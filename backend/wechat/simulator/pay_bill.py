"""The simulated trade bill (交易账单) in WeChat's CSV format, and the tamper knob.

One line per payment made on the day and per refund settled on the day (Beijing time),
every value prefixed with a backtick; then the summary header and line. The fee is 0.6%
rounded to the fen, and given back in proportion on a refund line (negative).

Tampering (for reconciliation tests) is a list of edits applied when a bill is made:
``add`` a line (fields by BillRow name), ``alter`` the lines matching ``match`` with
``values``, ``remove`` them, or ``corrupt_hash`` so the announced SHA1 is wrong.
"""
from __future__ import annotations

import gzip
import hashlib
import secrets
import threading
from datetime import date, datetime

from .pay_records import CHINA, Order, Refund
from .pay_store import NoStore

HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
          "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
          "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注").split(",")
SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额".split(",")
FEE_RATE_PER_MILLE = 6
# BillRow field names (backend/wechat/pay_bill.py) -> columns, for the tamper knob.
FIELDS = {"trade_time": "交易时间", "sp_appid": "公众账号ID", "sp_mchid": "商户号",
          "sub_mchid": "特约商户号", "transaction_id": "微信订单号", "out_trade_no": "商户订单号",
          "trade_state": "交易状态", "total_fen": "订单金额", "refund_id": "微信退款单号",
          "out_refund_no": "商户退款单号", "refund_fen": "退款金额", "refund_status": "退款状态",
          "fee_fen": "手续费"}
MONEY = {"total_fen", "refund_fen", "fee_fen"}
ACTIONS = ("add", "alter", "remove", "corrupt_hash")


def fee(fen: int) -> int:
    return (fen * FEE_RATE_PER_MILLE + 500) // 1000


def day_of(seconds: float) -> date:
    return datetime.fromtimestamp(seconds, CHINA).date()


def local(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), CHINA).strftime("%Y-%m-%d %H:%M:%S")


def yuan(fen: int, places: int = 2) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}" + "0" * (places - 2)


def payment_line(order: Order) -> dict:
    line = dict.fromkeys(HEADER, "")
    line.update({"交易时间": local(order.success_time), "公众账号ID": order.sp_appid,
                 "商户号": order.sp_mchid, "特约商户号": order.sub_mchid, "微信订单号": order.transaction_id,
                 "商户订单号": order.out_trade_no, "用户标识": order.openid, "交易类型": "JSAPI",
                 "交易状态": "SUCCESS", "付款银行": "OTHERS", "货币种类": "CNY",
                 "应结订单金额": yuan(order.total), "代金券金额": "0.00", "退款金额": "0.00",
                 "充值券退款金额": "0.00", "商品名称": order.description,
                 "手续费": yuan(fee(order.total), 5), "费率": "0.60%", "订单金额": yuan(order.total),
                 "申请退款金额": "0.00"})
    return line


def refund_line(refund: Refund) -> dict:
    line = payment_line(refund.order)
    line.update({"交易时间": local(refund.success_time), "交易状态": "REFUND",
                 "微信退款单号": refund.refund_id, "商户退款单号": refund.out_refund_no,
                 "退款金额": yuan(refund.amount), "申请退款金额": yuan(refund.amount),
                 "退款类型": "ORIGINAL", "退款状态": "SUCCESS",
                 "手续费": yuan(-fee(refund.amount), 5)})
    return line


def tamper_value(field: str, value) -> str:
    if field in MONEY:
        return yuan(int(value), 5 if field == "fee_fen" else 2)
    return str(value)


class BillBook:
    """Tamper edits (kept in the store), and the files made for download (by token)."""

    def __init__(self, store=None):
        self.store = store or NoStore()
        self._lock = threading.Lock()
        self.reset()

    def load(self, edits: list[dict]) -> None:
        with self._lock:
            self._edits = [edit["edit"] for edit in edits]

    def reset(self) -> None:
        with self._lock:
            self._edits: list[dict] = []
            self._files: dict[str, bytes] = {}

    def tamper(self, edit: dict) -> None:
        if edit.get("action") not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
        unknown = set(edit.get("values", {})) | set(edit.get("match", {}))
        if unknown - FIELDS.keys():
            raise ValueError(f"unknown fields {sorted(unknown - FIELDS.keys())}")
        with self._lock:
            self._edits.append(edit)
            self.store.put("bill_edit", str(len(self._edits)), {"edit": edit})

    def make(self, day: date, bill_type: str, orders: list[Order], refunds: list[Refund],
             gzipped: bool) -> tuple[bytes, str, str] | None:
        """(file, sha1, token) for the day's bill, or None when it has no line."""
        lines = [payment_line(o) for o in orders if day_of(o.success_time) == day and bill_type != "REFUND"]
        lines += [refund_line(r) for r in refunds if day_of(r.success_time) == day and bill_type != "SUCCESS"]
        with self._lock:
            edits = [e for e in self._edits if e.get("bill_date") in (None, day.isoformat())]
        lines, corrupt = self._apply(lines, edits)
        if not lines:
            return None
        text = render(lines).encode()
        digest = hashlib.sha1(text).hexdigest()
        if corrupt:
            digest = hashlib.sha1(text + b"tampered").hexdigest()
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._files[token] = gzip.compress(text) if gzipped else text
        return self._files[token], digest, token

    def download(self, token: str) -> bytes | None:
        with self._lock:
            return self._files.get(token)

    @staticmethod
    def _apply(lines: list[dict], edits: list[dict]) -> tuple[list[dict], bool]:
        corrupt = False
        for edit in edits:
            values = {FIELDS[k]: tamper_value(k, v) for k, v in edit.get("values", {}).items()}
            match = {FIELDS[k]: str(v) for k, v in edit.get("match", {}).items()}
            hits = [line for line in lines if all(line[c] == v for c, v in match.items())]
            if edit["action"] == "add":
                lines.append({**(hits[0] if hits and match else dict.fromkeys(HEADER, "")), **values})
            elif edit["action"] == "alter":
                for line in hits:
                    line.update(values)
            elif edit["action"] == "remove":
                lines = [line for line in lines if line not in hits]
            else:
                corrupt = True
        return lines, corrupt


def render(lines: list[dict]) -> str:
    def cells(values) -> str:
        return ",".join("`" + str(v).replace(",", " ") for v in values)

    settled = [line for line in lines if line["交易状态"] != "REFUND"]
    summary = [str(len(lines)), yuan(sum(_fen(line["应结订单金额"]) for line in settled)),
               yuan(sum(_fen(line["退款金额"]) for line in lines)), "0.00",
               yuan(sum(_fen(line["手续费"]) for line in lines), 5),
               yuan(sum(_fen(line["订单金额"]) for line in settled)),
               yuan(sum(_fen(line["申请退款金额"]) for line in lines))]
    rows = [",".join(HEADER)] + [cells(line[c] for c in HEADER) for line in lines]
    return "\r\n".join(rows + [",".join(SUMMARY), cells(summary)]) + "\r\n"


def _fen(text: str) -> int:
    if not text:
        return 0
    negative = text.startswith("-")
    whole, _, decimals = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int((decimals + "00")[:2])
    return -value if negative else value
