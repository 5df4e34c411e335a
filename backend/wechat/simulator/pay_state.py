"""The simulated WeChat Pay: orders, payments, refunds (profit sharing is in pay_sharing.py,
notifications in pay_notify.py, bills in pay_bill.py), in memory and, when the config names
a state file, on disk as they change (pay_store.py), read back at start as WeChat would.

Every rule WeChat applies lives here (one out_trade_no per sub-merchant, expiry, no paying a
closed order, refunds never above the paid total); the HTTP modules only parse and render. Methods raise
PayFailure as WeChat would answer. One lock guards it all; time is the simulator's Clock.
"""
from __future__ import annotations

import threading

from .pay_bill import BillBook
from .pay_notify import Notifier
from .pay_records import MCHID, OUT_NO, PAID_STATES, Order, Refund, digits, invalid, param_error, parse_rfc3339, rfc3339
from .pay_sharing import ProfitSharing
from .pay_sign import PayFailure, PaySimConfig, Signer
from .pay_store import NoStore, PayStore, order_row, orders_from, refund_from, refund_row
from .state import Clock

PREPAY_TTL = 7200       # a prepay_id can be paid for two hours


class PaymentRefused(Exception):
    """wx.requestPayment failed on the phone (what the control endpoint answers)."""


class PayWorld(ProfitSharing):
    def __init__(self, config: PaySimConfig, clock: Clock):
        self.config = config
        self.clock = clock
        self.signer = Signer(config)
        self.store = PayStore(config.state_file) if config.state_file else NoStore()
        self.notifier = Notifier(self.signer, clock, config.deliver, store=self.store)
        self.bills = BillBook(store=self.store)
        self._lock = threading.RLock()
        self._clear()
        self.load()

    def _clear(self) -> None:
        self._orders: dict[tuple[str, str], Order] = {}
        self._by_prepay: dict[str, Order] = {}
        self._by_transaction: dict[str, Order] = {}
        self._refunds: dict[tuple[str, str], Refund] = {}
        self._clear_sharing()
        self.bad_signatures = 0     # answers still to sign wrongly (a test knob)

    def reset(self) -> None:
        with self._lock:
            self._clear()
            self.notifier.reset()
            self.bills.reset()
            self.store.clear()

    def load(self) -> None:
        """Forget what is in memory and read what the state file holds (a restarted
        simulator, or a gunicorn worker started afresh)."""
        records = self.store.load()
        with self._lock:
            self._clear()
            orders = orders_from(records["order"])
            for order in orders.values():
                self._orders[(order.sub_mchid, order.out_trade_no)] = order
                self._by_prepay[order.prepay_id] = order
                if order.transaction_id:
                    self._by_transaction[order.transaction_id] = order
            for row in records["refund"]:
                refund = refund_from(row, orders)
                self._refunds[(refund.order.sub_mchid, refund.out_refund_no)] = refund
            self._load_sharing(records, orders)
        self.notifier.load(records["delivery"])
        self.bills.load(records["bill_edit"])

    def _keep(self, *rows) -> None:
        self.store.put_many(list(rows))

    def take_bad_signature(self) -> bool:
        with self._lock:
            if self.bad_signatures:
                self.bad_signatures -= 1
                return True
            return False

    # -- orders ---------------------------------------------------------------------------

    def prepay(self, body: dict) -> str:
        order = self._new_order(body)
        with self._lock:
            key = (order.sub_mchid, order.out_trade_no)
            known = self._orders.get(key)
            if known is None:
                self._orders[key] = order
                self._by_prepay[order.prepay_id] = order
                self._keep(order_row(order))
                return order.prepay_id
            if known.state in PAID_STATES:
                raise PayFailure(403, "ORDERPAID", "该订单已支付")
            if known.state == "CLOSED":
                raise PayFailure(400, "ORDER_CLOSED", "订单已关闭")
            if known.terms() != order.terms():
                raise invalid("商户订单号重复 (out_trade_no already used with other parameters)")
            if self.clock.now() - known.prepaid_at > PREPAY_TTL:   # a fresh prepay_id, same order
                known.prepay_id, known.prepaid_at = order.prepay_id, order.prepaid_at
                self._by_prepay[known.prepay_id] = known
                self._keep(order_row(known))
            return known.prepay_id

    def _new_order(self, body: dict) -> Order:
        if body.get("sp_mchid") != self.config.sp_mchid:
            raise param_error("sp_mchid 与发起调用的商户号不一致")
        if body.get("sp_appid") != self.config.sp_appid:
            raise PayFailure(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        sub_mchid, out_trade_no = body.get("sub_mchid"), body.get("out_trade_no")
        description, notify_url = body.get("description"), body.get("notify_url")
        amount, payer = body.get("amount") or {}, body.get("payer") or {}
        settle = body.get("settle_info") or {}
        if not isinstance(sub_mchid, str) or not MCHID.match(sub_mchid):
            raise param_error("sub_mchid")
        if not isinstance(out_trade_no, str) or not OUT_NO.match(out_trade_no):
            raise param_error("out_trade_no")
        if not isinstance(description, str) or not 0 < len(description) <= 127:
            raise param_error("description")
        if not isinstance(notify_url, str) or not notify_url.startswith(("https://", "http://")):
            raise param_error("notify_url")
        if type(amount.get("total")) is not int or amount["total"] < 1 or amount.get("currency", "CNY") != "CNY":
            raise param_error("amount")
        if not isinstance(payer.get("sp_openid"), str) or not payer["sp_openid"]:
            raise param_error("payer.sp_openid")
        if not isinstance(settle.get("profit_sharing", False), bool):
            raise param_error("settle_info.profit_sharing")
        expire = parse_rfc3339(body["time_expire"]) if body.get("time_expire") else None
        now = self.clock.now()
        return Order(sp_appid=body["sp_appid"], sp_mchid=body["sp_mchid"], sub_mchid=sub_mchid,
                     out_trade_no=out_trade_no, description=description, total=amount["total"],
                     openid=payer["sp_openid"], notify_url=notify_url, time_expire=expire,
                     profit_sharing=settle.get("profit_sharing", False),
                     prepay_id=digits("wx", 32), prepaid_at=now)

    def query(self, sub_mchid: str | None, out_trade_no: str, sp_mchid: str | None) -> dict:
        if sp_mchid != self.config.sp_mchid:
            raise param_error("sp_mchid")
        with self._lock:
            return self._order(sub_mchid, out_trade_no).as_json()

    def query_transaction(self, sub_mchid: str | None, transaction_id: str) -> dict:
        with self._lock:
            order = self._by_transaction.get(transaction_id)
            if order is None or order.sub_mchid != sub_mchid:
                raise PayFailure(404, "ORDER_NOT_EXIST", "订单不存在")
            return order.as_json()

    def close(self, sub_mchid: str | None, out_trade_no: str, sp_mchid: str | None) -> None:
        if sp_mchid != self.config.sp_mchid:
            raise param_error("sp_mchid")
        with self._lock:
            order = self._order(sub_mchid, out_trade_no)
            if order.state in PAID_STATES:
                raise PayFailure(403, "ORDERPAID", "订单已支付")
            order.state = "CLOSED"
            self._keep(order_row(order))

    def _order(self, sub_mchid: str | None, out_trade_no: str) -> Order:
        order = self._orders.get((sub_mchid or "", out_trade_no))
        if order is None:
            raise PayFailure(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    # -- the phone pays -------------------------------------------------------------------

    def pay(self, params: dict, openid: str, fail: bool = False) -> Order:
        """wx.requestPayment: check paySign as WeChat does, then take the money."""
        package = params.get("package") or ""
        if params.get("signType") != "RSA" or params.get("appId") != self.config.sp_appid:
            raise PaymentRefused("signType must be RSA and appId the service provider's appid")
        message = "".join(f"{params.get(k) or ''}\n" for k in ("appId", "timeStamp", "nonceStr", "package"))
        if not self.signer.verify_merchant(message, params.get("paySign") or ""):
            raise PaymentRefused("支付验证签名失败 (paySign does not verify)")
        with self._lock:
            order = self._by_prepay.get(package.removeprefix("prepay_id="))
            now = self.clock.now()
            prepay_id = package.removeprefix("prepay_id=")
            if order is None or order.prepay_id != prepay_id or now - order.prepaid_at > PREPAY_TTL:
                raise PaymentRefused("prepay_id is unknown or expired")
            if order.openid != openid:
                raise PaymentRefused("the order was placed for another user")
            if order.state in PAID_STATES:
                raise PaymentRefused("该订单已支付 (already paid)")
            if order.state == "CLOSED":
                raise PaymentRefused("订单已关闭 (order closed)")
            if order.time_expire is not None and now > order.time_expire:
                raise PaymentRefused("订单已过期 (past time_expire)")
            if fail:
                order.state = "PAYERROR"
                self._keep(order_row(order))
                return order
            order.state, order.success_time = "SUCCESS", now
            order.transaction_id = digits("4200", 28)
            self._by_transaction[order.transaction_id] = order
            self._keep(order_row(order))
            resource = order.as_json()
        self.notifier.enqueue("TRANSACTION.SUCCESS", "支付成功", "transaction", order.notify_url, resource)
        return order

    # -- refunds --------------------------------------------------------------------------

    def refund(self, body: dict) -> dict:
        sub_mchid, out_refund_no = body.get("sub_mchid"), body.get("out_refund_no")
        amount = body.get("amount") or {}
        if not isinstance(out_refund_no, str) or not 1 <= len(out_refund_no) <= 64:
            raise param_error("out_refund_no")
        if any(type(amount.get(k)) is not int or amount[k] < 1 for k in ("refund", "total")):
            raise param_error("amount")
        with self._lock:
            order = self._refundable_order(sub_mchid, body)
            known = self._refunds.get((sub_mchid, out_refund_no))
            if known is not None:
                if known.order is not order or known.amount != amount["refund"]:
                    raise invalid("退款单号重复 (out_refund_no already used with other parameters)")
                return known.as_json()
            if amount["total"] != order.total:
                raise invalid("订单金额或退款金额与之前请求不一致 (amount.total is not the order total)")
            if order.refunded + amount["refund"] > order.total:
                raise invalid("申请退款金额超过订单可退金额 (refund amount exceeds the refundable amount)")
            now = self.clock.now()
            refund = Refund(order=order, out_refund_no=out_refund_no, refund_id=digits("5030", 32),
                            amount=amount["refund"], reason=body.get("reason"),
                            notify_url=body.get("notify_url"), created_at=now,
                            settle_at=now + self.config.refund_seconds)
            self._refunds[(sub_mchid, out_refund_no)] = refund
            order.refunded += refund.amount
            order.state = "REFUND"
            self._keep(refund_row(refund), order_row(order))
            return refund.as_json()

    def _refundable_order(self, sub_mchid, body: dict) -> Order:
        if body.get("transaction_id"):
            order = self._by_transaction.get(body["transaction_id"])
        else:
            order = self._orders.get((sub_mchid or "", body.get("out_trade_no") or ""))
        if order is None or order.sub_mchid != sub_mchid:
            raise PayFailure(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if order.state not in PAID_STATES:
            raise invalid("订单未支付 (the order is not paid)")
        return order

    def query_refund(self, sub_mchid: str | None, out_refund_no: str) -> dict:
        with self._lock:
            refund = self._refunds.get((sub_mchid, out_refund_no))
            if refund is None:
                raise PayFailure(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return refund.as_json()

    def settle_refund(self, sub_mchid: str | None, out_refund_no: str, status: str) -> dict:
        """The bank's answer for a PROCESSING refund (the sim does SUCCESS by itself)."""
        with self._lock:
            refund = self._refunds.get((sub_mchid, out_refund_no)) if sub_mchid else next(
                (r for (_, no), r in self._refunds.items() if no == out_refund_no), None)
            if refund is None:
                raise KeyError(out_refund_no)
            self._settle(refund, status)
            return refund.as_json()

    def _settle(self, refund: Refund, status: str) -> None:
        if refund.status != "PROCESSING":
            return
        refund.status = status
        if status == "SUCCESS":
            refund.success_time = self.clock.now()
        if status == "CLOSED":
            refund.order.refunded -= refund.amount
        self._keep(refund_row(refund), order_row(refund.order))
        if refund.notify_url:
            self.notifier.enqueue(f"REFUND.{status}", "退款状态变更", "refund", refund.notify_url,
                                  refund.notification_resource())

    def tick(self) -> None:
        """What happens by itself as time passes: processing refunds succeed."""
        with self._lock:
            now = self.clock.now()
            for refund in list(self._refunds.values()):
                if refund.status == "PROCESSING" and refund.settle_at <= now:
                    self._settle(refund, "SUCCESS")

    # -- bills ----------------------------------------------------------------------------

    def bill_lines(self) -> tuple[list[Order], list[Refund]]:
        """Paid orders and settled refunds, for the bill of a day."""
        with self._lock:
            return ([o for o in self._orders.values() if o.success_time is not None],
                    [r for r in self._refunds.values() if r.status == "SUCCESS"])

    def orders_listing(self) -> list[dict]:
        with self._lock:
            return [{**o.as_json(), "prepay_id": o.prepay_id, "time_expire": rfc3339(o.time_expire),
                     "refunded": o.refunded, "shared": o.shared, "profit_sharing": o.profit_sharing}
                    for o in self._orders.values()]
