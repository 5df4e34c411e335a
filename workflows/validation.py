"""Checks a flow definition when it is built: a flow module defines its flow as
`validated(Flow(...))`, which raises FlowError listing every fault.

Names must resolve (states, relations, levels, parties, audiences, clock kinds and ops,
guards, conditions, checks, effects, counters, summons statuses), registered functions
need docstrings, each action's last outcome is its default, and once every name resolves
the state graph is checked: every state reachable from the initial one, none a dead end,
every one able to reach a terminal state.
"""
from __future__ import annotations

from collections.abc import Mapping

from workflows.definition import (
    ALL_KINDS,
    ALL_OPS,
    CLOCK_OPS,
    FIELD_KINDS,
    LEVEL_OWNER,
    Action,
    Clock,
    Field,
    Flow,
    Notify,
)


class FlowError(ValueError):
    """A flow definition that cannot be run; `problems` lists every fault found."""

    def __init__(self, flow_name: str, problems: list[str]):
        super().__init__(f"flow {flow_name!r} is invalid:\n- " + "\n- ".join(problems))
        self.problems = problems


def validated(flow: Flow) -> Flow:
    """The flow, once nothing keeps it from being run; else FlowError."""
    problems = flow_problems(flow)
    if problems:
        raise FlowError(flow.name, problems)
    return flow


def flow_problems(flow: Flow) -> list[str]:
    """Every fault that keeps `flow` from being run; empty when it is sound."""
    problems = _vocabulary_problems(flow)
    for act in flow.actions:
        problems += [f"action {act.name}: {p}" for p in _action_problems(flow, act)]
    problems += _overlap_problems(flow)
    if not problems:  # the graph checks assume every name resolves
        problems += _graph_problems(flow)
    return problems


def _vocabulary_problems(flow: Flow) -> list[str]:
    problems = []
    names = [s.name for s in flow.states]
    problems += [f"state {n} is defined twice" for n in set(names) if names.count(n) > 1]
    if flow.initial not in names:
        problems.append(f"initial state {flow.initial} is not defined")
    problems += [f"level {lvl} is owned by unknown relation {r}"
                 for lvl, r in flow.level_owners.items() if r not in flow.relations]
    problems += [f"level {lvl} names unknown party {p}" for lvl, p in flow.level_parties.items()
                 if p not in flow.parties or p not in flow.audiences]
    if set(flow.level_owners) != set(flow.level_parties):
        problems.append("level_owners and level_parties must name the same levels")
    for status in flow.summons_statuses:
        problems += [f"summons status {status.name} runs unknown clock kind {k}"
                     for k in status.runs - flow.clock_kinds]
    for kind, registry in (("guard", flow.guards), ("condition", flow.conditions),
                           ("check", flow.checks), ("effect", flow.effects)):
        problems += [f"{kind} {n} has no docstring" for n, fn in registry.items()
                     if not (fn.__doc__ or "").strip()]
    return problems


def _action_problems(flow: Flow, act: Action) -> list[str]:
    states = {s.name: s for s in flow.states}
    statuses = {s.name for s in flow.summons_statuses}
    problems = [f"unknown source state {s}" for s in act.sources if s not in states]
    problems += [f"leaves terminal state {s}" for s in act.sources if s in states and states[s].terminal]
    if not act.sources or not act.who:
        problems.append("needs at least one source state and one relation")
    problems += [f"unknown relation {r}" for alt in act.who for r in alt.split("&")
                 if r not in flow.relations and r != LEVEL_OWNER]
    problems += [f"unknown guard {g}" for g in act.guards if g not in flow.guards]
    problems += [f"unknown check {c}" for c in act.checks if c not in flow.checks]
    problems += [f"unknown summons status {s}" for s in (*act.own_summons, act.summons_to)
                 if s is not None and s not in statuses]
    if act.summons_to is not None and not act.own_summons:
        problems.append("summons_to needs own_summons")
    problems += _field_problems(act.fields)
    problems += _outcome_problems(flow, act)
    problems += _effect_problems(flow, act.effect, act.clocks, act.notify, ())
    return problems


