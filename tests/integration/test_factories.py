"""The factories make rows the services accept: a tree the region rules allow, cases the
access rules place in their township, departments a hub may summon, orders their
parties see. Built from factories alone: no demo county constant in this module."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, Deadline, Order, Provider, User
from backend.models.regions import CODE_LENGTH, LEVELS
from backend.services import access
from backend.services.geo import lookup, regions
from backend.services.providers import credit_code
from tests.factories import (
    CaseFactory,
    CategoryFactory,
    DepartmentFactory,
    GridFactory,
    OrderFactory,
    TownshipFactory,
    holder,
)
from tests.integration.case_helpers import act


def sees_case(user: User, case: Case) -> bool:
    query = access.visible(access.viewer_for(user), Case).where(Case.id == case.id)
    return db.session.scalar(query) is not None


def sees_order(user: User, order: Order) -> bool:
    query = sa.select(Order.id).where(Order.id == order.id, access.order_filter(access.viewer_for(user)))
    return db.session.scalar(query) is not None


def case_clocks(case: Case) -> list[Deadline]:
    return db.session.scalars(sa.select(Deadline).where(Deadline.case_id == case.id)).all()


def test_a_grid_comes_with_a_tree_the_region_rules_accept(ctx):
    grid = GridFactory()
    chain = [grid, grid.parent, grid.parent.parent, grid.parent.parent.parent]
    assert [r.level for r in reversed(chain)] == list(LEVELS)
    for region in chain:
        parent = region.parent
        assert region.path == (parent.path if parent else "/") + f"{region.id}/"
        assert len(region.code) == CODE_LENGTH[region.level] and region.code.startswith(parent.code if parent else "")
        regions.check_place(region.level, region.kind, parent)
    assert lookup.region_ref(grid.id)["code"] == grid.code  # the per-process index was told


def test_a_case_is_seen_by_its_townships_hub_and_not_by_another(ctx):
    grid = GridFactory()
    township = grid.parent.parent
    case = CaseFactory(region=grid)
    ours = holder("hub_dispatcher", region=township)
    theirs = holder("hub_dispatcher", region=TownshipFactory(parent=township.parent))
    assert sees_case(ours, case) and not sees_case(theirs, case)
    assert "hub_of_township" in access.case_relations(access.viewer_for(ours), case)
    assert sees_case(db.session.get(User, case.reporter_id), case)
    assert case.state == "submitted" and [d.kind for d in case_clocks(case)] == ["triage"]


def test_a_factory_case_goes_through_the_flow_over_http(as_user):
    grid = GridFactory()
    township = grid.parent.parent
    team = DepartmentFactory(region=township, parent=DepartmentFactory(region=township.parent))
    staff = holder("dept_staff", department=team)
    case = CaseFactory(region=grid, category=CategoryFactory())
    hub = as_user(holder("hub_dispatcher", region=township).openid)
    assert hub.get(f"/api/console/cases/{case.id}").status_code == 200
    act(hub, case.id, "accept")
    act(hub, case.id, "whistle", lead_department_id=team.id)
    assert as_user(staff.openid).get(f"/api/mp/cases/{case.id}").status_code == 200
    other_hub = as_user(holder("hub_dispatcher", region=TownshipFactory(parent=township.parent)).openid)
    assert other_hub.get(f"/api/console/cases/{case.id}").status_code == 404


def test_an_order_is_seen_by_its_resident_and_its_providers_staff_only(ctx):
    order = OrderFactory()
    assert order.state == "created" and order.amount_fen == order.quantity * order.unit_price_fen
    provider = db.session.get(Provider, order.provider_id)
    assert credit_code.is_valid(provider.credit_code)
    staff = holder("provider_staff", provider=provider)
    stranger = holder("provider_staff", provider=db.session.get(Provider, OrderFactory().provider_id))
    assert sees_order(db.session.get(User, order.resident_id), order) and sees_order(staff, order)
    assert not sees_order(stranger, order)
