"""Console inboxes and search; deadlines on the working calendar with an injected clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.models.types import utcnow
from backend.services import runtime
from backend.extensions import db
from backend.models import Deadline
from tests.integration.case_helpers import act, category_id, department_id, report


@pytest.fixture()
def frozen(app):
    """The service clock, set by the test: Monday 2026-11-23 10:00 Beijing."""
    moment = {"now": datetime(2026, 11, 23, 2, 0, tzinfo=UTC)}
    runtime.of(app).clock = lambda: moment["now"]
    yield moment
    runtime.of(app).clock = utcnow


def ids(response):
    return {row["id"] for row in response.json}


def test_awaiting_me_follows_the_case_around(as_user, frozen):
    resident, hub = as_user("demo-resident-1"), as_user("demo-hub-dispatcher-1")
    lead, gw = as_user("demo-dept-staff-2"), as_user("demo-grid-worker-1")
    case = report(resident)["id"]
    inbox = "/api/console/cases?queue=awaiting_me"
    assert case in ids(hub.get(inbox)) and case not in ids(lead.get(inbox))
    act(hub, case, "accept")
    act(hub, case, "whistle", lead_department_id=department_id("D06-001"))
    assert case in ids(lead.get(inbox))
    act(lead, case, "sign_in")
    assert case not in ids(hub.get(inbox)) and case in ids(lead.get(inbox))
    from tests.integration.case_helpers import upload
    act(lead, case, "submit_result", note="done", photo_ids=[upload(lead)])
    assert case in ids(gw.get(inbox)) and case not in ids(lead.get(inbox))


def test_triage_deadline_counts_working_hours_and_feeds_the_queues(as_user, frozen):
    resident, hub = as_user("demo-resident-1"), as_user("demo-hub-dispatcher-1")
    case = report(resident)["id"]   # a general category: triage within 2 working hours
    triage = db.session.scalar(sa.select(Deadline).where(Deadline.case_id == case))
    assert triage.due_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)   # 12:00 Beijing
    assert case in ids(hub.get("/api/console/cases?queue=due_soon&within_hours=3"))
    assert case not in ids(hub.get("/api/console/cases?queue=overdue"))
    frozen["now"] += timedelta(hours=3)
    assert case in ids(hub.get("/api/console/cases?queue=overdue"))
    assert case not in ids(hub.get("/api/console/cases?queue=due_soon"))


def test_friday_evening_reports_are_due_on_monday(as_user, frozen):
    frozen["now"] = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)   # Friday 18:00 Beijing
    case = report(as_user("demo-resident-1"))["id"]
    due = db.session.scalar(sa.select(Deadline.due_at).where(Deadline.case_id == case))
    assert due == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)       # Monday 11:00 Beijing


def test_search_filters(as_user):
    resident, hub = as_user("demo-resident-1"), as_user("demo-hub-dispatcher-1")
    litter = report(resident, description="垃圾桶满了")["id"]
    lamp = report(resident, code="T08-02", description="路灯坏了")["id"]
    assert ids(hub.get(f"/api/console/cases?category_id={category_id('T08-02')}")) == {lamp}
    assert ids(hub.get(f"/api/console/cases?category_id={category_id('T08')}")) == {lamp}
    assert ids(hub.get("/api/console/cases?q=路灯")) == {lamp}
    act(hub, litter, "accept")
    assert ids(hub.get("/api/console/cases?state=accepted")) == {litter}
    assert ids(resident.get("/api/mp/cases?scope=mine")) == {litter, lamp}
    assert hub.get("/api/console/cases?queue=everything").status_code == 422
