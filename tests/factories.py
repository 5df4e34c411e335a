"""factory_boy factories: each test builds the few rows it is about, instead of leaning on
the demo county's users, codes and coordinates (docs/testing.md).

Rows are flushed into the test's savepoint (the `ctx` fixture rolls them back). Where a
service decides what a valid row is, the factory goes through it: regions through
geo.regions.insert (the materialised path), cases through intake.create_case (first log
row, triage clock, outbox effect), orders through orders.actions.create (price, expiry,
timeline). A case starts in the flow's initial state; move it on with the case actions.

    grid = GridFactory()                                  # with its community, township, county
    hub = holder("hub_dispatcher", region=grid.parent.parent)
    case = CaseFactory(region=grid)
"""
from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from stdnum.cn import uscc

from backend.extensions import db
from backend.models import (
    Case,
    Category,
    Department,
    Grant,
    Offering,
    OfferingArea,
    Order,
    Provider,
    ProviderArea,
    Region,
    User,
)
from backend.models.regions import KINDS
from backend.services import cache
from backend.services.cases import intake
from backend.services.geo import lookup, regions
from backend.services.orders import actions as orders

LABELS = {"county": "县", "township": "街道", "community": "社区", "grid": "网格"}


class Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session
        sqlalchemy_session_persistence = "flush"


# --- the administrative tree ----------------------------------------------------------------

class RegionFactory(Factory):
    """A region under `parent`: its code extends the parent's by 3 digits (a county's is
    99xxxx, no province of GB/T 2260, so never the demo county's)."""

    class Meta:
        model = Region

    level = "county"
    parent = None
    kind = factory.LazyAttribute(lambda o: KINDS[o.level][0])
    code = factory.LazyAttributeSequence(
        lambda o, n: o.parent.code + f"{n % 1000:03d}" if o.parent else f"99{n % 10000:04d}")
    name = factory.LazyAttributeSequence(lambda o, n: f"测试{LABELS[o.level]}{n}")

    @classmethod
    def _create(cls, model_class, *, parent, **fields):
        return regions.insert({**fields, "parent_id": parent.id if parent else None}, parent)


class CountyFactory(RegionFactory):
    level = "county"


class TownshipFactory(RegionFactory):
    level = "township"
    parent = factory.SubFactory(CountyFactory)


class CommunityFactory(RegionFactory):
    level = "community"
    parent = factory.SubFactory(TownshipFactory)


class GridFactory(RegionFactory):
    level = "grid"
    parent = factory.SubFactory(CommunityFactory)


# --- people ---------------------------------------------------------------------------------

class DepartmentFactory(Factory):
    """A county department; with parent= and a township as region=, a team stationed there."""

    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"F{n:04d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    region = factory.SubFactory(CountyFactory)
    parent = None


class UserFactory(Factory):
    class Meta:
        model = User

    openid = factory.Sequence(lambda n: f"factory-user-{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    phone = factory.Sequence(lambda n: f"166{n % 10**8:08d}")


class GrantFactory(Factory):
    """A role in one scope: region=, department= or provider= (ids passed, so the grant's
    scope_key is computed as the services compute it)."""

    class Meta:
        model = Grant

    class Params:
        region = None
        department = None
        provider = None

    user = factory.SubFactory(UserFactory)
    role = "resident"
    region_id = factory.LazyAttribute(lambda o: o.region.id if o.region else None)
    department_id = factory.LazyAttribute(lambda o: o.department.id if o.department else None)
    provider_id = factory.LazyAttribute(lambda o: o.provider.id if o.provider else None)


def holder(role: str, **scope) -> User:
    """A new user holding role in scope: holder("hub_dispatcher", region=township)."""
    return GrantFactory(role=role, **scope).user


# --- the catalogue and cases ------------------------------------------------------------------

class CategoryFactory(Factory):
    """A township-level category on the shipped urgency class "general" (the catalogue's
    urgency classes are configuration, loaded in every deployment)."""

    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"F{n:05d}")
    name = factory.Sequence(lambda n: f"测试类别{n}")
    parent = None
    level = "township"
    urgency = "general"
    departments = factory.LazyFunction(list)
    fields = factory.LazyFunction(list)
    limits = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        category = super()._create(model_class, *args, **kwargs)
        cache.bump("catalogue")  # intake and the clocks read the per-process catalogue
        return category


