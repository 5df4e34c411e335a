"""The audit trail under 三员分立: the security administrator hands out roles, the audit
administrator reads and exports the trail, the platform administrator does neither and is
audited like anyone; the trail is append-only (PostgreSQL refuses UPDATE and DELETE)."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Grant, Region, User
from backend.models.types import utcnow
from backend.services import audit, runtime
from tests.factories import CaseFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def user_id(openid):
    return db.session.scalar(sa.select(User.id).where(User.openid == openid))


def grant_of(openid):
    return db.session.scalar(sa.select(Grant.id).where(Grant.user_id == user_id(openid)))


@pytest.fixture()
def clock(app):
    now = {"at": datetime(2026, 11, 1, 4, 0, tzinfo=UTC)}
    runtime.of(app).clock = lambda: now["at"]
    yield now
    runtime.of(app).clock = utcnow


# --- append-only ---------------------------------------------------------------------------------

@pytest.fixture()
def one_entry(ctx):
    audit.record_raw(None, "test.write", "region", "1", None, {"name": "改"}, None)
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))


@pytest.mark.parametrize("statement", [
    lambda entry_id: sa.update(AuditEntry).where(AuditEntry.id == entry_id).values(action="hidden"),
    lambda entry_id: sa.delete(AuditEntry).where(AuditEntry.id == entry_id),
], ids=["update", "delete"])
def test_postgresql_refuses_to_change_the_trail(one_entry, statement):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite is for development)")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(statement(one_entry))
    assert db.session.get(AuditEntry, one_entry).action == "test.write"


def test_nothing_in_the_code_changes_or_deletes_audit_rows():
    """Retention: nothing purges the trail today, so nothing deletes rows younger than
    AUDIT_RETENTION_DAYS; whatever purges it one day must read that setting."""
    changes = re.compile(r"(delete|update)\(\s*AuditEntry|(DELETE\s+FROM|UPDATE)\s+audit_log", re.IGNORECASE)
    found = [str(path.relative_to(ROOT)) for folder in ("backend", "miniprogram_api")
             for path in (ROOT / folder).rglob("*.py") if changes.search(path.read_text(encoding="utf-8"))]
    assert found == []


# --- separated duties ----------------------------------------------------------------------------

def test_the_security_administrator_hands_out_roles_but_not_their_own(as_user):
    security = as_user("demo-security-admin")
    response = security.post(f"/api/console/users/{user_id('demo-resident-2')}/grants",
                             json={"role": "grid_worker", "region_id": db.session.scalar(
                                 sa.select(Region.id).where(Region.code == "140730001001002"))})
    assert response.status_code == 201, response.json
    assert security.delete(f"/api/console/grants/{response.json['id']}").status_code == 204
    own = security.delete(f"/api/console/grants/{grant_of('demo-security-admin')}")
    assert own.status_code == 403
    assert as_user("demo-platform-admin").delete(
        f"/api/console/grants/{grant_of('demo-county-admin')}").status_code == 403


@pytest.mark.parametrize("holder, role", [("demo-platform-admin", "audit_admin"),
                                          ("demo-audit-admin", "security_admin"),
                                          ("demo-security-admin", "platform_admin")])
def test_one_person_is_never_two_of_the_three_administrators(as_user, holder, role):
    security = as_user("demo-security-admin") if holder != "demo-security-admin" else None
    if security is None:   # a second security administrator, since nobody changes their own roles
        db.session.add(User(openid="second-security", name="二号"))
        db.session.flush()
        db.session.add(Grant(user_id=user_id("second-security"), role="security_admin"))
        db.session.commit()
        security = as_user("second-security")
    response = security.post(f"/api/console/users/{user_id(holder)}/grants", json={"role": role})
    assert response.status_code == 409 and response.json["error"]["code"] == "separated_duties"


def test_accounts_are_the_security_administrators_not_the_platforms(as_user):
    worker = user_id("demo-grid-worker-1")
    platform = as_user("demo-platform-admin")
    assert platform.patch(f"/api/console/users/{worker}", json={"phone": "13700009999"}).status_code == 403
    assert platform.patch(f"/api/console/users/{worker}", json={"active": False}).status_code == 403
    security = as_user("demo-security-admin")
    assert security.patch(f"/api/console/users/{worker}", json={"active": False}).status_code == 200


def test_the_audit_administrator_reads_the_trail_and_nothing_else(as_user):
    auditor = as_user("demo-audit-admin")
    assert auditor.get("/api/console/cases?page_size=100").json == []
    assert auditor.get("/api/console/outbox").json == []
    assert auditor.get("/api/console/reconciliation/runs").status_code == 403
    assert auditor.get("/api/console/regions?level=county").json == []
    assert auditor.get("/api/console/audit").status_code == 200


def test_platform_and_security_acts_are_audited_for_the_auditor(as_user):
    platform = as_user("demo-platform-admin")
    assert platform.post("/api/console/regions", json={"code": "990101", "name": "试验县",
                                                       "level": "county"}).status_code == 201
    security = as_user("demo-security-admin")
    granted = security.post(f"/api/console/users/{user_id('demo-resident-2')}/grants", json={"role": "audit_admin"})
    assert granted.status_code == 201
    seen = {(e["action"], e["actor_id"]) for e in as_user("demo-audit-admin").get("/api/console/audit").json}
    assert {("region.create", user_id("demo-platform-admin")),
            ("grant.create", user_id("demo-security-admin"))} <= seen
    assert platform.get("/api/console/audit").json == []
    assert security.get("/api/console/audit").json == []


# --- the export ----------------------------------------------------------------------------------

def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_auditor_exports_a_date_range_as_csv(as_user, clock):
    for day, action in ((1, "first.day"), (2, "second.day"), (3, "third.day")):
        clock["at"] = datetime(2026, 11, day, 4, 0, tzinfo=UTC)   # noon in Beijing
        audit.record_raw(None, action, "region", "=1+1", None, {"note": "-2"}, None)
    db.session.commit()
    response = as_user("demo-audit-admin").get("/api/console/audit/export.csv?from=2026-11-02&to=2026-11-03")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert [r["action"] for r in rows] == ["second.day", "third.day"]
    assert list(rows[0]) == list(audit.EXPORT_COLUMNS)
    assert rows[0]["object_id"] == "'=1+1"   # a spreadsheet does not run it
    assert rows[0]["at"].startswith("2026-11-02T04:00:00")
    exported = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit.export")).one()
    assert exported.actor_id == user_id("demo-audit-admin")
    assert exported.after == {"from": "2026-11-02", "to": "2026-11-03"}


def test_the_export_reads_in_batches(as_user, monkeypatch):
    monkeypatch.setattr(audit, "EXPORT_BATCH", 2)
    for n in range(5):
        audit.record_raw(None, f"write.{n}", "region", str(n), None, None, None)
    db.session.commit()
    rows = _rows(as_user("demo-audit-admin").get("/api/console/audit/export.csv"))
    assert [r["action"] for r in rows] == [f"write.{n}" for n in range(5)]


@pytest.mark.parametrize("openid", ["demo-county-admin", "demo-platform-admin", "demo-security-admin"])
def test_only_the_auditor_exports(as_user, openid):
    response = as_user(openid).get("/api/console/audit/export.csv")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_a_backwards_range_is_refused(as_user):
    response = as_user("demo-audit-admin").get("/api/console/audit/export.csv?from=2026-11-03&to=2026-11-02")
    assert response.status_code == 422 and "from" in response.json["error"]["fields"]


# --- the anonymity rule over audit rows of every shape --------------------------------------------

def test_an_entry_about_the_anonymous_reporter_names_nobody(as_user):
    reporter = UserFactory()
    case = CaseFactory(reporter=reporter, anonymous=True)
    hub = user_id("demo-hub-dispatcher-1")
    shapes = {  # an entry whose object is the reporter, keyed by the case in its snapshot
        "object": audit.record_raw(hub, "reveal", "user_account", str(reporter.id), None,
                                   {"case_id": case.id, "phone": "138****0000", "reason": "回访"}, None),
        # the same case, naming only the hub: left as it is
        "other": audit.record_raw(hub, "reveal", "case_file", str(case.id), None, {"user_id": hub}, None),
        # no case at all: the rule has nothing to hide
        "no_case": audit.record_raw(reporter.id, "user.update", "user_account", str(reporter.id),
                                    {"name": "甲"}, {"name": "乙"}, None),
    }
    db.session.commit()
    entries = {e["id"]: e for e in as_user("demo-audit-admin").get("/api/console/audit?page_size=100").json}
    seen = {name: entries[entry.id] for name, entry in shapes.items()}
    assert seen["object"]["object_id"] is None and seen["object"]["after"] == {
        "case_id": case.id, "phone": None, "reason": "回访"}
    assert seen["object"]["actor_id"] == hub
    assert seen["other"]["after"] == {"user_id": hub} and seen["other"]["object_id"] == str(case.id)
    assert seen["no_case"]["actor_id"] == reporter.id and seen["no_case"]["after"] == {"name": "乙"}
