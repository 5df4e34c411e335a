"""A small engine for flows declared as data, validated when defined, executed purely.

A `Flow` is states and actions. An action names the states it leaves, who may take it (the
relations the caller computed between actor and case), its guards, the payload it takes
and its outcomes: conditional targets tried in order, the last one the default. Guards,
conditions, payload checks and summons effects are named pure functions registered with the
flow, so a definition stays data that `workflows.docs` can print.

Building a `Flow` validates it (FlowError at import); `decide` runs one action and returns a
`Decision` (new state, level, payload to log, clock and notification effects, summons
changes, counters) or raises `Refused`; `available` lists what an actor may do now.
Refusals come in a fixed order, so nobody learns more than they may: unknown_action,
wrong_state, not_allowed (relations), guard (facts, own summons), invalid_payload.

Clock ops: "start" | "stop" | "extend" | "pause_all" | "resume_all" | "stop_all". The *_all
ops carry kind "all" and no party. Stopping a clock that is not running is a no-op for the
caller. A per-summons clock in a Decision names its summons (an id or "new:<department>").
Party and audience "level_owner" are resolved from the level: the decision holds real ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

CLOCK_OPS = frozenset({"start", "stop", "extend", "pause_all", "resume_all", "stop_all"})
ALL_OPS = frozenset({"pause_all", "resume_all", "stop_all"})
ALL_KINDS = "all"
LEVEL_OWNER = "level_owner"
FIELD_KINDS = frozenset({"text", "int", "number", "bool", "ids"})
TEXT_MAX = 2000
REFUSAL_CODES = frozenset({"unknown_action", "wrong_state", "not_allowed", "guard", "invalid_payload"})


# --- what the caller passes in and gets back ------------------------------------------

@dataclass(frozen=True)
class Clock:
    op: str
    kind: str
    party: str | None
    per_summons: bool = False
    summons: int | str | None = None


@dataclass(frozen=True)
class Notify:
    audience: str
    event: str


@dataclass(frozen=True)
class SummonsFacts:
    id: int
    department_id: int
    role: str
    status: str


@dataclass(frozen=True)
class Facts:
    state: str
    level: str
    summonses: tuple[SummonsFacts, ...] = ()
    assignee_id: int | None = None
    rework_count: int = 0
    reopen_count: int = 0
    reopen_limit: int = 1
    extension_pending: bool = False
    on_site: bool = False
    reporter_kind: str = "resident"
    result_by: int | None = None    # who submitted the result now awaiting verification


@dataclass(frozen=True)
class Actor:
    user_id: int
    relations: frozenset[str]
    department_ids: frozenset[int] = frozenset()


SummonsChange = tuple[int | str, str]


@dataclass(frozen=True)
class Decision:
    action: str
    from_state: str
    to_state: str
    level: str
    payload: dict
    clocks: tuple[Clock, ...]
    notifications: tuple[Notify, ...]
    summons_changes: tuple[SummonsChange, ...]
    counters: dict


class Refused(Exception):
    """Why an action may not be taken; `fields` maps payload fields to what is wrong."""

    def __init__(self, code: str, message: str, fields: Mapping[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})


class FlowError(ValueError):
    """A flow definition that cannot be run; `problems` lists every fault found."""

    def __init__(self, flow_name: str, problems: list[str]):
        super().__init__(f"flow {flow_name!r} is invalid:\n- " + "\n- ".join(problems))
        self.problems = problems


# --- what a definition is made of ---------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What conditions, checks and effects see. Guards get only facts and actor, so that
    `available` can ask them before any payload exists."""

    facts: Facts
    actor: Actor
    payload: Mapping[str, Any]
    summons: SummonsFacts | None = None


Guard = Callable[[Facts, Actor], bool]
Condition = Callable[[Context], bool]
Check = Callable[[Context], dict[str, str]]
Effect = Callable[[Context], tuple[SummonsChange, ...]]


