"""The project's WeChat Pay client: API v3, service-provider (partner) mode, over wechatpayv3.

What it adds to wechatpayv3 2.0.4, and why:
- every call goes to ``base_url`` (configuration; the library's only hook is the private
  ``_core._gate_way``), so tests, scripts/run and the demo talk to the loopback simulator;
- WeChat's answers become records (Trade, RefundResult, BillRow, Notification) in fen and
  UTC, and failures two exceptions callers can act on: PayError (WeChat said no; ``code``
  says why) and PayUnavailable (no trustworthy answer now: retry, and query first);
- notifications get the checks the library skips: a 5-minute timestamp window, the
  ``WECHATPAY/SIGNTEST/`` probes, an unknown key id, each with a reason the caller can log;
- the trade bill is downloaded, checked against its SHA1 and parsed.
Responses are verified by the library (public-key mode: nothing is fetched at start). No
key, openid or body is ever logged.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from urllib.parse import urlsplit

import requests
from wechatpayv3 import WeChatPay, WeChatPayType

from .pay_bill import CHINA, BillFormatError, BillRow, parse_trade_bill
from .pay_notification import NOTIFY_WINDOW_SECONDS, verify_notification
from .pay_types import REFUSAL_REASONS, Notification, NotificationRefused, PayError, PayUnavailable, RefundResult, Trade

__all__ = ["PayClient", "PayError", "PayUnavailable", "BillHashMismatch",
           "NotificationRefused", "REFUSAL_REASONS", "Trade", "RefundResult", "Notification",
           "BillRow", "NOTIFY_WINDOW_SECONDS"]

logger = logging.getLogger(__name__)

# Codes WeChat documents as "try again": a busy system, a rate limit, a bill still being
# made; not a refusal.
RETRY_CODES = ("SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANKERROR", "STATEMENT_CREATING")
NOT_FOUND_CODES = ("ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS", "NOT_FOUND")


class BillHashMismatch(PayUnavailable):
    """The downloaded bill does not match the hash WeChat gave: fetch it again later."""


class PayClient:
    """The WeChat Pay API v3 calls the order service needs, as the service provider."""

    def __init__(self, *, base_url: str, sp_mchid: str, sp_appid: str, private_key_pem: str,
                 cert_serial_no: str, apiv3_key: str, public_key_pem: str, public_key_id: str,
                 notify_url: str, refund_notify_url: str, sp_name: str | None = None,
                 timeout: float = 5.0, clock: Callable[[], float] = time.time):
        self.sp_mchid, self.sp_appid, self.sp_name = sp_mchid, sp_appid, sp_name
        self.public_key_id = public_key_id
        self.notify_url, self.refund_notify_url = notify_url, refund_notify_url
        self._apiv3_key = apiv3_key
        self._clock = clock
        self._base = base_url.rstrip("/")
        self._wxpay = WeChatPay(
            wechatpay_type=WeChatPayType.MINIPROG, mchid=sp_mchid, private_key=private_key_pem,
            cert_serial_no=cert_serial_no, appid=sp_appid, apiv3_key=apiv3_key,
            notify_url=notify_url, partner_mode=True, timeout=timeout,
            public_key=public_key_pem, public_key_id=public_key_id)
        self._wxpay._core._gate_way = self._base

    def __repr__(self) -> str:
        return f"PayClient(sp_mchid={self.sp_mchid!r}, base_url={self._base!r})"

    # -- payments -----------------------------------------------------------------------

    def jsapi_prepay(self, *, out_trade_no: str, sub_mchid: str, description: str, total_fen: int,
                     payer_openid: str, time_expire: datetime, profit_sharing: bool = True) -> str:
        """Place the order with WeChat; the prepay_id the phone pays with (valid two hours)."""
        data = self._call("prepay", out_trade_no, lambda: self._wxpay.pay(
            description=description, out_trade_no=out_trade_no, sub_mchid=sub_mchid,
            amount={"total": total_fen, "currency": "CNY"}, payer={"sp_openid": payer_openid},
            time_expire=rfc3339(time_expire), settle_info={"profit_sharing": profit_sharing}))
        return _need(data, "prepay_id")

    def payment_params(self, prepay_id: str) -> dict:
        """What the mini-program passes to wx.requestPayment, signed with the merchant key."""
        params = {"appId": self.sp_appid, "timeStamp": str(int(self._clock())),
                  "nonceStr": secrets.token_hex(16).upper(), "package": f"prepay_id={prepay_id}",
                  "signType": "RSA"}
        params["paySign"] = self._wxpay.sign(
            [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]])
        return params

    def query(self, *, out_trade_no: str, sub_mchid: str) -> Trade | None:
        """The order as WeChat has it; None when WeChat never heard of it."""
        try:
            data = self._call("query", out_trade_no, lambda: self._wxpay.query(
                out_trade_no=out_trade_no, sub_mchid=sub_mchid))
        except PayError as error:
            if error.code in NOT_FOUND_CODES:
                return None
            raise
        return Trade.from_resource(data)

    def close(self, *, out_trade_no: str, sub_mchid: str) -> None:
        """Make sure the order can no longer be paid. Closing a closed or unknown order is
        fine; a paid one raises PayError ORDERPAID (query it and treat it as paid)."""
        try:
            self._call("close", out_trade_no, lambda: self._wxpay.close(
                out_trade_no=out_trade_no, sub_mchid=sub_mchid))
        except PayError as error:
            if error.code not in NOT_FOUND_CODES + ("ORDER_CLOSED",):
                raise

    # -- refunds ------------------------------------------------------------------------

    def refund(self, *, out_refund_no: str, out_trade_no: str, sub_mchid: str, refund_fen: int,
               total_fen: int, reason: str) -> RefundResult:
        """Ask for a refund (usually PROCESSING; the outcome comes by notification or query).
        The same out_refund_no with the same amounts answers the same refund."""
        data = self._call("refund", out_refund_no, lambda: self._wxpay.refund(
            out_refund_no=out_refund_no, out_trade_no=out_trade_no, sub_mchid=sub_mchid,
            amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            reason=reason, notify_url=self.refund_notify_url))
        return _with_sub_mchid(RefundResult.from_resource(data), sub_mchid)

    def query_refund(self, *, out_refund_no: str, sub_mchid: str) -> RefundResult | None:
        try:
            data = self._call("query_refund", out_refund_no, lambda: self._wxpay.query_refund(
                out_refund_no=out_refund_no, sub_mchid=sub_mchid))
        except PayError as error:
            if error.code in NOT_FOUND_CODES:
                return None
            raise
        return _with_sub_mchid(RefundResult.from_resource(data), sub_mchid)

    # -- profit sharing -----------------------------------------------------------------

    def add_platform_receiver(self, *, sub_mchid: str) -> None:
        """Let the sub-merchant's payments share a fee to the platform (idempotent)."""
        self._call("add_receiver", sub_mchid, lambda: self._wxpay.profitsharing_add_receiver(
            account_type="MERCHANT_ID", account=self.sp_mchid, relation_type="SERVICE_PROVIDER",
            name=self.sp_name, sub_mchid=sub_mchid))

    def profit_share(self, *, sub_mchid: str, transaction_id: str, out_order_no: str,
                     platform_fee_fen: int, description: str) -> dict:
        """Take the platform fee and release the rest to the sub-merchant. WeChat's answer:
        ``{"state": "PROCESSING"|"FINISHED", "order_id", "receivers", ...}``. A zero fee
        is an unfreeze (WeChat refuses an empty receiver list)."""
        if platform_fee_fen <= 0:
            return self.unfreeze(sub_mchid=sub_mchid, transaction_id=transaction_id,
                                 out_order_no=out_order_no, description=description)
        receiver = {"type": "MERCHANT_ID", "account": self.sp_mchid, "amount": platform_fee_fen,
                    "description": description}
        return self._call("profit_share", out_order_no, lambda: self._wxpay.profitsharing_order(
            transaction_id=transaction_id, out_order_no=out_order_no, receivers=[receiver],
            unfreeze_unsplit=True, sub_mchid=sub_mchid))

    def unfreeze(self, *, sub_mchid: str, transaction_id: str, out_order_no: str,
                 description: str) -> dict:
        """Release everything still frozen on a profit-sharing payment to the sub-merchant."""
        return self._call("unfreeze", out_order_no, lambda: self._wxpay.profitsharing_unfreeze(
            transaction_id=transaction_id, out_order_no=out_order_no, description=description,
            sub_mchid=sub_mchid))

    def query_profit_share(self, *, sub_mchid: str, transaction_id: str, out_order_no: str) -> dict | None:
        """A profit-sharing (or unfreeze) order as WeChat has it; None if unknown."""
        try:
            return self._call("query_profit_share", out_order_no, lambda: self._wxpay.profitsharing_order_query(
                transaction_id=transaction_id, out_order_no=out_order_no, sub_mchid=sub_mchid))
        except PayError as error:
            if error.code in NOT_FOUND_CODES:
                return None
            raise

    # -- bills --------------------------------------------------------------------------

    def trade_bill(self, bill_date: date) -> list[BillRow]:
        """Every payment and refund line of a day (Beijing) across all sub-merchants; [] if
        there was none. Raises BillHashMismatch if the file does not match WeChat's hash."""
        day = bill_date.isoformat()
        try:
            data = self._call("trade_bill", day, lambda: self._wxpay.trade_bill(
                bill_date=day, bill_type="ALL", tar_type="GZIP"))
        except PayError as error:
            if error.code == "NO_STATEMENT_EXIST":
                return []
            raise
        parts = urlsplit(_need(data, "download_url"))
        # The file lives on the API host; a host name differing from ours would make the
        # library sign a full URL as the path.
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        content = self._call("download_bill", day, lambda: self._wxpay.download_bill(self._base + path),
                             raw=True)
        text = _bill_text(content, data)
        try:
            return parse_trade_bill(text)
        except BillFormatError as error:
            raise PayUnavailable(f"the {day} bill is not readable: {error}") from None

    # -- notifications ------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes,
                           now: float | None = None) -> Notification:
        """A notification WeChat POSTed to us, checked and decrypted. Raises
        NotificationRefused (answer 4xx, so a genuine one is sent again)."""
        notification = verify_notification(
            headers, body, public_key=self._wxpay._core._public_key, public_key_id=self.public_key_id,
            apiv3_key=self._apiv3_key, now=self._clock() if now is None else now)
        logger.info("wechat pay notification %s %s accepted", notification.id, notification.event_type)
        return notification

    # -- plumbing -----------------------------------------------------------------------

    def _call(self, name: str, subject: str, operation: Callable[[], tuple[int, object]],
              raw: bool = False):
        try:
            status, body = operation()
        except requests.RequestException as error:
            raise self._failed(name, subject, PayUnavailable(f"{type(error).__name__} calling WeChat Pay")) from None
        except Exception as error:   # the library raises bare Exception for a bad signature
            if "signature" in str(error) or "algorithm" in str(error):
                unsigned = PayUnavailable("WeChat Pay's answer failed signature verification")
                raise self._failed(name, subject, unsigned) from None
            raise
        if 200 <= status < 300:
            logger.info("wechat pay %s %s: HTTP %s", name, subject, status)
            return body if raw else _json(body)
        raise self._failed(name, subject, _error(status, body))

    @staticmethod
    def _failed(name: str, subject: str, error: Exception) -> Exception:
        logger.info("wechat pay %s %s failed: %s", name, subject, error)
        return error


