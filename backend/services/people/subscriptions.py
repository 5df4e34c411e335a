"""Subscribe-message acceptances a user holds, per template: the mini-program reports what
the user accepted in wx.requestSubscribeMessage; each message sent uses one."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import SubscribeCredit
from backend.services import clock, dialect, runtime
from backend.services.errors import Invalid

# wx.requestSubscribeMessage answers each template with one of these.
ANSWERS = ("accept", "reject", "ban", "filter")


def templates() -> dict[str, str]:
    """Step -> template id, for the steps that are on (the phone asks for these)."""
    return {step: tid for step, tid in runtime.setting("WECHAT_TEMPLATES").items() if tid}


def record(user_id: int, answers: dict[str, str]) -> dict[str, int]:
    """Count the acceptances in a wx.requestSubscribeMessage result; the counts per step."""
    known = set(templates().values())
    wrong = {tid: ["not one of this service's templates"] for tid in answers if tid not in known}
    wrong.update({tid: [f"must be one of {', '.join(ANSWERS)}"]
                  for tid, answer in answers.items() if answer not in ANSWERS})
    if wrong:
        raise Invalid("the subscription result names unknown templates or answers",
                      fields={f"results.{k}": v for k, v in wrong.items()})
    for template_id, answer in answers.items():
        if answer == "accept":
            _add(user_id, template_id, 1)
    return counts(user_id)


def counts(user_id: int) -> dict[str, int]:
    held = dict(db.session.execute(sa.select(SubscribeCredit.template_id, SubscribeCredit.available)
                                   .where(SubscribeCredit.user_id == user_id)).all())
    return {step: held.get(tid, 0) for step, tid in templates().items()}


def available(user_id: int, template_id: str) -> bool:
    return (db.session.scalar(sa.select(SubscribeCredit.available).where(
        SubscribeCredit.user_id == user_id, SubscribeCredit.template_id == template_id)) or 0) > 0


def use(user_id: int, template_id: str) -> None:
    db.session.execute(sa.update(SubscribeCredit).where(
        SubscribeCredit.user_id == user_id, SubscribeCredit.template_id == template_id,
        SubscribeCredit.available > 0).values(available=SubscribeCredit.available - 1,
                                                updated_at=clock.now()))


def clear(user_id: int, template_id: str) -> None:
    """WeChat says none is left: believe it."""
    db.session.execute(sa.update(SubscribeCredit).where(
        SubscribeCredit.user_id == user_id, SubscribeCredit.template_id == template_id)
        .values(available=0, updated_at=clock.now()))


def _add(user_id: int, template_id: str, count: int) -> None:
    # One statement: two phones of a user reporting at once both count.
    insert = dialect.insert(SubscribeCredit).values(user_id=user_id, template_id=template_id,
                                                    available=count, updated_at=clock.now())
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["user_id", "template_id"],
        set_={"available": SubscribeCredit.available + count, "updated_at": clock.now()}))
