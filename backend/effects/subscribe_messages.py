"""WeChat subscribe messages to residents at their steps (accepted, dispatched, result
ready, closed - please rate: which steps reach whom is services/audiences.py's table).

WeChat allows one message per acceptance the user gave in wx.requestSubscribeMessage. The
mini-program reports what the user accepted (services/people/subscriptions.py keeps the
count); a message without an acceptance is not sent (WeChat would answer 43101), and a 43101
is final: the count WeChat keeps is the one that counts, so ours drops to zero.
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.effects.outcomes import Final, Retry
from backend.extensions import db
from backend.models import Case, OutboxEffect, User
from backend.services import clock, runtime
from backend.services.catalogue import categories
from backend.services.people import subscriptions
from backend.wechat.miniprogram import WeChatError, WeChatUnavailable

log = logging.getLogger("shaobao.subscribe_messages")
ZONE = ZoneInfo("Asia/Shanghai")
NO_SUBSCRIPTION = 43101
# Today's quota is spent: tomorrow it is back, so this is a retry, not a failure.
DAILY_QUOTA_REACHED = 45009
# What the resident reads at each step (a "phrase" field: at most 5 Chinese characters).
STEP_PHRASES = {"accepted": "已受理", "dispatched": "已派单", "result_ready": "已处理", "closed": "请评价"}


def deliver(effect: OutboxEffect) -> None:
    step = effect.payload["step"]
    case = db.session.get(Case, effect.case_id)
    send(effect, step, lambda: message_data(case, step, effect.created_at), f"pages/case/detail?id={case.id}")


def send(effect: OutboxEffect, step: str, data, page: str) -> None:
    """Send the step's template to the effect's recipient if they accepted one; data() gives
    the template's fields (asked only when the message will be sent)."""
    template_id = runtime.setting("WECHAT_TEMPLATES").get(step)
    if not template_id:
        raise Final("skipped", f"no template configured for step {step}")
    user = db.session.get(User, effect.recipient_id)
    if user is None or not user.openid:
        raise Final("skipped", "the recipient has no WeChat account")
    if not subscriptions.available(user.id, template_id):
        raise Final("skipped", "no subscription left for this template")
    try:
        runtime.wechat().send_subscribe_message(user.openid, template_id, data(),
                                                                        page=page)
    except WeChatUnavailable as exc:
        raise Retry(str(exc)) from None
    except WeChatError as exc:
        _refused(user.id, template_id, exc)
    subscriptions.use(user.id, template_id)  # committed with the effect's outcome


def _refused(user_id: int, template_id: str, exc: WeChatError):
    if exc.errcode == DAILY_QUOTA_REACHED:
        raise Retry(str(exc), after=_tomorrow())
    if exc.errcode == NO_SUBSCRIPTION:
        subscriptions.clear(user_id, template_id)  # committed with the effect's outcome
        raise Final("refused", str(exc))
    # Template or data refused (40037, 47003...): a configuration or a bug; a person looks.
    raise Final("dead", str(exc))


def _tomorrow() -> datetime:
    """WeChat's daily quota starts again at midnight, China time."""
    today = clock.now().astimezone(ZONE).date()
    return datetime.combine(today + timedelta(days=1), time(0, 5), tzinfo=ZONE)


def message_data(case: Case, step: str, moment: datetime) -> dict:
    """The template's fields: case number, category, what happened, when it happened."""
    moment = moment.astimezone(ZONE)
    return {"character_string1": {"value": f"C{case.id}"},
            "thing2": {"value": categories.reference(case.category_id)["name"][:20]},
            "phrase3": {"value": STEP_PHRASES[step]},
            "time4": {"value": moment.strftime("%Y-%m-%d %H:%M")}}
