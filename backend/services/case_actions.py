"""Taking an action on a case: ask the flow engine (workflows), then write what it decided —
state, summonses, clocks, the log row, photos and notifications — in one transaction."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import Case, Department, Grant, Summons
from backend.services import access, caselog, clock, deadlines, outbox, photos
from backend.services.errors import Conflict, Forbidden, Invalid, NotFound
from workflows import engine
from workflows.calendar import Limit
from workflows.case_flow import CASE_FLOW

REFUSALS = {"wrong_state": Conflict, "guard": Conflict, "not_allowed": Forbidden,
            "invalid_payload": Invalid, "unknown_action": NotFound}
PHOTO_PURPOSE = {"submit_result": "result", "resolve_on_spot": "result", "verify_pass": "verification",
                 "verify_fail": "verification", "arrive": "arrival", "add_note": "note"}
TERMINAL = {s.name for s in CASE_FLOW.states if s.terminal}


def facts_for(case: Case) -> engine.Facts:
    return engine.Facts(
        state=case.state, level=case.level,
        summonses=tuple(engine.SummonsFacts(s.id, s.department_id, s.role, s.status)
                        for s in case.summonses),
        assignee_id=case.assignee_id, rework_count=case.rework_count,
        reopen_count=case.reopen_count, reopen_limit=current_app.config["REOPEN_LIMIT"],
        extension_pending=case.extension_pending is not None, on_site=case.on_site,
        reporter_kind=case.reporter_kind)


def actor_for(viewer, relations: frozenset[str]) -> engine.Actor:
    return engine.Actor(viewer.user_id, relations, frozenset(viewer.department_ids()))


def available(viewer, case: Case, relations: frozenset[str] | None = None) -> list[str]:
    relations = access.case_relations(viewer, case) if relations is None else relations
    return engine.available(CASE_FLOW, facts_for(case), actor_for(viewer, relations))


def _decide(case, actor, action, payload) -> engine.Decision:
    try:
        return engine.decide(CASE_FLOW, facts_for(case), actor, action, payload)
    except engine.Refused as refusal:
        raise REFUSALS[refusal.code](refusal.message, code=refusal.code,
                                     fields={k: [v] for k, v in refusal.fields.items()}) from None


# --- what the engine cannot know: references into the database ---------------------------

def _check_departments(payload: dict) -> None:
    ids = [payload[k] for k in ("lead_department_id",) if payload.get(k)] + list(
        payload.get("co_department_ids") or [])
    if not ids:
        return
    active = set(db.session.scalars(sa.select(Department.id).where(Department.id.in_(ids),
                                                                   Department.active)))
    for key in ("lead_department_id", "co_department_ids"):
        value = payload.get(key)
        wanted = [value] if isinstance(value, int) else list(value or [])
        if any(d not in active for d in wanted):
            raise Invalid("unknown or inactive department", fields={key: ["unknown or inactive department"]})


def _check_merge(viewer, case: Case, payload: dict) -> None:
    target_id = payload.get("into_case_id")
    if target_id is None:
        return
    target = db.session.scalar(access.visible(viewer, Case).where(Case.id == target_id))
    if target is None or target.id == case.id or target.state in TERMINAL:
        raise Invalid("merge into another live case you can see", fields={"into_case_id": ["not mergeable"]})


def community_path(case: Case) -> str:
    """The case's community subtree: county, township, community ids of its path."""
    return "/" + "/".join(case.region_path.strip("/").split("/")[:3]) + "/"


def _check_assignee(case: Case, payload: dict) -> None:
    if payload.get("assignee_id") is None:
        return
    staff = db.session.scalars(sa.select(Grant).where(
        Grant.user_id == payload["assignee_id"], Grant.role.in_(("grid_worker", "community_admin")))).all()
    if not any((access.grant_path(g) or "").startswith(community_path(case)) for g in staff):
        raise Invalid("assign to a grid worker or staff of this community",
                      fields={"assignee_id": ["not staff here"]})


def _check_references(viewer, case, payload) -> list:
    _check_departments(payload)
    _check_merge(viewer, case, payload)
    _check_assignee(case, payload)
    return photos.owned(viewer.user_id, payload.get("photo_ids") or [])


# --- writing the decision ---------------------------------------------------------------------

