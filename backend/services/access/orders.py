"""Orders and their money (the marketplace's demand side).

A resident sees their own orders; a provider's staff its provider's; the county
administrator the orders served in the county (to referee disputes and reconcile money)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Order, ReconciliationRun, Region, User
from backend.services import locks
from backend.services.access.providers import provider_staff
from backend.services.access.viewer import Viewer, under_any
from backend.services.errors import Forbidden, NotFound


def order_filter(viewer: Viewer):
    if viewer.is_platform_admin:
        return sa.true()
    clauses = [Order.resident_id == viewer.user_id]
    if viewer.provider_ids():
        clauses.append(Order.provider_id.in_(viewer.provider_ids()))
    clauses.append(under_any(Order.region_path, viewer.paths(("county_admin",))))
    return sa.or_(*clauses)


def visible_order(viewer: Viewer, order_id: int, *, lock: bool = False) -> Order:
    """The order if the viewer may see it, else NotFound; locked for update when asked
    (what changes money holds the row until commit)."""
    if lock:
        order = locks.order(Order.id == order_id, order_filter(viewer))
    else:
        order = db.session.scalar(sa.select(Order).where(Order.id == order_id, order_filter(viewer)))
    if order is None:
        raise NotFound("no such order")
    return order


def order_relations(viewer: Viewer, order: Order) -> frozenset[str]:
    """The order flow's relations between the viewer and an order they can see."""
    relations = set()
    if order.resident_id == viewer.user_id:
        relations.add("resident")
    if order.provider_id in viewer.provider_ids():
        relations.add("provider_staff")
    if viewer.is_platform_admin or any(order.region_path.startswith(p)
                                       for p in viewer.paths(("county_admin",))):
        relations.add("county_admin")
    return frozenset(relations)


def ensure_finance_viewer(viewer: Viewer) -> None:
    """Refunds across providers, reconciliation and settlement totals: the county's
    administrators (and the platform's) only."""
    if not (viewer.is_platform_admin or viewer.paths(("county_admin",))):
        raise Forbidden("only the county administrator may see the marketplace's money")


def ensure_order_county(viewer: Viewer, order: Order) -> None:
    """Acting on an order's money for the county (re-request or release its profit share):
    the order's own county administrators, or the platform's. Seeing the order as its
    resident or its provider's staff is not enough, even for a county administrator
    elsewhere: releasing forgoes the platform's fee in the provider's favour."""
    if "county_admin" not in order_relations(viewer, order):
        raise Forbidden("only the order's county administrator acts on its settlement")


def reconciliation_filter(viewer: Viewer):
    """Reconciliation runs, scoped like orders: a county's administrators read their
    county's runs; the platform's administrators every run (the whole bill's too)."""
    if viewer.is_platform_admin:
        return sa.true()
    return under_any(ReconciliationRun.scope_path, viewer.paths(("county_admin",)))


def finance_filter(viewer: Viewer, provider_column, region_column=None):
    """Rows about money (settlements, refunds): a provider's staff sees its own provider's,
    the county administrator the county's."""
    if viewer.is_platform_admin:
        return sa.true()
    clauses = [provider_column.in_(viewer.provider_ids())] if viewer.provider_ids() else []
    if region_column is not None:
        clauses.append(under_any(region_column, viewer.paths(("county_admin",))))
    return sa.or_(sa.false(), *clauses)


def ensure_money_viewer(viewer: Viewer) -> None:
    """Money lists (refunds, settlement totals): a provider's staff (their provider's rows,
    through finance_filter) and the county's or platform's administrators; nobody else."""
    if not (viewer.is_platform_admin or viewer.paths(("county_admin",)) or viewer.provider_ids()):
        raise Forbidden("only a provider's staff and the county administrator see the marketplace's money")


def visible_order_books(viewer: Viewer, order_id: int) -> Order:
    """An order whose ledger the viewer may read: its provider's staff and the county
    administrator. The resident sees the order (so 403, not 404), not its books."""
    order = visible_order(viewer, order_id)
    if not order_relations(viewer, order) & {"provider_staff", "county_admin"}:
        raise Forbidden("an order's ledger is for its provider and the county administrator")
    return order


def order_viewers(order: Order) -> list[int]:
    """Who may see the order now: its resident, its provider's staff, the county's
    administrators (order_filter's rule, asked the other way round): the order's pushes
    go to their rooms."""
    county = (sa.select(Grant.user_id).join(Region, Region.id == Grant.region_id)
              .join(User, User.id == Grant.user_id)
              .where(Grant.role.in_(("county_admin", "platform_admin")), User.active,
                     sa.literal(order.region_path).startswith(Region.path)))
    platform = (sa.select(Grant.user_id).join(User, User.id == Grant.user_id)
                .where(Grant.role == "platform_admin", User.active))
    people = {order.resident_id, *provider_staff(order.provider_id)}
    people.update(db.session.scalars(county.union(platform)))
    return sorted(people)
