"""The order flow of the social-services marketplace, as data: a resident orders and pays,
the provider accepts, serves and completes, the resident confirms and rates; cancellation
is free until the provider accepts and costs a share after; disputes go to the county.

Money is the caller's: the engine decides states, the caller turns `refund` outcomes into
refund requests (the amount from the payload or the rules) and a confirmation into a
settlement (分账). `pay`, `expire` and `auto_confirm` are the system's: WeChat Pay's
notification or query, the scheduler's unpaid-order expiry, and its confirmation of a
completed order the resident left unconfirmed.
"""
from __future__ import annotations

from workflows.definition import Action, Actor, Context, Facts, Field, Flow, Notify, Outcome, State
from workflows.validation import validated

RELATIONS = frozenset({"resident", "provider_staff", "county_admin", "system"})
AUDIENCES = frozenset({"resident", "provider", "county"})
LEVEL = "county"   # orders have one level: the county platform referees them

STATES = (
    State("created", "待支付", doc="ordered; WeChat Pay has not confirmed a payment"),
    State("paid", "已支付", doc="paid; the provider has not accepted yet"),
    State("accepted", "已接单", doc="the provider accepted; cancelling now costs a share"),
    State("in_service", "服务中", doc="the provider's staff started the service"),
    State("completed", "待确认", doc="the provider says it is done; the resident confirms or disputes"),
    State("disputed", "纠纷处理", doc="the county administrator rules on a refund"),
    State("confirmed", "已完成", terminal=True, doc="confirmed and rated; the provider is paid (分账)"),
    State("cancelled", "已取消", terminal=True, doc="cancelled; anything paid is refunded by the rules"),
    State("closed", "已关闭", terminal=True, doc="unpaid for 15 minutes: closed at WeChat Pay"),
    State("refunded", "已退款", terminal=True, doc="a dispute ruled for a full refund"),
)


def tell(event: str, *audiences: str) -> tuple[Notify, ...]:
    return tuple(Notify(a, event) for a in audiences)


def full_refund(ctx: Context) -> bool:
    """the ruling refunds everything that is left"""
    return bool(ctx.payload.get("full_refund"))


REASON = Field("reason", "text", required=True)
RATING = (Field("rating", "int", required=True, low=1, high=5), Field("comment", "text"))

ACTIONS = (
    Action("pay", "支付成功", ("created",), ("system",), outcomes=(Outcome("paid"),),
           notify=tell("paid", "resident", "provider"),
           doc="WeChat Pay's notification (or our query) says the order is paid"),
    Action("expire", "超时关闭", ("created",), ("system",), outcomes=(Outcome("closed"),),
           notify=tell("closed", "resident"),
           doc="unpaid after 15 minutes; closed at WeChat Pay after a final query"),
    Action("cancel", "取消订单", ("created", "paid"), ("resident",), fields=(Field("reason", "text"),),
           outcomes=(Outcome("cancelled"),), notify=tell("cancelled", "resident", "provider"),
           doc="free before the provider accepts: whatever was paid is refunded in full"),
    Action("cancel_late", "接单后取消", ("accepted",), ("resident",), fields=(Field("reason", "text"),),
           outcomes=(Outcome("cancelled"),), notify=tell("cancelled", "resident", "provider"),
           doc="after acceptance the rules keep a cancellation fee (ORDER_LATE_CANCEL_FEE_BP)"),
    Action("decline", "拒绝接单", ("paid",), ("provider_staff",), fields=(REASON,),
           outcomes=(Outcome("cancelled"),), notify=tell("declined", "resident"),
           doc="the provider cannot serve it: a full refund"),
    Action("accept", "接单", ("paid",), ("provider_staff",), outcomes=(Outcome("accepted"),),
           notify=tell("accepted", "resident")),
    Action("start", "开始服务", ("accepted",), ("provider_staff",), outcomes=(Outcome("in_service"),),
           notify=tell("started", "resident")),
    Action("complete", "服务完成", ("in_service",), ("provider_staff",), fields=(Field("note", "text"),),
           outcomes=(Outcome("completed"),), notify=tell("completed", "resident")),
    Action("confirm", "确认并评价", ("completed",), ("resident",), fields=RATING,
           outcomes=(Outcome("confirmed"),), notify=tell("confirmed", "provider")),
    Action("auto_confirm", "自动确认", ("completed",), ("system",), outcomes=(Outcome("confirmed"),),
           notify=tell("confirmed", "resident", "provider"),
           doc="the resident neither confirmed nor disputed within ORDER_CONFIRM_DAYS"),
    Action("dispute", "申请纠纷处理", ("accepted", "in_service", "completed"), ("resident",),
           fields=(REASON,), outcomes=(Outcome("disputed"),), notify=tell("disputed", "provider", "county")),
    Action("resolve", "纠纷裁定", ("disputed",), ("county_admin",),
           fields=(Field("full_refund", "bool", default=False),
                   Field("refund_fen", "int", low=0, high=100_000_000, default=0), REASON),
           outcomes=(Outcome("refunded", "full_refund", notify=tell("refunded", "resident", "provider")),
                     Outcome("confirmed", notify=tell("resolved", "resident", "provider"))),
           doc="a full refund ends the order; otherwise a partial refund (maybe 0, never more than is "
               "left: the service checks) and the rest is settled"),
)


def _named(*functions):
    return {f.__name__: f for f in functions}


ORDER_FLOW = validated(Flow(
    name="order", title="Social-services order flow", initial="created", states=STATES,
    actions=ACTIONS, relations=RELATIONS, level_owners={LEVEL: "county_admin"},
    level_parties={LEVEL: "county"}, clock_kinds=frozenset(), parties=frozenset({"county"}),
    audiences=AUDIENCES, conditions=_named(full_refund),
))


def facts(state: str) -> Facts:
    """What the engine needs of an order: its state (the level is fixed)."""
    return Facts(state=state, level=LEVEL)


def actor(user_id: int, relations) -> Actor:
    return Actor(user_id=user_id, relations=frozenset(relations))
