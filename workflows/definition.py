"""What a flow is made of: the types a definition is written in and the ones the engine
takes and returns. Data only; workflows.validation checks a definition, workflows.engine
runs it.

A `Flow` is states and actions. An action names the states it leaves, who may take it (the
relations the caller computed between actor and case), its guards, the payload it takes
and its outcomes: conditional targets tried in order, the last one the default. Guards,
conditions, payload checks and summons effects are named pure functions registered with the
flow, so a definition stays data that `workflows.docs` can print.

Clock ops: "start" | "stop" | "extend" | "pause_all" | "resume_all" | "stop_all". The *_all
ops carry kind "all" and no party. Stopping a clock that is not running is a no-op for the
caller. A per-summons clock in a Decision names its summons (an id or "new:<department>").
Party and audience "level_owner" are resolved from the level: the decision holds real ones.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

CLOCK_OPS = frozenset({"start", "stop", "extend", "pause_all", "resume_all", "stop_all"})
ALL_OPS = frozenset({"pause_all", "resume_all", "stop_all"})
ALL_KINDS = "all"
LEVEL_OWNER = "level_owner"
FIELD_KINDS = frozenset({"text", "int", "number", "bool", "ids"})
TEXT_MAX = 2000


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
    """A flow as data. A flow module defines one as `validated(Flow(...))`
    (workflows.validation), so a definition that cannot be run fails at import."""

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

    def state(self, name: str) -> State | None:
        return next((s for s in self.states if s.name == name), None)

    def runs(self, status: str | None) -> frozenset[str]:
        found = next((s for s in self.summons_statuses if s.name == status), None)
        return found.runs if found else frozenset()

    def action(self, name: str, state: str) -> Action | None:
        return next((a for a in self.actions if a.name == name and state in a.sources), None)


STOP_ALL = Clock("stop_all", ALL_KINDS, None)
