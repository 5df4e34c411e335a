"""The scheduler's tick on the real flow, with the service clock moved by the test: yellow
warnings, red alerts with supervision, escalation, callback reminders, archive; paused and
extended clocks; batches, a batch that fails half-way, and re-runs that change nothing."""
from __future__ import annotations

import pytest

from backend.effects import delivery
from backend.scheduler import alerts, jobs
from backend.services.catalogue import categories
from tests.integration.case_helpers import act, department_id, report, upload, user_id
from tests.integration.scheduler_helpers import (
    archive,
    beijing,
    case_row,
    clocks,
    entries,
    log_actions,
    messages,
    push_seqs,
    pushes,
    the_clock,
    tick,
)

NOTHING = {"breached": 0, "escalated": 0, "warned": 0}


@pytest.fixture()
def people(as_user):
    names = {"resident": "demo-resident-1", "gw": "demo-grid-worker-1",
             "community": "demo-community-admin-1", "hub": "demo-hub-dispatcher-1",
             "team_staff": "demo-dept-staff-2"}
    return type("People", (), {k: as_user(v) for k, v in names.items()})


def in_progress(people) -> int:
    """A township case whose lead department (the stationed team) has reported in."""
    case = report(people.resident)
    act(people.hub, case["id"], "accept")
    act(people.hub, case["id"], "whistle", lead_department_id=department_id("D06-001"))
    act(people.team_staff, case["id"], "sign_in")
    return case["id"]


def awaiting_rating(people) -> int:
    """A community case handled, verified and waiting for the reporter's rating."""
    case = report(people.resident, code="V02-02")
    act(people.community, case["id"], "accept")
    act(people.community, case["id"], "submit_result", note="已清理", photo_ids=[upload(people.community)])
    act(people.gw, case["id"], "verify_pass", photo_ids=[upload(people.gw, (1, 2, 3))])
    return case["id"]


def test_yellow_once_then_red_once_with_supervision(people, frozen):
    case_id = report(people.resident)["id"]          # township triage: 2 work_hours from 10:00
    triage = the_clock(case_id, "triage")
    assert triage.due_at == beijing("2026-03-02 12:00")
    assert triage.warn_at == beijing("2026-03-02 11:36")   # 0.8 of two working hours
    frozen.set("2026-03-02 11:35")
    assert tick() == NOTHING
    frozen.set("2026-03-02 11:37")
    assert tick() == {**NOTHING, "warned": 1}
    assert tick() == NOTHING                          # warned once, whatever the re-runs
    assert pushes(case_id, "deadline_warning") == ["deadline_warning"]
    (warning,) = entries(case_id, "deadline_warning")
    assert (warning["kind"], warning["holder"]) == ("triage", "hub")
    version = case_row(case_id).version

    frozen.set("2026-03-02 12:00:01")
    assert tick() == {**NOTHING, "breached": 1}
    assert tick() == NOTHING
    assert pushes(case_id, "deadline_warning", "overdue") == ["deadline_warning", "overdue"]
    assert push_seqs(case_id) == [seq for seq, _ in enumerate(log_actions(case_id), 1)]  # one per entry
    case = case_row(case_id)
    assert case.supervised and case.version == version  # 督办 marks the case, nobody gets a 409
    assert log_actions(case_id)[-1] == ("overdue", "system")
    triage = the_clock(case_id, "triage")
    assert triage.breached_at == beijing("2026-03-02 12:00:01") and triage.escalate_at is None
    (overdue,) = entries(case_id, "overdue")
    assert (overdue["deadline_id"], overdue["kind"], overdue["holder"], overdue["supervised_by"]) == (
        triage.id, "triage", "hub", "county")          # 督办 goes to the hub's head
    frozen.advance(days=30)
    assert tick() == NOTHING                          # an overdue clock is alerted once


def test_a_clock_found_overdue_gets_the_red_alert_only(people, frozen):
    case_id = report(people.resident)["id"]
    frozen.set("2026-03-03 09:00")                    # the scheduler was down all along
    assert tick() == {**NOTHING, "breached": 1}
    assert pushes(case_id, "deadline_warning", "overdue") == ["overdue"]
    assert the_clock(case_id, "triage").warned_at is not None   # the yellow stage is settled
    assert tick() == NOTHING


