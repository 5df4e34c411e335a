"""Settlement (分账): what is left of a finished order goes to the provider, less the
platform's fee (PLATFORM_FEE_BP of it, rounded down: a fraction of a fen stays with the
provider). Opened in the step's transaction; the relay asks WeChat Pay after commit, once
no refund of the order is under way (unfreezing the rest would leave a refund to come out
of the provider's own balance); the ledger books the shares when WeChat reports the
profit share FINISHED, by what each receiver got.

The scheduler asks about a processing profit share after a wait that doubles from
SETTLEMENT_QUERY_FIRST_SECONDS up to SETTLEMENT_QUERY_MAX_SECONDS. A profit share WeChat
answers it does not know SETTLEMENT_QUERY_MISSES times in a row is no longer asked about:
it is a ledger problem (services/finance/problems.py), and the county administrator either
re-requests it or releases (unfreezes) the whole of it to the provider. Both send the same
out_order_no again, which WeChat keys a profit share by: if it had the first one after all,
it answers that one, and the ledger books what WeChat did, so nothing is paid twice.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, OutboxEffect, Settlement
from backend.services import access, audit, clock, locks, outbox, runtime
from backend.services.errors import Conflict, NotFound
from backend.services.finance import ledger, problems
from backend.services.orders import refunds, timeline

log = logging.getLogger("shaobao.settlements")


def open(order: Order) -> Settlement | None:   # noqa: A001 - a settlement is opened
    """The order's settlement of what is left once pending refunds go through, or None
    when nothing is left. The caller holds the order locked."""
    if db.session.scalar(sa.select(Settlement.id).where(Settlement.order_id == order.id)) is not None:
        return None   # WeChat shares an order once (the rest is unfrozen with it)
    amount = refunds.refundable(order)
    if amount <= 0 or order.transaction_id is None:
        return None
    fee = amount * runtime.setting("PLATFORM_FEE_BP") // 10_000
    settlement = Settlement(order_id=order.id, provider_id=order.provider_id,
                            out_order_no=f"{order.out_trade_no}S", provider_fen=amount - fee, fee_fen=fee,
                            status="pending", created_at=clock.now())
    db.session.add(settlement)
    db.session.flush()
    outbox.add(kind="pay_settle", order_id=order.id, payload={"settlement_id": settlement.id})
    log.info("settlement opened order=%s provider_fen=%s fee_fen=%s", order.id, settlement.provider_fen, fee)
    return settlement


def locked(settlement_id: int) -> tuple[Settlement, Order]:
    settlement = db.session.get(Settlement, settlement_id)
    order = locks.order(Order.id == settlement.order_id)
    db.session.refresh(settlement)
    return settlement, order


def accepted(settlement: Settlement, order: Order, answer: dict) -> None:
    """WeChat took the profit-share order: it is processing (or, rarely, already done)."""
    if settlement.status != "pending":
        return
    settlement.status, settlement.wechat_order_id = "processing", answer.get("order_id")
    if answer.get("state") == "FINISHED":
        _book(settlement, order, answer)


def asked(settlement_id: int, answer: dict | None, *, failed: bool = False) -> str:
    """Apply what WeChat said to our query of a processing profit share (answer None: it
    does not know it; failed: no trustworthy answer). Returns finished, pending, unknown
    (not known, asked again later), problem (not known too often: a ledger problem now),
    later (failed) or moved_on."""
    settlement, order = locked(settlement_id)
    if settlement.status != "processing" or settlement.unknown_at is not None:
        return "moved_on"
    if answer is not None and answer.get("state") == "FINISHED":
        _book(settlement, order, answer)
        return "finished"
    settlement.queries += 1
    if failed:
        outcome = "later"
    elif answer is None:
        settlement.misses, outcome = settlement.misses + 1, "unknown"
    else:
        settlement.misses, outcome = 0, "pending"
    if settlement.misses >= runtime.setting("SETTLEMENT_QUERY_MISSES"):
        settlement.unknown_at, settlement.next_query_at = clock.now(), None
        log.error("settlement order=%s out_order_no=%s: WeChat Pay does not know the profit share "
                  "(%s answers); a ledger problem for the county", order.id, settlement.out_order_no,
                  settlement.misses)
        return "problem"
    settlement.next_query_at = clock.now() + backoff(settlement.queries)
    return outcome


def backoff(queries: int) -> timedelta:
    """The wait after the queries-th query: doubling from the first, capped."""
    first, cap = runtime.setting("SETTLEMENT_QUERY_FIRST_SECONDS"), runtime.setting("SETTLEMENT_QUERY_MAX_SECONDS")
    return timedelta(seconds=min(cap, first * 2 ** min(max(queries - 1, 0), 32)))


def rerequest(viewer, settlement_id: int) -> Settlement:
    """The county asks WeChat Pay again for a profit share listed as a ledger problem: the
    platform fee to the platform, the rest unfrozen to the provider."""
    return _resolve(viewer, settlement_id, "rerequested")


def release(viewer, settlement_id: int) -> Settlement:
    """The county releases a profit share listed as a ledger problem: everything still
    frozen is unfrozen to the provider's sub-merchant account, the platform's fee forgone
    (unless WeChat had taken it after all)."""
    return _resolve(viewer, settlement_id, "released")


def _resolve(viewer, settlement_id: int, resolution: str) -> Settlement:
    access.ensure_finance_viewer(viewer)
    order_id = db.session.scalar(sa.select(Settlement.order_id).where(Settlement.id == settlement_id))
    if order_id is None:
        raise NotFound("no such settlement")
    order = access.visible_order(viewer, order_id, lock=True)
    access.ensure_order_county(viewer, order)
    settlement = db.session.get(Settlement, settlement_id, populate_existing=True)
    if settlement.resolution is not None and settlement.unknown_at is None:
        in_flight = _in_flight(settlement)
        if settlement.resolution == resolution and (in_flight or settlement.status == "finished"):
            return settlement   # the same request again (a second click): done once
        if in_flight:
            raise Conflict(f"the settlement was {settlement.resolution} already", code="settlement_resolved")
    problem = problems.of_order(order.id)
    if problem is None or not problem.actions:
        raise Conflict("the settlement is not a ledger problem the county can act on",
                       code="settlement_not_a_problem")
    before = _snapshot(settlement)
    settlement.status, settlement.resolution = "pending", resolution
    settlement.unknown_at, settlement.next_query_at, settlement.queries, settlement.misses = None, None, 0, 0
    db.session.flush()
    outbox.add(kind="pay_settle", order_id=order.id, payload={"settlement_id": settlement.id})
    audit.record(viewer.user_id, f"settlement.{resolution}", settlement, before, _snapshot(settlement),
                 order.region_path)
    log.info("settlement %s order=%s by user=%s", resolution, order.id, viewer.user_id)
    return settlement


def _in_flight(settlement: Settlement) -> bool:
    """Sent or about to be: WeChat processing it, or its call still to be made (a call
    that died leaves it pending with nothing to send: the county may act again)."""
    if settlement.status == "processing":
        return True
    return settlement.status == "pending" and db.session.scalar(sa.select(OutboxEffect.id).where(
        OutboxEffect.kind == "pay_settle", OutboxEffect.order_id == settlement.order_id,
        OutboxEffect.outcome.is_(None)).limit(1)) is not None


def _snapshot(settlement: Settlement) -> dict:
    return {"status": settlement.status, "resolution": settlement.resolution,
            "out_order_no": settlement.out_order_no, "provider_fen": settlement.provider_fen,
            "fee_fen": settlement.fee_fen, "queries": settlement.queries, "misses": settlement.misses,
            "unknown_at": settlement.unknown_at.isoformat() if settlement.unknown_at else None}


def _book(settlement: Settlement, order: Order, answer: dict) -> None:
    """The ledger follows what WeChat did, receiver by receiver: a platform fee WeChat could
    not pay (its result CLOSED), or never asked for (an unfreeze), stayed with the
    sub-merchant, so it is the provider's."""
    fee = _platform_fee(answer, settlement.provider_fen + settlement.fee_fen)
    provider = settlement.provider_fen + settlement.fee_fen - fee
    if fee:
        ledger.record(order, "platform_fee", settlement.out_order_no, fee)
    if provider:
        ledger.record(order, "profit_share", settlement.out_order_no, provider)
    settlement.status, settlement.finished_at = "finished", clock.now()
    settlement.next_query_at = None
    timeline.note(order, "settled", {"provider_fen": provider, "platform_fee_fen": fee})
    log.info("settled order=%s provider_fen=%s platform_fee_fen=%s", order.id, provider, fee)


def _platform_fee(answer: dict, total: int) -> int:
    """What WeChat paid the platform: its receiver's amount when that succeeded."""
    platform = runtime.setting("WECHATPAY_SP_MCHID")
    paid = [r for r in answer.get("receivers", []) if r.get("account") == platform]
    if [r.get("result") for r in paid] != ["SUCCESS"] or type(paid[0].get("amount")) is not int:
        return 0
    return max(0, min(paid[0]["amount"], total))
