"""A reveal: one who must call back asks for a whole number, says why, and the ask is kept in
the audit trail (who, whose, when, why) where the county's administrators read it.

What may be revealed of one case: the reporter's phone (not on an anonymous case: its reporter
chose not to be known to handlers), one supporter's phone, or the case's free text whole
(description, address, form answers and timeline payloads as written). Access decides who
(access.ensure_may_reveal); a case the viewer may not see answers 404 first.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog, CaseSupport, User
from backend.models.people import mask_phone
from backend.services import access, audit
from backend.services.errors import NotFound
from backend.services.privacy.masking import mask_text

log = logging.getLogger("shaobao.privacy")
WHAT = ("reporter_phone", "supporter_phone", "free_text")


def reveal(viewer, case_id: int, what: str, reason: str, user_id: int | None = None) -> dict:
    """The whole value asked for, after recording the reveal; what is one of WHAT, user_id
    names the supporter for supporter_phone."""
    case = access.get_visible(viewer, Case, case_id)
    access.ensure_may_reveal(viewer, case)
    if what == "free_text":
        answer, whose = _free_text(case), None
    else:
        person = _reporter(case) if what == "reporter_phone" else _supporter(case, user_id)
        answer, whose = {"user_id": person.id, "phone": person.phone}, person.id
    audit.record_raw(viewer.user_id, "reveal", "case_file", str(case.id), None,
                     {"what": what, "whose": whose, "reason": mask_text(reason)}, case.region_path)
    log.info("reveal case=%s what=%s whose=%s actor=%s phone=%s", case.id, what, whose, viewer.user_id,
             mask_phone(answer.get("phone")))
    return {"case_id": case.id, "what": what, **answer}


def _reporter(case: Case) -> User:
    user = db.session.get(User, case.reporter_id) if case.reporter_id and not case.anonymous else None
    if user is None:
        raise NotFound("this case has no reporter to reveal", code="no_reporter")
    return user


def _supporter(case: Case, user_id: int | None) -> User:
    user = db.session.scalar(sa.select(User).join(CaseSupport, CaseSupport.user_id == User.id)
                             .where(CaseSupport.case_id == case.id, User.id == (user_id or 0)))
    if user is None:
        raise NotFound(f"user {user_id} does not support this case", code="no_supporter")
    return user


def _free_text(case: Case) -> dict:
    logs = db.session.scalars(sa.select(CaseLog).where(CaseLog.case_id == case.id).order_by(CaseLog.seq))
    return {"description": case.description, "address": case.address, "attributes": case.attributes,
            "timeline": [{"seq": entry.seq, "payload": entry.payload} for entry in logs if entry.payload]}