def _apply_summonses(case: Case, decision: engine.Decision) -> dict:
    """Create and move summonses; returns the engine's references -> rows."""
    rows: dict = {s.id: s for s in case.summonses}
    lead = decision.payload.get("lead_department_id")
    for ref, status in decision.summons_changes:
        if isinstance(ref, str):
            department_id = int(ref.split(":", 1)[1])
            rows[ref] = Summons(case_id=case.id, department_id=department_id, status=status,
                                role="lead" if department_id == lead else "co", on_site=case.on_site)
            case.summonses.append(rows[ref])
        else:
            rows[ref].status = status
    db.session.flush()
    return rows


def _own_summons(case: Case, viewer, decision) -> Summons | None:
    changed = {ref for ref, _ in decision.summons_changes if isinstance(ref, int)}
    return next((s for s in case.summonses if s.id in changed
                 and s.department_id in viewer.department_ids()), None)


def _record_details(case: Case, viewer, decision: engine.Decision) -> None:
    """The few facts an action leaves on the case row itself."""
    payload, name = decision.payload, decision.action
    if name == "whistle":
        case.on_site = bool(payload.get("on_site"))
    elif name == "assign":
        case.assignee_id = payload["assignee_id"]
    elif name == "request_extension":
        case.extension_pending = {k: payload[k] for k in ("hours", "days") if payload.get(k)}
    elif name in ("approve_extension", "deny_extension"):
        case.extension_pending = None
    elif name == "rate":
        case.rating = payload["rating"]
    elif name == "merge":
        case.merged_into_id = payload["into_case_id"]
    elif name == "supervise":
        case.supervised = True
    own = _own_summons(case, viewer, decision) if viewer is not None else None
    if own is not None and name == "arrive":
        own.arrival_lat, own.arrival_lng = payload["lat"], payload["lng"]
    if own is not None and name == "return_case":
        own.return_reason = payload["reason"]


def _extension_limit(pending: dict) -> Limit:
    return Limit(pending["days"], "work_days") if pending.get("days") else Limit(pending["hours"], "work_hours")


def _apply_clocks(case: Case, decision: engine.Decision, summonses: dict, pending: dict | None) -> None:
    for c in decision.clocks:
        summons = summonses.get(c.summons) if c.summons is not None else None
        if c.op == "start":
            deadlines.start(case, c.kind, c.party, summons)
        elif c.op == "stop":
            deadlines.stop(case, c.kind, summons.id if summons else None)
        elif c.op == "extend" and pending:
            deadlines.extend(case, c.kind, _extension_limit(pending))
        elif c.op == "pause_all":
            deadlines.pause_all(case)
        elif c.op == "resume_all":
            deadlines.resume_all(case)
        elif c.op == "stop_all":
            deadlines.stop_all(case)


def _role(relations: frozenset[str], action: str, state: str, level: str) -> str:
    """The relations the actor acted in (the log's actor_role), e.g. "hub_of_township"."""
    names = {CASE_FLOW.level_owners[level] if who == engine.LEVEL_OWNER else who
             for alternative in CASE_FLOW.action(action, state).who for who in alternative.split("&")}
    return ",".join(sorted(relations & names))


SYSTEM = engine.Actor(0, frozenset({"system"}))


def act(viewer, case_id: int, action: str, payload: dict, version: int | None) -> Case:
    """Take an action as the viewer; viewer None is the scheduler (relation "system").
    version is what the client last read: anything else is a 409, never a silent overwrite."""
    system = viewer is None
    case = db.session.get(Case, case_id) if system else access.get_visible(viewer, Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    if version is not None and version != case.version:
        raise Conflict("the case changed since you read it; reload and try again", code="stale")
    relations = frozenset({"system"}) if system else access.case_relations(viewer, case)
    decision = _decide(case, SYSTEM if system else actor_for(viewer, relations), action, payload)
    attached = [] if system else _check_references(viewer, case, decision.payload)
    pending = case.extension_pending
    from_state, from_level = case.state, case.level
    case.state, case.level = decision.to_state, decision.level
    for counter, step in decision.counters.items():
        setattr(case, counter, getattr(case, counter) + step)
    _record_details(case, viewer, decision)
    if case.state in TERMINAL and case.closed_at is None:
        case.closed_at = clock.now()
    case.updated_at = clock.now()  # always an UPDATE, so the version moves with every action
    summonses = _apply_summonses(case, decision)
    _apply_clocks(case, decision, summonses, pending)
    entry = caselog.append(case, action, None if system else viewer.user_id,
                           "system" if system else _role(relations, action, from_state, from_level),
                           from_state, case.state, decision.payload)
    if attached:
        photos.attach(case.id, attached, PHOTO_PURPOSE.get(action, "note"), viewer.user_id, entry.id)
    for note in decision.notifications:
        outbox.notify(case, note.audience, note.event, action=action)
    return case
