"""The production shape end to end: scripts/serve with 2 gevent workers sharing rooms
through Redis, and the scheduler as a process of its own. A clock going red in the
scheduler reaches sockets held by both workers (scheduler -> outbox -> its relay -> Redis
-> each worker -> its sockets)."""
from __future__ import annotations

import pytest

from backend.services.clock import OffsetFileClock
from tests.e2e.realtime_support import BIN, Deployment, clients_on_each_worker, group, wait_until

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shape")
    deployment = Deployment(tmp, workers=2)
    # Test-only clock every process reads, so the scheduler sees time pass without sleeping.
    deployment.env.update(SHAOBAO_CLOCK_FILE=str(tmp / "clock"), SCHEDULER_TICK_SECONDS="0.5")
    try:
        deployment.start()
        deployment.children.append(group([str(BIN / "flask"), "scheduler", "run"], deployment.env,
                                         tmp / "scheduler.log"))
        yield deployment
    finally:
        deployment.stop()
        print((tmp / "scheduler.log").read_text(errors="replace")[-3000:])


def test_an_overdue_clock_reaches_sockets_on_both_workers_from_the_scheduler(shaped):
    resident, hub = shaped.login("demo-resident-1"), shaped.login("demo-hub-dispatcher-1")
    answer = shaped.call(resident, "GET", "/api/mp/categories")
    assert answer.headers["Server"] == "gunicorn"  # gunicorn's bare name: no version to look up
    assert answer.headers["Cache-Control"] == "no-store"
    tree = answer.json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    case = shaped.call(resident, "POST", "/api/mp/cases", json={
        "client_id": "shape-000000001", "category_id": category, "description": "路面塌陷", **SPOT}).json()
    listeners = clients_on_each_worker(shaped, hub)
    wait_until(lambda: shaped.call(hub, "GET", "/healthz").json()["checks"]["scheduler"].get("holder"),
               "the scheduler's first heartbeat")
    OffsetFileClock(shaped.env["SHAOBAO_CLOCK_FILE"]).advance(10 * 24 * 3600)   # ten days on
    wait_until(lambda: all("overdue" in listener.events() for listener in listeners.values()),
               "the red alert on both workers' sockets", timeout=60)
    detail = shaped.call(hub, "GET", f"/api/mp/cases/{case['id']}").json()
    assert detail["supervised"] and detail["timeline"][-1]["action"] == "overdue"
    for listener in listeners.values():
        [alert] = [h for h in listener.heard if h["event"] == "overdue"]
        assert alert["case_id"] == case["id"] and alert["seq"] == detail["timeline"][-1]["seq"]
        listener.client.disconnect()
