"""Taking an action on a case: ask the flow engine (workflows), then write what it decided —
state, summonses, clocks, the log row, photos and notifications — in one transaction."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog, CaseSupport, Department, Grant, Summons
from backend.services import access, clock, outbox, runtime
from backend.services.cases import deadlines, photos
from backend.services.cases import log as caselog
from backend.services.errors import Conflict, Forbidden, Invalid, NotFound
from backend.services.geo import lookup
from workflows import definition, engine
from workflows.calendar import Limit
from workflows.case_flow import CASE_FLOW

log = logging.getLogger("shaobao.cases")
REFUSALS = {"wrong_state": Conflict, "guard": Conflict, "not_allowed": Forbidden,
            "invalid_payload": Invalid, "unknown_action": NotFound}
PHOTO_PURPOSE = {"submit_result": "result", "resolve_on_spot": "result", "verify_pass": "verification",
                 "verify_fail": "verification", "arrive": "arrival", "add_note": "note"}
TERMINAL = {s.name for s in CASE_FLOW.states if s.terminal}  # the complement of case_flow.LIVE


def _result_by(case: Case) -> int | None:
    """Who submitted the result awaiting verification (they may not verify it)."""
    if case.state != "awaiting_verification":
        return None
    return db.session.scalar(sa.select(CaseLog.actor_id).where(
        CaseLog.case_id == case.id, CaseLog.action == "submit_result").order_by(CaseLog.seq.desc()).limit(1))


def facts_for(case: Case) -> definition.Facts:
    return definition.Facts(
        state=case.state, level=case.level,
        summonses=tuple(definition.SummonsFacts(s.id, s.department_id, s.role, s.status)
                        for s in case.summonses),
        assignee_id=case.assignee_id, rework_count=case.rework_count,
        reopen_count=case.reopen_count, reopen_limit=runtime.setting("REOPEN_LIMIT"),
        extension_pending=case.extension_pending is not None, on_site=case.on_site,
        reporter_kind=case.reporter_kind, result_by=_result_by(case))


def actor_for(viewer, relations: frozenset[str]) -> definition.Actor:
    return definition.Actor(viewer.user_id, relations, frozenset(viewer.department_ids()))


def available(viewer, case: Case, relations: frozenset[str] | None = None) -> list[str]:
    relations = access.case_relations(viewer, case) if relations is None else relations
    return engine.available(CASE_FLOW, facts_for(case), actor_for(viewer, relations))


def _decide(case, actor, action, payload) -> definition.Decision:
    try:
        return engine.decide(CASE_FLOW, facts_for(case), actor, action, payload)
    except engine.Refused as refusal:
        raise REFUSALS[refusal.code](refusal.message, code=refusal.code,
                                     fields={k: [v] for k, v in refusal.fields.items()}) from None


# --- what the engine cannot know: references into the database ---------------------------

def _check_departments(viewer, payload: dict) -> None:
    """Summon only active departments the summoner may see (its township's teams and the
    county's departments for a hub): never another county's or township's."""
    ids = [payload[k] for k in ("lead_department_id",) if payload.get(k)] + list(
        payload.get("co_department_ids") or [])
    if not ids:
        return
    active = set(db.session.scalars(access.visible(viewer, Department).with_only_columns(Department.id)
                                    .where(Department.id.in_(ids), Department.active)))
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


def _check_assignee(case: Case, payload: dict) -> None:
    if payload.get("assignee_id") is None:
        return
    staff = db.session.scalars(sa.select(Grant).where(
        Grant.user_id == payload["assignee_id"], Grant.role.in_(("grid_worker", "community_admin")))).all()
    if not any((access.grant_path(g) or "").startswith(access.case_ancestor_path(case, 3)) for g in staff):
        raise Invalid("assign to a grid worker or staff of this community",
                      fields={"assignee_id": ["not staff here"]})


def _check_arrival(case: Case, payload: dict) -> None:
    """An on-site check-in is made on site: within ARRIVAL_RADIUS_M of the case (GCJ-02)."""
    if "lat" not in payload or "lng" not in payload:
        return
    if lookup.distance_m(payload["lng"], payload["lat"], case.lng, case.lat) > runtime.setting("ARRIVAL_RADIUS_M"):
        raise Invalid("the check-in position is too far from the case to count as on site",
                      code="not_on_site", fields={"lat": ["too far from the case"]})


def _check_references(viewer, case, payload) -> list:
    _check_departments(viewer, payload)
    _check_arrival(case, payload)
    _check_merge(viewer, case, payload)
    _check_assignee(case, payload)
    return photos.owned(viewer.user_id, payload.get("photo_ids") or [])


# --- writing the decision ---------------------------------------------------------------------

def _apply_summonses(case: Case, decision: definition.Decision) -> dict:
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


CASE_FACTS = {  # action -> what it leaves on the case row
    "whistle": lambda case, p: setattr(case, "on_site", bool(p.get("on_site"))),
    "assign": lambda case, p: setattr(case, "assignee_id", p["assignee_id"]),
    "request_extension": lambda case, p: setattr(
        case, "extension_pending", {k: p[k] for k in ("hours", "days") if p.get(k)}),
    "rate": lambda case, p: setattr(case, "rating", p["rating"]),
    "merge": lambda case, p: setattr(case, "merged_into_id", p["into_case_id"]),
    "supervise": lambda case, p: setattr(case, "supervised", True),
}


def _record_details(case: Case, viewer, decision: definition.Decision) -> None:
    """The few facts an action leaves on the case row and on the actor's summons."""
    payload, name = decision.payload, decision.action
    if decision.to_state != "in_progress" or name in ("approve_extension", "deny_extension"):
        case.extension_pending = None  # a request dies with the stage it was made in
    if name in CASE_FACTS:
        CASE_FACTS[name](case, payload)
    own = _own_summons(case, viewer, decision) if viewer is not None else None
    if own is not None and name == "arrive":
        own.arrival_lat, own.arrival_lng = payload["lat"], payload["lng"]
    if own is not None and name == "return_case":
        own.return_reason = payload["reason"]


def _extension_limit(pending: dict) -> Limit:
    return Limit(pending["days"], "work_days") if pending.get("days") else Limit(pending["hours"], "work_hours")


def _apply_clocks(case: Case, decision: definition.Decision, summonses: dict, pending: dict | None) -> None:
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
    names = {CASE_FLOW.level_owners[level] if who == definition.LEVEL_OWNER else who
             for alternative in CASE_FLOW.action(action, state).who for who in alternative.split("&")}
    return ",".join(sorted(relations & names))


SYSTEM = definition.Actor(0, frozenset({"system"}))


def update_outside_flow(case_id: int, *conditions, **values) -> bool:
    """Change case columns that are not steps of the flow (a support count, a content
    verdict) in SQL, leaving the version alone: someone acting on the case at that moment
    must not get a 409 for it. Values may be SQL expressions of the case's columns; only
    where the conditions still hold. Whether the case was changed."""
    table = Case.__table__
    result = db.session.execute(sa.update(table).where(table.c.id == case_id, *conditions).values(**values))
    return result.rowcount > 0


def _settle(case: Case) -> None:
    """A case that ended binds no department any more: summonses still open are released
    (their clocks were stopped with the case's)."""
    for summons in case.summonses:
        if summons.status != "released":
            summons.status = "released"


def _merge_into(case: Case, actor_id: int | None) -> None:
    """The duplicate's reporter and supporters follow the case it was merged into, and
    that case's timeline says so."""
    target = db.session.get(Case, case.merged_into_id)
    followers = {s.user_id for s in db.session.scalars(sa.select(CaseSupport).where(CaseSupport.case_id == case.id))}
    followers.add(case.reporter_id)
    existing = set(db.session.scalars(sa.select(CaseSupport.user_id).where(CaseSupport.case_id == target.id)))
    added = [u for u in followers if u and u != target.reporter_id and u not in existing]
    for user_id in added:
        db.session.add(CaseSupport(case_id=target.id, user_id=user_id))
    update_outside_flow(target.id, support_count=Case.__table__.c.support_count + len(added))
    entry = caselog.append(target, "merged_in", actor_id, "merge", target.state, target.state,
                           {"case_id": case.id, "followers_added": len(added)})
    outbox.changed(target, "merged_in", entry.seq)


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
    case.updated_at = clock.now()  # always an UPDATE, so the version moves with every action
    summonses = _apply_summonses(case, decision)
    _apply_clocks(case, decision, summonses, pending)
    actor_id = None if system else viewer.user_id
    if case.state in TERMINAL:
        case.closed_at = case.closed_at or clock.now()
        _settle(case)
    entry = caselog.append(case, action, actor_id,
                           "system" if system else _role(relations, action, from_state, from_level),
                           from_state, case.state, decision.payload)
    if attached:
        photos.attach(case.id, attached, PHOTO_PURPOSE.get(action, "note"), actor_id, entry)
    if action == "merge":
        _merge_into(case, actor_id)
    outbox.changed(case, action, entry.seq)
    for note in decision.notifications:
        outbox.tell(case, note.audience, note.event, action=action)
    log.info("case action case=%s action=%s %s->%s actor=%s", case.id, action, from_state, case.state, actor_id)
    return case
