"""What a viewer sees of cases: one case with its timeline, photos, deadlines and
supporters; lists, inboxes and search. Visibility comes from access.case_filter."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CaseLog, CasePhoto, CaseSupport, Category, Deadline, Summons, User
from backend.models.people import mask_phone
from backend.services import access, clock
from backend.services.cases import actions as case_actions
from backend.services.privacy.texts import text_for, value_for
from workflows.case_flow import CASE_FLOW, LIVE

# Relations that handle a case: they read its whole timeline. Phones stay masked for them
# too: those who must call back ask for the number (privacy.reveal), and the ask is audited.
HANDLERS = frozenset({"grid_worker_of_grid", "community_admin_of_community", "hub_of_township",
                      "county_admin", "summoned_staff", "assignee"})


@dataclass
class PersonRef:
    id: int
    name: str | None
    phone: str | None


# What a reporter may read of others' steps: the reasons and results addressed to them,
# not the handlers' internal notes, opinions, arbitration or positions.
PUBLIC_PAYLOAD = {"reject": ("reason",), "cancel": ("reason",), "submit_result": ("note",),
                  "resolve_on_spot": ("note",), "rule_unreasonable": ("reason",),
                  "rate": ("rating", "comment"), "merge": ("into_case_id",)}


@dataclass
class CaseView:
    """A case as one viewer sees it (a face dumps it with CaseDetailSchema). A follower
    (supporter) sees the public view: what and how far, nothing personal or internal."""
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
    description: str | None = None
    address: str | None = None
    attributes: dict | None = None
    lng: float | None = None
    lat: float | None = None

    def __getattr__(self, name):
        return getattr(self.case, name)


def _person(user: User | None) -> PersonRef | None:
    if user is None:
        return None
    return PersonRef(user.id, user.name, mask_phone(user.phone))


def _timeline(case: Case, audience: str, viewer_id: int | None, hide_reporter: bool,
              after_seq: int = 0) -> list[dict]:
    """audience: "handler" (everything), "reporter" (public payloads), "follower" (steps only).
    hide_reporter (access.reporter_hidden): the reporter's own steps (report, rate, cancel)
    name nobody. Numbers typed into a payload are masked for all but the entry's author.
    after_seq: only the entries after it (a reconnecting socket's resync)."""
    rows = db.session.execute(
        sa.select(CaseLog, User.name).outerjoin(User, User.id == CaseLog.actor_id)
        .where(CaseLog.case_id == case.id, CaseLog.seq > after_seq).order_by(CaseLog.seq)).all()
    entries = []
    for log, name in rows:
        hidden = hide_reporter and log.actor_id == case.reporter_id
        payload = log.payload
        if audience == "follower":
            payload = {}
        elif audience == "reporter" and log.actor_id != case.reporter_id:
            payload = {k: v for k, v in log.payload.items() if k in PUBLIC_PAYLOAD.get(log.action, ())}
        payload = value_for(viewer_id, log.actor_id, payload)
        entries.append({"seq": log.seq, "at": log.at, "action": log.action,
                        "actor": None if hidden or audience == "follower" else name,
                        "actor_role": log.actor_role, "from_state": log.from_state,
                        "to_state": log.to_state, "payload": payload})
    return entries


def _rows(model, case: Case, order):
    return db.session.scalars(sa.select(model).where(model.case_id == case.id).order_by(order)).all()


def audience(viewer, case: Case, relations: frozenset[str]) -> str:
    """Which timeline the viewer reads: "handler", "reporter" or "follower"."""
    took_part = any(s.department_id in viewer.department_ids() for s in case.summonses)
    handles = bool(relations & HANDLERS) or took_part or viewer.is_platform_admin
    return "handler" if handles else "reporter" if "reporter" in relations else "follower"


def timeline_since(viewer, case: Case, after_seq: int) -> list[dict]:
    """The timeline entries after after_seq, as GET /cases/<id> shows them to this viewer."""
    return _timeline(case, audience(viewer, case, access.case_relations(viewer, case)), viewer.user_id,
                     access.reporter_hidden(viewer, case), after_seq)


def detail(viewer, case_id: int) -> CaseView:
    case = access.get_visible(viewer, Case, case_id)
    relations = access.case_relations(viewer, case)
    reads = audience(viewer, case, relations)
    handles = reads == "handler"
    timeline = _timeline(case, reads, viewer.user_id, access.reporter_hidden(viewer, case))
    view = CaseView(case=case, state_label=CASE_FLOW.state(case.state).label, reporter=None,
                    supporters=[], timeline=timeline, photos=[], summonses=[],
                    deadlines=[], actions=case_actions.available(viewer, case, relations),
                    relations=sorted(relations))
    if reads == "follower":
        return view
    view.description = text_for(viewer.user_id, case.reporter_id, case.description)
    view.address = text_for(viewer.user_id, case.reporter_id, case.address)
    view.attributes = value_for(viewer.user_id, case.reporter_id, case.attributes)
    view.lng, view.lat = case.lng, case.lat
    if case.reporter_id and not access.reporter_hidden(viewer, case):
        view.reporter = _person(db.session.get(User, case.reporter_id))
    if handles:  # supporters are strangers to the reporter: a count is enough there
        view.supporters = [_person(u) for u in db.session.scalars(
            sa.select(User).join(CaseSupport, CaseSupport.user_id == User.id)
            .where(CaseSupport.case_id == case.id).order_by(CaseSupport.created_at))]
    view.photos = _rows(CasePhoto, case, CasePhoto.id)
    view.summonses = list(case.summonses)
    view.deadlines = _rows(Deadline, case, Deadline.id)
    return view


def actions(viewer, case_id: int) -> dict:
    case = access.get_visible(viewer, Case, case_id)
    return {"case_id": case.id, "version": case.version, "state": case.state,
            "actions": case_actions.available(viewer, case)}


# --- lists -------------------------------------------------------------------------------

QUEUES = ("awaiting_me", "due_soon", "overdue")


OWNER_QUEUES = (("community_admin", "community", ("submitted", "community_handling", "awaiting_verification")),
                ("hub_dispatcher", "township", ("submitted", "accepted", "returned", "parked")),
                ("county_admin", "county", ("submitted", "accepted", "returned", "parked")))


def _awaiting(viewer):
    """Cases waiting on this viewer's kind of step: an index-friendly approximation of
    case_actions.available for inboxes (the case page lists the exact actions)."""
    conditions = []
    for role, level, states in OWNER_QUEUES:
        paths = viewer.paths((role,))
        if paths:
            area = access.under_any(Case.region_path, paths)
            conditions.append(sa.and_(Case.level == level, area, sa.or_(
                Case.state.in_(states),
                sa.and_(Case.state == "in_progress", Case.extension_pending.is_not(None)))))
    grids = viewer.paths(("grid_worker",))
    if grids:
        conditions.append(sa.and_(Case.state == "awaiting_verification",
                                  access.under_any(Case.region_path, grids)))
    departments = viewer.department_ids()
    if departments:
        conditions.append(sa.and_(Case.state.in_(("dispatched", "in_progress")), sa.select(Summons.id).where(
            Summons.case_id == Case.id, Summons.department_id.in_(departments),
            sa.or_(Summons.status == "summoned",
                   sa.and_(Summons.role == "lead", Case.state == "in_progress"))).exists()))
    conditions.append(sa.and_(Case.reporter_id == viewer.user_id, Case.state == "awaiting_rating"))
    return sa.or_(*conditions)


def _deadline_due(before):
    return sa.select(Deadline.id).where(Deadline.case_id == Case.id, Deadline.stopped_at.is_(None),
                                        Deadline.due_at < before).exists()


@dataclass
class Summary:
    """A case in a list as one viewer reads it: a followed case without what only its people
    may read; numbers in its text masked for all but its reporter."""
    case: Case
    description: str | None = None
    address: str | None = None
    lng: float | None = None
    lat: float | None = None

    def __getattr__(self, name):
        return getattr(self.case, name)


def summaries(viewer, rows: list[Case]) -> list:
    """A page of cases for the list schema; cases the viewer only follows, publicly."""
    ids = [c.id for c in rows]
    full = set(db.session.scalars(sa.select(Case.id).where(
        Case.id.in_(ids), access.case_filter(viewer, followed=False)))) if ids else set()
    return [Summary(c, text_for(viewer.user_id, c.reporter_id, c.description),
                    text_for(viewer.user_id, c.reporter_id, c.address), c.lng, c.lat)
            if c.id in full else Summary(c) for c in rows]


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
        query = query.where(Case.state.in_(LIVE))
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
        query = _text_search(viewer, query, filters["q"])
    return query


def _text_search(viewer, query, text: str):
    """Only over text the viewer reads: a followed case's text answering a search would
    give it away (numbers in it included) one guess at a time."""
    query = query.where(access.case_filter(viewer, followed=False),
                        sa.or_(Case.description.contains(text, autoescape=True),
                               Case.address.contains(text, autoescape=True)))
    if any(ch.isdigit() for ch in text):
        query = query.where(Case.id.in_(_found_as_read(viewer, query, text)))
    return query


def _found_as_read(viewer, query, text: str) -> list[int]:
    """Of the cases whose stored text holds text (digits in it), those whose text as the
    viewer reads it (numbers masked, privacy.texts) holds it too: otherwise a search would
    unmask a number one guessed digit at a time, without a reveal or its audit row."""
    rows = db.session.execute(query.with_only_columns(Case.id, Case.reporter_id, Case.description,
                                                      Case.address).order_by(None)).all()
    return [case_id for case_id, reporter_id, description, address in rows
            if any(text in (text_for(viewer.user_id, reporter_id, part) or "") for part in (description, address))]
