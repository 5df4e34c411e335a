"""Daily reconciliation against the simulator's trade bill: ours built with the ORM and the
ledger, theirs paid and refunded through the real client on the simulator, the bill's
tamper knob for each kind of mismatch; the console's runs, the scheduler job, the CLI."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import ProviderArea, ReconciliationRun, Region
from backend.models.types import utcnow
from backend.scheduler import jobs
from backend.services import runtime
from backend.services.finance import reconciliation
from backend.wechat.pay_bill import CHINA
from tests.factories import CommunityFactory, holder
from tests.integration import finance_helpers as fin
from tests.integration.pay_fixtures import at, place_and_pay

DAY = at(0).astimezone(CHINA).date()          # the simulator's business day (Beijing)
PAID_AT = datetime.fromtimestamp(int(at(0).timestamp()), UTC)


@pytest.fixture()
def world(ctx, app, pay, pay_sim):
    """A provider, the app's clock on the morning after DAY, and the app using the client."""
    moment = {"at": datetime.combine(DAY + timedelta(days=1), datetime.min.time(), CHINA).replace(hour=11)}
    held = runtime.of(app)
    previous_pay = held.pay
    held.clock, held.pay = (lambda: moment["at"]), pay
    prov = fin.provider("颐养助老服务社", staff_openid="rec-staff")
    yield {"provider": prov, "moment": moment, "pay": pay, "sim": pay_sim}
    held.clock, held.pay = utcnow, previous_pay


def paid_both_sides(w, amount_fen: int, *, ours: bool = True):
    """An order paid at WeChat (the simulator) and, when ours, credited here too."""
    order = fin.order(w["provider"], amount_fen)
    answer = place_and_pay(w["pay"], w["sim"], order.out_trade_no, total_fen=amount_fen,
                           sub_mchid=w["provider"].sub_mchid)
    if ours:
        fin.pay(order, PAID_AT, transaction_id=answer["transaction_id"])
    return order


def refunded_both_sides(w, order, amount_fen: int, *, ours_status: str = "success"):
    w["pay"].refund(out_refund_no=f"{order.out_trade_no}R{len(order.refunds) + 1}", out_trade_no=order.out_trade_no,
                    sub_mchid=w["provider"].sub_mchid, refund_fen=amount_fen, total_fen=order.amount_fen, reason="r")
    w["sim"].advance(5)   # the simulator settles refunds after 5 s
    w["sim"].deliver_due()
    return fin.refund(order, amount_fen, PAID_AT + timedelta(seconds=5), status=ours_status)


def tamper(w, action: str, **edit):
    w["sim"].control("POST", "/sim/pay/bill/tamper", {"action": action, "bill_date": DAY.isoformat(), **edit})


def bill_ready(w):
    w["sim"].advance(86400)


def kinds(run) -> list[tuple]:
    return sorted((m.kind, m.out_trade_no, m.out_refund_no, m.ours_fen, m.theirs_fen) for m in run.mismatches)


# --- the service -------------------------------------------------------------------------------

def test_a_day_that_agrees_is_matched(world):
    o1 = paid_both_sides(world, 10000)
    paid_both_sides(world, 250)
    refunded_both_sides(world, o1, 4000)
    db.session.commit()
    bill_ready(world)
    run = reconciliation.run(DAY)
    db.session.commit()
    assert (run.status, run.bill_rows, run.matched, run.mismatched, run.error) == ("matched", 3, 3, 0, None)
    assert run.bill_date == DAY.isoformat() and run.mismatches == []