def test_a_parked_clock_never_fires_and_resumes_with_its_warning_shifted(people, frozen):
    case_id = in_progress(people)
    handling = the_clock(case_id, "handling")
    lead_time = categories.work_calendar().remaining(handling.warn_at, handling.due_at, handling.unit)
    act(people.hub, case_id, "park", reason="等待上级批复")
    frozen.advance(days=60)
    assert tick() == NOTHING and archive() == {"archived": 0}
    parked = the_clock(case_id, "handling")
    assert parked.due_at is None and parked.warned_at is None and parked.breached_at is None

    frozen.set("2026-05-11 10:00")                    # a Monday: resume, then the clock runs again
    act(people.hub, case_id, "resume")
    resumed = the_clock(case_id, "handling")
    calendar = categories.work_calendar()
    assert calendar.remaining(resumed.warn_at, resumed.due_at, resumed.unit) == lead_time
    assert resumed.warn_at > frozen.moment
    frozen.set(resumed.warn_at)
    assert tick() == {**NOTHING, "warned": 1}
    frozen.set(resumed.due_at)
    assert tick() == {**NOTHING, "breached": 1}
    assert pushes(case_id, "deadline_warning", "overdue") == ["deadline_warning", "overdue"]
    (overdue,) = entries(case_id, "overdue")
    assert (overdue["holder"], overdue["supervised_by"]) == ("lead", "county")


def test_an_extension_moves_the_warning_and_the_due_time(people, frozen):
    case_id = in_progress(people)
    handling = the_clock(case_id, "handling")        # 道路不洁: 1 work_day, due Tuesday's close
    old_warn, old_due = handling.warn_at, handling.due_at
    assert old_due == beijing("2026-03-03 17:30")
    frozen.set(old_warn)
    assert tick() == {**NOTHING, "warned": 1}
    act(people.team_staff, case_id, "request_extension", days=3, reason="需协调物业")
    act(people.hub, case_id, "approve_extension")
    handling = the_clock(case_id, "handling")
    new_warn, new_due = handling.warn_at, handling.due_at
    assert new_due == beijing("2026-03-06 17:30")                # three working days more
    assert new_warn > old_due and handling.warned_at is None      # a new limit, warned anew
    frozen.set(old_due)
    assert tick() == NOTHING                          # the old due time passes quietly
    frozen.set(new_warn)
    assert tick() == {**NOTHING, "warned": 1}
    frozen.set(new_due)
    assert tick() == {**NOTHING, "breached": 1}
    assert pushes(case_id, "deadline_warning", "overdue") == ["deadline_warning", "deadline_warning", "overdue"]
    assert [e["holder"] for e in entries(case_id, "deadline_warning")] == ["lead", "lead"]


def test_overdue_community_handling_escalates_after_a_further_limit(people, frozen):
    case_id = report(people.resident, code="V02-02")["id"]
    act(people.community, case_id, "accept")          # community handling: 3 work_days
    assert the_clock(case_id, "community_handling").due_at == beijing("2026-03-05 17:30")
    frozen.set("2026-03-05 17:31")
    assert tick() == {**NOTHING, "breached": 1}
    clock_row = the_clock(case_id, "community_handling")
    assert clock_row.escalate_at == beijing("2026-03-10 17:30")   # three working days more
    (overdue,) = entries(case_id, "overdue")
    assert (overdue["holder"], overdue["supervised_by"]) == ("community", "hub")
    frozen.set("2026-03-10 17:29")
    assert tick() == NOTHING
    frozen.set("2026-03-10 17:31")
    assert tick() == {**NOTHING, "escalated": 1}
    assert tick() == NOTHING
    case = case_row(case_id)
    assert (case.state, case.level) == ("accepted", "township")
    assert log_actions(case_id)[-1] == ("escalate", "system")
    assert [c.kind for c in clocks(case_id)] == ["dispatch"]       # the hub's clock now runs
    assert pushes(case_id)[-1] == "escalate"          # the system's action, pushed like anyone's


