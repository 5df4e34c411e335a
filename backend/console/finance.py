"""The marketplace's money in the console: refunds, daily reconciliation with WeChat Pay's
bill, per-provider settlement totals, one order's ledger, and the ledger problems the county
acts on (a profit share WeChat Pay does not know, escrow held past its expected settlement)."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.paging import page, page_rows
from backend.api.schemas import ID
from backend.console import finance_schemas as schemas
from backend.extensions import db
from backend.services.finance import problems, reconciliation
from backend.services.finance import totals as finance
from backend.services.orders import refunds, settlements, views

blp = Blueprint("console_finance", __name__, url_prefix="/api/console",
                description="Refunds, reconciliation with WeChat Pay, settlement totals, order ledgers, "
                            "ledger problems")


@blp.route("/refunds", methods=["GET"])
@blp.arguments(schemas.RefundQuerySchema, location="query")
@blp.response(200, schemas.RefundSchema(many=True))
@blp.paginate()
def list_refunds(query, pagination_parameters):
    """Refunds, newest first: a provider's staff see their provider's, the county administrator the county's."""
    return views.refunds_as_read(g.viewer, page(finance.refunds(g.viewer, query.get("status")), pagination_parameters))


@blp.route(f"/refunds/<{ID}:refund_id>/retry", methods=["POST"])
@blp.response(201, schemas.RefundSchema)
def retry_refund(refund_id):
    """Ask again for a refund WeChat Pay closed (the resident is still owed it); county administrators."""
    refund = refunds.retry(g.viewer, refund_id)
    db.session.commit()
    return refund


@blp.route("/reconciliation/runs", methods=["GET"])
@blp.arguments(schemas.RunQuerySchema, location="query")
@blp.response(200, schemas.RunSchema(many=True))
@blp.paginate()
def list_runs(query, pagination_parameters):
    """Reconciliation runs, newest first (the latest run of a day counts); county administrators."""
    return page(reconciliation.runs(g.viewer, query.get("bill_date")), pagination_parameters)


@blp.route(f"/reconciliation/runs/<{ID}:run_id>", methods=["GET"])
@blp.response(200, schemas.RunDetailSchema)
def get_run(run_id):
    """One reconciliation run with its mismatches."""
    return reconciliation.one(g.viewer, run_id)


@blp.route("/reconciliation/runs", methods=["POST"])
@blp.arguments(schemas.RunCreateSchema)
@blp.response(201, schemas.RunDetailSchema)
def start_run(body):
    """Reconcile a past day against WeChat Pay's bill now; a bill that cannot be had makes a failed run."""
    run = reconciliation.start(g.viewer, body["bill_date"])
    db.session.commit()
    return run


@blp.route("/settlements/totals", methods=["GET"])
@blp.arguments(schemas.TotalsQuerySchema, location="query")
@blp.response(200, schemas.ProviderTotalsSchema(many=True))
@blp.paginate()
def settlement_totals(query, pagination_parameters):
    """Per provider, from the ledger, for Beijing days from..to: orders paid, paid, refunded, shared, fee, held."""
    totals = finance.totals(g.viewer, query.get("from_"), query.get("to"))
    return page_rows(totals, pagination_parameters)


@blp.route(f"/orders/<{ID}:order_id>/ledger", methods=["GET"])
@blp.response(200, schemas.OrderBooksSchema)
def order_ledger(order_id):
    """An order's ledger entries, balances by account and problems (empty when it holds)."""
    return finance.order_books(g.viewer, order_id)


@blp.route("/ledger/problems", methods=["GET"])
@blp.response(200, schemas.LedgerProblemSchema(many=True))
def ledger_problems():
    """Money held that should have moved on: profit shares WeChat Pay does not know, escrow past its due."""
    return problems.listing(g.viewer)


@blp.route(f"/settlements/<{ID}:settlement_id>/rerequest", methods=["POST"])
@blp.response(200, schemas.SettlementSchema)
def rerequest_settlement(settlement_id):
    """Ask WeChat Pay again for a profit share listed as a ledger problem (the same number: never paid twice)."""
    settlement = settlements.rerequest(g.viewer, settlement_id)
    db.session.commit()
    return settlement


@blp.route(f"/settlements/<{ID}:settlement_id>/release", methods=["POST"])
@blp.response(200, schemas.SettlementSchema)
def release_settlement(settlement_id):
    """Unfreeze all a listed profit share holds to the provider's sub-merchant account, forgoing the platform fee."""
    settlement = settlements.release(g.viewer, settlement_id)
    db.session.commit()
    return settlement
