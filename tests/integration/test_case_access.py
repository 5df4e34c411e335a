"""The access matrix extended to cases, their photos and timelines: every role against
cases it may and may not see, by id and in lists."""
from __future__ import annotations

import pytest

from tests.integration.case_helpers import IN_G2, act, department_id, report, upload

SEES = {
    "demo-resident-1": {"a"}, "demo-resident-2": {"b"},
    "demo-grid-worker-1": {"a"}, "demo-grid-worker-2": set(),
    "demo-community-admin-1": {"a"},
    "demo-hub-dispatcher-1": {"a"}, "demo-hub-dispatcher-2": set(),
    "demo-dept-staff-1": set(), "demo-dept-staff-2": {"a"},
    "demo-county-admin": {"a", "b"}, "demo-platform-admin": {"a", "b"},
}


@pytest.fixture()
def cases(as_user):
    resident1, resident2 = as_user("demo-resident-1"), as_user("demo-resident-2")
    photo = upload(resident1, (3, 30, 90))
    a = report(resident1, photo_ids=[photo])
    hub = as_user("demo-hub-dispatcher-1")
    act(hub, a["id"], "accept")
    act(hub, a["id"], "whistle", lead_department_id=department_id("D06-001"))
    b = report(resident2, at=IN_G2, photo_ids=[upload(resident2, (90, 30, 3))])
    return {"a": a["id"], "b": b["id"], "photo_a": photo}


@pytest.mark.parametrize("viewer", sorted(SEES))
def test_cases_by_id_and_in_lists(as_user, cases, viewer):
    caller = as_user(viewer)
    wrong = []
    for key in ("a", "b"):
        want = 200 if key in SEES[viewer] else 404
        for path in (f"/api/mp/cases/{cases[key]}", f"/api/console/cases/{cases[key]}",
                     f"/api/mp/cases/{cases[key]}/actions"):
            got = caller.get(path).status_code
            if got != want:
                wrong.append((path, got, want))
    for path in ("/api/mp/cases?page_size=100", "/api/console/cases?page_size=100"):
        listed = {row["id"] for row in caller.get(path).json}
        seen = {k for k in ("a", "b") if cases[k] in listed}
        if seen != SEES[viewer]:
            wrong.append((path, seen, SEES[viewer]))
    assert not wrong, wrong


@pytest.mark.parametrize("viewer", sorted(SEES))
def test_photos_follow_their_case(as_user, cases, viewer):
    status = as_user(viewer).get(f"/api/mp/photos/{cases['photo_a']}/thumbnail").status_code
    assert status == (200 if "a" in SEES[viewer] else 404)


@pytest.mark.parametrize("viewer", sorted(v for v, seen in SEES.items() if "a" not in seen))
def test_hidden_cases_cannot_be_acted_on(as_user, cases, viewer):
    response = as_user(viewer).post(f"/api/mp/cases/{cases['a']}/actions/sign_in",
                                    json={"version": 1, "payload": {}})
    assert response.status_code == 404


def test_phones_are_masked_for_handlers_too(as_user, cases):
    """A whole number is an audited reveal (test_privacy_reveal.py), never the default."""
    reporter_phone = as_user("demo-hub-dispatcher-1").get(f"/api/mp/cases/{cases['a']}").json["reporter"]["phone"]
    assert "*" in reporter_phone
    county = as_user("demo-county-admin").get(f"/api/mp/cases/{cases['b']}").json["reporter"]["phone"]
    assert "*" in county
    own = as_user("demo-resident-1").get(f"/api/mp/cases/{cases['a']}").json["reporter"]["phone"]
    assert "*" in own


def test_anonymous_reports_hide_the_reporter_from_handlers(as_user):
    case = report(as_user("demo-resident-1"), anonymous=True)
    assert as_user("demo-hub-dispatcher-1").get(f"/api/mp/cases/{case['id']}").json["reporter"] is None
    assert as_user("demo-resident-1").get(f"/api/mp/cases/{case['id']}").json["reporter"] is not None