def test_every_kind_of_mismatch(world):
    kept = paid_both_sides(world, 10000)
    altered = paid_both_sides(world, 2000)
    dropped = paid_both_sides(world, 3000)
    unknown_here = paid_both_sides(world, 1500, ours=False)   # paid, but no notice and no query reached us
    refunded_both_sides(world, kept, 4000, ours_status="processing")   # WeChat: SUCCESS; ours: still processing
    db.session.commit()
    tamper(world, "alter", match={"out_trade_no": altered.out_trade_no}, values={"total_fen": 1999})
    tamper(world, "remove", match={"out_trade_no": dropped.out_trade_no})
    tamper(world, "add", values={"out_trade_no": "GHOST00001", "trade_time": f"{DAY} 12:00:00",
                                 "trade_state": "SUCCESS", "total_fen": 700, "sub_mchid": world["provider"].sub_mchid,
                                 "transaction_id": "4200000000000000000000000001"})
    bill_ready(world)
    run = reconciliation.run(DAY)
    db.session.commit()
    assert (run.status, run.bill_rows, run.matched, run.mismatched) == ("mismatched", 5, 1, 5)
    assert kinds(run) == sorted([
        ("amount_differs", altered.out_trade_no, None, 2000, 1999),
        ("missing_here", unknown_here.out_trade_no, None, None, 1500),
        ("missing_here", "GHOST00001", None, None, 700),
        ("missing_in_bill", dropped.out_trade_no, None, 3000, None),
        ("state_differs", kept.out_trade_no, f"{kept.out_trade_no}R1", 4000, 4000),
    ])
    by_kind = {(m.kind, m.out_trade_no): m.detail for m in run.mismatches}
    assert by_kind[("missing_here", unknown_here.out_trade_no)]["reason"] == "not credited here"
    assert by_kind[("missing_here", unknown_here.out_trade_no)]["ours_state"] == "created"
    assert by_kind[("missing_here", "GHOST00001")]["reason"] == "no such order"
    assert by_kind[("state_differs", kept.out_trade_no)].items() >= {"ours_status": "processing",
                                                                      "theirs_status": "SUCCESS"}.items()


def test_the_ledger_is_compared_too(world):
    order = fin.order(world["provider"], 5000)
    answer = place_and_pay(world["pay"], world["sim"], order.out_trade_no, total_fen=5000,
                           sub_mchid=world["provider"].sub_mchid)
    fin.pay(order, PAID_AT, transaction_id=answer["transaction_id"], ledger_fen=4000)   # the books say 4000
    db.session.commit()
    bill_ready(world)
    run = reconciliation.run(DAY)
    assert kinds(run) == [("amount_differs", order.out_trade_no, None, 4000, 5000)]
    assert run.mismatches[0].detail["order_paid_fen"] == 5000 and run.mismatches[0].detail["ledger_fen"] == 4000


def test_a_refund_wechat_never_settled_and_one_it_lists_differently(world):
    order = paid_both_sides(world, 6000)
    refunded_both_sides(world, order, 1000)
    fin.refund(order, 500, PAID_AT + timedelta(minutes=1))   # ours: success; WeChat never heard of it
    db.session.commit()
    tamper(world, "alter", match={"out_refund_no": f"{order.out_trade_no}R1"}, values={"refund_status": "ABNORMAL"})
    bill_ready(world)
    run = reconciliation.run(DAY)
    assert kinds(run) == sorted([("missing_in_bill", order.out_trade_no, f"{order.out_trade_no}R2", 500, None),
                                 ("state_differs", order.out_trade_no, f"{order.out_trade_no}R1", 1000, 1000)])


def test_a_day_without_trades_is_an_empty_match(world):
    run = reconciliation.run(DAY - timedelta(days=30))
    assert (run.status, run.bill_rows, run.matched, run.mismatched) == ("matched", 0, 0, 0)


def test_a_bill_that_cannot_be_had_makes_a_failed_run(world):
    paid_both_sides(world, 1000)
    db.session.commit()
    bill_ready(world)
    tamper(world, "corrupt_hash")
    run = reconciliation.run(DAY)
    assert (run.status, run.bill_rows, run.mismatches) == ("failed", 0, [])
    assert "SHA1" in run.error
    not_ready = reconciliation.run(DAY + timedelta(days=1))   # the simulator's today: still being made
    assert not_ready.status == "failed" and "STATEMENT_CREATING" in not_ready.error


def test_a_timeout_makes_a_failed_run(world, app):
    world["sim"].control("POST", "/sim/faults", {"path": "/v3/bill/tradebill", "mode": "http500", "count": 1})
    bill_ready(world)
    run = reconciliation.run(DAY)
    assert run.status == "failed" and run.error


