"""WeChat content security (msg_sec_check v2) on what residents write.

Risky text is refused before the case exists. verdict() only asks WeChat, touching no
database: the report's view asks it with no transaction open (a slow WeChat must hold no
connection, nor SQLite's write lock), then files the case with the verdict. If WeChat cannot
answer, the case is taken anyway (a report is never lost to WeChat being down) and marked
"pending"; recheck() runs the check again later (the scheduler calls it; `flask cases
recheck` by hand).
"""
from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, User
from backend.services.cases import actions
from backend.services.errors import Invalid
from backend.wechat.miniprogram import WeChatError, WeChatUnavailable

log = logging.getLogger("shaobao.content_check")
SCENE_FORUM = 3  # WeChat's scene for user posts read by others
# After WeChat failed, reports skip the check (and are marked pending) for a while instead
# of each waiting out the timeout while the village's phones retry.
BACK_OFF_SECONDS = 30.0
_down_until = [0.0]


def verdict(wechat, openid: str | None, text: str) -> str:
    """"passed", "review" or "pending"; raises Invalid when WeChat calls it risky."""
    if not openid:
        return "passed"  # machines (sensors, external systems) are not screened
    if time.monotonic() < _down_until[0]:
        return "pending"
    try:
        result = wechat.msg_sec_check(openid, text, scene=SCENE_FORUM)
    except WeChatUnavailable:
        _down_until[0] = time.monotonic() + BACK_OFF_SECONDS
        log.warning("content check unavailable; cases are taken and checked later")
        return "pending"
    except WeChatError as exc:
        # Not worth retrying (e.g. an openid WeChat no longer accepts): a person looks.
        log.warning("content check refused the call: errcode=%s", exc.errcode)
        return "review"
    if result["suggest"] == "risky":
        raise Invalid("the text was refused by content security; please rephrase it",
                      code="content_risky", fields={"description": ["refused by content security"]})
    return "review" if result["suggest"] == "review" else "passed"


def text(description: str, address: str | None) -> str:
    """What is checked: the description and the address a resident wrote."""
    return "\n".join(filter(None, [description, address]))


def text_of(case: Case) -> str:
    return text(case.description, case.address)


def reset_back_off() -> None:
    """Try WeChat again at once (after recovery is known, and between tests)."""
    _down_until[0] = 0.0


def recheck(wechat, limit: int = 100) -> dict:
    """Check the cases WeChat could not check at intake; risky ones go to human review."""
    reset_back_off()
    rows = db.session.execute(
        sa.select(Case, User.openid).join(User, User.id == Case.reporter_id, isouter=True)
        .where(Case.content_check == "pending").order_by(Case.id).limit(limit)).all()
    counts = {"passed": 0, "review": 0, "pending": 0}
    for case, openid in rows:
        try:
            outcome = verdict(wechat, openid, text_of(case)) if openid else "review"
        except Invalid:
            outcome = "review"  # already filed: a person decides, nothing is deleted
        actions.update_outside_flow(case.id, content_check=outcome)
        counts[outcome] += 1
    return counts
