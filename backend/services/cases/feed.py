"""What sockets are told about cases: the notice pushed when a case moves, and the replay of
log entries a reconnecting client missed (or the instruction to refetch).

A notice carries no text of the case: ids, its latest log sequence number, state, version
and time. Clients GET the case for the rest, and the GET applies the audience rules. A
replay is the timeline exactly as GET /cases/<id> shows it to that viewer.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog
from backend.services import access
from backend.services.cases import views
from backend.services.errors import NotFound

BASE_FIELDS = ("case_id", "seq", "event", "state", "version", "at")
# extra may say which summons or deadline an event is about, never what anyone wrote.
EXTRA_TEXT_MAX = 64


def latest(case_id: int) -> tuple[int, object]:
    """(seq, at) of the case's latest log entry; (0, None) before the first."""
    row = db.session.execute(sa.select(CaseLog.seq, CaseLog.at).where(CaseLog.case_id == case_id)
                             .order_by(CaseLog.seq.desc()).limit(1)).first()
    return (row.seq, row.at) if row else (0, None)


def _checked_extra(extra: dict | None) -> dict:
    extra = dict(extra or {})
    for key, value in extra.items():
        if key in BASE_FIELDS:
            raise ValueError(f"extra may not override {key!r}")
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise ValueError(f"extra[{key!r}] must be a scalar (ids and codes, not documents)")
        if isinstance(value, str) and len(value) > EXTRA_TEXT_MAX:
            raise ValueError(f"extra[{key!r}] is longer than {EXTRA_TEXT_MAX}: no free text in a push")
    return extra


def notice(case: Case, event: str, extra: dict | None = None) -> dict:
    seq, at = latest(case.id)
    return {"case_id": case.id, "seq": seq, "event": event, "state": case.state,
            "version": case.version, "at": at.isoformat() if at else None, **_checked_extra(extra)}


def resync_one(viewer, case_id: int, last_seq: int, max_entries: int) -> dict:
    """What a client that last saw last_seq of the case should be told.

    status: "up_to_date", "replay" (entries follow), "refetch" (reason: too_far_behind, when
    more than max_entries were missed; ahead, when the client claims a seq the case never had
    — a restored database, a bug — so its copy cannot be trusted) or "not_found" (gone from
    the viewer's reach, or never there: the two look the same)."""
    try:
        case = access.get_visible(viewer, Case, case_id)
    except NotFound:
        return {"case_id": case_id, "status": "not_found"}
    seq, _ = latest(case.id)
    answer = {"case_id": case.id, "seq": seq, "state": case.state, "version": case.version}
    if last_seq > seq:
        return {**answer, "status": "refetch", "reason": "ahead"}
    if seq - last_seq > max_entries:
        return {**answer, "status": "refetch", "reason": "too_far_behind"}
    if seq == last_seq:
        return {**answer, "status": "up_to_date"}
    return {**answer, "status": "replay", "entries": views.timeline_since(viewer, case, last_seq)}
