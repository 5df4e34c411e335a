"""The generic flow engine, on a toy flow: validation at definition, refusals, effects."""
from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path

import pytest

from workflows.definition import (
    ALL_KINDS,
    LEVEL_OWNER,
    Action,
    Actor,
    Clock,
    Facts,
    Field,
    Flow,
    Notify,
    Outcome,
    State,
    SummonsFacts,
    SummonsStatus,
)
from workflows.engine import Refused, available, decide
from workflows.validation import FlowError, validated

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def always(facts, actor):
    """always"""
    return True


def never(facts, actor):
    """the moon is not full"""
    return False


def big(ctx):
    """the size is 10 or more"""
    return ctx.payload.get("size", 0) >= 10


def even_size(ctx):
    """the size is even"""
    return {} if ctx.payload.get("size", 0) % 2 == 0 else {"size": "must be even"}


def call_teams(ctx):
    """a new summons per team"""
    return tuple((f"new:{t}", "called") for t in ctx.payload["team_ids"])


def free_all(ctx):
    """every summons freed"""
    return tuple((s.id, "freed") for s in ctx.facts.summonses)


def bad_effect(ctx):
    """moves a summons to a status that does not exist"""
    return ((1, "vanished"),)


FORM = (Field("t", "text"), Field("c", "text", choices=("a", "b")), Field("n", "int", low=1, high=5),
        Field("x", "number", low=-1, high=1), Field("b", "bool", default=False),
        Field("ids", "ids", max_items=3, default=()), Field("r", "text", required=True))

ACTIONS = (
    Action("open", "开", ("draft",), (LEVEL_OWNER,), fields=(Field("size", "int"),), checks=("even_size",),
           clocks=(Clock("start", "work", LEVEL_OWNER),), notify=(Notify(LEVEL_OWNER, "opened"),),
           outcomes=(Outcome("held", "big", level="high", counters=(("redo", 1),),
                             clocks=(Clock("stop", "work", LEVEL_OWNER),)),
                     Outcome("open"))),
    Action("call", "叫", ("open",), ("owner",), fields=(Field("team_ids", "ids", required=True),),
           effect="call_teams", clocks=(Clock("start", "call", "team", per_summons=True),)),
    Action("answer", "答", ("open",), ("staff",), own_summons=("called",), summons_to="answered",
           clocks=(Clock("stop", "call", "team", per_summons=True),)),
    Action("reshuffle", "换", ("open",), ("owner",), effect="free_all",
           fields=(Field("team_ids", "ids", required=True),),
           outcomes=(Outcome(effect="call_teams"),),
           clocks=(Clock("start", "call", "team", per_summons=True),
                   Clock("stop", "call", "team", per_summons=True))),
    Action("form", "表", ("open",), ("owner",), fields=FORM),
    Action("release", "放", ("held",), ("clerk", "boss"), guards=("always",),
           outcomes=(Outcome("open"),)),
    Action("finish", "毕", ("open", "held"), ("owner&staff", "boss"), outcomes=(Outcome("done"),)),
    Action("drop", "弃", ("draft", "open", "held"), ("sys",), guards=("never",),
           outcomes=(Outcome("dropped"),)),
    Action("broken", "坏", ("open",), ("owner",), effect="bad_effect"),
)

BASE = dict(
    name="toy", title="toy", initial="draft",
    states=(State("draft", "草"), State("open", "开"), State("held", "押"),
            State("done", "毕", terminal=True), State("dropped", "弃", terminal=True)),
    actions=ACTIONS,
    relations=frozenset({"owner", "clerk", "boss", "staff", "sys"}),
    level_owners={"low": "clerk", "high": "boss"}, level_parties={"low": "desk", "high": "office"},
    clock_kinds=frozenset({"work", "call"}), parties=frozenset({"desk", "office", "team"}),
    audiences=frozenset({"desk", "office", "asker"}), counters=frozenset({"redo"}),
    summons_statuses=(SummonsStatus("called", "叫", frozenset({"call"})), SummonsStatus("answered", "答"),
                      SummonsStatus("freed", "放")),
    guards={"always": always, "never": never}, conditions={"big": big}, checks={"even_size": even_size},
    effects={"call_teams": call_teams, "free_all": free_all, "bad_effect": bad_effect},
)
TOY = validated(Flow(**BASE))


