"""Random sequences of actions by random actors with random payloads on modelled cases.

The model keeps what the caller would keep (state, level, summonses, counters, the facts
some actions set) and one log entry per accepted decision. After every step: the state is
defined, the log's from/to chain is continuous, summons statuses are defined, counters
only grow and reopens stay within the limit, terminal states accept nothing. Every attempt
is also tried by the same actor stripped of every relation the action allows, which must
be refused; and every next step a right actor could take from the reached state is looked
ahead at, so rare transitions keep the invariants too.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from workflows.case_flow import CASE_FLOW, LEVEL_OWNERS, RELATIONS
from workflows.definition import LEVEL_OWNER, Action, Actor, Decision, Facts, Field, SummonsFacts
from workflows.engine import REFUSAL_CODES, Refused, available, decide

DEPARTMENTS = (1, 2, 3, 4, 5)
STATES = {s.name for s in CASE_FLOW.states}
TERMINAL = {s.name for s in CASE_FLOW.states if s.terminal}
STATUSES = {s.name for s in CASE_FLOW.summons_statuses}
NAMES = sorted({a.name for a in CASE_FLOW.actions})
ANY_NAME = NAMES + ["teleport"]
EVERYONE = Actor(1, frozenset(RELATIONS), frozenset(DEPARTMENTS))
EARLY = ("unknown_action", "wrong_state", "not_allowed")


def alternatives(name: str, state: str, level: str) -> list[frozenset[str]]:
    act = CASE_FLOW.action(name, state) or next(a for a in CASE_FLOW.actions if a.name == name)
    return [frozenset(LEVEL_OWNERS[level] if r == LEVEL_OWNER else r for r in alt.split("&"))
            for alt in act.who]


def every_relation_allowed(name: str, level: str) -> frozenset[str]:
    """Relations that could let anyone take `name`, from any state, at this level."""
    return frozenset(r for act in CASE_FLOW.actions if act.name == name
                     for alt in alternatives(name, act.sources[0], level) for r in alt)


# --- the model ----------------------------------------------------------------------------

@dataclass
class CaseModel:
    level: str
    limit: int
    state: str = "submitted"
    summonses: dict[int, SummonsFacts] = field(default_factory=dict)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    next_id: int = 100
    on_site: bool = False
    extension_pending: bool = False
    assignee: int | None = None
    rework: int = 0
    reopen: int = 0

    def facts(self) -> Facts:
        return Facts(self.state, self.level, tuple(self.summonses.values()), self.assignee,
                     self.rework, self.reopen, self.limit, self.extension_pending, self.on_site)

    def apply(self, decision: Decision) -> None:
        assert decision.from_state == self.state and decision.to_state in STATES
        self.log.append((decision.from_state, decision.action, decision.to_state))
        self.state, self.level = decision.to_state, decision.level
        for key, status in decision.summons_changes:
            if isinstance(key, str):
                department = int(key.removeprefix("new:"))
                lead = department == decision.payload.get("lead_department_id")
                key, self.next_id = self.next_id, self.next_id + 1
                self.summonses[key] = SummonsFacts(key, department, "lead" if lead else "co", status)
            else:
                self.summonses[key] = SummonsFacts(key, self.summonses[key].department_id,
                                                   self.summonses[key].role, status)
        for counter, step in decision.counters.items():
            assert step > 0, "counters never decrease"
            name = counter.removesuffix("_count")
            setattr(self, name, getattr(self, name) + step)
        self._keep_facts(decision)

    def _keep_facts(self, decision: Decision) -> None:
        if decision.action == "whistle":
            self.on_site = decision.payload["on_site"]
        elif decision.action == "assign":
            self.assignee = decision.payload["assignee_id"]
        elif decision.action in ("request_extension", "approve_extension", "deny_extension"):
            self.extension_pending = decision.action == "request_extension"

    def check(self) -> None:
        assert self.state in STATES
        chain = [entry[0] for entry in self.log] + [self.state]
        assert chain[0] == "submitted"
        assert all(a[2] == b[0] for a, b in zip(self.log, self.log[1:]))
        assert {s.status for s in self.summonses.values()} <= STATUSES
        leads = [s for s in self.summonses.values() if s.role == "lead" and s.status != "released"]
        assert len(leads) <= 1, leads
        assert 0 <= self.reopen <= self.limit and self.rework >= 0


# --- drawing actions, actors and payloads -----------------------------------------------------

def _weight(act: Action, state: str) -> int:
    """Moving on is drawn most, staying less, ending the case least: runs get deep."""
    targets = {o.to or state for o in act.outcomes}
    if targets <= TERMINAL:
        return 1
    return 2 if targets == {state} else 3


HERE = {s: sorted({a.name for a in CASE_FLOW.actions if s in a.sources}) for s in STATES}
WEIGHTED = {s: st.sampled_from([a.name for a in CASE_FLOW.actions if s in a.sources
                                for _ in range(_weight(a, s))]) for s in STATES - TERMINAL}
LEVELS = st.sampled_from(sorted(LEVEL_OWNERS))
LIMITS = st.integers(0, 2)
SOME_RELATIONS = st.sets(st.sampled_from(sorted(RELATIONS)), max_size=2)
SOME_DEPARTMENTS = st.sets(st.sampled_from(DEPARTMENTS), max_size=1)
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                 st.lists(st.integers(-1, 6), max_size=3))


@functools.cache
def valid_value(spec: Field) -> st.SearchStrategy:
    if spec.choices:
        return st.sampled_from(spec.choices)
    if spec.kind == "text":
        return st.sampled_from(["说明", "  note  ", "x"])
    if spec.kind == "int":
        return st.integers(int(spec.low or 1), int(min(spec.high or 6, 6)))
    if spec.kind == "number":
        return st.floats(spec.low or 0, spec.high or 1, allow_nan=False)
    if spec.kind == "bool":
        return st.booleans()
    return st.lists(st.sampled_from(DEPARTMENTS), unique=True, max_size=min(spec.max_items or 3, 3))


@functools.cache
def payloads(name: str, state: str) -> st.SearchStrategy:
    return _payloads(name, state)


@st.composite
def _payloads(draw, name: str, state: str) -> dict:
    act = CASE_FLOW.action(name, state)
    payload: dict = {}
    for spec in act.fields if act else ():
        if spec.required or draw(st.booleans()):
            broken = draw(st.integers(0, 9)) == 0
            payload[spec.name] = draw(JUNK if broken else valid_value(spec))
    if draw(st.integers(0, 19)) == 0:
        payload["unexpected"] = 1
    return payload


def lookahead_payloads(act: Action, facts: Facts) -> list[dict]:
    """A few valid payloads: required fields filled, every choice and flag tried."""
    bound = {s.department_id for s in facts.summonses if s.status != "released"}
    free = next(d for d in DEPARTMENTS + (99,) if d not in bound)
    variants: list[dict] = [{}]
    for spec in act.fields:
        if spec.choices or spec.kind == "bool":
            options = list(spec.choices) if spec.choices else [False, True]
        elif not spec.required:
            continue
        elif spec.kind == "ids":
            options = [[free] if "department" in spec.name else [1]]
        elif spec.kind == "int":
            options = [free if "department" in spec.name else int(spec.low or 1)]
        else:
            options = ["x" if spec.kind == "text" else spec.low or 0]
        variants = [{**v, spec.name: o} for v in variants for o in options]
    mine = [s.id for s in facts.summonses if s.status in act.own_summons]
    return [{**v, "summons_id": i} for v in variants for i in mine] if act.own_summons else variants


# --- the machine -----------------------------------------------------------------------------

class CaseMachine(RuleBasedStateMachine):
    @initialize(level=LEVELS, limit=LIMITS)
    def file_a_case(self, level: str, limit: int) -> None:
        self.model = CaseModel(level, limit)

    @rule(data=st.data())
    def step(self, data) -> None:
        # One rule drawing its own mode keeps the mix steady (Hypothesis would otherwise
        # switch whole rules off per run): mostly someone taking the case further, at times
        # anyone trying anything, and after a terminal state often a fresh case.
        state = self.model.state
        if state in TERMINAL and data.draw(st.booleans()):
            self.model = CaseModel(data.draw(LEVELS), data.draw(LIMITS))
            return
        if state in TERMINAL or data.draw(st.integers(0, 3)) == 0:
            pool = HERE[state] if HERE[state] and data.draw(st.booleans()) else ANY_NAME
            name = data.draw(st.sampled_from(pool))
            actor = self.draw_actor(data, name) if name in NAMES else EVERYONE
        else:
            name = data.draw(WEIGHTED[state])
            right = data.draw(st.integers(0, 4)) > 0
            actor = self.draw_right_actor(data, name) if right else self.draw_actor(data, name)
        self.attempt(name, actor, data.draw(payloads(name, state)))

    def draw_actor(self, data, name: str) -> Actor:
        """Anyone: a few random relations, sometimes a right one, some department or none."""
        model = self.model
        relations = set(data.draw(SOME_RELATIONS))
        if data.draw(st.booleans()):
            relations |= data.draw(st.sampled_from(alternatives(name, model.state, model.level)))
        mine = sorted({s.department_id for s in model.summonses.values()}) or [1]
        departments = {data.draw(st.sampled_from(mine))} if data.draw(st.booleans()) else set()
        departments |= data.draw(SOME_DEPARTMENTS)
        return Actor(7, frozenset(relations), frozenset(departments))

    def draw_right_actor(self, data, name: str) -> Actor:
        """Someone with a right relation and, where it matters, a summons in the right status."""
        model = self.model
        relations = data.draw(st.sampled_from(alternatives(name, model.state, model.level)))
        wanted = CASE_FLOW.action(name, model.state).own_summons
        mine = sorted({s.department_id for s in model.summonses.values() if s.status in wanted})
        departments = {data.draw(st.sampled_from(mine))} if mine else set()
        return Actor(7, frozenset(relations), frozenset(departments))

    def attempt(self, name: str, actor: Actor, payload: dict) -> None:
        facts = self.model.facts()
        offered = available(CASE_FLOW, facts, actor)
        allowed = every_relation_allowed(name, facts.level) if name in NAMES else frozenset()
        stripped = Actor(actor.user_id, actor.relations - allowed, actor.department_ids)
        self.expect_refused(facts, stripped, name, payload, EARLY)
        try:
            decision = decide(CASE_FLOW, facts, actor, name, payload)
        except Refused as refused:
            assert refused.code in REFUSAL_CODES
            if refused.code != "invalid_payload":
                assert name not in offered
            if facts.state in TERMINAL:
                assert refused.code in ("unknown_action", "wrong_state")
            return
        assert facts.state not in TERMINAL and name in offered
        assert any(alt <= actor.relations for alt in alternatives(name, facts.state, facts.level))
        self.model.apply(decision)

    @staticmethod
    def expect_refused(facts: Facts, actor: Actor, name: str, payload: dict, codes) -> None:
        try:
            decide(CASE_FLOW, facts, actor, name, payload)
        except Refused as refused:
            assert refused.code in codes, (name, refused.code)
        else:
            raise AssertionError(f"{name} accepted from {sorted(actor.relations)} in {facts.state}")

    @invariant()
    def the_model_holds(self) -> None:
        self.model.check()

    @invariant()
    def terminal_states_accept_nothing(self) -> None:
        if self.model.state in TERMINAL:
            facts = self.model.facts()
            assert available(CASE_FLOW, facts, EVERYONE) == []
            for name in NAMES:
                self.expect_refused(facts, EVERYONE, name, {}, ("wrong_state",))

    @invariant()
    def every_next_step_keeps_the_invariants(self) -> None:
        facts = self.model.facts()
        for act in CASE_FLOW.actions:
            if facts.state not in act.sources:
                continue
            relations = alternatives(act.name, facts.state, facts.level)[0]
            actor = Actor(7, relations, frozenset(s.department_id for s in facts.summonses))
            for payload in lookahead_payloads(act, facts):
                try:
                    decision = decide(CASE_FLOW, facts, actor, act.name, payload)
                except Refused:
                    continue
                ahead = dataclasses.replace(self.model, summonses=dict(self.model.summonses),
                                            log=list(self.model.log))
                ahead.apply(decision)
                ahead.check()


# Shrinking is left out: these runs draw each step from the state reached, which Hypothesis
# shrinks slowly (minutes); a failure prints its whole, unshrunk sequence of steps instead.
CaseMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=80, deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
TestCaseFlowStateful = CaseMachine.TestCase