def _field_problems(fields: tuple[Field, ...]) -> list[str]:
    names = [f.name for f in fields]
    problems = [f"field {n} is declared twice" for n in set(names) if names.count(n) > 1]
    problems += [f"field {f.name} has unknown kind {f.kind}" for f in fields if f.kind not in FIELD_KINDS]
    problems += [f"field {f.name}: choices are for text" for f in fields if f.choices and f.kind != "text"]
    return problems


def _outcome_problems(flow: Flow, act: Action) -> list[str]:
    problems = []
    if not act.outcomes or act.outcomes[-1].when is not None:
        problems.append("the last outcome must be the default (when=None)")
    if any(o.when is None for o in act.outcomes[:-1]):
        problems.append("only the last outcome may be the default")
    for out in act.outcomes:
        if out.when is not None and out.when not in flow.conditions:
            problems.append(f"unknown condition {out.when}")
        if out.to is not None and flow.state(out.to) is None:
            problems.append(f"unknown target state {out.to}")
        if out.level is not None and out.level not in flow.level_owners:
            problems.append(f"unknown level {out.level}")
        problems += _effect_problems(flow, out.effect, out.clocks, out.notify, out.counters)
    return problems


def _effect_problems(flow: Flow, effect: str | None, clocks: tuple[Clock, ...],
                     notify: tuple[Notify, ...], counters: tuple[tuple[str, int], ...]) -> list[str]:
    problems = [] if effect is None or effect in flow.effects else [f"unknown effect {effect}"]
    per_summons_kinds = frozenset().union(*(s.runs for s in flow.summons_statuses))
    for clock in clocks:
        if clock.op not in CLOCK_OPS:
            problems.append(f"unknown clock op {clock.op}")
        elif (clock.op in ALL_OPS) != (clock.kind == ALL_KINDS):
            problems.append(f"clock {clock.op} {clock.kind}: kind {ALL_KINDS} goes with the *_all ops only")
        elif clock.kind != ALL_KINDS and clock.kind not in flow.clock_kinds:
            problems.append(f"unknown clock kind {clock.kind}")
        if clock.party is not None and clock.party not in flow.parties and clock.party != LEVEL_OWNER:
            problems.append(f"unknown clock party {clock.party}")
        if clock.per_summons and clock.kind not in per_summons_kinds:
            problems.append(f"clock kind {clock.kind} runs in no summons status")
    problems += [f"unknown audience {n.audience}" for n in notify
                 if n.audience not in flow.audiences and n.audience != LEVEL_OWNER]
    problems += [f"unknown counter {c}" for c, _ in counters if c not in flow.counters]
    return problems


def _overlap_problems(flow: Flow) -> list[str]:
    seen: dict[tuple[str, str], int] = {}
    for act in flow.actions:
        for source in act.sources:
            seen[act.name, source] = seen.get((act.name, source), 0) + 1
    return [f"action {n} is defined twice from {s}" for (n, s), k in seen.items() if k > 1]


def _graph_problems(flow: Flow) -> list[str]:
    edges: dict[str, set[str]] = {s.name: set() for s in flow.states}
    for act in flow.actions:
        for source in act.sources:
            edges[source] |= {o.to or source for o in act.outcomes}
    reachable = _closure({flow.initial}, edges)
    problems = [f"state {s} is unreachable from {flow.initial}" for s in edges if s not in reachable]
    terminals = {s.name for s in flow.states if s.terminal}
    for state in flow.states:
        if state.terminal:
            continue
        if not edges[state.name] - {state.name}:
            problems.append(f"state {state.name} is a dead end: no action leaves it")
        elif not _closure({state.name}, edges) & terminals:
            problems.append(f"state {state.name} can never reach a terminal state")
    return problems


def _closure(start: set[str], edges: Mapping[str, set[str]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen
