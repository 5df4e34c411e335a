"""The console's money views: refunds, per-provider settlement totals and an order's
ledger, through the HTTP API, with who sees what (access.orders)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from backend.extensions import db
from backend.models import LedgerEntry
from backend.models.types import utcnow
from backend.services import runtime
from tests.integration import finance_helpers as fin

# Beijing 2026-09-20 (a Sunday); UTC is eight hours behind.
DAY = "2026-09-20"
DAY_NOON = datetime(2026, 9, 20, 4, 0, tzinfo=UTC)        # 12:00 Beijing
DAY_BEFORE = datetime(2026, 9, 19, 15, 59, tzinfo=UTC)    # 23:59 Beijing on the 19th
DAY_LATE = datetime(2026, 9, 20, 15, 59, tzinfo=UTC)      # 23:59 Beijing on the 20th


@pytest.fixture()
def moment(app):
    now = {"at": DAY_NOON}
    runtime.of(app).clock = lambda: now["at"]
    yield now
    runtime.of(app).clock = utcnow


@pytest.fixture()
def books(ctx, moment):
    """Two providers' money on DAY (and one payment the day before), a third with none."""
    a = fin.provider("颐养助老服务社", staff_openid="fin-staff-a")
    b = fin.provider("安心家政", staff_openid="fin-staff-b")
    c = fin.provider("无单服务社", staff_openid="fin-staff-c")
    moment["at"] = DAY_BEFORE
    a0 = fin.pay(fin.order(a, 800), DAY_BEFORE)
    moment["at"] = DAY_NOON
    # 10000 paid, 2501 refunded, the rest shared: 5% of 7499 is 374.95 -> 374 fee, 7125 to A.
    a1 = fin.pay(fin.order(a, 10000), DAY_NOON)
    fin.refund(a1, 2501, DAY_NOON)
    fin.settle(a1, fee_bp=500)
    a2 = fin.pay(fin.order(a, 3333), DAY_NOON)
    b1 = fin.pay(fin.order(b, 5000, resident="demo-resident-2"), DAY_NOON)
    fin.refund(b1, 5000, DAY_NOON)
    b2 = fin.pay(fin.order(b, 2000, resident="demo-resident-2"), DAY_NOON)
    fin.refund(b2, 1000, DAY_NOON, status="processing")
    moment["at"] = DAY_LATE
    fin.settle(a0)   # 800: fee 40, 760 to A, booked on DAY
    db.session.commit()
    return {"a": a, "b": b, "c": c, "a0": a0, "a1": a1, "a2": a2, "b1": b1, "b2": b2}


def _rows(response, key="provider_id", only=None):
    assert response.status_code == 200, response.json
    assert "X-Pagination" in response.headers
    rows = response.json
    return [r for r in rows if only is None or r[key] in only]


# --- settlement totals ---------------------------------------------------------------------

def test_totals_per_provider_from_the_ledger(books, as_user):
    ids = {books["a"].id, books["b"].id, books["c"].id}
    rows = _rows(as_user("demo-county-admin").get(f"/api/console/settlements/totals?from={DAY}&to={DAY}"),
                 only=ids)
    by_id = {r["provider_id"]: r for r in rows}
    assert set(by_id) == {books["a"].id, books["b"].id}   # C moved nothing
    a = by_id[books["a"].id]
    assert a == {"provider_id": books["a"].id, "provider_name": "颐养助老服务社", "orders_paid": 2,
                 "paid_fen": 13333, "refunded_fen": 2501, "provider_fen": 7125 + 760,
                 "platform_fee_fen": 374 + 40, "held_fen": 13333 - 2501 - 7125 - 374 - 800}
    b = by_id[books["b"].id]
    assert (b["orders_paid"], b["paid_fen"], b["refunded_fen"], b["provider_fen"], b["platform_fee_fen"],
            b["held_fen"]) == (2, 7000, 5000, 0, 0, 2000)
    assert all(isinstance(v, int) for r in rows for k, v in r.items() if k.endswith("_fen"))


def test_totals_without_dates_cover_everything(books, as_user):
    rows = _rows(as_user("demo-county-admin").get("/api/console/settlements/totals"), only={books["a"].id})
    (a,) = rows
    assert (a["orders_paid"], a["paid_fen"], a["held_fen"]) == (3, 14133, 3333)   # escrow holds a2 only


def test_totals_of_the_day_before(books, as_user):
    rows = _rows(as_user("demo-county-admin").get("/api/console/settlements/totals?from=2026-09-19&to=2026-09-19"),
                 only={books["a"].id, books["b"].id})
    assert [(r["provider_id"], r["orders_paid"], r["paid_fen"], r["held_fen"]) for r in rows] == [
        (books["a"].id, 1, 800, 800)]


def test_provider_staff_see_only_their_own_totals(books, as_user):
    assert [r["provider_id"] for r in _rows(as_user("fin-staff-a").get("/api/console/settlements/totals"))] == [
        books["a"].id]
    assert [r["provider_id"] for r in _rows(as_user("fin-staff-b").get("/api/console/settlements/totals"))] == [
        books["b"].id]
    assert _rows(as_user("fin-staff-c").get("/api/console/settlements/totals")) == []


