"""The case flow, 街镇吹哨、部门报到, as data: triage by the level that owns the category,
community handling (小事不出社区), the township's whistle to a lead and co-handling
departments, return and arbitration, handling, on-site verification, callback and rating.

The caller keeps facts the decision implies by its action name: `assign` sets the assignee
from the payload, `whistle` sets on_site, `request_extension` sets extension_pending and
`approve_extension` / `deny_extension` clear it, `merge` links into_case_id, `rate`
records the rating, `supervise` marks the case. References the engine cannot see (the
departments, the case merged into, the assignee, the photos) are the caller's to check.
"""
from __future__ import annotations

from workflows import summons
from workflows.definition import (
    ALL_KINDS,
    LEVEL_OWNER,
    Action,
    Actor,
    Clock,
    Context,
    Facts,
    Field,
    Flow,
    Notify,
    Outcome,
    State,
)
from workflows.validation import validated

RELATIONS = frozenset({
    "reporter", "supporter", "grid_worker_of_grid", "community_admin_of_community",
    "hub_of_township", "county_admin", "summoned_staff", "lead_staff", "co_staff", "assignee",
    "system"})
LEVEL_OWNERS = {"community": "community_admin_of_community", "township": "hub_of_township",
                "county": "county_admin"}
LEVEL_PARTIES = {"community": "community", "township": "hub", "county": "county"}
CLOCK_KINDS = frozenset({"triage", "community_handling", "dispatch", "sign_in", "arrival",
                         "handling", "verification", "callback"})
PARTIES = frozenset({"community", "hub", "county", "department", "lead", "grid_worker", "reporter"})
AUDIENCES = frozenset({"reporter", "supporters", "hub", "county", "community", "lead", "summoned",
                       "grid_worker", "assignee"})
RETURN_REASONS = ("not_our_remit", "wrong_area", "unclear_ownership")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")

STATES = (
    State("submitted", "待受理", doc="filed; the level that owns the category triages it"),
    State("community_handling", "社区办理", doc="a community-level matter handled in the community"),
    State("accepted", "已立案", doc="filed at township or county level, awaiting the whistle"),
    State("dispatched", "已派遣", doc="departments summoned; the lead has not reported in yet"),
    State("returned", "退单待审定", doc="the lead department sent it back; the hub rules"),
    State("in_progress", "办理中", doc="the lead reported in and handles it"),
    State("parked", "挂账", doc="cannot be solved now; every clock paused"),
    State("awaiting_verification", "待核查", doc="a result is in; a grid worker checks on site"),
    State("awaiting_rating", "待回访", doc="verified; the reporter is asked to rate"),
    State("closed", "已办结", terminal=True),
    State("rejected", "不予受理", terminal=True),
    State("cancelled", "已撤销", terminal=True, doc="withdrawn by the reporter before acceptance"),
    State("merged", "已合并", terminal=True, doc="a duplicate, merged into another case"),
    State("unreasonable", "不合理诉求", terminal=True, doc="ruled unreasonable; kept out of scores"),
)
LIVE = tuple(s.name for s in STATES if not s.terminal)


# --- guards (facts and actor only) and conditions (with the payload) -------------------

def level_is_township(facts: Facts, actor: Actor) -> bool:
    """the case is at township level"""
    return facts.level == "township"


def on_site(facts: Facts, actor: Actor) -> bool:
    """the whistle asked the departments to report on site"""
    return facts.on_site


def no_extension_pending(facts: Facts, actor: Actor) -> bool:
    """no extension request is waiting for a ruling"""
    return not facts.extension_pending


def extension_pending(facts: Facts, actor: Actor) -> bool:
    """an extension request is waiting for a ruling"""
    return facts.extension_pending


def lead_returned(facts: Facts, actor: Actor) -> bool:
    """the lead department's summons is returned"""
    return summons.returned_lead(facts) is not None


def lead_arrived_if_on_site(facts: Facts, actor: Actor) -> bool:
    """on an on-site whistle the lead department has checked in on site (事不完人不撤)"""
    lead = summons.current_lead(facts)
    return not facts.on_site or (lead is not None and lead.status == "arrived")


