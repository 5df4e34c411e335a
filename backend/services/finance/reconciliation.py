"""Daily reconciliation (对账): our payments and refunds of a Beijing day against WeChat
Pay's trade bill (bill_type ALL) for that day.

WeChat lists a payment on the day it was paid (trade_state SUCCESS) and a refund on the
day it succeeded (trade_state REFUND, with the refund number and amount). Ours for the day
are the orders paid then (paid_at is WeChat's success time) and the refunds settled then,
each with the amount its ledger movement moved. Each bill line is matched by its number:

- missing_here: WeChat has a payment or refund we never credited (a notification that
  never came and a query never made; an order or refund we do not know at all);
- missing_in_bill: we credited a payment or refund the bill does not list;
- amount_differs: both sides have it, for different amounts (the ledger included);
- state_differs: both sides have it, but not in the same state (our refund still
  processing, a line that is not a success, another transaction id).

A line for something we recorded on a neighbouring day (a refund settled here a moment
after midnight) is matched by its number, whatever the day. Every run is a new row: the
latest run of a day is what counts. The bill is fetched with no transaction open (the
call may take seconds; SQLite holds one write lock per transaction).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.extensions import db
from backend.models import LedgerEntry, Order, ReconciliationMismatch, ReconciliationRun, Refund
from backend.services import access, clock, runtime
from backend.services.errors import Invalid, NotFound
from backend.services.finance import reconciliation_counties as counties
from backend.wechat.pay import PayError, PayUnavailable

log = logging.getLogger("shaobao.reconciliation")
ZONE = ZoneInfo("Asia/Shanghai")
KINDS = ("missing_here", "missing_in_bill", "amount_differs", "state_differs")
STATUSES = ("matched", "mismatched", "failed")
# WeChat's bills of a day are ready from about 10:00 the next day (Beijing).
BILL_READY = time(10, 0)


@dataclass(frozen=True)
class Ours:
    """One payment or refund as we have it: its record's amount and its ledger movement's."""
    out_trade_no: str
    out_refund_no: str | None
    state: str               # payment: paid | the order's state when unpaid; refund: its status
    record_fen: int
    ledger_fen: int | None
    transaction_id: str | None = None

    @property
    def credited(self) -> bool:
        return self.state in ("paid", "success")


@dataclass(frozen=True)
class Found:
    kind: str
    out_trade_no: str | None
    out_refund_no: str | None = None
    ours_fen: int | None = None
    theirs_fen: int | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class Comparison:
    matched: int = 0
    found: list[Found] = field(default_factory=list)


# --- the comparison (pure: bill lines and our records in, findings out) -----------------------

def compare(rows, payments: dict[str, Ours], refunds: dict[str, Ours],
            elsewhere_payments: dict[str, Ours], elsewhere_refunds: dict[str, Ours]) -> Comparison:
    """rows: the bill's lines. payments/refunds: ours of the day by out_trade_no and
    out_refund_no; elsewhere_*: what we have of the other numbers the bill names."""
    result, seen = Comparison(), set()
    for row in rows:
        refund = row.trade_state == "REFUND"
        key = ("refund", row.out_refund_no) if refund else ("payment", row.out_trade_no)
        if refund:
            ours = refunds.get(row.out_refund_no) or elsewhere_refunds.get(row.out_refund_no or "")
            problems = _refund_line(row, ours)
        else:
            ours = payments.get(row.out_trade_no) or elsewhere_payments.get(row.out_trade_no)
            problems = _payment_line(row, ours)
        if key in seen:
            problems = [_missing_here(row, ours, "listed twice in the bill")]
        seen.add(key)
        result.found += problems
        result.matched += not problems
    result.found += [_missing_in_bill(o) for no, o in payments.items() if ("payment", no) not in seen]
    result.found += [_missing_in_bill(o) for no, o in refunds.items() if ("refund", no) not in seen]
    return result


def _payment_line(row, ours: Ours | None) -> list[Found]:
    if ours is None or not ours.credited:
        return [_missing_here(row, ours, "no such order" if ours is None else "not credited here")]
    found = []
    if row.trade_state != "SUCCESS":
        found.append(_differs("state_differs", row, ours, row.total_fen, ours_state="SUCCESS",
                              theirs_state=row.trade_state))
    elif ours.transaction_id != row.transaction_id:
        found.append(_differs("state_differs", row, ours, row.total_fen, ours_transaction_id=ours.transaction_id,
                              theirs_transaction_id=row.transaction_id))
    if row.total_fen != ours.record_fen or ours.ledger_fen != row.total_fen:
        found.append(_differs("amount_differs", row, ours, row.total_fen, order_paid_fen=ours.record_fen,
                              ledger_fen=ours.ledger_fen))
    return found


def _refund_line(row, ours: Ours | None) -> list[Found]:
    if ours is None:
        return [_missing_here(row, None, "no such refund" if row.out_refund_no else "a refund line without a number")]
    found = []
    theirs_status = (row.refund_status or "SUCCESS").upper()
    if ours.state != "success" or theirs_status != "SUCCESS":
        found.append(_differs("state_differs", row, ours, row.refund_fen, ours_status=ours.state,
                              theirs_status=theirs_status))
    if row.refund_fen != ours.record_fen or (ours.credited and ours.ledger_fen != row.refund_fen):
        found.append(_differs("amount_differs", row, ours, row.refund_fen, refund_fen=ours.record_fen,
                              ledger_fen=ours.ledger_fen))
    return found


def _line(row) -> dict:
    return {"transaction_id": row.transaction_id, "sub_mchid": row.sub_mchid,
            "trade_state": row.trade_state, "trade_time": row.trade_time.isoformat()}


def _missing_here(row, ours: Ours | None, reason: str) -> Found:
    refund = row.trade_state == "REFUND"
    detail = {"reason": reason, **_line(row)}
    if ours is not None:
        detail["ours_state"] = ours.state
    return Found("missing_here", row.out_trade_no, row.out_refund_no if refund else None,
                 ours.record_fen if ours is not None and ours.credited else None,
                 row.refund_fen if refund else row.total_fen, detail)


def _differs(kind: str, row, ours: Ours, theirs_fen: int, **detail) -> Found:
    ours_fen = ours.ledger_fen if ours.ledger_fen is not None else ours.record_fen
    return Found(kind, ours.out_trade_no, ours.out_refund_no, ours_fen, theirs_fen, {**detail, **_line(row)})


def _missing_in_bill(ours: Ours) -> Found:
    ours_fen = ours.ledger_fen if ours.ledger_fen is not None else ours.record_fen
    return Found("missing_in_bill", ours.out_trade_no, ours.out_refund_no, ours_fen, None,
                 {"transaction_id": ours.transaction_id})


# --- our side of a day -------------------------------------------------------------------------

def day_window(bill_date: date) -> tuple[datetime, datetime]:
    """The Beijing day as a half-open UTC interval."""
    start = datetime.combine(bill_date, time(0), ZONE).astimezone(UTC)
    return start, start + timedelta(days=1)


def _ledger(movement: str, column, keys) -> dict:
    if not keys:
        return {}
    rows = db.session.execute(sa.select(column, sa.func.sum(LedgerEntry.amount_fen))
                              .where(LedgerEntry.movement == movement, LedgerEntry.amount_fen > 0, column.in_(keys))
                              .group_by(column)).all()
    return {key: int(total) for key, total in rows}


def _payments(where) -> dict[str, Ours]:
    orders = db.session.execute(sa.select(Order.id, Order.out_trade_no, Order.state, Order.paid_fen,
                                          Order.transaction_id).where(where)).all()
    ledger = _ledger("payment", LedgerEntry.order_id, [o.id for o in orders])
    return {o.out_trade_no: Ours(o.out_trade_no, None, "paid" if o.transaction_id else o.state, o.paid_fen,
                                 ledger.get(o.id), o.transaction_id) for o in orders}


def _refunds(where) -> dict[str, Ours]:
    rows = db.session.execute(sa.select(Refund.out_refund_no, Refund.status, Refund.amount_fen,
                                        Order.out_trade_no, Order.transaction_id)
                              .join(Order, Order.id == Refund.order_id).where(where)).all()
    ledger = _ledger("refund", LedgerEntry.reference, [r.out_refund_no for r in rows])
    return {r.out_refund_no: Ours(r.out_trade_no, r.out_refund_no, r.status, r.amount_fen,
                                  ledger.get(r.out_refund_no), r.transaction_id) for r in rows}


def ours_of_day(bill_date: date, rows) -> tuple[dict, dict, dict, dict]:
    """compare()'s records of ours: the day's payments and refunds, and what we have of the
    other numbers the bill names."""
    start, end = day_window(bill_date)
    payments = _payments(sa.and_(Order.paid_at >= start, Order.paid_at < end, Order.transaction_id.is_not(None)))
    refunds = _refunds(sa.and_(Refund.status == "success", Refund.settled_at >= start, Refund.settled_at < end))
    other_trades = {r.out_trade_no for r in rows if r.trade_state != "REFUND"} - payments.keys()
    other_refunds = {r.out_refund_no for r in rows if r.trade_state == "REFUND" and r.out_refund_no} - refunds.keys()
    return (payments, refunds, _payments(Order.out_trade_no.in_(other_trades)) if other_trades else {},
            _refunds(Refund.out_refund_no.in_(other_refunds)) if other_refunds else {})


def compare_day(bill_date: date, rows) -> Comparison:
    return compare(rows, *ours_of_day(bill_date, rows))


# --- a run -------------------------------------------------------------------------------------

def fetch(bill_date: date, client=None):
    """The day's bill lines, or the error that kept us from them (a string). Called with no
    transaction open."""
    try:
        return (client or runtime.pay()).trade_bill(bill_date), None
    except PayError as error:
        return None, f"{error.code}: {error.message}"[:300]
    except PayUnavailable as error:
        return None, str(error)[:300] or type(error).__name__


def _written(bill_date: date, started_at: datetime, scope_path: str | None, rows,
             outcome: Comparison | None, error: str | None) -> ReconciliationRun:
    run = ReconciliationRun(bill_date=bill_date.isoformat(), started_at=started_at, scope_path=scope_path)
    if outcome is None:
        run.status, run.error = "failed", error
    else:
        run.bill_rows, run.matched, run.mismatched = len(rows), outcome.matched, len(outcome.found)
        run.status = "mismatched" if outcome.found else "matched"
        run.mismatches = [ReconciliationMismatch(kind=f.kind, out_trade_no=f.out_trade_no,
                                                 out_refund_no=f.out_refund_no, ours_fen=f.ours_fen,
                                                 theirs_fen=f.theirs_fen, detail=f.detail)
                          for f in outcome.found]
    run.finished_at = clock.now()
    db.session.add(run)
    return run


def record(bill_date: date, rows, error: str | None, started_at: datetime) -> ReconciliationRun:
    """Write the runs of a fetched bill (or of the failure to fetch it): the whole bill's,
    returned (the platform's), and each county's over its own money (its administrators')."""
    if rows is None:
        run = _written(bill_date, started_at, None, None, None, error)
        for county in counties.county_paths():
            _written(bill_date, started_at, county, None, None, error)
    else:
        ours = ours_of_day(bill_date, rows)
        run = _written(bill_date, started_at, None, rows, compare(rows, *ours), None)
        for county, (lines, *theirs) in counties.slices(rows, ours).items():
            _written(bill_date, started_at, county, lines, compare(lines, *theirs), None)
    db.session.flush()
    log.info("reconciliation %s run=%s status=%s bill_rows=%s matched=%s mismatched=%s", run.bill_date,
             run.id, run.status, run.bill_rows, run.matched, run.mismatched)
    return run


def run(bill_date: date, client=None) -> ReconciliationRun:
    """Reconcile one day: a new run, flushed, for the caller to commit. The caller's
    transaction ends here (it must hold no pending changes): the bill is fetched outside
    any transaction, then the comparison reads and writes in a new one."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("reconciliation.run ends the transaction: commit your changes first")
    db.session.commit()
    started = clock.now()
    rows, error = fetch(bill_date, client)
    return record(bill_date, rows, error, started)


def today() -> date:
    return clock.now().astimezone(ZONE).date()


def due_day() -> date | None:
    """Yesterday (Beijing), once its bill is ready and while no run of it succeeded."""
    moment = clock.now().astimezone(ZONE)
    if moment.time() < BILL_READY:
        return None
    day = moment.date() - timedelta(days=1)
    done = db.session.scalar(sa.select(ReconciliationRun.id).where(
        ReconciliationRun.bill_date == day.isoformat(), ReconciliationRun.status != "failed").limit(1))
    return None if done is not None else day


# --- the console's view ------------------------------------------------------------------------

def start(viewer, bill_date: date) -> ReconciliationRun:
    """Reconcile a day now, for the county or platform administrator: the whole bill is
    compared again (every county's run is new), and the run the viewer reads is answered."""
    access.ensure_finance_viewer(viewer)
    if bill_date >= today():
        raise Invalid("a day's bill is ready the next day", code="bill_not_ready",
                      fields={"bill_date": ["must be before today (Beijing)"]})
    whole = run(bill_date)
    mine = runs(viewer, bill_date).where(ReconciliationRun.id >= whole.id)
    return db.session.scalar(mine.order_by(None).order_by(ReconciliationRun.id).limit(1))


def runs(viewer, bill_date: date | None):
    """Runs the viewer may read (the platform's and every county's for the platform, its own
    county's for a county administrator), newest first (of one day when asked)."""
    access.ensure_finance_viewer(viewer)
    query = (sa.select(ReconciliationRun).where(access.reconciliation_filter(viewer))
             .order_by(ReconciliationRun.id.desc()))
    return query.where(ReconciliationRun.bill_date == bill_date.isoformat()) if bill_date else query


def one(viewer, run_id: int) -> ReconciliationRun:
    access.ensure_finance_viewer(viewer)
    found = db.session.scalar(runs(viewer, None).where(ReconciliationRun.id == run_id))
    if found is None:
        raise NotFound("no such reconciliation run")
    return found
