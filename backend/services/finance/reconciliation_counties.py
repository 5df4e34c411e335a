"""A day's reconciliation cut by county, so each county's administrators read their own (as
they read their county's orders) and nobody reads another county's money.

WeChat Pay sends one bill for the whole service provider; the whole comparison is the
platform's run. Each county gets a run of its own over the lines and records of its
money: a line belongs to the county of its order, or (for an order we do not know) to the
counties its sub-merchant (the provider) serves; a line that belongs to no county is in the
platform's run only.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order, Region
from backend.models.providers import Provider, ProviderArea


def county_of(path: str) -> str:
    """The county path at the top of a materialised path ("/7/12/" -> "/7/")."""
    return "/" + path.strip("/").split("/")[0] + "/"


def county_paths() -> list[str]:
    return list(db.session.scalars(sa.select(Region.path).where(Region.level == "county").order_by(Region.path)))


def _order_counties(trade_nos: set[str]) -> dict[str, str]:
    if not trade_nos:
        return {}
    rows = db.session.execute(sa.select(Order.out_trade_no, Order.region_path)
                              .where(Order.out_trade_no.in_(trade_nos))).all()
    return {no: county_of(path) for no, path in rows if path}


def _provider_counties(sub_mchids: set[str]) -> dict[str, set[str]]:
    if not sub_mchids:
        return {}
    rows = db.session.execute(sa.select(Provider.sub_mchid, Region.path)
                              .join(ProviderArea, ProviderArea.provider_id == Provider.id)
                              .join(Region, Region.id == ProviderArea.region_id)
                              .where(Provider.sub_mchid.in_(sub_mchids))).all()
    counties: dict[str, set[str]] = {}
    for sub_mchid, path in rows:
        counties.setdefault(sub_mchid, set()).add(county_of(path))
    return counties


def slices(rows, records: tuple[dict, ...]) -> dict[str, tuple]:
    """county path -> (its bill lines, its part of each of records), records being the
    comparison's dicts of ours (payments, refunds, elsewhere payments, elsewhere refunds),
    each record an Ours with its out_trade_no."""
    trade_nos = {r.out_trade_no for r in rows} | {o.out_trade_no for part in records for o in part.values()}
    orders = _order_counties(trade_nos)
    providers = _provider_counties({r.sub_mchid for r in rows if r.out_trade_no not in orders and r.sub_mchid})

    def line_counties(row) -> set[str]:
        if row.out_trade_no in orders:
            return {orders[row.out_trade_no]}
        return providers.get(row.sub_mchid, set())

    return {county: ([r for r in rows if county in line_counties(r)],
                     *({key: o for key, o in part.items() if orders.get(o.out_trade_no) == county}
                       for part in records))
            for county in county_paths()}