def test_totals_refuse_a_backwards_range_and_a_bad_date(books, as_user):
    admin = as_user("demo-county-admin")
    response = admin.get("/api/console/settlements/totals?from=2026-09-21&to=2026-09-20")
    assert response.status_code == 422 and response.json["error"]["fields"] == {"from": ["must not be after to"]}
    response = admin.get("/api/console/settlements/totals?from=20-09-2026")
    assert response.status_code == 422 and "from" in json.dumps(response.json["error"]["fields"])


# --- refunds -------------------------------------------------------------------------------

def test_county_admin_lists_every_refund_and_filters_by_status(books, as_user):
    admin = as_user("demo-county-admin")
    mine = {books[k].id for k in ("a1", "b1", "b2")}
    rows = _rows(admin.get("/api/console/refunds"), key="order_id", only=mine)
    assert [(r["order_id"], r["amount_fen"], r["status"]) for r in rows] == [
        (books["b2"].id, 1000, "processing"), (books["b1"].id, 5000, "success"), (books["a1"].id, 2501, "success")]
    assert rows[0]["out_trade_no"] == books["b2"].out_trade_no and rows[0]["provider_id"] == books["b"].id
    rows = _rows(admin.get("/api/console/refunds?status=processing"), key="order_id", only=mine)
    assert [r["order_id"] for r in rows] == [books["b2"].id]
    assert admin.get("/api/console/refunds?status=lost").status_code == 422


def test_provider_staff_list_only_their_providers_refunds(books, as_user):
    assert [r["order_id"] for r in _rows(as_user("fin-staff-a").get("/api/console/refunds"))] == [books["a1"].id]
    assert {r["order_id"] for r in _rows(as_user("fin-staff-b").get("/api/console/refunds"))} == {
        books["b1"].id, books["b2"].id}
    assert _rows(as_user("fin-staff-c").get("/api/console/refunds")) == []


@pytest.mark.parametrize("openid", ["demo-resident-1", "demo-grid-worker-1", "demo-hub-dispatcher-1",
                                    "demo-dept-staff-1"])
def test_people_without_money_reach_are_refused_the_lists(books, as_user, openid):
    caller = as_user(openid)
    for path in ("/api/console/refunds", "/api/console/settlements/totals"):
        response = caller.get(path)
        assert response.status_code == 403, (path, response.json)
        assert set(response.json["error"]) >= {"code", "message"}


def test_lists_page(books, as_user):
    response = as_user("demo-platform-admin").get("/api/console/refunds?page_size=1&page=2")
    assert response.status_code == 200 and len(response.json) == 1
    assert json.loads(response.headers["X-Pagination"])["total"] >= 3


# --- an order's ledger ---------------------------------------------------------------------

def test_an_orders_ledger_with_balances_and_no_problems(books, as_user):
    a1 = books["a1"]
    for openid in ("demo-county-admin", "demo-platform-admin", "fin-staff-a"):
        response = as_user(openid).get(f"/api/console/orders/{a1.id}/ledger")
        assert response.status_code == 200, (openid, response.json)
    body = response.json
    assert body["out_trade_no"] == a1.out_trade_no and body["problems"] == []
    assert body["balances"] == {"payer": -7499, "escrow": 0, "provider": 7125, "platform": 374}
    assert [(e["movement"], e["account"], e["amount_fen"]) for e in body["entries"]] == [
        ("payment", "payer", -10000), ("payment", "escrow", 10000),
        ("refund", "escrow", -2501), ("refund", "payer", 2501),
        ("platform_fee", "escrow", -374), ("platform_fee", "platform", 374),
        ("profit_share", "escrow", -7125), ("profit_share", "provider", 7125)]
    assert sum(e["amount_fen"] for e in body["entries"]) == 0


def test_ledger_problems_are_shown(books, as_user):
    a2 = books["a2"]
    db.session.add(LedgerEntry(order_id=a2.id, provider_id=a2.provider_id, movement="refund", account="payer",
                               amount_fen=5000, reference="forged", at=DAY_LATE))
    db.session.commit()
    body = as_user("demo-county-admin").get(f"/api/console/orders/{a2.id}/ledger").json
    assert "refund forged does not balance (5000)" in body["problems"]
    assert "refund forged has 1 legs" in body["problems"]
    assert "refunded more than was paid" in body["problems"]


def test_ledger_access(books, as_user):
    a1, b1 = books["a1"], books["b1"]
    # The resident sees their order, not its books; an order not theirs does not exist.
    assert as_user("demo-resident-1").get(f"/api/console/orders/{a1.id}/ledger").status_code == 403
    assert as_user("demo-resident-2").get(f"/api/console/orders/{a1.id}/ledger").status_code == 404
    assert as_user("fin-staff-a").get(f"/api/console/orders/{b1.id}/ledger").status_code == 404
    assert as_user("fin-staff-c").get(f"/api/console/orders/{a1.id}/ledger").status_code == 404
    assert as_user("demo-hub-dispatcher-1").get(f"/api/console/orders/{a1.id}/ledger").status_code == 404
    missing = as_user("demo-county-admin").get("/api/console/orders/2147483647/ledger")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
