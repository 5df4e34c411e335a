"""Runs a flow declared as data (workflows.definition), purely.

`decide` runs one action and returns a `Decision` (new state, level, payload to log, clock
and notification effects, summons changes, counters) or raises `Refused`; `available`
lists what an actor may do now. Refusals come in a fixed order, so nobody learns more than
they may: unknown_action, wrong_state, not_allowed (relations), guard (facts, own
summons), invalid_payload.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from workflows.definition import (
    LEVEL_OWNER,
    STOP_ALL,
    TEXT_MAX,
    Action,
    Actor,
    Clock,
    Context,
    Decision,
    Facts,
    Field,
    Flow,
    Notify,
    Outcome,
    SummonsChange,
    SummonsFacts,
)

REFUSAL_CODES = frozenset({"unknown_action", "wrong_state", "not_allowed", "guard", "invalid_payload"})


class Refused(Exception):
    """Why an action may not be taken; `fields` maps payload fields to what is wrong."""

    def __init__(self, code: str, message: str, fields: Mapping[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})


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