def not_own_result(facts: Facts, actor: Actor) -> bool:
    """the verifier is not the person who submitted the result (no one checks their own work)"""
    return facts.result_by is None or facts.result_by != actor.user_id


def no_resident_to_rate(ctx: Context) -> bool:
    """the case came from a grid worker, a sensor or an external system: nobody to call back"""
    return ctx.facts.reporter_kind != "resident"


def level_is_community(ctx: Context) -> bool:
    """the case is at community level"""
    return ctx.facts.level == "community"


def on_site_requested(ctx: Context) -> bool:
    """the whistle asks the departments to report on site"""
    return bool(ctx.payload.get("on_site"))


def on_site_case(ctx: Context) -> bool:
    """the case's whistle asked the departments to report on site"""
    return ctx.facts.on_site


def own_summons_is_lead(ctx: Context) -> bool:
    """the actor acts for the lead department"""
    return ctx.summons is not None and ctx.summons.role == "lead"


def reopen(ctx: Context) -> bool:
    """unsatisfied, and the case has been reopened fewer times than the limit"""
    return (ctx.payload.get("rating") == "unsatisfied"
            and ctx.facts.reopen_count < ctx.facts.reopen_limit)


def reopen_in_community(ctx: Context) -> bool:
    """reopened, and the case is at community level"""
    return reopen(ctx) and ctx.facts.level == "community"


def note_or_photos(ctx: Context) -> dict[str, str]:
    """a note or photos, at least one"""
    if "note" in ctx.payload or "photo_ids" in ctx.payload:
        return {}
    return {"note": "a note or photos are required"}


def hours_or_days(ctx: Context) -> dict[str, str]:
    """hours or days, exactly one"""
    given = [k for k in ("hours", "days") if k in ctx.payload]
    if len(given) == 1:
        return {}
    return {"hours": "give hours or days, exactly one"}


GUARDS = (level_is_township, on_site, no_extension_pending, extension_pending, lead_returned,
          lead_arrived_if_on_site, not_own_result)
CONDITIONS = (level_is_community, on_site_requested, on_site_case, own_summons_is_lead, reopen,
              reopen_in_community, no_resident_to_rate)
CHECKS = (note_or_photos, hours_or_days, *summons.CHECKS)


# --- shorthand for the definitions --------------------------------------------------

def start(kind: str, party: str) -> Clock:
    return Clock("start", kind, party)


def stop(kind: str) -> Clock:
    return Clock("stop", kind, None)


def each_summons(op: str, kind: str) -> Clock:
    return Clock(op, kind, "department", per_summons=True)


def tell(event: str, *audiences: str) -> tuple[Notify, ...]:
    return tuple(Notify(a, event) for a in audiences)


RESIDENTS = ("reporter", "supporters")
NOTE = Field("note", "text")
REASON = Field("reason", "text", required=True)
PHOTOS = Field("photo_ids", "ids", required=True, max_items=9)
RESULT = (Field("note", "text", required=True), PHOTOS)
SUMMON_CLOCKS = (each_summons("start", "sign_in"),)
ON_SITE_ARRIVAL = (each_summons("start", "arrival"),)
RELEASE_CLOCKS = (each_summons("stop", "sign_in"), each_summons("stop", "arrival"))
WHISTLED = ("dispatched", "in_progress")


TRIAGE = (
    Action("accept", "立案", ("submitted",), (LEVEL_OWNER,), fields=(NOTE,), clocks=(stop("triage"),),
           outcomes=(Outcome("community_handling", "level_is_community",
                             clocks=(start("community_handling", "community"),)),
                     Outcome("accepted", clocks=(start("dispatch", LEVEL_OWNER),))),
           notify=tell("accepted", *RESIDENTS)),
    Action("reject", "不予受理", ("submitted",), (LEVEL_OWNER,), fields=(REASON,),
           outcomes=(Outcome("rejected"),), notify=tell("rejected", *RESIDENTS)),
    Action("merge", "合并", ("submitted", "accepted"), (LEVEL_OWNER,),
           fields=(Field("into_case_id", "int", required=True, low=1), NOTE),
           outcomes=(Outcome("merged"),), notify=tell("merged", *RESIDENTS),
           doc="a duplicate: the case it is merged into must be another, live one (the caller checks)"),
    Action("cancel", "撤销", ("submitted",), ("reporter",), fields=(Field("reason", "text"),),
           outcomes=(Outcome("cancelled"),), notify=tell("cancelled", LEVEL_OWNER, "supporters")),
    Action("resolve_on_spot", "即报即办", ("submitted",), ("reporter&grid_worker_of_grid",),
           fields=RESULT, outcomes=(Outcome("closed"),),
           notify=tell("resolved_on_spot", LEVEL_OWNER) + tell("closed", "supporters"),
           doc="a grid worker who reported it in their own grid fixed it on the spot"),
)

