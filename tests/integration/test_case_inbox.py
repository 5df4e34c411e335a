"""Console inboxes and search; deadlines on the working calendar with an injected clock.
The people, places and categories come from the factories (tests/factories.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Deadline
from backend.models.types import utcnow
from backend.services import runtime
from tests.factories import CaseFactory, CategoryFactory, DepartmentFactory, GridFactory, holder
from tests.integration.case_helpers import act, upload


@pytest.fixture()
def frozen(app):
    """The service clock, set by the test: Monday 2026-11-23 10:00 Beijing."""
    moment = {"now": datetime(2026, 11, 23, 2, 0, tzinfo=UTC)}
    runtime.of(app).clock = lambda: moment["now"]
    yield moment
    runtime.of(app).clock = utcnow


@pytest.fixture()
def place(ctx):
    """A grid of a township with its hub and grid worker, a county department's team
    stationed in the township and a resident of the county."""
    grid = GridFactory()
    township = grid.parent.parent
    team = DepartmentFactory(region=township, parent=DepartmentFactory(region=township.parent))
    return SimpleNamespace(grid=grid, team=team, resident=holder("resident", region=township.parent),
                           hub=holder("hub_dispatcher", region=township),
                           lead=holder("dept_staff", department=team), gw=holder("grid_worker", region=grid))


def reported(place, **fields) -> int:
    """A case the resident filed in the grid (a township-level category on the "general"
    urgency class: triage within 2 working hours)."""
    return CaseFactory(region=place.grid, reporter=place.resident, **fields).id


def ids(response):
    return {row["id"] for row in response.json}


def test_awaiting_me_follows_the_case_around(as_user, place, frozen):
    hub, lead, gw = as_user(place.hub.openid), as_user(place.lead.openid), as_user(place.gw.openid)
    case = reported(place)
    inbox = "/api/console/cases?queue=awaiting_me"
    assert case in ids(hub.get(inbox)) and case not in ids(lead.get(inbox))
    act(hub, case, "accept")
    act(hub, case, "whistle", lead_department_id=place.team.id)
    assert case in ids(lead.get(inbox))
    act(lead, case, "sign_in")
    assert case not in ids(hub.get(inbox)) and case in ids(lead.get(inbox))
    act(lead, case, "submit_result", note="done", photo_ids=[upload(lead)])
    assert case in ids(gw.get(inbox)) and case not in ids(lead.get(inbox))


def test_triage_deadline_counts_working_hours_and_feeds_the_queues(as_user, place, frozen):
    hub = as_user(place.hub.openid)
    case = reported(place)
    triage = db.session.scalar(sa.select(Deadline).where(Deadline.case_id == case))
    assert triage.due_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)   # 12:00 Beijing
    assert case in ids(hub.get("/api/console/cases?queue=due_soon&within_hours=3"))
    assert case not in ids(hub.get("/api/console/cases?queue=overdue"))
    frozen["now"] += timedelta(hours=3)
    assert case in ids(hub.get("/api/console/cases?queue=overdue"))
    assert case not in ids(hub.get("/api/console/cases?queue=due_soon"))


def test_friday_evening_reports_are_due_on_monday(place, frozen):
    frozen["now"] = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)   # Friday 18:00 Beijing
    case = reported(place)
    due = db.session.scalar(sa.select(Deadline.due_at).where(Deadline.case_id == case))
    assert due == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)       # Monday 11:00 Beijing


def test_search_filters(as_user, place):
    resident, hub = as_user(place.resident.openid), as_user(place.hub.openid)
    lamps = CategoryFactory(name="路灯")
    broken_lamp = CategoryFactory(name="路灯不亮", parent=lamps)
    litter = reported(place, description="垃圾桶满了")
    lamp = reported(place, category=broken_lamp, description="路灯坏了")
    assert ids(hub.get(f"/api/console/cases?category_id={broken_lamp.id}")) == {lamp}
    assert ids(hub.get(f"/api/console/cases?category_id={lamps.id}")) == {lamp}
    assert ids(hub.get("/api/console/cases?q=路灯")) == {lamp}
    act(hub, litter, "accept")
    assert ids(hub.get("/api/console/cases?state=accepted")) == {litter}
    assert ids(resident.get("/api/mp/cases?scope=mine")) == {litter, lamp}
    assert hub.get("/api/console/cases?queue=everything").status_code == 422