class CaseFactory(Factory):
    """A case as intake files it: in the flow's initial state, with its log and triage clock."""

    class Meta:
        model = Case

    category = factory.SubFactory(CategoryFactory)
    region = factory.SubFactory(GridFactory)
    reporter = factory.SubFactory(UserFactory)
    reporter_kind = "resident"
    channel = "mini_program"
    description = factory.Sequence(lambda n: f"路边有一堆垃圾没人清理 {n}")
    address = "测试路1号"
    attributes = factory.LazyFunction(dict)
    anonymous = False
    lng, lat = 113.0, 37.4
    client_id = factory.Sequence(lambda n: f"factory-case-{n}")

    @classmethod
    def _create(cls, model_class, *, category, region, reporter, lng, lat, **fields):
        located = lookup.Located(region.id, region.level, lng, lat, region.path, region.code)
        body = {key: fields.pop(key) for key in ("description", "address", "attributes", "anonymous")}
        case, _ = intake.create_case(category=category, body=body, located=located,
                                     reporter_id=reporter.id if reporter else None, check="passed",
                                     **fields)
        return case


# --- the marketplace --------------------------------------------------------------------------

def credit_code(n: int) -> str:
    """A valid unified social credit code (a social organisation registered in Beijing)."""
    first17 = f"52110108FB{n % 10**7:07d}"
    return first17 + uscc.calc_check_digit(first17)


class ProviderFactory(Factory):
    """An approved provider with a sub-merchant number, serving areas= (default: a new county)."""

    class Meta:
        model = Provider

    class Params:
        applicant = factory.SubFactory(UserFactory)

    name = factory.Sequence(lambda n: f"测试服务社{n}")
    credit_code = factory.Sequence(credit_code)
    contact_name = "赵敏"
    contact_phone = factory.Sequence(lambda n: f"167{n % 10**8:08d}")
    categories = factory.LazyFunction(lambda: ["housekeeping"])
    status = "approved"
    sub_mchid = factory.Sequence(lambda n: f"18{n % 10**8:08d}")
    applicant_id = factory.LazyAttribute(lambda o: o.applicant.id)

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        for region in extracted if extracted is not None else [CountyFactory()]:
            self.areas.append(ProviderArea(region_id=region.id))
        db.session.flush()  # factory_boy flushes before the hooks run, not after


class OfferingFactory(Factory):
    """A listed offering, sold in areas= (default: wherever its provider serves)."""

    class Meta:
        model = Offering

    provider = factory.SubFactory(ProviderFactory)
    title = "上门保洁"
    category = "housekeeping"
    description = "两小时上门保洁"
    price_fen = 5000
    unit = "visit"
    status = "listed"

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        ids = [r.id for r in extracted] if extracted is not None else [a.region_id for a in self.provider.areas]
        self.areas.extend(OfferingArea(region_id=region_id) for region_id in ids)
        db.session.flush()


class OrderFactory(Factory):
    """An order placed through the order service (state "created"), by a new resident of the
    offering's first area unless resident= and region= say otherwise."""

    class Meta:
        model = Order

    offering = factory.SubFactory(OfferingFactory)
    resident = factory.SubFactory(UserFactory)
    region = factory.LazyAttribute(lambda o: db.session.get(Region, o.offering.areas[0].region_id))
    address = "测试路2号"
    quantity = 1
    client_id = factory.Sequence(lambda n: f"factory-order-{n}")

    @classmethod
    def _create(cls, model_class, *, offering, resident, region, **body):
        order, _ = orders.create(resident.id, {**body, "offering_id": offering.id, "region_id": region.id})
        return order