def toy(**changes) -> Flow:
    return validated(Flow(**{**BASE, **changes}))


def with_action(name: str, **changes) -> tuple[Action, ...]:
    return tuple(dataclasses.replace(a, **changes) if a.name == name else a for a in ACTIONS)


def actor(*relations: str, departments: tuple[int, ...] = ()) -> Actor:
    return Actor(1, frozenset(relations), frozenset(departments))


def refusal(flow, facts, who, action, payload) -> Refused:
    with pytest.raises(Refused) as caught:
        decide(flow, facts, who, action, payload)
    return caught.value


# --- validation when defined -------------------------------------------------------------

BROKEN = [
    ("an unreachable state", dict(states=BASE["states"] + (State("limbo", "?"),)),
     "state limbo is unreachable"),
    ("a dead end", dict(actions=tuple(a for a in ACTIONS if a.name not in ("release", "finish", "drop"))),
     "state held is a dead end"),
    ("a cycle with no way to a terminal state", dict(
        states=BASE["states"] + (State("spin", "转"), State("spun", "转")),
        actions=ACTIONS + (Action("spin", "转", ("open",), ("owner",), outcomes=(Outcome("spin"),)),
                           Action("turn", "转", ("spin",), ("owner",), outcomes=(Outcome("spun"),)),
                           Action("turn", "转", ("spun",), ("owner",), outcomes=(Outcome("spin"),)))),
     "state spin can never reach a terminal"),
    ("an unknown guard", dict(actions=with_action("release", guards=("luck",))), "unknown guard luck"),
    ("an unknown condition",
     dict(actions=with_action("open", outcomes=(Outcome("held", "moon"), Outcome("open")))),
     "unknown condition moon"),
    ("an unknown check", dict(actions=with_action("open", checks=("spelling",))), "unknown check spelling"),
    ("an unknown effect", dict(actions=with_action("call", effect="magic")), "unknown effect magic"),
    ("an unknown relation", dict(actions=with_action("finish", who=("owner&ghost",))),
     "unknown relation ghost"),
    ("an unknown clock kind", dict(actions=with_action("open", clocks=(Clock("start", "nap", "desk"),))),
     "unknown clock kind nap"),
    ("an unknown clock op", dict(actions=with_action("open", clocks=(Clock("snooze", "work", "desk"),))),
     "unknown clock op snooze"),
    ("pause_all with a kind", dict(actions=with_action("open", clocks=(Clock("pause_all", "work", None),))),
     "kind all goes with the *_all ops only"),
    ("start with kind all", dict(actions=with_action("open", clocks=(Clock("start", ALL_KINDS, "desk"),))),
     "kind all goes with the *_all ops only"),
    ("an unknown party", dict(actions=with_action("open", clocks=(Clock("start", "work", "mayor"),))),
     "unknown clock party mayor"),
    ("a per-summons clock no status runs", dict(
        actions=with_action("call", clocks=(Clock("start", "work", "team", per_summons=True),))),
     "clock kind work runs in no summons status"),
    ("an unknown audience", dict(actions=with_action("open", notify=(Notify("press", "x"),))),
     "unknown audience press"),
    ("an unknown counter",
     dict(actions=with_action("open", outcomes=(Outcome("open", counters=(("luck", 1),)),))),
     "unknown counter luck"),
    ("an unknown source", dict(actions=with_action("form", sources=("nowhere",))),
     "unknown source state nowhere"),
    ("an unknown target", dict(actions=with_action("release", outcomes=(Outcome("nowhere"),))),
     "unknown target state nowhere"),
    ("an unknown level", dict(actions=with_action("release", outcomes=(Outcome("open", level="moon"),))),
     "unknown level moon"),
    ("a terminal state with a way out", dict(actions=with_action("form", sources=("open", "done"))),
     "leaves terminal state done"),
    ("one action twice from a state",
     dict(actions=ACTIONS + (dataclasses.replace(ACTIONS[-1], sources=("open",)),)),
     "action broken is defined twice from open"),
    ("a default outcome not last",
     dict(actions=with_action("open", outcomes=(Outcome("open"), Outcome("held", "big")))),
     "the last outcome must be the default"),
    ("two defaults", dict(actions=with_action("open", outcomes=(Outcome("open"), Outcome("held")))),
     "only the last outcome may be the default"),
    ("an unknown summons status", dict(actions=with_action("answer", summons_to="gone")),
     "unknown summons status gone"),
    ("summons_to without own_summons", dict(actions=with_action("answer", own_summons=())),
     "summons_to needs own_summons"),
    ("an unknown field kind", dict(actions=with_action("form", fields=(Field("d", "date"),))),
     "field d has unknown kind date"),
    ("choices on an int", dict(actions=with_action("form", fields=(Field("n", "int", choices=("1",)),))),
     "choices are for text"),
    ("a guard without a docstring", dict(guards={**BASE["guards"], "always": lambda f, a: True}),
     "guard always has no docstring"),
    ("an undefined initial state", dict(initial="nowhere"), "initial state nowhere is not defined"),
    ("a state defined twice", dict(states=BASE["states"] + (State("open", "again"),)),
     "state open is defined twice"),
    ("an unknown level owner", dict(level_owners={"low": "nobody", "high": "boss"}),
     "level low is owned by unknown relation nobody"),
]


