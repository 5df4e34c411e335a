"""The production shape (scripts/serve, 2 gevent workers, Redis) with its Redis stopped and
started again: reports are still taken (their content check waits for the recheck), and
once each worker's queue listener has subscribed again, its sockets are told to resync
(what was published while it was away reached none of them)."""
from __future__ import annotations

import pytest

from tests.e2e.realtime_support import clients_on_each_worker, deployed_for_module, wait_until

pytestmark = pytest.mark.e2e
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    yield from deployed_for_module(tmp_path_factory, "redis-faults")


def report(deployed, token: str, draft: str):
    tree = deployed.call(token, "GET", "/api/mp/categories").json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    return deployed.call(token, "POST", "/api/mp/cases", json={
        "client_id": draft, "category_id": category, "description": "井盖缺失", **SPOT})


def test_reports_are_taken_while_redis_is_down_and_checked_later(deployed):
    resident = deployed.login("demo-resident-1")
    deployed.redis.stop()
    try:
        # The content check's access token lives in Redis: each report is taken, unchecked.
        taken = [report(deployed, resident, f"redis-down-{n:04d}") for n in range(3)]
        assert [r.status_code for r in taken] == [201] * 3, [r.text for r in taken]
        assert {r.json()["content_check"] for r in taken} == {"pending"}
    finally:
        deployed.redis.start()
    rechecked = deployed.flask("cases", "recheck")
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    for answer in taken:
        case = deployed.call(resident, "GET", f"/api/mp/cases/{answer.json()['id']}").json()
        assert case["content_check"] == "passed"


def test_sockets_are_told_to_resync_when_their_worker_subscribes_again(deployed):
    hub = deployed.login("demo-hub-dispatcher-1")
    listeners = clients_on_each_worker(deployed, hub)
    cues: dict[int, list] = {pid: [] for pid in listeners}
    for pid, listener in listeners.items():
        listener.client.on("resync_needed", cues[pid].append)
    deployed.redis.stop()
    deployed.redis.start()
    wait_until(lambda: all(cues.values()), "a resync cue on both workers' sockets", timeout=90, every=0.5)
    assert all(cue == [{"reason": "message_queue_reconnected"}] for cue in cues.values()), cues
    assert all(listener.client.connected for listener in listeners.values())
    for listener in listeners.values():
        listener.client.disconnect()
