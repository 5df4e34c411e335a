"""WeChat content security (msg_sec_check v2) on what residents write.

Risky text is refused before the case exists. verdict() only asks WeChat, touching no
database: the report's view asks it with no transaction open (a slow WeChat must hold no
connection, nor SQLite's write lock), then files the case with the verdict. If WeChat cannot
answer, the case is taken anyway (a report is never lost to WeChat being down) and marked
"pending" and checked again later: pending(), then decide() with no transaction open, then
record() (the scheduler's recheck job; `flask cases recheck` by hand).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

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


def reset_back_off() -> None:
    """Try WeChat again at once (after recovery is known, and between tests)."""
    _down_until[0] = 0.0


@dataclass(frozen=True)
class Pending:
    case_id: int
    openid: str | None
    text: str


def pending(limit: int = 100) -> list[Pending]:
    """The cases WeChat could not check at intake, oldest first, as plain values: the
    caller ends its transaction before asking WeChat about them (decide)."""
    rows = db.session.execute(
        sa.select(Case.id, User.openid, Case.description, Case.address)
        .join(User, User.id == Case.reporter_id, isouter=True)
        .where(Case.content_check == "pending").order_by(Case.id).limit(limit)).all()
    return [Pending(case_id, openid, text(description, address))
            for case_id, openid, description, address in rows]


def decide(wechat, cases: list[Pending]) -> dict[int, str]:
    """WeChat's verdict on each case, by case id; touches no database."""
    reset_back_off()
    outcomes = {}
    for case in cases:
        try:
            outcomes[case.case_id] = verdict(wechat, case.openid, case.text) if case.openid else "review"
        except Invalid:
            outcomes[case.case_id] = "review"  # already filed: a person decides, nothing is deleted
    return outcomes


def record(outcomes: dict[int, str]) -> dict[str, int]:
    """Write the verdicts on the cases still pending (a recheck that overlapped this one,
    the scheduler's and `flask cases recheck`, may have written first: its verdict stays);
    the counts of what was written, by outcome."""
    still_pending = Case.__table__.c.content_check == "pending"
    counts = {"passed": 0, "review": 0, "pending": 0}
    for case_id, outcome in outcomes.items():
        # A case still pending stays so: nothing to write.
        if outcome == "pending" or actions.update_outside_flow(case_id, still_pending, content_check=outcome):
            counts[outcome] += 1
    return counts
