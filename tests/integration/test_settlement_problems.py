"""A profit share (分账) WeChat Pay says it does not know is asked about with a growing wait,
then becomes a ledger problem the county administrator acts on (re-request it, or release
the escrow to the provider), each action audited, done once, and paid once; escrow held
past its expected settlement is a ledger problem too.

Time moves with the injected clock (the app's and the simulator's together); the queries
are counted where WeChat would see them, at the simulator."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, OutboxEffect, Settlement, User
from backend.scheduler import order_jobs
from backend.services import runtime
from backend.services.orders import settlements
from backend.wechat.simulator import world_of
from tests.factories import CountyFactory, GrantFactory, holder
from tests.integration.order_helpers import Shop, balances

PROBLEMS = "/api/console/ledger/problems"


@pytest.fixture()
def shop(client, as_user, sim, app):
    shop = Shop(client, as_user, sim, app)
    yield shop
    shop.close()
    world_of(sim.app).faults.clear()


def confirmed(shop) -> tuple[dict, Settlement]:
    """An order paid, served and confirmed: its profit share sent, WeChat processing it."""
    order = shop.paid_order()
    for action in ("accept", "start", "complete"):
        assert shop.step(shop.staff, order["id"], action).status_code == 200
    assert shop.step(shop.resident, order["id"], "confirm", {"rating": 5}, face="mp").status_code == 200
    settlement = db.session.scalar(sa.select(Settlement).where(Settlement.order_id == order["id"]))
    assert settlement.status == "processing"
    return order, settlement


def forget(shop, settlement: Settlement) -> None:
    """WeChat Pay no longer knows the profit share (as a simulator that lost its memory)."""
    requests.post(f"{shop.sim.url}/sim/pay/profit-sharing/forget", json={"out_order_no": settlement.out_order_no},
                  timeout=5).raise_for_status()


def queries(shop, settlement: Settlement) -> int:
    return world_of(shop.sim.app).calls().get(f"/v3/profitsharing/orders/{settlement.out_order_no}", 0)


def ticks(shop, seconds: float, every: float) -> None:
    """The scheduler's order job, every `every` seconds for `seconds` of simulated time."""
    for _ in range(int(seconds // every)):
        shop.later(every)
        order_jobs.query_settlements()


def unknown(shop) -> tuple[dict, Settlement]:
    """A settlement the scheduler gave up asking about: a ledger problem."""
    order, settlement = confirmed(shop)
    forget(shop, settlement)
    ticks(shop, 3 * 3600, 60)
    db.session.refresh(settlement)
    assert settlement.unknown_at is not None
    return order, settlement


def problems(shop) -> list[dict]:
    response = shop.county.get(PROBLEMS)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def act(shop, settlement: Settlement, action: str, who=None):
    return (who or shop.county).post(f"/api/console/settlements/{settlement.id}/{action}")


def test_a_profit_share_wechat_does_not_know_is_asked_about_less_and_less_then_listed(shop):
    order, settlement = confirmed(shop)
    forget(shop, settlement)
    before = queries(shop, settlement)
    ticks(shop, 180, 2)   # three minutes of the scheduler's 2-second tick
    assert queries(shop, settlement) - before <= 3   # was 90: every tick
    assert problems(shop) == []
    ticks(shop, 24 * 3600, 300)   # a day on
    assert queries(shop, settlement) - before == runtime.setting("SETTLEMENT_QUERY_MISSES")
    [problem] = problems(shop)
    assert problem["order_id"] == order["id"] and problem["kinds"] == ["settlement_unknown"]
    assert problem["escrow_fen"] == 10_000 and problem["actions"] == ["rerequest", "release"]
    assert problem["settlement"]["id"] == settlement.id and problem["settlement"]["unknown_at"]
    books = shop.county.get(f"/api/console/orders/{order['id']}/ledger").get_json()
    assert books["problems"] == [f"WeChat Pay does not know profit share {settlement.out_order_no}"]


def test_the_wait_between_queries_doubles_up_to_its_cap(shop):
    _, settlement = confirmed(shop)
    forget(shop, settlement)
    shop.later(1)
    order_jobs.query_settlements()   # the first query: at once
    waits = []
    for asked in range(1, runtime.setting("SETTLEMENT_QUERY_MISSES") - 1):
        db.session.refresh(settlement)
        assert settlement.queries == settlement.misses == asked
        waits.append(round((settlement.next_query_at - runtime.current().clock()).total_seconds()))
        shop.later(waits[-1] - 1)
        order_jobs.query_settlements()   # a second early: not asked
        db.session.refresh(settlement)
        assert settlement.queries == asked
        shop.later(1)
        order_jobs.query_settlements()
    assert waits == [60, 120, 240]
    assert [settlements.backoff(n).total_seconds() for n in (4, 6, 7, 1000)] == [480, 1920, 3600, 3600]


def test_the_county_re_requests_it_once_and_it_is_paid_once(shop):
    order, settlement = unknown(shop)
    first = act(shop, settlement, "rerequest")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["resolution"] == "rerequested" and first.get_json()["status"] == "pending"
    db.session.refresh(settlement)
    assert settlement.status == "processing"   # sent once the answer was committed
    again = act(shop, settlement, "rerequest")   # a second click
    assert again.status_code == 200 and again.get_json()["status"] == "processing"
    assert act(shop, settlement, "release").status_code == 409
    sent = db.session.scalars(sa.select(OutboxEffect).where(OutboxEffect.kind == "pay_settle",
                                                            OutboxEffect.order_id == order["id"])).all()
    assert len(sent) == 2   # the first share and one re-request
    shop.later(120)
    assert order_jobs.query_settlements() == 1
    assert balances(order["id"]) == {"payer": -10_000, "provider": 9_500, "platform": 500}
    [held] = [o for o in shop.world.orders_listing() if o["out_trade_no"] == order["out_trade_no"]]
    assert held["shared"] == 500   # WeChat shared the fee once
    assert problems(shop) == []
    audited = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "order_settlement",
                                                             AuditEntry.object_id == str(settlement.id))).all()
    assert [(a.action, a.before["status"], a.after["status"]) for a in audited] == [
        ("settlement.rerequested", "processing", "pending")]