COMMUNITY = (
    Action("assign", "指派", ("community_handling",), ("community_admin_of_community",),
           fields=(Field("assignee_id", "int", required=True, low=1), NOTE),
           notify=tell("assigned", "assignee")),
    Action("submit_result", "提交结果", ("community_handling",),
           ("assignee", "community_admin_of_community", "grid_worker_of_grid"), fields=RESULT,
           clocks=(stop("community_handling"), start("verification", "grid_worker")),
           outcomes=(Outcome("awaiting_verification"),),
           notify=tell("result_ready", "grid_worker", "reporter")),
    Action("escalate", "上报街镇", ("community_handling",), ("community_admin_of_community", "system"),
           fields=(Field("reason", "text"),),
           clocks=(stop("community_handling"), start("dispatch", LEVEL_OWNER)),
           outcomes=(Outcome("accepted", level="township"),),
           notify=tell("escalated", LEVEL_OWNER, *RESIDENTS),
           doc="the community cannot handle it, or (system) its limit passed"),
)

WHISTLE = (
    Action("whistle", "吹哨", ("accepted",), (LEVEL_OWNER,),
           fields=(Field("lead_department_id", "int", required=True, low=1),
                   Field("co_department_ids", "ids", max_items=20, default=()),
                   Field("on_site", "bool", default=False), NOTE),
           checks=("whistle_departments",), effect="summon_departments",
           clocks=(stop("dispatch"),) + SUMMON_CLOCKS,
           outcomes=(Outcome("dispatched", "on_site_requested", clocks=ON_SITE_ARRIVAL),
                     Outcome("dispatched")),
           notify=tell("dispatched", "summoned", *RESIDENTS)),
    Action("summon_more", "增派协办", WHISTLED, (LEVEL_OWNER,),
           fields=(Field("co_department_ids", "ids", required=True, max_items=20), NOTE),
           checks=("more_cos_unbound",), effect="summon_more_cos", clocks=SUMMON_CLOCKS,
           outcomes=(Outcome(when="on_site_case", clocks=ON_SITE_ARRIVAL), Outcome()),
           notify=tell("dispatched", "summoned"),
           doc="the hub whistles more co-handlers, or calls back a co-handler whose return it rejects"),
    Action("arbitrate_redispatch", "审定改派", ("returned",), (LEVEL_OWNER,), guards=("lead_returned",),
           fields=(Field("lead_department_id", "int", required=True, low=1), NOTE),
           checks=("new_lead_unbound",), effect="replace_returned_lead",
           clocks=(stop("dispatch"),) + SUMMON_CLOCKS,
           outcomes=(Outcome("dispatched", "on_site_case", clocks=ON_SITE_ARRIVAL),
                     Outcome("dispatched")),
           notify=tell("dispatched", "summoned")),
    Action("arbitrate_uphold", "审定退回", ("returned",), (LEVEL_OWNER,), guards=("lead_returned",),
           fields=(NOTE,), effect="rule_back_returned_lead",
           clocks=(stop("dispatch"),) + SUMMON_CLOCKS,
           outcomes=(Outcome("dispatched", "on_site_case", clocks=ON_SITE_ARRIVAL),
                     Outcome("dispatched")),
           notify=tell("return_refused", "summoned"),
           doc="the return is unfounded: the lead department must take the case"),
)

DEPARTMENTS = (
    Action("sign_in", "报到签收", WHISTLED, ("summoned_staff",), own_summons=("summoned",),
           summons_to="signed_in", clocks=(each_summons("stop", "sign_in"),),
           outcomes=(Outcome("in_progress", "own_summons_is_lead", clocks=(start("handling", "lead"),),
                             notify=tell("in_progress", *RESIDENTS)),
                     Outcome()),
           notify=tell("signed_in", LEVEL_OWNER),
           doc="报到: the lead's sign-in starts handling; co-handlers sign in before or after it"),
    Action("return_case", "退单", WHISTLED, ("summoned_staff",), own_summons=summons.OPEN,
           summons_to="returned",
           fields=(Field("reason", "text", required=True, choices=RETURN_REASONS), NOTE),
           clocks=RELEASE_CLOCKS,
           outcomes=(Outcome("returned", "own_summons_is_lead",
                             clocks=(stop("handling"), start("dispatch", LEVEL_OWNER))),
                     Outcome()),
           notify=tell("returned", LEVEL_OWNER),
           doc="a lead's return awaits the hub's ruling; a co-handler's only marks its summons"),
    Action("arrive", "到场打卡", WHISTLED, ("summoned_staff",), guards=("on_site",),
           own_summons=("signed_in",), summons_to="arrived",
           fields=(Field("lat", "number", required=True, low=-90, high=90),
                   Field("lng", "number", required=True, low=-180, high=180), PHOTOS),
           clocks=(each_summons("stop", "arrival"),), notify=tell("arrived", LEVEL_OWNER),
           doc="到场打卡 on an on-site whistle, by any department that has reported in"),
)

HANDLING = (
    Action("add_note", "办理记录", ("in_progress",), ("lead_staff", "co_staff"),
           fields=(NOTE, Field("photo_ids", "ids", max_items=9)), checks=("note_or_photos",),
           notify=tell("note_added", LEVEL_OWNER)),
    Action("co_opinion", "协办意见", ("in_progress",), ("co_staff",),
           fields=(Field("opinion", "text", required=True),), notify=tell("co_opinion", "lead")),
    Action("request_extension", "申请延期", ("in_progress",), ("lead_staff",),
           guards=("no_extension_pending",), checks=("hours_or_days",),
           fields=(Field("hours", "int", low=1, high=720), Field("days", "int", low=1, high=90), REASON),
           notify=tell("extension_requested", LEVEL_OWNER)),
    Action("approve_extension", "批准延期", ("in_progress",), (LEVEL_OWNER,),
           guards=("extension_pending",), fields=(NOTE,), clocks=(Clock("extend", "handling", "lead"),),
           notify=tell("extension_approved", "lead"),
           doc="the caller extends the handling clock by the pending request's hours or days"),
    Action("deny_extension", "驳回延期", ("in_progress",), (LEVEL_OWNER,),
           guards=("extension_pending",), fields=(REASON,), notify=tell("extension_denied", "lead")),
    Action("park", "挂账", ("in_progress",), (LEVEL_OWNER,), fields=(REASON,),
           clocks=(Clock("pause_all", ALL_KINDS, None),), outcomes=(Outcome("parked"),),
           notify=tell("parked", "lead", *RESIDENTS)),
    Action("resume", "恢复办理", ("parked",), (LEVEL_OWNER,), fields=(NOTE,),
           clocks=(Clock("resume_all", ALL_KINDS, None),), outcomes=(Outcome("in_progress"),),
           notify=tell("resumed", "lead", *RESIDENTS)),
    Action("submit_result", "提交结果", ("in_progress",), ("lead_staff",),
           guards=("lead_arrived_if_on_site",), fields=RESULT,
           clocks=(stop("handling"), start("verification", "grid_worker")),
           outcomes=(Outcome("awaiting_verification"),),
           notify=tell("result_ready", "grid_worker", "reporter"),
           doc="only the lead department closes its handling (主办)"),
)

