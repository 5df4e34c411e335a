"""The audiences table (backend/services/audiences.py) against what the flows and the
scheduler announce: every (audience, event) they name has a decision there, and residents,
order residents and providers hear exactly the steps they are meant to."""
from __future__ import annotations

import pytest

from backend.scheduler import alerts
from backend.services.audiences import CASE, ORDER
from workflows.case_flow import CASE_FLOW, LEVEL_OWNER, LEVEL_PARTIES
from workflows.order_flow import ORDER_FLOW


def flow_pairs(flow) -> set[tuple[str, str]]:
    """(audience, event) of every Notify in the flow, the level's owner as each level's party."""
    pairs = set()
    for action in flow.actions:
        for note in action.notify + tuple(n for o in action.outcomes for n in o.notify):
            named = flow.level_parties.values() if note.audience == LEVEL_OWNER else (note.audience,)
            pairs.update((audience, note.event) for audience in named)
    return pairs


def clock_parties() -> set[tuple[str, str]]:
    """(kind, party) of every clock a case can run: the flow's, and intake's triage."""
    started = {("triage", party) for party in LEVEL_PARTIES.values()}
    for action in CASE_FLOW.actions:
        for clock in action.clocks + tuple(c for o in action.outcomes for c in o.clocks):
            if clock.op != "start":
                continue
            if clock.per_summons:
                started.add((clock.kind, "department"))
            elif clock.party == LEVEL_OWNER:
                started.update((clock.kind, party) for party in CASE_FLOW.level_parties.values())
            else:
                started.add((clock.kind, clock.party))
    return started


def alert_pairs() -> set[tuple[str, str]]:
    """What scheduler/alerts.py tells of each clock: the callback's reminder to the reporter;
    the holder's yellow warning; the holder's red alert and the supervision by its head
    (callbacks never breach: they archive)."""
    pairs = set()
    for kind, party in clock_parties():
        if kind == "callback":
            pairs.add(("reporter", "rate_reminder"))
            continue
        holder = alerts.HOLDER.get(party, party)
        pairs |= {(holder, "deadline_warning"), (holder, "overdue"),
                  (alerts.HEAD.get(party, alerts.SUPERVISOR), "supervised")}
    return pairs


NAMED = {"case": (CASE, flow_pairs(CASE_FLOW) | alert_pairs()), "order": (ORDER, flow_pairs(ORDER_FLOW))}
# What people are meant to hear (README, "Notifications"): a resident at their steps -
# accepted, dispatched, result ready, closed - please rate (the callback reminder asks
# again); an order's resident and provider at every step the flow tells them of.
RESIDENT_STEPS = {"accepted": "accepted", "dispatched": "dispatched", "result_ready": "result_ready",
                  "closed_rate_please": "closed", "closed": "closed", "rate_reminder": "closed"}
ORDER_STEPS = {event: "order_update" for event in ("paid", "accepted", "declined", "started", "completed",
                                                  "confirmed", "cancelled", "closed", "disputed",
                                                  "resolved", "refunded")}


def meant(subject: str, audience: str, event: str) -> str | None:
    if subject == "case":
        return RESIDENT_STEPS.get(event) if audience in ("reporter", "supporters") else None
    return ORDER_STEPS.get(event) if audience in ("resident", "provider") else None


@pytest.mark.parametrize("subject", NAMED)
def test_every_audience_named_is_reached_one_way(subject):
    heard, pairs = NAMED[subject]
    named = {audience for audience, _ in pairs}
    assert not set(heard.people) & heard.by_push
    assert named - set(heard.people) - heard.by_push == set(), "an audience with no way to reach it"


@pytest.mark.parametrize("subject", NAMED)
def test_every_person_named_for_an_event_has_a_decision(subject):
    """A step that names residents (or an order's people) says whether they get a message:
    a new event or audience in a flow fails here until the table decides."""
    heard, pairs = NAMED[subject]
    undecided = sorted((audience, event) for audience, event in pairs
                       if audience in heard.people and audience not in heard.steps.get(event, {}))
    assert undecided == []


@pytest.mark.parametrize("subject", NAMED)
def test_the_table_decides_nothing_nobody_announces(subject):
    heard, pairs = NAMED[subject]
    decided = {(audience, event) for event, row in heard.steps.items() for audience in row}
    assert decided - pairs == set()
    assert {audience for audience, _ in decided} <= set(heard.people)


@pytest.mark.parametrize("subject, audience, event",
                         sorted((s, a, e) for s, (_, pairs) in NAMED.items() for a, e in pairs))
def test_each_announced_step_reaches_whom_it_should(subject, audience, event):
    heard, _ = NAMED[subject]
    assert heard.step(audience, event) == meant(subject, audience, event)


def test_the_channels_of_cases_and_orders():
    assert (CASE.push, CASE.message, CASE.key) == ("push", "subscribe_message", "case_id")
    assert (ORDER.push, ORDER.message, ORDER.key) == ("order_push", "order_message", "order_id")


def test_an_unknown_pair_is_not_messaged():
    assert CASE.step("hub", "accepted") is None and CASE.step("reporter", "no_such_event") is None
    assert ORDER.step("county", "disputed") is None