def test_the_county_releases_it_to_the_provider(shop):
    order, settlement = unknown(shop)
    released = act(shop, settlement, "release")
    assert released.status_code == 200, released.get_json()
    assert released.get_json()["resolution"] == "released"
    assert act(shop, settlement, "release").status_code == 200
    shop.later(120)
    assert order_jobs.query_settlements() == 1
    assert balances(order["id"]) == {"payer": -10_000, "provider": 10_000}   # the fee forgone
    [held] = [o for o in shop.world.orders_listing() if o["out_trade_no"] == order["out_trade_no"]]
    assert held["shared"] == 10_000   # unfrozen to the sub-merchant, once
    assert problems(shop) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "settlement.released", AuditEntry.object_id == str(settlement.id))) == 1


def test_a_release_of_a_share_wechat_had_after_all_books_what_wechat_did(shop):
    order, settlement = confirmed(shop)
    # "No such profit share" answers that were wrong: WeChat had it all along.
    requests.post(f"{shop.sim.url}/sim/faults", json={"path": f"/v3/profitsharing/orders/{settlement.out_order_no}",
                                                      "mode": "not_found", "count": None}, timeout=5).raise_for_status()
    ticks(shop, 3 * 3600, 60)
    [problem] = problems(shop)
    assert problem["kinds"] == ["settlement_unknown"]
    assert act(shop, settlement, "release").status_code == 200
    db.session.refresh(settlement)
    assert settlement.status == "finished"   # WeChat answered with the share it had, finished
    assert balances(order["id"]) == {"payer": -10_000, "provider": 9_500, "platform": 500}
    assert problems(shop) == []


def test_a_re_request_whose_call_died_is_listed_and_can_be_made_again(shop):
    order, settlement = unknown(shop)
    # WeChat Pay refuses the profit share once ("no such order": not worth retrying).
    requests.post(f"{shop.sim.url}/sim/faults", json={"path": "/v3/profitsharing/orders", "mode": "not_found"},
                  timeout=5).raise_for_status()
    assert act(shop, settlement, "rerequest").status_code == 200
    db.session.refresh(settlement)
    assert settlement.status == "pending"   # its call died: a dead letter
    [problem] = problems(shop)
    assert problem["kinds"] == ["settlement_not_sent"] and problem["actions"] == ["rerequest", "release"]
    assert act(shop, settlement, "rerequest").status_code == 200   # acted on again, not a replay
    db.session.refresh(settlement)
    assert settlement.status == "processing"
    shop.later(120)
    assert order_jobs.query_settlements() == 1
    assert balances(order["id"]) == {"payer": -10_000, "provider": 9_500, "platform": 500}
    assert problems(shop) == []


def test_only_the_county_administrator_acts_and_only_on_its_county(shop, as_user):
    _, settlement = unknown(shop)
    assert shop.staff.get(PROBLEMS).status_code == 403
    assert act(shop, settlement, "rerequest", who=shop.staff).status_code == 403
    assert act(shop, settlement, "release", who=shop.resident).status_code == 403
    other = as_user(holder("county_admin", region=CountyFactory()).openid)
    assert other.get(PROBLEMS).get_json() == []
    assert act(shop, settlement, "rerequest", who=other).status_code == 404
    assert shop.county.post("/api/console/settlements/999999999/release").status_code == 404


def test_another_countys_administrator_who_serves_or_ordered_it_may_not_act(shop):
    """Seeing the order as its provider's staff or its resident is not being its county: a
    county administrator elsewhere who is also one of those may not release its escrow (the
    platform's fee forgone, to their own provider) nor re-request it."""
    _, settlement = unknown(shop)
    for openid, who in (("demo-provider-staff-1", shop.staff), ("demo-resident-1", shop.resident)):
        user = db.session.scalar(sa.select(User).where(User.openid == openid))
        GrantFactory(user=user, role="county_admin", region=CountyFactory())
        db.session.commit()
        for action in ("release", "rerequest"):
            refused = act(shop, settlement, action, who=who)
            assert refused.status_code == 403, (openid, action, refused.get_json())
    db.session.refresh(settlement)
    assert settlement.resolution is None and settlement.unknown_at is not None


def test_a_settlement_that_is_no_problem_is_left_alone(shop):
    _, settlement = confirmed(shop)
    refused = act(shop, settlement, "release")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "settlement_not_a_problem"


def test_escrow_held_past_its_expected_settlement_is_a_ledger_problem(shop):
    order = shop.paid_order()
    for action in ("accept", "start", "complete"):
        assert shop.step(shop.staff, order["id"], action).status_code == 200
    expected = timedelta(days=runtime.setting("SETTLEMENT_EXPECTED_DAYS"))
    shop.later((expected - timedelta(hours=1)).total_seconds())
    assert problems(shop) == []
    shop.later(2 * 3600)   # nobody confirmed it, and the scheduler did not either
    [problem] = problems(shop)
    assert (problem["order_id"], problem["kinds"], problem["escrow_fen"]) == (order["id"], ["escrow_overdue"], 10_000)
    assert problem["settlement"] is None and problem["actions"] == []
    assert problem["order_state"] == "completed"
    books = shop.county.get(f"/api/console/orders/{order['id']}/ledger").get_json()
    assert books["problems"][0].startswith("escrow of 10000 fen held past its expected settlement")
