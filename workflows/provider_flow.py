"""Provider onboarding (认证服务主体) as data: an application is reviewed by the county,
which may ask for more material, approve it (with the WeChat Pay sub-merchant number the
payments go to), or reject it; an approved provider may be suspended and reinstated, or its
certification revoked.

`rejected` is terminal: the decision stays on file with its timeline. A rejected applicant
applies again with a new application (a new timeline); the credit code is unique only among
applications that are not rejected. A suspended provider whose certification is revoked
ends in `rejected` too, so every state can end.

The flow has one level, "county", owned by the county administrators: a provider is
certified once for the county, whichever townships it serves. References the engine cannot
see (the applicant's edits, the sub-merchant number's uniqueness) are the caller's to check.
"""
from __future__ import annotations

from workflows.definition import Action, Context, Field, Flow, Notify, Outcome, State
from workflows.validation import validated

RELATIONS = frozenset({"applicant", "provider_staff", "county_admin"})
LEVEL = "county"
SUB_MCHID_PATTERN = r"^\d{8,12}$"  # WeChat Pay sub-merchant numbers are digits (1900000101)

STATES = (
    State("applied", "待审核", doc="submitted or resubmitted; the county reviews it"),
    State("more_requested", "待补充", doc="the county asked for more material; the applicant edits and resubmits"),
    State("approved", "已认证", doc="certified: its listed offerings appear in the catalogue"),
    State("suspended", "已暂停", doc="certification suspended: its offerings vanish from the catalogue at once"),
    State("rejected", "未通过", terminal=True,
          doc="application rejected or certification revoked; a new application starts afresh"),
)

REASON = Field("reason", "text", required=True)
NOTE = Field("note", "text")


def tell(event: str, *audiences: str) -> tuple[Notify, ...]:
    return tuple(Notify(a, event) for a in audiences)


def to(state: str) -> tuple[Outcome, ...]:
    return (Outcome(state),)


def sub_mchid_is_digits(ctx: Context) -> dict[str, str]:
    """the sub-merchant number is 8 to 12 digits, as WeChat Pay issues them"""
    value = ctx.payload.get("sub_mchid", "")
    return {} if value.isdigit() and 8 <= len(value) <= 12 else {"sub_mchid": "must be 8 to 12 digits"}


ADMIN = ("county_admin",)
ACTIONS = (
    Action("request_more", "要求补充材料", ("applied",), ADMIN, to("more_requested"), fields=(REASON,),
           notify=tell("more_requested", "applicant"),
           doc="the reason tells the applicant what is missing"),
    Action("resubmit", "重新提交", ("more_requested",), ("applicant",), to("applied"), fields=(NOTE,),
           notify=tell("resubmitted", "county"),
           doc="the applicant edits the application and sends it back for review"),
    Action("approve", "审核通过", ("applied",), ADMIN, to("approved"),
           fields=(Field("sub_mchid", "text", required=True), NOTE), checks=("sub_mchid_is_digits",),
           notify=tell("approved", "applicant"),
           doc="the applicant becomes the provider's first staff member (provider_staff)"),
    Action("reject", "驳回", ("applied", "more_requested"), ADMIN, to("rejected"), fields=(REASON,),
           notify=tell("rejected", "applicant")),
    Action("suspend", "暂停", ("approved",), ADMIN, to("suspended"), fields=(REASON,),
           notify=tell("suspended", "provider_staff"),
           doc="offerings leave the catalogue at once (a filter: nothing is unlisted)"),
    Action("reinstate", "恢复", ("suspended",), ADMIN, to("approved"), fields=(NOTE,),
           notify=tell("reinstated", "provider_staff"),
           doc="the offerings that were listed are back in the catalogue"),
    Action("revoke", "撤销认证", ("suspended",), ADMIN, to("rejected"), fields=(REASON,),
           notify=tell("revoked", "provider_staff"),
           doc="ends the certification for good; the entity may apply again"),
)

PROVIDER_FLOW = validated(Flow(
    name="provider", title="服务主体认证 provider onboarding", initial="applied", states=STATES,
    actions=ACTIONS, relations=RELATIONS,
    level_owners={LEVEL: "county_admin"}, level_parties={LEVEL: "county"},
    clock_kinds=frozenset(), parties=frozenset({"county"}),
    audiences=frozenset({"county", "applicant", "provider_staff"}),
    checks={"sub_mchid_is_digits": sub_mchid_is_digits},
))