def test_each_county_reconciles_its_own_money(world, as_user):
    """One bill, two counties: each county's run holds its orders' lines only, a line of an
    order we never credited goes to its order's county, and a ghost line of a provider we
    know goes to the counties that provider serves; the platform's run holds them all."""
    other = CommunityFactory()
    other_county = other.parent.parent
    db.session.add(ProviderArea(provider_id=world["provider"].id, region_id=other_county.id))
    here = paid_both_sides(world, 1000)
    there = fin.order(world["provider"], 2000, region_code=other.code)
    place_and_pay(world["pay"], world["sim"], there.out_trade_no, total_fen=2000, sub_mchid=world["provider"].sub_mchid)
    db.session.commit()   # "there" was paid at WeChat, never credited here: missing_here, in its county
    tamper(world, "add", values={"out_trade_no": "GHOST00003", "trade_time": f"{DAY} 12:00:00",
                                 "trade_state": "SUCCESS", "total_fen": 700, "sub_mchid": world["provider"].sub_mchid})
    bill_ready(world)
    whole = reconciliation.run(DAY)
    db.session.commit()
    assert (whole.scope_path, whole.bill_rows) == (None, 3)
    assert {m.out_trade_no for m in whole.mismatches} == {there.out_trade_no, "GHOST00003"}
    by_county = {run.scope_path: run for run in db.session.scalars(sa.select(ReconciliationRun).where(
        ReconciliationRun.id > whole.id, ReconciliationRun.bill_date == DAY.isoformat()))}
    home = db.session.scalar(sa.select(Region).where(Region.code == "140730"))
    assert set(by_county) >= {home.path, other_county.path}
    mine, theirs = by_county[home.path], by_county[other_county.path]
    assert (mine.status, mine.bill_rows, mine.matched, mine.mismatches) == ("matched", 1, 1, [])
    assert theirs.status == "mismatched" and theirs.bill_rows == 2
    assert {m.out_trade_no for m in theirs.mismatches} == {there.out_trade_no, "GHOST00003"}
    assert here.out_trade_no not in {m.out_trade_no for m in theirs.mismatches}
    other_admin = as_user(holder("county_admin", region=other_county).openid)
    db.session.commit()
    listed = {r["id"] for r in other_admin.get(f"/api/console/reconciliation/runs?bill_date={DAY}").json}
    assert listed == {theirs.id}
    assert other_admin.get(f"/api/console/reconciliation/runs/{mine.id}").status_code == 404


def test_run_refuses_pending_changes(world):
    fin.order(world["provider"], 100)
    db.session.add(ReconciliationRun(bill_date="2000-01-01", status="matched"))
    with pytest.raises(RuntimeError):
        reconciliation.run(DAY)


# --- the console -------------------------------------------------------------------------------

def test_console_runs_a_day_and_lists_the_runs(world, as_user):
    paid_both_sides(world, 1000)
    db.session.commit()
    tamper(world, "add", values={"out_trade_no": "GHOST00002", "trade_time": f"{DAY} 12:00:00",
                                 "trade_state": "SUCCESS", "total_fen": 700})
    bill_ready(world)
    platform = as_user("demo-platform-admin")
    whole = platform.post("/api/console/reconciliation/runs", json={"bill_date": DAY.isoformat()})
    assert whole.status_code == 201, whole.json
    assert whole.json["county_id"] is None   # the platform reads the whole bill
    assert whole.json["status"] == "mismatched" and whole.json["bill_rows"] == 2
    assert [(m["kind"], m["out_trade_no"], m["theirs_fen"]) for m in whole.json["mismatches"]] == [
        ("missing_here", "GHOST00002", 700)]
    # The county reads its own money: the ghost line names an order of no county (and a
    # sub-merchant of no provider), so it is the platform's to chase.
    admin = as_user("demo-county-admin")
    first = admin.post("/api/console/reconciliation/runs", json={"bill_date": DAY.isoformat()})
    assert first.status_code == 201, first.json
    assert first.json["county_id"] == db.session.scalar(sa.select(Region.id).where(Region.code == "140730"))
    assert (first.json["status"], first.json["bill_rows"], first.json["mismatches"]) == ("matched", 1, [])
    second = admin.post("/api/console/reconciliation/runs", json={"bill_date": DAY.isoformat()})
    assert second.status_code == 201 and second.json["id"] > first.json["id"]   # a re-run is a new run
    listed = admin.get(f"/api/console/reconciliation/runs?bill_date={DAY}")
    assert listed.status_code == 200 and "X-Pagination" in listed.headers
    # Three comparisons of the day, each with the county's run: the platform's made one too.
    assert [r["id"] for r in listed.json][:2] == [second.json["id"], first.json["id"]]
    assert len(listed.json) == 3 and {r["county_id"] for r in listed.json} == {first.json["county_id"]}
    assert "mismatches" not in listed.json[0]
    one = admin.get(f"/api/console/reconciliation/runs/{first.json['id']}")
    assert one.status_code == 200 and one.json["mismatches"] == first.json["mismatches"]
    assert as_user("demo-platform-admin").get(f"/api/console/reconciliation/runs/{first.json['id']}").status_code == 200


