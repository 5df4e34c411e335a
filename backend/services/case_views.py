"""What a viewer sees of cases: one case with its timeline, photos, deadlines and
supporters; lists, inboxes and search. Visibility comes from access.case_filter."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (Case, CaseLog, CasePhoto, CaseSupport, Category, Deadline, Summons,
                            User)
from backend.models.people import mask_phone
from backend.services import access, case_actions, clock
from workflows.case_flow import CASE_FLOW

# Relations that handle a case: they may call the reporter back, so they see whole numbers.
HANDLERS = frozenset({"grid_worker_of_grid", "community_admin_of_community", "hub_of_township",
                      "county_admin", "summoned_staff", "assignee"})
OPEN_STATES = tuple(s.name for s in CASE_FLOW.states if not s.terminal)


@dataclass
class PersonRef:
    id: int
    name: str | None
    phone: str | None


@dataclass
class CaseView:
    """A case as one viewer sees it (a face dumps it with CaseDetailSchema)."""
    case: Case
    state_label: str
    reporter: PersonRef | None
    supporters: list[PersonRef]
    timeline: list[dict]
    photos: list[CasePhoto]
    summonses: list[Summons]
    deadlines: list[Deadline]
    actions: list[str]
    relations: list[str] = field(default_factory=list)

    def __getattr__(self, name):
        return getattr(self.case, name)


def _person(user: User | None, whole_phone: bool) -> PersonRef | None:
    if user is None:
        return None
    return PersonRef(user.id, user.name, user.phone if whole_phone else mask_phone(user.phone))


def _timeline(case: Case) -> list[dict]:
    rows = db.session.execute(
        sa.select(CaseLog, User.name).outerjoin(User, User.id == CaseLog.actor_id)
        .where(CaseLog.case_id == case.id).order_by(CaseLog.seq)).all()
    return [{"seq": log.seq, "at": log.at, "action": log.action, "actor": name,
             "actor_role": log.actor_role, "from_state": log.from_state, "to_state": log.to_state,
             "payload": log.payload} for log, name in rows]


def detail(viewer, case_id: int) -> CaseView:
    case = access.get_visible(viewer, Case, case_id)
    relations = access.case_relations(viewer, case)
    handles = bool(relations & HANDLERS) or viewer.is_platform_admin
    # Supporters follow progress; they see no one's identity and no internal notes.
    outsider = not handles and "reporter" not in relations
    show_reporter = not case.anonymous or "reporter" in relations
    reporter = _person(db.session.get(User, case.reporter_id), handles) if (
        case.reporter_id and show_reporter and not outsider) else None
    supporters = [] if outsider else [
        _person(u, handles) for u in db.session.scalars(
            sa.select(User).join(CaseSupport, CaseSupport.user_id == User.id)
            .where(CaseSupport.case_id == case.id).order_by(CaseSupport.created_at))]
    timeline = _timeline(case)
    if outsider:
        timeline = [{**t, "actor": None, "payload": {}} for t in timeline]
    return CaseView(
        case=case, state_label=CASE_FLOW.state(case.state).label, reporter=reporter,
        supporters=supporters, timeline=timeline,
        photos=db.session.scalars(sa.select(CasePhoto).where(CasePhoto.case_id == case.id)
                                  .order_by(CasePhoto.id)).all(),
        summonses=list(case.summonses),
        deadlines=db.session.scalars(sa.select(Deadline).where(Deadline.case_id == case.id)
                                     .order_by(Deadline.id)).all(),
        actions=case_actions.available(viewer, case, relations), relations=sorted(relations))


def actions(viewer, case_id: int) -> dict:
    case = access.get_visible(viewer, Case, case_id)
    return {"case_id": case.id, "version": case.version, "state": case.state,
            "actions": case_actions.available(viewer, case)}


# --- lists -------------------------------------------------------------------------------

QUEUES = ("awaiting_me", "due_soon", "overdue")


def _awaiting(viewer):
    """Cases waiting on this viewer's kind of step (approximates `available` in SQL)."""
    conditions = []
    for role, states, level in (("community_admin", ("submitted", "community_handling"), "community"),
                                ("hub_dispatcher", ("submitted", "accepted", "returned", "parked"), "township"),
                                ("county_admin", ("submitted", "accepted", "returned", "parked"), "county")):
        paths = viewer.paths((role,))
        if paths:
            conditions.append(sa.and_(Case.level == level, Case.state.in_(states),
                                      access.under_any(Case.region_path, paths)))
    hubs = viewer.paths(("hub_dispatcher", "county_admin"))
    if hubs:
        conditions.append(sa.and_(Case.extension_pending.is_not(None),
                                  access.under_any(Case.region_path, hubs)))
    grids = viewer.paths(("grid_worker",))
    if grids:
        conditions.append(sa.and_(Case.state == "awaiting_verification",
                                  access.under_any(Case.region_path, grids)))
    departments = viewer.department_ids()
    if departments:
        conditions.append(sa.select(Summons.id).where(
            Summons.case_id == Case.id, Summons.department_id.in_(departments),
            sa.or_(Summons.status == "summoned",
                   sa.and_(Summons.role == "lead", Case.state == "in_progress"))).exists())
    conditions.append(sa.and_(Case.reporter_id == viewer.user_id, Case.state == "awaiting_rating"))
    return sa.or_(*conditions)


def _deadline_due(before):
    return sa.select(Deadline.id).where(Deadline.case_id == Case.id, Deadline.stopped_at.is_(None),
                                        Deadline.due_at < before).exists()


def search(viewer, filters: dict):
    """A select of visible cases by queue, state, category, grid, department, text."""
    query = access.visible(viewer, Case).order_by(Case.id.desc())
    now = clock.now()
    queue = filters.get("queue")
    if queue == "awaiting_me":
        query = query.where(_awaiting(viewer))
    elif queue == "due_soon":
        query = query.where(_deadline_due(now + timedelta(hours=filters.get("within_hours", 24))),
                            ~_deadline_due(now))
    elif queue == "overdue":
        query = query.where(_deadline_due(now))
    scope = filters.get("scope")
    if scope == "mine":
        query = query.where(Case.reporter_id == viewer.user_id)
    elif scope == "supported":
        query = query.where(Case.id.in_(sa.select(CaseSupport.case_id)
                                        .where(CaseSupport.user_id == viewer.user_id)))
    if filters.get("state"):
        query = query.where(Case.state == filters["state"])
    if filters.get("open"):
        query = query.where(Case.state.in_(OPEN_STATES))
    if filters.get("category_id"):
        category = filters["category_id"]
        query = query.where(Case.category_id.in_(
            sa.select(Category.id).where(sa.or_(Category.id == category, Category.parent_id == category))))
    if filters.get("grid_id"):
        query = query.where(Case.grid_id == filters["grid_id"])
    if filters.get("department_id"):
        query = query.where(Case.id.in_(sa.select(Summons.case_id)
                                        .where(Summons.department_id == filters["department_id"])))
    if filters.get("q"):
        text = filters["q"]
        query = query.where(sa.or_(Case.description.contains(text, autoescape=True),
                                   Case.address.contains(text, autoescape=True)))
    return query
