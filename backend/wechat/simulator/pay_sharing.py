"""Profit sharing (分账) in the simulated WeChat Pay, a part of PayWorld.

WeChat's rules: only on an order placed with ``settle_info.profit_sharing``, paid; only to
receivers added first for that sub-merchant (a MERCHANT_ID receiver with its full name,
encrypted with the platform public key); never more than what is left of the order after
refunds and earlier shares, nor above the sub-merchant's maximum share (30% by default);
once finished (``unfreeze_unsplit`` or an unfreeze) nothing more. The same out_order_no
again answers the first result. A share is PROCESSING when made and FINISHED after
``profit_sharing_seconds`` on the sim clock.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .pay_records import OUT_NO, Order, Share, digits, invalid, param_error
from .pay_sign import PayFailure
from .pay_store import key_of, order_row, share_from, share_row

RECEIVER_TYPES = ("MERCHANT_ID", "PERSONAL_OPENID")
RELATIONS = ("STORE", "STAFF", "STORE_OWNER", "PARTNER", "HEADQUARTER", "BRAND", "DISTRIBUTOR",
             "USER", "SUPPLIER", "CUSTOM", "SERVICE_PROVIDER")
MAX_SHARE_RATIO = 0.3   # WeChat's default cap on what a sub-merchant's payment may share out


@dataclass
class Receiver:
    type: str
    account: str
    relation_type: str
    name: str | None


class ProfitSharing:
    """Mixed into PayWorld: uses its lock, clock, config, signer, store and orders."""

    def _clear_sharing(self) -> None:
        self._receivers: dict[tuple[str, str, str], Receiver] = {}
        self._shares: dict[tuple[str, str], Share] = {}

    def _load_sharing(self, records: dict, orders: dict[str, Order]) -> None:
        for row in records["receiver"]:
            receiver = Receiver(**{k: v for k, v in row.items() if k != "sub_mchid"})
            self._receivers[(row["sub_mchid"], receiver.type, receiver.account)] = receiver
        for row in records["share"]:
            share = share_from(row, orders)
            self._shares[(share.order.sub_mchid, share.out_order_no)] = share

    def forget_share(self, out_order_no: str) -> bool:
        """A control knob: WeChat no longer knows a profit share (what a simulator that
        lost its memory answered); what it moved is frozen again. False if unknown."""
        with self._lock:
            found = [(key, share) for key, share in self._shares.items() if share.out_order_no == out_order_no]
            for key, share in found:
                del self._shares[key]
                order = share.order
                order.shared -= sum(r["amount"] for r in share.receivers)
                order.sharing_finished = any(s.order is order for s in self._shares.values())
                self.store.delete("share", key_of(*key))
                self._keep(order_row(order))
            return bool(found)

    def add_receiver(self, body: dict, name_serial: str | None) -> dict:
        sub_mchid, kind, account = body.get("sub_mchid"), body.get("type"), body.get("account")
        if body.get("appid") != self.config.sp_appid:
            raise PayFailure(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if kind not in RECEIVER_TYPES or not isinstance(account, str) or not account:
            raise param_error("type/account")
        if body.get("relation_type") not in RELATIONS:
            raise param_error("relation_type")
        name = None
        if body.get("name"):
            if name_serial != self.config.public_key_id:
                raise param_error("Wechatpay-Serial must name the key the name was encrypted with")
            try:
                name = self.signer.decrypt_sensitive(body["name"])
            except ValueError:
                raise param_error("name could not be decrypted") from None
        elif kind == "MERCHANT_ID":
            raise param_error("name is required for a MERCHANT_ID receiver")
        with self._lock:
            receiver = Receiver(kind, account, body["relation_type"], name)
            self._receivers[(sub_mchid, kind, account)] = receiver
            self._keep(("receiver", key_of(sub_mchid, kind, account), {"sub_mchid": sub_mchid, **asdict(receiver)}))
        return {"sub_mchid": sub_mchid, "type": kind, "account": account,
                "relation_type": body["relation_type"]}

    def share(self, body: dict) -> dict:
        receivers = body.get("receivers")
        if body.get("appid") != self.config.sp_appid:
            raise PayFailure(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if not isinstance(receivers, list) or not receivers or not isinstance(body.get("unfreeze_unsplit"), bool):
            raise param_error("receivers/unfreeze_unsplit")
        with self._lock:
            order, known = self._shareable(body)
            if known:
                return known
            for receiver in receivers:
                if (body["sub_mchid"], receiver.get("type"), receiver.get("account")) not in self._receivers:
                    raise invalid("分账接收方关系不存在 (add the receiver first)")
                if type(receiver.get("amount")) is not int or receiver["amount"] < 1:
                    raise param_error("receivers.amount")
            wanted = sum(r["amount"] for r in receivers)
            if order.shared + wanted > min(order.total - order.refunded, int(order.total * MAX_SHARE_RATIO)):
                raise PayFailure(403, "NOT_ENOUGH", "分账金额不足 (more than the order has left to share)")
            listed = [{"type": r["type"], "account": r["account"], "amount": r["amount"],
                       "description": r.get("description", ""), "detail_id": digits("3600", 28)}
                      for r in receivers]
            return self._record_share(order, body, listed, wanted, finish=body["unfreeze_unsplit"])

    def unfreeze(self, body: dict) -> dict:
        if not isinstance(body.get("description"), str) or not body["description"]:
            raise param_error("description")
        with self._lock:
            order, known = self._shareable(body)
            if known:
                return known
            rest = order.total - order.refunded - order.shared
            listed = [{"type": "MERCHANT_ID", "account": order.sub_mchid, "amount": rest,
                       "description": "解冻给分账方", "detail_id": digits("3600", 28)}]
            return self._record_share(order, body, listed, rest, finish=True)

    def _shareable(self, body: dict) -> tuple[Order, dict | None]:
        out_order_no = body.get("out_order_no")
        if not isinstance(out_order_no, str) or not OUT_NO.match(out_order_no):
            raise param_error("out_order_no")
        order = self._by_transaction.get(body.get("transaction_id") or "")
        if order is None or order.sub_mchid != body.get("sub_mchid"):
            raise PayFailure(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        known = self._shares.get((order.sub_mchid, out_order_no))
        if known is not None:
            return order, known.as_json(self.clock.now())
        if not order.profit_sharing:
            raise invalid("该订单不支持分账 (placed without settle_info.profit_sharing)")
        if order.sharing_finished:
            raise invalid("分账已完结 (the order's profit sharing is finished)")
        return order, None

    def _record_share(self, order: Order, body: dict, receivers: list[dict], amount: int,
                      finish: bool) -> dict:
        now = self.clock.now()
        share = Share(order=order, out_order_no=body["out_order_no"], order_id=digits("3008", 28),
                      receivers=receivers, created_at=now,
                      finish_at=now + self.config.profit_sharing_seconds)
        self._shares[(order.sub_mchid, share.out_order_no)] = share
        order.shared += amount
        order.sharing_finished = order.sharing_finished or finish
        self._keep(share_row(share), order_row(order))
        answer = share.as_json(now)
        answer["state"] = "PROCESSING"   # WeChat never answers the request itself as finished
        return answer

    def query_share(self, sub_mchid: str | None, out_order_no: str, transaction_id: str | None) -> dict:
        with self._lock:
            share = self._shares.get((sub_mchid, out_order_no))
            if share is None or share.order.transaction_id != transaction_id:
                raise PayFailure(404, "RESOURCE_NOT_EXISTS", "记录不存在")
            return share.as_json(self.clock.now())
