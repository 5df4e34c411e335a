"""The relay: effects written with the change are delivered after commit, retried with
back-off, settled once (delivered, skipped, refused, dead), and a dead letter is visible to
the county's administrators and can be sent again. WeChat is the simulator."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.effects import delivery, relay
from backend.effects.outcomes import Retry
from backend.extensions import db
from backend.models import OutboxEffect, SubscribeCredit
from backend.models.types import utcnow
from backend.services import runtime
from tests.integration.case_helpers import act, report, user_id

TEMPLATES = {"accepted": "dev-template-accepted", "dispatched": "dev-template-dispatched",
             "result_ready": "dev-template-result-ready", "closed": "dev-template-closed",
             "order_update": "dev-template-order-update"}
RESIDENT = "demo-resident-1"


@pytest.fixture()
def clock(app):
    moment = {"now": utcnow()}
    runtime.of(app).clock = lambda: moment["now"]
    yield moment
    runtime.of(app).clock = utcnow


@pytest.fixture()
def resident(as_user):
    return as_user(RESIDENT)


@pytest.fixture()
def hub(as_user):
    return as_user("demo-hub-dispatcher-1")


def accept_templates(caller, sim_control, *steps, wechat_too=True):
    """The phone: wx.requestSubscribeMessage accepted, told to WeChat and to us."""
    for step in steps:
        if wechat_too:
            sim_control("POST", "/sim/subscribe", {"openid": RESIDENT, "template_id": TEMPLATES[step]})
    answer = caller.post("/api/mp/me/subscriptions",
                         json={"results": {TEMPLATES[s]: "accept" for s in steps}})
    assert answer.status_code == 200, answer.json
    return answer.json


def messages(sim_control):
    return sim_control("GET", f"/sim/messages?openid={RESIDENT}")["messages"]


def subscribe_effects(case_id):
    return db.session.scalars(sa.select(OutboxEffect).where(
        OutboxEffect.case_id == case_id, OutboxEffect.kind == "subscribe_message")
        .order_by(OutboxEffect.id)).all()


def test_a_resident_who_accepted_gets_one_message_per_step(resident, hub, sim_control):
    before = len(messages(sim_control))
    held = accept_templates(resident, sim_control, "accepted")
    assert held["templates"] == TEMPLATES and held["available"]["accepted"] == 1
    case = report(resident)
    act(hub, case["id"], "accept")
    sent = messages(sim_control)[before:]
    assert [(m["template_id"], m["data"]["phrase3"]["value"]) for m in sent] == [
        ("dev-template-accepted", "已受理")]
    assert sent[0]["data"]["character_string1"]["value"] == f"C{case['id']}"
    assert [e.outcome for e in subscribe_effects(case["id"])] == ["delivered"]
    assert resident.get("/api/mp/me/subscriptions").json["available"]["accepted"] == 0


def test_without_an_acceptance_nothing_is_sent(resident, hub, sim_control):
    calls = sim_control("GET", "/sim/calls")["calls"].get("/cgi-bin/message/subscribe/send", 0)
    case = report(resident)
    act(hub, case["id"], "accept")
    [effect] = subscribe_effects(case["id"])
    assert (effect.outcome, effect.last_error) == ("skipped", "no subscription left for this template")
    assert sim_control("GET", "/sim/calls")["calls"].get("/cgi-bin/message/subscribe/send", 0) == calls


def test_43101_is_final_and_wechat_s_count_wins(resident, hub, sim_control):
    accept_templates(resident, sim_control, "accepted", wechat_too=False)   # we think 1, WeChat 0
    case = report(resident)
    act(hub, case["id"], "accept")
    [effect] = subscribe_effects(case["id"])
    assert effect.outcome == "refused" and "43101" in effect.last_error and effect.attempts == 1
    assert db.session.get(SubscribeCredit, (user_id(RESIDENT), TEMPLATES["accepted"])).available == 0
    delivery.sweep()
    assert effect.attempts == 1   # final: never tried again


def test_wechat_busy_is_retried_after_a_back_off_and_delivered_once(resident, hub, sim_control, clock):
    before = len(messages(sim_control))
    accept_templates(resident, sim_control, "accepted")
    case = report(resident)
    sim_control("POST", "/sim/faults", {"path": "/cgi-bin/message/subscribe/send", "mode": "busy", "count": 1})
    act(hub, case["id"], "accept")
    [effect] = subscribe_effects(case["id"])
    assert (effect.outcome, effect.attempts) == (None, 1) and "-1" in effect.last_error
    assert effect.next_attempt_at == clock["now"] + timedelta(seconds=5)
    delivery.sweep()                       # not due yet
    assert (effect.outcome, effect.attempts) == (None, 1)
    clock["now"] += timedelta(seconds=6)
    delivery.sweep()
    delivery.sweep()
    assert (effect.outcome, effect.attempts) == ("delivered", 2)
    assert len(messages(sim_control)) - before == 1


def test_a_dead_letter_is_shown_to_county_admins_and_can_be_sent_again(
        app, resident, hub, as_user, sim_control, clock):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    try:
        accept_templates(resident, sim_control, "accepted")
        case = report(resident)
        sim_control("POST", "/sim/faults", {"path": "/cgi-bin/message/subscribe/send", "mode": "busy", "count": 2})
        act(hub, case["id"], "accept")
        clock["now"] += timedelta(seconds=6)
        delivery.sweep()
    finally:
        app.config["OUTBOX_MAX_ATTEMPTS"] = 8
    [effect] = subscribe_effects(case["id"])
    assert (effect.outcome, effect.attempts) == ("dead", 2)
    county = as_user("demo-county-admin")
    dead = county.get("/api/console/outbox?outcome=dead").json
    assert effect.id in [e["id"] for e in dead]
    assert hub.get("/api/console/outbox?outcome=dead").json == []   # not the hub's to watch
    assert hub.post(f"/api/console/outbox/{effect.id}/retry").status_code == 403
    answer = county.post(f"/api/console/outbox/{effect.id}/retry")
    assert answer.status_code == 200 and answer.json["outcome"] is None
    assert county.post(f"/api/console/outbox/{effect.id}/retry").status_code == 409
    delivery.sweep()
    assert (effect.outcome, effect.attempts) == ("delivered", 1)


def test_effects_left_by_a_process_that_died_are_delivered_once_by_the_sweeper(
        app, resident, hub, sim_control):
    before = len(messages(sim_control))
    accept_templates(resident, sim_control, "accepted")
    case = report(resident)
    app.config["OUTBOX_DELIVERY"] = "off"   # committed, then the process died
    try:
        act(hub, case["id"], "accept")
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    [effect] = subscribe_effects(case["id"])
    assert effect.outcome is None and effect.attempts == 0
    delivery.sweep()
    delivery.sweep()
    assert (effect.outcome, effect.attempts) == ("delivered", 1)
    assert len(messages(sim_control)) - before == 1


def test_a_claimed_effect_is_not_taken_again_until_its_lease_passes(app, resident, hub, clock):
    case = report(resident)
    app.config["OUTBOX_DELIVERY"] = "off"
    try:
        act(hub, case["id"], "accept")
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    taken, _ = relay._claim(None, 100)    # a relay took them, then died
    assert "subscribe_message" in {e.kind for e in taken}
    assert delivery.sweep() == {}
    clock["now"] += timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    delivery.sweep()
    assert [e.attempts for e in taken] == [2] * len(taken)   # taken once more, by the sweeper


def test_a_subscription_result_names_only_our_templates(resident):
    answer = resident.post("/api/mp/me/subscriptions", json={"results": {"someone-elses": "accept",
                                                                         TEMPLATES["closed"]: "maybe"}})
    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) == {"results.someone-elses", f"results.{TEMPLATES['closed']}"}
    assert resident.get("/api/mp/me/subscriptions").json["available"]["closed"] == 0


def test_a_hanging_wechat_costs_one_timeout_per_batch_and_tells_nobody_twice(
        app, resident, hub, as_user, sim_control, clock):
    """WeChat takes 3 s, the client gives up at 2 s, WeChat still delivers (as it may).
    The batch's other message waits its back-off instead of another timeout; the retry
    finds the acceptance used (43101), so the resident is told once."""
    neighbour = as_user("demo-resident-2")
    before = {who: len(sim_control("GET", f"/sim/messages?openid={who}")["messages"])
              for who in (RESIDENT, "demo-resident-2")}
    accept_templates(resident, sim_control, "accepted")
    sim_control("POST", "/sim/subscribe", {"openid": "demo-resident-2", "template_id": TEMPLATES["accepted"]})
    neighbour.post("/api/mp/me/subscriptions", json={"results": {TEMPLATES["accepted"]: "accept"}})
    case = report(resident)
    assert neighbour.post(f"/api/mp/cases/{case['id']}/support", json={
        "lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}).status_code == 200
    sim_control("POST", "/sim/faults", {"path": "/cgi-bin/message/subscribe/send", "mode": "timeout",
                                        "delay_seconds": 3, "count": 1})
    app.config["OUTBOX_DELIVERY"] = "off"
    try:
        act(hub, case["id"], "accept")
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    started = time.monotonic()
    assert delivery.sweep() == {"delivered": 1, "retry": 2}   # the push; both messages wait
    assert time.monotonic() - started < 2 + 1.5            # one client timeout, not two
    effects = subscribe_effects(case["id"])
    assert [e.attempts for e in effects] == [1, 0]          # the second was not tried
    clock["now"] += timedelta(seconds=10)
    deadline = time.monotonic() + 10
    while len(sim_control("GET", f"/sim/messages?openid={RESIDENT}")["messages"]) == before[RESIDENT]:
        assert time.monotonic() < deadline, "WeChat never finished the slow send"
        time.sleep(0.05)
    delivery.sweep()
    assert sorted(e.outcome for e in effects) == ["delivered", "refused"]
    for who in (RESIDENT, "demo-resident-2"):
        assert len(sim_control("GET", f"/sim/messages?openid={who}")["messages"]) - before[who] == 1


def test_a_relay_whose_lease_ran_out_writes_nothing_over_the_new_holder(app, resident, hub, clock):
    case = report(resident)
    app.config["OUTBOX_DELIVERY"] = "off"
    try:
        act(hub, case["id"], "accept")
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    taken, first_lease = relay._claim(None, 100)          # relay A takes them and stalls
    clock["now"] += timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    delivery.sweep()                                          # relay B takes them and settles
    [effect] = [e for e in taken if e.kind == "subscribe_message"]
    settled = db.session.scalar(sa.select(OutboxEffect.outcome).where(OutboxEffect.id == effect.id))
    assert settled == "skipped"                            # B: no acceptance held
    assert relay._settle(effect, first_lease, "dead", "A, too late") == "lost"
    db.session.expire_all()
    row = db.session.get(OutboxEffect, effect.id)
    assert (row.outcome, row.attempts, row.last_error) == ("skipped", 2, "no subscription left for this template")


def test_a_known_wait_is_not_an_attempt(app, resident, hub, clock, monkeypatch):
    """WeChat's daily quota (45009): the message waits for tomorrow, attempts untouched."""
    tomorrow = clock["now"] + timedelta(hours=9)
    def quota_spent(effect):
        raise Retry("WeChat error 45009: reach max api daily quota limit", after=tomorrow)
    monkeypatch.setitem(delivery.handlers(app), "subscribe_message", quota_spent)
    case = report(resident)
    act(hub, case["id"], "accept")
    for _ in range(12):    # more sweeps than OUTBOX_MAX_ATTEMPTS: never dead for waiting
        delivery.sweep()
    [effect] = subscribe_effects(case["id"])
    assert (effect.outcome, effect.attempts, effect.next_attempt_at) == (None, 0, tomorrow)