VERIFICATION = (
    Action("verify_pass", "核查通过", ("awaiting_verification",),
           ("grid_worker_of_grid", "community_admin_of_community"),
           guards=("not_own_result",), fields=(PHOTOS, NOTE), clocks=(stop("verification"),),
           outcomes=(Outcome("closed", "no_resident_to_rate", notify=tell("closed", "supporters")),
                     Outcome("awaiting_rating", clocks=(start("callback", "reporter"),),
                             notify=tell("closed_rate_please", "reporter"))),
           notify=tell("verified", LEVEL_OWNER),
           doc="a patrol, sensor or external case closes here: there is no resident to call back"),
    Action("verify_fail", "核查不通过", ("awaiting_verification",),
           ("grid_worker_of_grid", "community_admin_of_community"),
           guards=("not_own_result",), fields=(REASON, PHOTOS), clocks=(stop("verification"),),
           outcomes=(Outcome("community_handling", "level_is_community",
                             clocks=(start("community_handling", "community"),),
                             counters=(("rework_count", 1),), notify=tell("rework", "assignee")),
                     Outcome("in_progress", clocks=(start("handling", "lead"),),
                             counters=(("rework_count", 1),), notify=tell("rework", "lead"))),
           notify=tell("rework", LEVEL_OWNER), doc="返工: back to whoever handled it"),
    Action("rate", "评价", ("awaiting_rating",), ("reporter",),
           fields=(Field("rating", "text", required=True, choices=RATINGS), Field("comment", "text")),
           clocks=(stop("callback"),),
           outcomes=(Outcome("community_handling", "reopen_in_community", counters=(("reopen_count", 1),),
                             clocks=(start("community_handling", "community"),),
                             notify=tell("reopened", "community", "assignee")),
                     Outcome("accepted", "reopen", counters=(("reopen_count", 1),),
                             effect="release_unsettled",
                             clocks=(start("dispatch", LEVEL_OWNER),) + RELEASE_CLOCKS,
                             notify=tell("reopened", LEVEL_OWNER, "summoned")),
                     Outcome("closed", notify=tell("closed", "supporters") + tell("rated", LEVEL_OWNER))),
           doc="重办: an unsatisfied rating reopens the case while reopen_count < reopen_limit"),
    Action("archive", "自动归档", ("awaiting_rating",), ("system",), clocks=(stop("callback"),),
           outcomes=(Outcome("closed"),), notify=tell("closed", *RESIDENTS),
           doc="the callback limit passed without a rating"),
)

ANYWHERE = (
    Action("escalate_to_county", "上报县级", ("submitted", "accepted", "returned") + WHISTLED,
           ("hub_of_township",), guards=("level_is_township",), fields=(REASON,),
           effect="release_unsettled",
           clocks=(stop("triage"), stop("dispatch"), stop("handling")) + RELEASE_CLOCKS
           + (start("triage", LEVEL_OWNER),),
           outcomes=(Outcome("submitted", level="county"),),
           notify=tell("escalated", "county", "summoned", *RESIDENTS),
           doc="a county item, or what the township cannot coordinate: the county platform triages"),
    Action("rule_unreasonable", "不合理诉求", ("accepted", "returned", "in_progress", "awaiting_rating"),
           (LEVEL_OWNER,), fields=(REASON,), outcomes=(Outcome("unreasonable"),),
           notify=tell("ruled_unreasonable", "reporter", "lead")),
    Action("supervise", "督办", LIVE, ("county_admin",), fields=(Field("note", "text", required=True),),
           notify=tell("supervised", "lead", LEVEL_OWNER)),
)


def _named(*functions):
    return {f.__name__: f for f in functions}


CASE_FLOW = validated(Flow(
    name="case", title="吹哨报到 case flow", initial="submitted", states=STATES,
    actions=TRIAGE + COMMUNITY + WHISTLE + DEPARTMENTS + HANDLING + VERIFICATION + ANYWHERE,
    relations=RELATIONS, level_owners=LEVEL_OWNERS, level_parties=LEVEL_PARTIES,
    clock_kinds=CLOCK_KINDS, parties=PARTIES, audiences=AUDIENCES,
    counters=frozenset({"rework_count", "reopen_count"}),
    summons_statuses=summons.SUMMONS_STATUSES, guards=_named(*GUARDS),
    conditions=_named(*CONDITIONS), checks=_named(*CHECKS), effects=_named(*summons.EFFECTS),
))