def rfc3339(moment: datetime) -> str:
    """WeChat's time format, in Beijing time: ``2026-09-21T14:00:00+08:00``."""
    if moment.tzinfo is None:
        raise ValueError("time_expire must be timezone-aware")
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def _json(body) -> dict:
    if body in (None, b"", ""):
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise PayUnavailable("WeChat Pay answered with something not JSON") from None
    if not isinstance(data, dict):
        raise PayUnavailable("WeChat Pay answered with something not a JSON object")
    return data


def _error(status: int, body) -> Exception:
    try:
        data = json.loads(body) if body else {}
    except (ValueError, TypeError):
        data = {}
    code = str(data.get("code") or f"HTTP_{status}") if isinstance(data, dict) else f"HTTP_{status}"
    message = str(data.get("message", ""))[:200] if isinstance(data, dict) else ""
    if status >= 500 or status == 429 or code in RETRY_CODES:
        return PayUnavailable(f"WeChat Pay {status} {code}: {message}")
    return PayError(status, code, message)


def _need(data: dict, key: str):
    if key not in data:
        raise PayUnavailable(f"WeChat Pay's answer lacks {key}")
    return data[key]


def _with_sub_mchid(refund: RefundResult, sub_mchid: str) -> RefundResult:
    # The refund API's answer has no sub_mchid; the caller knows it.
    return refund if refund.sub_mchid else replace(refund, sub_mchid=sub_mchid)


def _bill_text(content, answer: dict) -> str:
    if isinstance(content, str):
        content = content.encode()
    try:
        plain = gzip.decompress(content)
    except (OSError, EOFError):
        raise BillHashMismatch("the bill is not the gzip file WeChat Pay promised") from None
    if answer.get("hash_type", "SHA1") != "SHA1":
        raise PayUnavailable(f"unknown bill hash type {answer.get('hash_type')}")
    if hashlib.sha1(plain).hexdigest() != str(answer.get("hash_value", "")).lower():
        raise BillHashMismatch("the bill does not match its SHA1")
    return plain.decode("utf-8")