class Killed(BaseException):
    """The relay's process killed mid-batch (SIGKILL, its database gone): nothing after runs."""


def test_a_relay_killed_mid_batch_repeats_at_most_the_push_in_hand(app, resident, clock, monkeypatch):
    """Each push is settled as soon as it went out: a relay that dies after two of three
    leaves the two delivered, and its successor sends only the one it had in hand."""
    app.config["OUTBOX_DELIVERY"] = "off"
    try:
        case_ids = [report(resident)["id"] for _ in range(3)]
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    sent = []

    def dies_at_the_third(effect):
        if len(sent) == 2:
            raise Killed
        sent.append(effect.payload["case_id"])
    monkeypatch.setitem(delivery.handlers(app), "push", dies_at_the_third)
    with pytest.raises(Killed):
        delivery.sweep()
    db.session.rollback()
    outcomes = dict(db.session.execute(sa.select(OutboxEffect.case_id, OutboxEffect.outcome).where(
        OutboxEffect.kind == "push", OutboxEffect.case_id.in_(case_ids))).all())
    assert outcomes == {case_ids[0]: "delivered", case_ids[1]: "delivered", case_ids[2]: None}
    monkeypatch.setitem(delivery.handlers(app), "push", lambda effect: sent.append(effect.payload["case_id"]))
    clock["now"] += timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    delivery.sweep()
    assert sent == case_ids                                  # the third once, the first two never again