def test_callback_reminder_then_archive_of_an_unrated_case(people, frozen):
    case_id = awaiting_rating(people)
    callback = the_clock(case_id, "callback")         # 3 work_days: due Thursday 17:30
    assert callback.due_at == beijing("2026-03-05 17:30")
    frozen.set(callback.warn_at)
    assert tick() == {**NOTHING, "warned": 1}
    assert pushes(case_id, "rate_reminder") == ["rate_reminder"]
    reporter = user_id("demo-resident-1")             # and a subscribe message to rate, if accepted twice
    assert messages(case_id)[-1] == (reporter, "closed", "rate_reminder")
    frozen.set("2026-03-05 17:31")
    assert tick() == NOTHING                          # a callback running out is no breach...
    assert archive() == {"archived": 1}               # ...the case is archived unrated
    assert archive() == {"archived": 0}
    case = case_row(case_id)
    assert case.state == "closed" and case.rating is None
    assert log_actions(case_id)[-1] == ("archive", "system")
    assert pushes(case_id)[-1] == "archive"
    assert messages(case_id)[-1] == (reporter, "closed", "closed")
    assert clocks(case_id) == []


def test_a_rated_case_is_not_archived(people, frozen):
    case_id = awaiting_rating(people)
    act(people.resident, case_id, "rate", rating="satisfied")
    frozen.advance(days=30)
    assert archive() == {"archived": 0} and tick() == NOTHING


def test_batches_each_commit_and_a_failed_batch_is_redone_whole(people, frozen, app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_BATCH_SIZE", 2)
    case_ids = [report(people.resident)["id"] for _ in range(5)]
    frozen.set("2026-03-02 12:01")
    calls = {"n": 0}
    real_cases_changed = alerts.outbox.cases_changed

    def dying_in_the_second_batch(changes):
        calls["n"] += 1
        real_cases_changed(changes)                   # its effects are written...
        if calls["n"] == 2:
            raise RuntimeError("the process dies here")   # ...and the batch never commits
    monkeypatch.setattr(alerts.outbox, "cases_changed", dying_in_the_second_batch)
    with pytest.raises(RuntimeError):
        tick()
    breached = [c for c in case_ids if the_clock(c, "triage").breached_at is not None]
    assert len(breached) == 2                         # the first batch committed, the second not at all
    assert sum(len(pushes(c, "overdue")) for c in case_ids) == 2
    assert sum(case_row(c).supervised for c in case_ids) == 2

    monkeypatch.setattr(alerts.outbox, "cases_changed", real_cases_changed)
    beats = []
    monkeypatch.setattr(jobs.heartbeat, "beat", lambda holder, moment: beats.append(moment))
    assert tick()["breached"] == 3
    assert len(beats) == 3                            # batches of 2 and 1, then the tick's own beat
    assert tick() == NOTHING
    for case_id in case_ids:                           # each clock fired exactly once
        assert pushes(case_id, "overdue") == ["overdue"]
        assert [a for a, _ in log_actions(case_id)].count("overdue") == 1


def test_a_stopped_clock_never_fires(people, frozen):
    case_id = report(people.resident)["id"]
    frozen.set("2026-03-02 11:00")
    act(people.hub, case_id, "accept")                # triage stops; dispatch warns at 14:06
    frozen.set("2026-03-02 11:37")
    assert tick() == NOTHING                          # triage was due to warn now: it stopped
    frozen.set("2026-03-02 12:00:01")
    assert tick() == NOTHING
    assert pushes(case_id, "deadline_warning", "overdue") == []


def test_the_outbox_sweep_delivers_what_the_tick_wrote(app, people, frozen, monkeypatch):
    sent = []
    monkeypatch.setitem(delivery.handlers(app), "push", lambda effect: sent.append(
        (effect.payload["case_id"], effect.payload["event"], effect.payload["seq"])))
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # the queue joins it to the servers
    case_id = report(people.resident)["id"]
    frozen.set("2026-03-02 12:01")
    assert tick()["breached"] == 1
    assert jobs.sweep_outbox().get("delivered", 0) >= 1
    assert (case_id, "overdue", len(log_actions(case_id))) in sent
    assert jobs.sweep_outbox() == {}                   # delivered once, not again


def test_without_redis_the_scheduler_leaves_pushes_to_the_server(app, people, frozen, monkeypatch):
    """The scheduler serves no socket: an emit from it would reach its own empty server
    and be counted delivered. Without Redis it leaves pushes to the server's relay."""
    sent = []
    monkeypatch.setitem(delivery.handlers(app), "push", lambda effect: sent.append(
        (effect.payload["case_id"], effect.payload["event"])))
    case_id = report(people.resident)["id"]
    sent.clear()
    frozen.set("2026-03-02 12:01")
    assert tick()["breached"] == 1
    jobs.sweep_outbox()
    assert sent == []
    assert pushes(case_id, "overdue") != []
    delivery.sweep()                                    # the server process's relay
    assert (case_id, "overdue") in sent
