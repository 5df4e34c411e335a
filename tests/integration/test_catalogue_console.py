"""The catalogue and the calendar through the console."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Deadline
from backend.models.types import utcnow
from backend.services import runtime
from tests.integration.case_helpers import category_id, report


def test_the_form_tree(client, as_user):
    tree = as_user("demo-resident-1").get("/api/mp/categories").json
    assert len(tree) == 23
    levels = {node["category"]["code"][0]: node["category"]["level"] for node in tree}
    assert levels == {"C": "county", "T": "township", "V": "community"}


def test_county_edits_a_category_and_it_is_audited(as_user):
    admin = as_user("demo-county-admin")
    target = category_id("T06-02")
    response = admin.patch(f"/api/console/categories/{target}", json={
        "limits": {"handling": {"amount": 3, "unit": "work_days"}}, "departments": ["D06", "D02"],
        "fields": [{"key": "length_m", "label": "长度(米)", "type": "number", "required": False}]})
    assert response.status_code == 200, response.json
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "category.update"))
    assert entry.after["departments"] == ["D06", "D02"]
    for bad in ({"limits": {"handling": {"amount": 0, "unit": "work_days"}}},
                {"limits": {"lunch": {"amount": 1, "unit": "hours"}}},
                {"departments": ["D99"]}, {"urgency": "whenever"},
                {"fields": [{"key": "Bad Key", "label": "x", "type": "string"}]}):
        assert admin.patch(f"/api/console/categories/{target}", json=bad).status_code == 422, bad
    assert as_user("demo-hub-dispatcher-1").patch(f"/api/console/categories/{target}",
                                                  json={"name": "x"}).status_code == 403


def test_retired_categories_take_no_reports(as_user):
    admin = as_user("demo-county-admin")
    admin.patch(f"/api/console/categories/{category_id('T06-02')}", json={"active": False})
    assert report(as_user("demo-resident-1"), expect=422)["error"]["fields"]["category_id"]


def test_a_declared_holiday_moves_new_deadlines(app, as_user):
    admin = as_user("demo-county-admin")
    assert admin.put("/api/console/calendar/2026-11-24", json={"kind": "holiday", "note": "县庆"}).status_code == 200
    assert [d["day"] for d in admin.get("/api/console/calendar?year=2026").json].count("2026-11-24") == 1
    runtime.of(app).clock = lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 17:00
    try:
        case = report(as_user("demo-resident-1"))["id"]
    finally:
        runtime.of(app).clock = utcnow
    due = db.session.scalar(sa.select(Deadline.due_at).where(Deadline.case_id == case))
    assert due == datetime(2026, 11, 25, 2, 30, tzinfo=UTC)   # Wed 10:30: Tuesday is off
    assert admin.delete("/api/console/calendar/2026-11-24").status_code == 204
    assert admin.put("/api/console/calendar/2026-13-01", json={"kind": "holiday"}).status_code == 422
    assert as_user("demo-hub-dispatcher-1").put("/api/console/calendar/2026-11-26",
                                                json={"kind": "holiday"}).status_code == 403
