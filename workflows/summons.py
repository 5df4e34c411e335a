"""Summons sub-states: what becomes of one department called by a whistle (哨令).

A summons is created "summoned", reports in to "signed_in", checks in on site to "arrived"
when the whistle asked for it, or is "returned" (退单) until the hub rules on it; a summons
that no longer binds its department (re-dispatched elsewhere, escalated, reopened) is
"released". The engine starts and stops per-summons clocks from these statuses' `runs`.

Effects name new summonses "new:<department_id>"; the whistle's `lead_department_id` says
which of them is the lead, every other one is a co-handler.
"""
from __future__ import annotations

from workflows.definition import Context, Facts, SummonsChange, SummonsFacts, SummonsStatus

SUMMONS_STATUSES = (
    SummonsStatus("summoned", "已召集", frozenset({"sign_in", "arrival"}),
                  "called by the whistle; must report in (签收) and, on site, arrive"),
    SummonsStatus("signed_in", "已报到", frozenset({"arrival"}),
                  "reported in; still owes the on-site check-in when the whistle asked for one"),
    SummonsStatus("arrived", "已到场", doc="checked in on site with GPS and photos"),
    SummonsStatus("returned", "已退单", doc="sent back as wrongly dispatched, awaiting the hub"),
    SummonsStatus("released", "已解除", doc="no longer bound: replaced, escalated or reopened"),
)
OPEN = ("summoned", "signed_in", "arrived")
UNSETTLED = OPEN + ("returned",)


def new(department_id: int) -> str:
    return f"new:{department_id}"


def bound_departments(facts: Facts) -> set[int]:
    return {s.department_id for s in facts.summonses if s.status in UNSETTLED}


def returned_lead(facts: Facts) -> SummonsFacts | None:
    return next((s for s in facts.summonses if s.role == "lead" and s.status == "returned"), None)


def current_lead(facts: Facts) -> SummonsFacts | None:
    return next((s for s in facts.summonses if s.role == "lead" and s.status in OPEN), None)


# --- checks (payload against the case's summonses) -------------------------------------

def whistle_departments(ctx: Context) -> dict[str, str]:
    """the co-handlers exclude the lead, and no department named is already bound to the case"""
    lead = ctx.payload.get("lead_department_id")
    cos = ctx.payload.get("co_department_ids", [])
    bound = bound_departments(ctx.facts)
    errors = {}
    if lead in bound:
        errors["lead_department_id"] = "this department is already summoned on the case"
    if lead in cos:
        errors["co_department_ids"] = "the lead cannot also be a co-handler"
    elif set(cos) & bound:
        errors["co_department_ids"] = "a department named is already summoned on the case"
    return errors


def new_lead_unbound(ctx: Context) -> dict[str, str]:
    """the new lead is not a department already bound to the case (nor the one that returned it)"""
    if ctx.payload.get("lead_department_id") in bound_departments(ctx.facts):
        return {"lead_department_id": "this department is already summoned on the case"}
    return {}


def more_cos_unbound(ctx: Context) -> dict[str, str]:
    """no added co-handler is already summoned; one that returned the case may be called again"""
    open_departments = {s.department_id for s in ctx.facts.summonses if s.status in OPEN}
    if set(ctx.payload.get("co_department_ids", [])) & open_departments:
        return {"co_department_ids": "a department named is already summoned on the case"}
    return {}


# --- effects (summons changes) --------------------------------------------------------

def summon_departments(ctx: Context) -> tuple[SummonsChange, ...]:
    """a new summons for the lead and one for each co-handler, all summoned"""
    departments = [ctx.payload["lead_department_id"], *ctx.payload.get("co_department_ids", [])]
    return tuple((new(d), "summoned") for d in departments)


def summon_more_cos(ctx: Context) -> tuple[SummonsChange, ...]:
    """each named co-handler is summoned: its returned summons called back, or a new one"""
    returned = {s.department_id: s.id for s in ctx.facts.summonses
                if s.role == "co" and s.status == "returned"}
    return tuple((returned.get(d, new(d)), "summoned") for d in ctx.payload["co_department_ids"])


def replace_returned_lead(ctx: Context) -> tuple[SummonsChange, ...]:
    """the returned lead summons is released and the new lead department summoned"""
    old = returned_lead(ctx.facts)
    released = ((old.id, "released"),) if old else ()
    return released + ((new(ctx.payload["lead_department_id"]), "summoned"),)


def rule_back_returned_lead(ctx: Context) -> tuple[SummonsChange, ...]:
    """the returned lead summons is summoned again: the return is ruled unfounded"""
    old = returned_lead(ctx.facts)
    return ((old.id, "summoned"),) if old else ()


def release_unsettled(ctx: Context) -> tuple[SummonsChange, ...]:
    """every summons not yet released is released: the case leaves the departments' hands"""
    return tuple((s.id, "released") for s in ctx.facts.summonses if s.status in UNSETTLED)


CHECKS = (whistle_departments, new_lead_unbound, more_cos_unbound)
EFFECTS = (summon_departments, summon_more_cos, replace_returned_lead, rule_back_returned_lead,
           release_unsettled)