@dataclass(frozen=True)
class Field:
    """One payload key. Kinds: text, int, number, bool, ids (distinct positive ints)."""

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    max_items: int | None = None
    default: Any = None


@dataclass(frozen=True)
class Outcome:
    """Where an action leads when its condition holds (`when` None: the default)."""

    to: str | None = None  # None: the action keeps the state it was taken in
    when: str | None = None
    level: str | None = None
    clocks: tuple[Clock, ...] = ()
    notify: tuple[Notify, ...] = ()
    counters: tuple[tuple[str, int], ...] = ()
    effect: str | None = None


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: tuple[str, ...]
    who: tuple[str, ...]  # alternatives; "a&b" needs both relations
    outcomes: tuple[Outcome, ...] = (Outcome(),)
    guards: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    checks: tuple[str, ...] = ()
    own_summons: tuple[str, ...] = ()  # acts on the actor's summons in one of these statuses
    summons_to: str | None = None      # ... and moves it to this status
    effect: str | None = None
    clocks: tuple[Clock, ...] = ()
    notify: tuple[Notify, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class State:
    name: str
    label: str
    terminal: bool = False
    doc: str = ""


@dataclass(frozen=True)
class SummonsStatus:
    """A summons sub-state and the per-summons clocks that may run while in it."""

    name: str
    label: str
    runs: frozenset[str] = frozenset()
    doc: str = ""


@dataclass(frozen=True, eq=False)
class Flow:
    name: str
    title: str
    initial: str
    states: tuple[State, ...]
    actions: tuple[Action, ...]
    relations: frozenset[str]
    level_owners: Mapping[str, str]   # level -> the relation that owns it
    level_parties: Mapping[str, str]  # level -> the party (and audience) that owns it
    clock_kinds: frozenset[str]
    parties: frozenset[str]
    audiences: frozenset[str]
    counters: frozenset[str] = frozenset()
    summons_statuses: tuple[SummonsStatus, ...] = ()
    guards: Mapping[str, Guard] = field(default_factory=dict)
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    checks: Mapping[str, Check] = field(default_factory=dict)
    effects: Mapping[str, Effect] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from workflows.validation import flow_problems  # here: validation imports this module
        problems = flow_problems(self)
        if problems:
            raise FlowError(self.name, problems)

    def state(self, name: str) -> State | None:
        return next((s for s in self.states if s.name == name), None)

    def runs(self, status: str | None) -> frozenset[str]:
        found = next((s for s in self.summons_statuses if s.name == status), None)
        return found.runs if found else frozenset()

    def action(self, name: str, state: str) -> Action | None:
        return next((a for a in self.actions if a.name == name and state in a.sources), None)


# --- running a flow ----------------------------------------------------------------

def decide(flow: Flow, facts: Facts, actor: Actor, action: str, payload: Mapping[str, Any]) -> Decision:
    """The decision for `actor` taking `action` on a case described by `facts`."""
    act = _action_for(flow, facts.state, action)
    if not may_act(flow, act, facts, actor):
        raise Refused("not_allowed", f"you may not {action} this case")
    candidates = _own_summonses(act, facts, actor)
    _ensure_guards(flow, act, facts, actor, candidates)
    clean = clean_payload(act, payload)
    summons = _pick_summons(candidates, clean) if act.own_summons else None
    ctx = Context(facts, actor, clean, summons)
    errors: dict[str, str] = {}
    for name in act.checks:
        errors.update(flow.checks[name](ctx))
    if errors:
        raise Refused("invalid_payload", "the payload is invalid", errors)
    outcome = next(o for o in act.outcomes if o.when is None or flow.conditions[o.when](ctx))
    return _decision(flow, act, outcome, ctx)


def available(flow: Flow, facts: Facts, actor: Actor) -> list[str]:
    """The actions `actor` may take now, as far as state, relations and guards tell."""
    names: list[str] = []
    for act in flow.actions:
        if act.name in names or facts.state not in act.sources:
            continue
        if not may_act(flow, act, facts, actor):
            continue
        candidates = _own_summonses(act, facts, actor)
        if act.own_summons and not candidates:
            continue
        if all(flow.guards[g](facts, actor) for g in act.guards):
            names.append(act.name)
    return names


def may_act(flow: Flow, act: Action, facts: Facts, actor: Actor) -> bool:
    return any(all(_has(flow, facts, actor, r) for r in alt.split("&")) for alt in act.who)


def _has(flow: Flow, facts: Facts, actor: Actor, relation: str) -> bool:
    if relation == LEVEL_OWNER:
        relation = flow.level_owners.get(facts.level, "")
    return relation in actor.relations


def _action_for(flow: Flow, state: str, name: str) -> Action:
    if not any(a.name == name for a in flow.actions):
        raise Refused("unknown_action", f"there is no action {name!r}")
    act = flow.action(name, state)
    if act is None:
        raise Refused("wrong_state", f"{name} cannot be taken while the case is {state}")
    return act


def _own_summonses(act: Action, facts: Facts, actor: Actor) -> list[SummonsFacts]:
    return [s for s in facts.summonses
            if s.department_id in actor.department_ids and s.status in act.own_summons]


def _ensure_guards(flow: Flow, act: Action, facts: Facts, actor: Actor,
                   candidates: list[SummonsFacts]) -> None:
    if act.own_summons and not candidates:
        wanted = " or ".join(act.own_summons)
        raise Refused("guard", f"{act.name} needs a summons of your department that is {wanted}")
    for name in act.guards:
        if not flow.guards[name](facts, actor):
            doc = (flow.guards[name].__doc__ or name).strip().splitlines()[0]
            raise Refused("guard", f"{act.name} requires that {doc}")


def _pick_summons(candidates: list[SummonsFacts], clean: dict[str, Any]) -> SummonsFacts:
    wanted = clean.get("summons_id")
    if wanted is None:
        if len(candidates) > 1:
            raise Refused("invalid_payload", "say which summons you act on",
                          {"summons_id": "required: you staff several summoned departments"})
        clean["summons_id"] = candidates[0].id
        return candidates[0]
    for summons in candidates:
        if summons.id == wanted:
            return summons
    raise Refused("invalid_payload", "that summons is not yours to act on",
                  {"summons_id": "not a summons of your department in the right status"})


# --- the payload ----------------------------------------------------------------------

SUMMONS_ID = Field("summons_id", "int", low=1)


def clean_payload(act: Action, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as it will be logged, or Refused("invalid_payload") naming each field."""
    if not isinstance(payload, Mapping):
        raise Refused("invalid_payload", "the payload must be an object", {"payload": "must be an object"})
    fields = act.fields + ((SUMMONS_ID,) if act.own_summons else ())
    known = {f.name for f in fields}
    errors = {str(k): "unknown field" for k in payload if k not in known}
    clean: dict[str, Any] = {}
    for spec in fields:
        try:
            value = _clean_value(spec, payload.get(spec.name))
        except ValueError as bad:
            errors[spec.name] = str(bad)
            continue
        if value is not None:
            clean[spec.name] = value
    if errors:
        raise Refused("invalid_payload", "the payload is invalid", errors)
    return clean


def _clean_value(spec: Field, raw: Any) -> Any:
    if isinstance(raw, str) and spec.kind == "text":
        raw = raw.strip() or None
    if raw is None or (spec.kind == "ids" and raw in ([], ())):
        if spec.required:
            raise ValueError("required")
        return list(spec.default) if isinstance(spec.default, tuple) else spec.default
    return _CLEANERS[spec.kind](spec, raw)


def _text(spec: Field, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be text")
    if len(raw) > TEXT_MAX:
        raise ValueError(f"at most {TEXT_MAX} characters")
    if spec.choices and raw not in spec.choices:
        raise ValueError("must be one of: " + ", ".join(spec.choices))
    return raw


def _int(spec: Field, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("must be an integer")
    return _bounded(spec, raw)


def _number(spec: Field, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ValueError("must be a number")
    return float(_bounded(spec, raw))


def _bounded(spec: Field, value: int | float) -> int | float:
    if spec.low is not None and value < spec.low:
        raise ValueError(f"must be at least {spec.low:g}")
    if spec.high is not None and value > spec.high:
        raise ValueError(f"must be at most {spec.high:g}")
    return value


def _bool(spec: Field, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValueError("must be true or false")
    return raw


def _ids(spec: Field, raw: Any) -> list[int]:
    if not isinstance(raw, (list, tuple)) or any(
            isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in raw):
        raise ValueError("must be a list of ids")
    if len(set(raw)) != len(raw):
        raise ValueError("ids must not repeat")
    if spec.max_items is not None and len(raw) > spec.max_items:
        raise ValueError(f"at most {spec.max_items} items")
    return list(raw)


_CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _text, "int": _int, "number": _number, "bool": _bool, "ids": _ids}


# --- the decision ---------------------------------------------------------------------

def _decision(flow: Flow, act: Action, outcome: Outcome, ctx: Context) -> Decision:
    facts = ctx.facts
    to_state = outcome.to or facts.state
    level = outcome.level or facts.level
    changes = _summons_changes(flow, act, outcome, ctx)
    before = {s.id: s.status for s in facts.summonses}
    clocks = [c for spec in act.clocks + outcome.clocks
              for c in expand_clock(flow, spec, changes, before, facts.level, level)]
    state = flow.state(to_state)
    if state is not None and state.terminal and not any(c.op == "stop_all" for c in clocks):
        clocks.append(STOP_ALL)
    notes: list[Notify] = []
    for spec in act.notify + outcome.notify:
        audience = flow.level_parties[level] if spec.audience == LEVEL_OWNER else spec.audience
        if Notify(audience, spec.event) not in notes:
            notes.append(Notify(audience, spec.event))
    return Decision(action=act.name, from_state=facts.state, to_state=to_state, level=level,
                    payload=dict(ctx.payload), clocks=tuple(clocks), notifications=tuple(notes),
                    summons_changes=changes, counters=dict(outcome.counters))


STOP_ALL = Clock("stop_all", ALL_KINDS, None)


def _summons_changes(flow: Flow, act: Action, outcome: Outcome, ctx: Context) -> tuple[SummonsChange, ...]:
    changes: list[SummonsChange] = []
    if act.summons_to is not None and ctx.summons is not None:
        changes.append((ctx.summons.id, act.summons_to))
    for name in (act.effect, outcome.effect):
        if name is not None:
            changes.extend(flow.effects[name](ctx))
    defined = {s.name for s in flow.summons_statuses}
    wrong = [c for c in changes if c[1] not in defined]
    if wrong:
        raise ValueError(f"{act.name}: summons changes to undefined statuses {wrong}")
    return tuple(changes)


def expand_clock(flow: Flow, spec: Clock, changes: tuple[SummonsChange, ...],
                 before: Mapping[int, str], old_level: str, new_level: str) -> list[Clock]:
    """One declared clock as concrete ones. A per-summons clock applies to each changed
    summons where it starts or stops running, by the statuses' `runs`: a summons that is
    released does not get a sign-in clock because the same action summoned another."""
    level = old_level if spec.op == "stop" else new_level
    party = flow.level_parties[level] if spec.party == LEVEL_OWNER else spec.party
    if not spec.per_summons:
        return [Clock(spec.op, spec.kind, party)]
    out = []
    for summons, status in changes:
        was = spec.kind in flow.runs(before.get(summons) if isinstance(summons, int) else None)
        now = spec.kind in flow.runs(status)
        if (spec.op == "stop" and was and not now) or (spec.op != "stop" and now and not was):
            out.append(Clock(spec.op, spec.kind, party, per_summons=True, summons=summons))
    return out