def test_the_toy_flow_is_valid():
    assert TOY.action("finish", "held").name == "finish"


@pytest.mark.parametrize("what, changes, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_flow_is_refused_when_defined(what, changes, message):
    with pytest.raises(FlowError) as caught:
        toy(**changes)
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once():
    actions = with_action("release", guards=("luck",), outcomes=(Outcome("nowhere"),))
    with pytest.raises(FlowError) as caught:
        toy(actions=actions)
    assert len(caught.value.problems) == 2


# --- refusals ----------------------------------------------------------------------------

OPEN = Facts("open", "low")


def test_refusal_codes_come_in_order():
    assert refusal(TOY, OPEN, actor("owner"), "fly", {}).code == "unknown_action"
    assert refusal(TOY, OPEN, actor("clerk"), "open", {}).code == "wrong_state"
    assert refusal(TOY, Facts("nowhere", "low"), actor("clerk"), "open", {}).code == "wrong_state"
    # The wrong actor with a bad payload hears that they may not, not what the payload lacks.
    assert refusal(TOY, OPEN, actor("clerk"), "form", {"zz": 1}).code == "not_allowed"
    refused = refusal(TOY, Facts("open", "low"), actor("sys"), "drop", {})
    assert (refused.code, refused.message) == ("guard", "drop requires that the moon is not full")


def test_all_of_relations_are_needed_together():
    assert refusal(TOY, OPEN, actor("owner"), "finish", {}).code == "not_allowed"
    assert refusal(TOY, OPEN, actor("staff"), "finish", {}).code == "not_allowed"
    assert decide(TOY, OPEN, actor("owner", "staff"), "finish", {}).to_state == "done"
    assert decide(TOY, OPEN, actor("boss"), "finish", {}).to_state == "done"


def test_level_owner_follows_the_level():
    draft_low, draft_high = Facts("draft", "low"), Facts("draft", "high")
    assert decide(TOY, draft_low, actor("clerk"), "open", {}).to_state == "open"
    assert refusal(TOY, draft_low, actor("boss"), "open", {}).code == "not_allowed"
    assert decide(TOY, draft_high, actor("boss"), "open", {}).to_state == "open"
    assert refusal(TOY, draft_high, actor("clerk"), "open", {}).code == "not_allowed"


GOOD_FORM = {"r": "required"}


@pytest.mark.parametrize("payload, field, message", [
    ({"r": None}, "r", "required"),
    ({"r": "   "}, "r", "required"),
    ({"r": 5}, "r", "must be text"),
    ({"r": "x" * 2001}, "r", "at most 2000 characters"),
    ({"c": "z"}, "c", "must be one of: a, b"),
    ({"n": True}, "n", "must be an integer"),
    ({"n": 1.0}, "n", "must be an integer"),
    ({"n": 0}, "n", "must be at least 1"),
    ({"n": 6}, "n", "must be at most 5"),
    ({"x": float("nan")}, "x", "must be a number"),
    ({"x": "0.5"}, "x", "must be a number"),
    ({"x": 1.5}, "x", "must be at most 1"),
    ({"b": 1}, "b", "must be true or false"),
    ({"ids": [1, 1]}, "ids", "ids must not repeat"),
    ({"ids": [1, 0]}, "ids", "must be a list of ids"),
    ({"ids": "1,2"}, "ids", "must be a list of ids"),
    ({"ids": [1, 2, 3, 4]}, "ids", "at most 3 items"),
    ({"zz": 1}, "zz", "unknown field"),
])
def test_payload_errors_name_the_field(payload, field, message):
    refused = refusal(TOY, OPEN, actor("owner"), "form", {**GOOD_FORM, **payload})
    assert refused.code == "invalid_payload"
    assert refused.fields == {field: message}


def test_a_payload_must_be_an_object():
    refused = refusal(TOY, OPEN, actor("owner"), "form", ["r"])
    assert (refused.code, refused.fields) == ("invalid_payload", {"payload": "must be an object"})


def test_the_logged_payload_is_cleaned_with_defaults():
    payload = {"r": "  keep  ", "t": "  ", "x": 1, "ids": (3, 2)}
    decision = decide(TOY, OPEN, actor("owner"), "form", payload)
    assert decision.payload == {"r": "keep", "x": 1.0, "b": False, "ids": [3, 2]}
    assert decision.to_state == "open"


def test_checks_refuse_with_fields():
    refused = refusal(TOY, Facts("draft", "low"), actor("clerk"), "open", {"size": 3})
    assert (refused.code, refused.fields) == ("invalid_payload", {"size": "must be even"})


# --- decisions ------------------------------------------------------------------------------

def test_conditional_targets_are_tried_in_order_and_resolve_level_owner():
    default = decide(TOY, Facts("draft", "low"), actor("clerk"), "open", {"size": 2})
    assert (default.to_state, default.level, default.counters) == ("open", "low", {})
    assert default.clocks == (Clock("start", "work", "desk"),)
    assert default.notifications == (Notify("desk", "opened"),)
    branched = decide(TOY, Facts("draft", "low"), actor("clerk"), "open", {"size": 10})
    assert (branched.to_state, branched.level, branched.counters) == ("held", "high", {"redo": 1})
    # Starting belongs to the new level's owner, stopping to the old one's.
    assert branched.clocks == (Clock("start", "work", "office"), Clock("stop", "work", "desk"))
    assert branched.notifications == (Notify("office", "opened"),)


def test_entering_a_terminal_state_stops_every_clock_once():
    decision = decide(TOY, OPEN, actor("boss"), "finish", {})
    assert decision.clocks == (Clock("stop_all", "all", None),)


def test_per_summons_clocks_name_each_summons_where_they_start():
    decision = decide(TOY, OPEN, actor("owner"), "call", {"team_ids": [7, 8]})
    assert decision.summons_changes == (("new:7", "called"), ("new:8", "called"))
    assert decision.clocks == (Clock("start", "call", "team", True, "new:7"),
                               Clock("start", "call", "team", True, "new:8"))


def test_per_summons_clocks_skip_summonses_where_nothing_starts_or_stops():
    facts = Facts("open", "low", (SummonsFacts(1, 7, "co", "called"), SummonsFacts(2, 8, "co", "answered")))
    decision = decide(TOY, facts, actor("owner"), "reshuffle", {"team_ids": [9]})
    assert decision.summons_changes == ((1, "freed"), (2, "freed"), ("new:9", "called"))
    # Only summons 1 had a call clock running; only the new one gets a new one.
    assert decision.clocks == (Clock("start", "call", "team", True, "new:9"),
                               Clock("stop", "call", "team", True, 1))


def test_an_effect_to_an_undefined_status_is_a_bug_not_a_refusal():
    with pytest.raises(ValueError, match="undefined statuses"):
        decide(TOY, OPEN, actor("owner"), "broken", {})


# --- own summons --------------------------------------------------------------------------

SUMMONED = Facts("open", "low", (SummonsFacts(1, 7, "lead", "called"), SummonsFacts(2, 8, "co", "called"),
                                 SummonsFacts(3, 9, "co", "answered")))


def test_the_actor_acts_on_their_own_summons():
    decision = decide(TOY, SUMMONED, actor("staff", departments=(8,)), "answer", {})
    assert decision.summons_changes == ((2, "answered"),)
    assert decision.payload == {"summons_id": 2}
    assert decision.clocks == (Clock("stop", "call", "team", True, 2),)


def test_without_a_summons_in_the_right_status_it_is_a_guard():
    refused = refusal(TOY, SUMMONED, actor("staff", departments=(9,)), "answer", {})
    assert refused.code == "guard" and "called" in refused.message
    assert "answer" not in available(TOY, SUMMONED, actor("staff", departments=(9,)))


def test_staff_of_several_summoned_departments_say_which():
    staff = actor("staff", departments=(7, 8))
    refused = refusal(TOY, SUMMONED, staff, "answer", {})
    assert (refused.code, list(refused.fields)) == ("invalid_payload", ["summons_id"])
    assert decide(TOY, SUMMONED, staff, "answer", {"summons_id": 1}).summons_changes == ((1, "answered"),)
    assert refusal(TOY, SUMMONED, staff, "answer", {"summons_id": 3}).fields == {
        "summons_id": "not a summons of your department in the right status"}


def test_available_follows_state_relations_guards_and_summonses():
    assert available(TOY, OPEN, actor("owner")) == ["call", "reshuffle", "form", "broken"]
    assert available(TOY, OPEN, actor("owner", "staff")) == ["call", "reshuffle", "form", "finish", "broken"]
    assert available(TOY, SUMMONED, actor("staff", departments=(7,))) == ["answer"]
    assert available(TOY, Facts("held", "high"), actor("boss", "sys")) == ["release", "finish"]
    assert available(TOY, Facts("done", "low"), actor(*BASE["relations"])) == []


# --- purity --------------------------------------------------------------------------------

def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else node.module or "")
    return names