def test_console_refuses_today_and_bad_dates(world, as_user):
    admin = as_user("demo-county-admin")
    today = reconciliation.today().isoformat()
    response = admin.post("/api/console/reconciliation/runs", json={"bill_date": today})
    assert response.status_code == 422 and response.json["error"]["code"] == "bill_not_ready"
    assert admin.post("/api/console/reconciliation/runs", json={"bill_date": "21/09/2026"}).status_code == 422
    assert admin.post("/api/console/reconciliation/runs", json={}).status_code == 422
    assert admin.get("/api/console/reconciliation/runs/2147483647").status_code == 404


@pytest.mark.parametrize("openid", ["rec-staff", "demo-resident-1", "demo-hub-dispatcher-1"])
def test_only_administrators_reconcile(world, as_user, openid):
    db.session.add(ReconciliationRun(bill_date=DAY.isoformat(), status="matched"))
    db.session.commit()
    run_id = db.session.scalar(sa.select(sa.func.max(ReconciliationRun.id)))
    caller = as_user(openid)
    for response in (caller.get("/api/console/reconciliation/runs"),
                     caller.get(f"/api/console/reconciliation/runs/{run_id}"),
                     caller.post("/api/console/reconciliation/runs", json={"bill_date": DAY.isoformat()})):
        assert response.status_code == 403, response.json
        assert response.json["error"]["code"] == "forbidden"


# --- the scheduler and the CLI -----------------------------------------------------------------

def test_the_daily_job_reconciles_yesterday_once_it_succeeds(world):
    paid_both_sides(world, 1000)
    db.session.commit()
    bill_ready(world)
    moment = world["moment"]
    moment["at"] = moment["at"].replace(hour=9, minute=59)   # before 10:00 the bill may not be ready
    assert jobs.reconcile() is None
    moment["at"] = moment["at"].replace(hour=10, minute=0)
    world["sim"].control("POST", "/sim/faults", {"path": "/v3/bill/tradebill", "mode": "http500", "count": 1})
    assert jobs.reconcile() == "failed"   # tried again next time
    assert jobs.reconcile() == "matched"
    assert jobs.reconcile() is None       # done for that day
    statuses = db.session.scalars(sa.select(ReconciliationRun.status).where(
        ReconciliationRun.bill_date == DAY.isoformat(), ReconciliationRun.scope_path.is_(None))
        .order_by(ReconciliationRun.id)).all()
    assert statuses == ["failed", "matched"]


def test_the_cli_reconciles_a_day(world, app):
    paid_both_sides(world, 1000)
    db.session.commit()
    bill_ready(world)
    result = app.test_cli_runner().invoke(args=["pay", "reconcile", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"reconciliation {DAY}: matched, 1 bill lines, 1 matched, 0 mismatched" in result.output
    result = app.test_cli_runner().invoke(args=["pay", "reconcile", "--date", "2026-01-01"])
    assert result.exit_code == 0 and "matched, 0 bill lines" in result.output
