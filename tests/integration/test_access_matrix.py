"""The access matrix: every demo role against sample objects of every kind.

Each cell is fetched over HTTP: 200 where the viewer may see the object, 404 (the same
answer as for an object that does not exist) everywhere else; the list endpoints must
agree with the fetches. Cases, summonses and orders join this table as they arrive.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from stdnum.cn.uscc import calc_check_digit as check_char

from backend.extensions import db
from backend.models import (
    AuditEntry,
    Department,
    Grant,
    Offering,
    OfferingArea,
    OutboxEffect,
    Provider,
    ProviderArea,
    ReconciliationRun,
    Region,
    User,
)
from tests import factories
from tests.factories import CaseFactory, CountyFactory
from tests.factories import holder as grant_holder
from tests.integration.case_helpers import act

COUNTY, T1, T2 = "140730", "140730001", "140730100"
C1, C1B = "140730001001", "140730001002"
G1, G1B, G2 = "140730001001001", "140730001001002", "140730100001001"
REGIONS = {COUNTY, T1, T2, C1, C1B, G1, G1B, G2}
DEPTS = {"D01", "D06", "D06-001", "D07-100"}
PEOPLE = {"demo-resident-1", "demo-resident-2", "demo-grid-worker-1", "demo-grid-worker-2",
          "demo-community-admin-1", "demo-hub-dispatcher-1", "demo-hub-dispatcher-2",
          "demo-dept-staff-1", "demo-dept-staff-2", "demo-county-admin", "demo-platform-admin",
          "demo-security-admin", "demo-audit-admin"}
# 三员分立: the platform, security and audit administrators hold their roles platform-wide.
SEPARATED = {"demo-platform-admin", "demo-security-admin", "demo-audit-admin"}
T1_TREE = {T1, C1, C1B, G1, G1B}

SEES = {  # viewer: (regions, departments, people — whose grants they also see)
    "demo-resident-1": (set(), set(), {"demo-resident-1"}),
    "demo-grid-worker-1": ({G1}, set(), {"demo-grid-worker-1"}),
    "demo-community-admin-1": ({C1, G1, G1B}, set(),
                               {"demo-community-admin-1", "demo-grid-worker-1"}),
    "demo-hub-dispatcher-1": (T1_TREE, {"D01", "D06", "D06-001"},
                              {"demo-hub-dispatcher-1", "demo-grid-worker-1",
                               "demo-community-admin-1", "demo-dept-staff-2"}),
    "demo-hub-dispatcher-2": ({T2, G2}, {"D01", "D06", "D07-100"},
                              {"demo-hub-dispatcher-2", "demo-grid-worker-2"}),
    "demo-dept-staff-1": (REGIONS, {"D06", "D06-001"}, {"demo-dept-staff-1"}),
    "demo-dept-staff-2": (T1_TREE, {"D06", "D06-001"}, {"demo-dept-staff-2"}),
    "demo-county-admin": (REGIONS, DEPTS, PEOPLE - SEPARATED),
    "demo-platform-admin": (REGIONS, DEPTS, PEOPLE),
    "demo-security-admin": (REGIONS, DEPTS, PEOPLE),   # hands out roles: sees every grant and its scope
    "demo-audit-admin": (set(), set(), {"demo-audit-admin"}),   # the audit trail, nothing else
}


def ids(model, key, values) -> dict:
    return dict(db.session.execute(sa.select(key, model.id).where(key.in_(values))).all())


def sample(kind) -> dict:
    """Natural key -> id of the sample objects of one kind."""
    if kind == "regions":
        return ids(Region, Region.code, REGIONS)
    if kind == "departments":
        return ids(Department, Department.code, DEPTS)
    if kind == "users":
        return ids(User, User.openid, PEOPLE)
    rows = db.session.execute(sa.select(User.openid, Grant.role, Grant.id).join(Grant.user)
                              .where(User.openid.in_(PEOPLE))).all()
    return {f"{openid}#{role}": grant_id for openid, role, grant_id in rows}


def holder(key: str) -> str:
    return key.split("#")[0]


def visible_keys(viewer, kind, objects) -> set:
    regions, depts, people = SEES[viewer]
    if kind == "grants":
        return {key for key in objects if holder(key) in people}
    return {"regions": regions, "departments": depts, "users": people}[kind]


@pytest.mark.parametrize("kind", ["regions", "departments", "users", "grants"])
@pytest.mark.parametrize("viewer", sorted(SEES))
def test_fetch_by_id(as_user, viewer, kind):
    caller = as_user(viewer)
    objects = sample(kind)
    keys = {holder(k) for k in objects} if kind == "grants" else set(objects)
    assert keys == {"regions": REGIONS, "departments": DEPTS}.get(kind, PEOPLE)
    visible_grants = {grant_id for key, grant_id in sample("grants").items()
                      if holder(key) in SEES[viewer][2]}
    wrong = []
    for key, object_id in sorted(objects.items()):
        response = caller.get(f"/api/console/{kind}/{object_id}")
        want = 200 if key in visible_keys(viewer, kind, objects) else 404
        if kind == "users" and response.status_code == 200:
            leaked = {g["id"] for g in response.json["grants"]} - visible_grants
            if leaked:
                wrong.append((key, "grants leaked", leaked))
        if response.status_code != want:
            wrong.append((key, response.status_code, want))
        if want == 404 and response.json["error"]["code"] != "not_found":
            wrong.append((key, "error code", response.json["error"]["code"]))
    assert not wrong, f"{viewer} on {kind}: (object, got, want) {wrong}"


@pytest.mark.parametrize("kind", ["regions", "departments", "users"])
@pytest.mark.parametrize("viewer", sorted(SEES))
def test_lists_agree(as_user, viewer, kind):
    caller = as_user(viewer)
    objects = sample(kind)
    listed_ids = {row["id"] for row in caller.get(f"/api/console/{kind}?page_size=100").json}
    listed = {key for key, object_id in objects.items() if object_id in listed_ids}
    assert listed == visible_keys(viewer, kind, objects)


CHANGE = {"regions": ("patch", {"name": "改"}), "departments": ("patch", {"name": "改"}),
          "users": ("patch", {"name": "改"}), "grants": ("delete", None)}


@pytest.mark.parametrize("kind", sorted(CHANGE))
@pytest.mark.parametrize("viewer", sorted(SEES))
def test_hidden_objects_cannot_be_changed(as_user, viewer, kind):
    caller = as_user(viewer)
    objects = sample(kind)
    method, body = CHANGE[kind]
    wrong = []
    for key, object_id in sorted(objects.items()):
        if key in visible_keys(viewer, kind, objects):
            continue
        response = getattr(caller, method)(f"/api/console/{kind}/{object_id}", json=body)
        if response.status_code != 404:
            wrong.append((key, response.status_code))
    assert not wrong, f"{viewer} changing hidden {kind}: {wrong}"


def test_absent_and_hidden_look_the_same(as_user):
    caller = as_user("demo-hub-dispatcher-2")
    hidden = caller.get(f"/api/console/regions/{sample('regions')[G1]}")
    absent = caller.get("/api/console/regions/999999")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json["error"]["code"] == absent.json["error"]["code"]


# --- providers and offerings ---------------------------------------------------------------
# Two approved providers (the demo's 颐康, county-wide, and 助老站 in 凤鸣街道, staffed by
# resident 2 for these tests) and the demo's pending application (安居, 凤鸣街道 and 柳河镇).
# The console shows a provider to the county and its own staff (the applicant: only while
# it is an application); residents meet offerings only through the catalogue.

PROVIDERS = {"颐康": "52140730MA0LQ3C4D5", "安居": "91140730MA0LQ1A2B2",
             "助老站": "91140730MB0000001" + check_char("91140730MB0000001")}
OFFERINGS = {"上门助浴": "颐康", "家政保洁": "颐康", "水电维修": "颐康", "助老陪诊": "助老站"}
EVERY_PROVIDER = set(PROVIDERS)
PROVIDER_SEES = {  # viewer: providers seen in the console (their offerings follow, but not an applicant's)
    "demo-county-admin": EVERY_PROVIDER, "demo-platform-admin": EVERY_PROVIDER,
    "demo-provider-staff-1": {"颐康"}, "demo-provider-applicant-1": {"安居"}, "demo-resident-2": {"助老站"},
}
APPLICANTS = {"demo-provider-applicant-1"}
PROVIDER_VIEWERS = sorted(set(SEES) | set(PROVIDER_SEES))


@pytest.fixture()
def marketplace(ctx):
    """The second provider, approved, with one listed offering, run by resident 2."""
    code = PROVIDERS["助老站"]
    region = ids(Region, Region.code, {T1})[T1]
    resident_2 = ids(User, User.openid, {"demo-resident-2"})["demo-resident-2"]
    provider = Provider(name="凤鸣助老站", credit_code=code, contact_name="刘", contact_phone="13700003333",
                        categories=["elderly_care"], status="approved", sub_mchid="1900000777",
                        applicant_id=resident_2, areas=[ProviderArea(region_id=region)])
    db.session.add(provider)
    db.session.flush()
    db.session.add(Grant(user_id=resident_2, role="provider_staff", provider_id=provider.id))
    db.session.add(Offering(provider_id=provider.id, title="助老陪诊", category="elderly_care", price_fen=5000,
                            unit="visit", status="listed", areas=[OfferingArea(region_id=region)]))
    db.session.commit()
    providers = ids(Provider, Provider.credit_code, set(PROVIDERS.values()))
    by_code = {v: k for k, v in PROVIDERS.items()}
    offerings = ids(Offering, Offering.title, set(OFFERINGS))
    return {by_code[c]: i for c, i in providers.items()}, offerings


def _provider_view(viewer) -> set:
    return PROVIDER_SEES.get(viewer, set())


def _offering_view(viewer) -> set:
    providers = set() if viewer in APPLICANTS else _provider_view(viewer)
    return {title for title, owner in OFFERINGS.items() if owner in providers}


@pytest.mark.parametrize("viewer", PROVIDER_VIEWERS)
def test_providers_and_offerings_by_id(as_user, marketplace, viewer):
    providers, offerings = marketplace
    assert set(providers) == EVERY_PROVIDER and set(offerings) == set(OFFERINGS)
    caller = as_user(viewer)
    wrong = []
    for name, pid in sorted(providers.items()):
        response = caller.get(f"/api/console/providers/{pid}")
        want = 200 if name in _provider_view(viewer) else 404
        if response.status_code != want:
            wrong.append(("provider", name, response.status_code, want))
    for title, oid in sorted(offerings.items()):
        response = caller.get(f"/api/console/offerings/{oid}")
        want = 200 if title in _offering_view(viewer) else 404
        if response.status_code != want:
            wrong.append(("offering", title, response.status_code, want))
        # Everyone, whatever their role, meets the listed offerings of approved providers.
        if caller.get(f"/api/mp/services/{oid}").status_code != 200:
            wrong.append(("catalogue", title))
    assert not wrong, f"{viewer}: {wrong}"


@pytest.mark.parametrize("viewer", PROVIDER_VIEWERS)
def test_provider_and_offering_lists_agree(as_user, marketplace, viewer):
    providers, offerings = marketplace
    caller = as_user(viewer)
    listed = {row["id"] for row in caller.get("/api/console/providers?page_size=100").json}
    assert {n for n, i in providers.items() if i in listed} == _provider_view(viewer)
    listed = {row["id"] for row in caller.get("/api/console/offerings?page_size=100").json}
    assert {t for t, i in offerings.items() if i in listed} == _offering_view(viewer)


@pytest.mark.parametrize("viewer", PROVIDER_VIEWERS)
def test_only_a_providers_own_staff_manage_its_offerings(as_user, marketplace, viewer):
    providers, offerings = marketplace
    caller = as_user(viewer)
    wrong = []
    for title, oid in sorted(offerings.items()):
        response = caller.post(f"/api/console/offerings/{oid}/unlist", json={})
        own = viewer == {"颐康": "demo-provider-staff-1", "助老站": "demo-resident-2"}[OFFERINGS[title]]
        want = 200 if own else 403 if title in _offering_view(viewer) else 404
        if response.status_code != want:
            wrong.append((title, response.status_code, want))
    for name, pid in sorted(providers.items()):
        response = caller.post(f"/api/console/providers/{pid}/offerings",
                               json={"title": "新服务", "category": "elderly_care", "price_fen": 100, "unit": "visit"})
        own = PROVIDER_SEES.get(viewer) == {name} and viewer not in APPLICANTS
        want = 201 if own else 403 if name in _provider_view(viewer) else 404
        if response.status_code != want:
            wrong.append((name, "create", response.status_code, want))
    assert not wrong, f"{viewer}: {wrong}"


@pytest.mark.parametrize("viewer", PROVIDER_VIEWERS)
def test_only_the_county_reviews(as_user, marketplace, viewer):
    providers, _ = marketplace
    pid = providers["安居"]
    response = as_user(viewer).post(f"/api/console/providers/{pid}/actions/request_more",
                                    json={"version": 1, "payload": {"reason": "补充"}})
    want = 200 if viewer in ("demo-county-admin", "demo-platform-admin") else (
        403 if "安居" in _provider_view(viewer) else 404)
    assert response.status_code == want, response.json


# --- orders ---------------------------------------------------------------------------
# A resident sees their own orders; a provider's staff its provider's; the county (and the
# platform) every order served in the county; nobody else any. Money details (the ledger)
# are for the provider and the county, not the resident.

ORDERS = {"r1@颐康": ("demo-resident-1", "家政保洁"), "r2@颐康": ("demo-resident-2", "家政保洁"),
          "r1@助老站": ("demo-resident-1", "助老陪诊")}
EVERY_ORDER = set(ORDERS)
ORDER_SEES = {"demo-resident-1": {"r1@颐康", "r1@助老站"},
              "demo-resident-2": {"r2@颐康", "r1@助老站"},       # their own, and as 助老站's staff
              "demo-provider-staff-1": {"r2@颐康", "r1@颐康"},
              "demo-county-admin": EVERY_ORDER, "demo-platform-admin": EVERY_ORDER}
ORDER_VIEWERS = sorted(set(SEES) | set(PROVIDER_SEES) | set(ORDER_SEES))
BOOKS = {"demo-resident-2": {"r1@助老站"}, "demo-provider-staff-1": {"r2@颐康", "r1@颐康"},
         "demo-county-admin": EVERY_ORDER, "demo-platform-admin": EVERY_ORDER}


@pytest.fixture()
def orders_placed(marketplace):
    from backend.services.orders import actions
    _, offerings = marketplace
    community = ids(Region, Region.code, {C1})[C1]
    placed = {}
    for name, (openid, title) in ORDERS.items():
        resident = ids(User, User.openid, {openid})[openid]
        order, _ = actions.create(resident, {"client_id": f"matrix-{name}", "offering_id": offerings[title],
                                            "region_id": community, "address": "文昌路1号",
                                            "service_date": "2026-12-03"})
        placed[name] = order.id
    db.session.commit()
    return placed


@pytest.mark.parametrize("viewer", ORDER_VIEWERS)
def test_orders_by_id_in_lists_and_books(as_user, orders_placed, viewer):
    caller, sees = as_user(viewer), ORDER_SEES.get(viewer, set())
    wrong = []
    for name, order_id in sorted(orders_placed.items()):
        for face in ("mp", "console"):
            got = caller.get(f"/api/{face}/orders/{order_id}").status_code
            if got != (200 if name in sees else 404):
                wrong.append((face, name, got))
        books = caller.get(f"/api/console/orders/{order_id}/ledger").status_code
        if books != (200 if name in BOOKS.get(viewer, set()) else 403 if name in sees else 404):
            wrong.append(("ledger", name, books))
        step = caller.post(f"/api/console/orders/{order_id}/actions/accept", json={"version": 1, "payload": {}})
        if name not in sees and step.status_code != 404:
            wrong.append(("accept", name, step.status_code))
    listed = {row["id"] for row in caller.get("/api/console/orders?page_size=100").json}
    mine = {row["id"] for row in caller.get("/api/mp/orders?page_size=100").json}
    assert not wrong, f"{viewer}: {wrong}"
    assert {n for n, i in orders_placed.items() if i in listed} == sees
    assert {n for n, i in orders_placed.items() if i in mine} == {n for n in sees if ORDERS[n][0] == viewer}


# --- the trails: the outbox and the audit view, with an anonymous case --------------------------
# Two cases in 文昌社区第一网格: resident 1 reported one anonymously, resident 2 one by name.
# Each has a dead subscribe message to its reporter and an audit entry that names its reporter
# (a hub's reveal of the reporter's phone, as the privacy work writes one) and one the reporter
# made. Whoever reads these trails reads a named reporter, never an anonymous one.

TRAIL_SEES = {  # viewer: (outbox, audit); the others see neither
    "demo-county-admin": (True, True), "demo-platform-admin": (True, False),
    "demo-audit-admin": (False, True),
}


@pytest.fixture()
def trails(ctx):
    grid = db.session.scalar(sa.select(Region).where(Region.code == G1))
    people = ids(User, User.openid, {"demo-resident-1", "demo-resident-2", "demo-hub-dispatcher-1"})
    made = {}
    for name, openid, anonymous in (("anonymous", "demo-resident-1", True), ("named", "demo-resident-2", False)):
        reporter = db.session.get(User, people[openid])
        case = CaseFactory(region=grid, reporter=reporter, anonymous=anonymous)
        effect = OutboxEffect(kind="subscribe_message", case_id=case.id, recipient_id=reporter.id, outcome="dead",
                              payload={"step": "accepted", "event": "accepted", "case_id": case.id})
        reveal = AuditEntry(actor_id=people["demo-hub-dispatcher-1"], action="reveal", object_type="case_file",
                            object_id=str(case.id), scope_path=case.region_path,
                            after={"user_id": reporter.id, "name": reporter.name, "reason": "回访"})
        own = AuditEntry(actor_id=reporter.id, action="case.note", object_type="case_file", object_id=str(case.id),
                         scope_path=case.region_path, after={"case_id": case.id})
        db.session.add_all([effect, reveal, own])
        db.session.flush()
        made[name] = {"case": case.id, "reporter": reporter.id, "effect": effect.id, "reveal": reveal.id,
                      "own": own.id}
    db.session.commit()
    return made


@pytest.mark.parametrize("viewer", sorted(set(SEES) | {"demo-provider-staff-1"}))
def test_trails_name_no_anonymous_reporter(as_user, trails, viewer):
    caller = as_user(viewer)
    sees_outbox, sees_audit = TRAIL_SEES.get(viewer, (False, False))
    effects = {row["id"]: row for row in caller.get("/api/console/outbox?page_size=100").json}
    audit = caller.get("/api/console/audit?page_size=100").json
    entries = {row["id"]: row for row in audit}
    for name, made in trails.items():
        assert (made["effect"] in effects) == sees_outbox, (name, "outbox")
        assert (made["reveal"] in entries and made["own"] in entries) == sees_audit, (name, "audit")
        shown = name == "named"
        if sees_outbox:
            assert (effects[made["effect"]]["recipient_id"] == made["reporter"]) == shown, name
            assert effects[made["effect"]]["case_id"] == made["case"]
        if sees_audit:
            reveal, own = entries[made["reveal"]], entries[made["own"]]
            assert (reveal["after"]["user_id"] == made["reporter"]) == shown, name
            assert (reveal["after"]["name"] is not None) == shown, name
            assert reveal["after"]["reason"] == "回访" and reveal["actor_id"] is not None
            assert (own["actor_id"] == made["reporter"]) == shown, name
    # Nor does a message's payload name a person: the case and the step only.
    if sees_outbox:
        assert set(effects[trails["anonymous"]["effect"]]["payload"]) == {"step", "event", "case_id"}


def test_the_trail_export_names_no_anonymous_reporter(as_user, trails):
    response = as_user("demo-audit-admin").get("/api/console/audit/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = {line.split(",")[0]: line for line in response.get_data(as_text=True).splitlines()}
    anonymous, named = trails["anonymous"], trails["named"]
    assert f'""user_id"": {named["reporter"]}' in lines[str(named["reveal"])]
    assert f'""user_id"": {anonymous["reporter"]}' not in lines[str(anonymous["reveal"])]
    assert '""user_id"": null' in lines[str(anonymous["reveal"])]


def test_the_reporter_still_reads_their_own_case_whole(as_user, trails):
    detail = as_user("demo-resident-1").get(f"/api/mp/cases/{trails['anonymous']['case']}").json
    assert detail["reporter"]["id"] == trails["anonymous"]["reporter"]
    hub = as_user("demo-hub-dispatcher-1").get(f"/api/console/cases/{trails['anonymous']['case']}").json
    assert hub["reporter"] is None and all(e["actor"] is None for e in hub["timeline"] if e["action"] == "report")


# --- reconciliation runs, scoped like orders, with two counties ---------------------------------

@pytest.fixture()
def runs(ctx):
    county = db.session.scalar(sa.select(Region).where(Region.code == COUNTY))
    other = CountyFactory()
    other_admin = grant_holder("county_admin", region=other)
    made = {}
    for name, path in (("whole", None), ("青岚县", county.path), ("other", other.path)):
        run = ReconciliationRun(bill_date="2026-11-30", status="matched", scope_path=path)
        db.session.add(run)
        db.session.flush()
        made[name] = run.id
    db.session.commit()
    return made, other_admin.openid


RUN_SEES = {"demo-county-admin": {"青岚县"}, "other-county-admin": {"other"},
            "demo-platform-admin": {"whole", "青岚县", "other"}}


@pytest.mark.parametrize("viewer", sorted(set(SEES) | set(RUN_SEES) | {"demo-provider-staff-1"}))
def test_reconciliation_runs_by_county(as_user, runs, viewer):
    made, other_openid = runs
    caller = as_user(other_openid if viewer == "other-county-admin" else viewer)
    sees = RUN_SEES.get(viewer)
    listed = caller.get("/api/console/reconciliation/runs?page_size=100")
    if sees is None:   # not a finance viewer at all
        assert listed.status_code == 403
        return
    assert {name for name, run_id in made.items() if run_id in {r["id"] for r in listed.json}} == sees
    for name, run_id in made.items():
        got = caller.get(f"/api/console/reconciliation/runs/{run_id}").status_code
        assert got == (200 if name in sees else 404), (name, got)


# --- reveals of personal data (privacy) ------------------------------------------------------
# Who may ask for a case's whole phone numbers: those who must call back (the township's hub,
# the county, the case's current holder). A case out of sight is 404 before the rule is asked.

REVEAL_STATUS = {  # viewer: (township-level case being handled by departments, community-level case)
    "reporter": (403, 403), "stranger": (404, 404), "hub": (200, 200), "other_hub": (404, 404),
    "county": (200, 200), "other_county": (404, 404), "grid_worker": (403, 403),
    "community_admin": (403, 200), "lead_staff": (200, 404), "co_staff": (403, 404),
    "platform_admin": (403, 403),
}


@pytest.fixture()
def reveal_cases(ctx, as_user):
    """Two cases in one grid: a township matter whistled to a lead and a co department, and a
    community matter in the community's hands; and one viewer of each kind."""
    f = factories
    grid = f.GridFactory()
    community, township, county = grid.parent, grid.parent.parent, grid.parent.parent.parent
    lead, co = f.DepartmentFactory(region=county), f.DepartmentFactory(region=county)
    reporter = f.UserFactory()
    viewers = {"reporter": reporter, "stranger": f.UserFactory(),
               "hub": f.holder("hub_dispatcher", region=township),
               "other_hub": f.holder("hub_dispatcher", region=f.TownshipFactory(parent=county)),
               "county": f.holder("county_admin", region=county),
               "other_county": f.holder("county_admin", region=f.CountyFactory()),
               "grid_worker": f.holder("grid_worker", region=grid),
               "community_admin": f.holder("community_admin", region=community),
               "lead_staff": f.holder("dept_staff", department=lead),
               "co_staff": f.holder("dept_staff", department=co),
               "platform_admin": f.holder("platform_admin")}
    township_case = f.CaseFactory(region=grid, reporter=reporter).id
    community_case = f.CaseFactory(region=grid, reporter=reporter,
                                   category=f.CategoryFactory(level="community")).id
    hub = as_user(viewers["hub"].openid)
    act(hub, township_case, "accept")
    act(hub, township_case, "whistle", lead_department_id=lead.id, co_department_ids=[co.id])
    return {name: user.openid for name, user in viewers.items()}, (township_case, community_case)


@pytest.mark.parametrize("viewer", sorted(REVEAL_STATUS))
def test_who_may_reveal_a_reporters_phone(as_user, reveal_cases, viewer):
    openids, cases = reveal_cases
    caller = as_user(openids[viewer])
    got = tuple(caller.post(f"/api/console/cases/{case_id}/reveal",
                            json={"what": "reporter_phone", "reason": "回访"}).status_code for case_id in cases)
    assert got == REVEAL_STATUS[viewer]