def test_workflows_import_only_the_standard_library_and_themselves():
    modules = sorted(WORKFLOWS.glob("*.py"))
    assert {m.name for m in modules} >= {"engine.py", "case_flow.py", "docs.py"}
    for module in modules:
        for name in imported_modules(module):
            top = name.split(".")[0]
            assert name == "." or top == "workflows" or top in sys.stdlib_module_names, (
                f"{module.name} imports {name}: workflows/ must stay pure Python")


def test_the_import_scan_catches_a_foreign_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import json\nfrom flask import Flask\nfrom . import engine\n", encoding="utf-8")
    assert imported_modules(sample) == {"json", "flask", "."}


def workflows_imports(name: str) -> set[str]:
    return {n for n in imported_modules(WORKFLOWS / name) if n.split(".")[0] == "workflows" or n == "."}


def test_definition_validation_and_engine_import_one_way():
    assert workflows_imports("definition.py") == set()
    assert workflows_imports("validation.py") == {"workflows.definition"}
    assert workflows_imports("engine.py") <= {"workflows.definition", "workflows.validation"}


def imports_inside_functions(path: Path) -> list[int]:
    functions = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return [node.lineno for f in functions for node in ast.walk(f) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_no_workflows_module_imports_inside_a_function(tmp_path):
    for module in sorted(WORKFLOWS.glob("*.py")):
        assert imports_inside_functions(module) == [], f"{module.name} imports inside a function"
    sample = tmp_path / "sample.py"
    sample.write_text("import json\n\n\ndef late():\n    from workflows import engine\n", encoding="utf-8")
    assert imports_inside_functions(sample) == [5]
