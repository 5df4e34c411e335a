"""Intake: cases from residents and grid workers (phones) and from sensors and external
systems (API keys); similar open cases nearby; support (我也遇到) instead of a duplicate."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models import ApiClient, Case, CaseSupport, Category, Region
from backend.services import clock, idempotency, outbox, runtime
from backend.services.cases import actions, content_check, deadlines, photos
from backend.services.cases import log as caselog
from backend.services.catalogue import attributes, categories
from backend.services.errors import Invalid, NotAuthenticated, NotFound
from backend.services.geo import lookup
from workflows.case_flow import CASE_FLOW, LEVEL_PARTIES, LIVE

log = logging.getLogger("shaobao.cases")



def _attributes(category: Category, values: dict | None) -> dict:
    try:
        return attributes.validate(category.fields or [], values)
    except attributes.AttributeErrors as exc:
        raise Invalid("the category's fields are not filled in right", code="invalid_attributes",
                      fields={f"attributes.{k}": v for k, v in exc.fields.items()}) from exc


def create_case(*, category: Category, body: dict, located, reporter_id: int | None,
                reporter_kind: str, channel: str, check: str, api_client_id: int | None = None,
                client_id: str | None = None):
    """A new case in its initial state, with its first log row (both returned) and its
    triage clock."""
    case = Case(category_id=category.id, urgency=category.urgency, description=body["description"],
                address=body.get("address"), attributes=body["attributes"],
                lng=located.lng, lat=located.lat, region_id=located.region_id,
                grid_id=located.region_id if located.level == "grid" else None,
                region_path=located.path,
                reporter_id=reporter_id, reporter_kind=reporter_kind, channel=channel,
                api_client_id=api_client_id, anonymous=body.get("anonymous", False),
                client_id=client_id, state=CASE_FLOW.initial, level=category.level,
                content_check=check, created_at=clock.now(), updated_at=clock.now())
    db.session.add(case)
    db.session.flush()
    entry = caselog.append(case, "submit", reporter_id, reporter_kind, None, case.state,
                           {"category": category.code, "channel": channel})
    deadlines.start(case, "triage", LEVEL_PARTIES[case.level], fresh=True)
    outbox.changed(case, "submit", entry.seq)
    log.info("case created case=%s category=%s channel=%s region=%s", case.id, category.code,
             channel, located.code)
    return case, entry


def _replayed(owner: str, body: dict) -> Case | None:
    """The case a retry with this client_id already created, if any."""
    stored = idempotency.replay(owner, body["client_id"], body)
    return db.session.get(Case, stored["case_id"]) if stored is not None else None


@dataclass(frozen=True)
class Screened:
    """A phone's report read against the database, nothing written: the case a retry already
    filed (WeChat is not asked again), or the text content security is to be asked about."""
    replayed: Case | None
    openid: str | None
    text: str


def screen_from_phone(user, body: dict) -> Screened:
    """Reads only, before WeChat is asked: a retry of a filed report finds its case, and a
    report refused anyway (category, attributes, place, photos, a reused client_id) is
    refused now, so WeChat's quota and time are spent only on one otherwise ready to file."""
    replayed = _replayed(f"user:{user.id}", body)
    if replayed is None:
        _ready(user, body)
    return Screened(replayed, user.openid, content_check.text(body["description"], body.get("address")))


def _ready(user, body: dict):
    """The report's category, its cleaned body, its place and its photos; or the refusal."""
    category = categories.leaf(body["category_id"])
    clean = {**body, "attributes": _attributes(category, body.get("attributes"))}
    located = lookup.locate(body["lng"], body["lat"], body["coord_system"])
    return category, clean, located, photos.owned(user.id, body.get("photo_ids", []))


def submit_from_phone(viewer, user, body: dict, check: str) -> tuple[Case, bool]:
    """A report from the mini-program, filed with the verdict content security gave it
    (asked after screen_from_phone, outside any transaction); (case, created). The same
    client_id again gives the first case back (a phone on a village network retries)."""
    owner = f"user:{user.id}"
    replayed = _replayed(owner, body)
    if replayed is not None:
        return replayed, False   # a resend filed it while WeChat was being asked
    # Checked again: the reads screen_from_phone made are another transaction's.
    category, clean, located, attached = _ready(user, body)
    patrol = "grid_worker" in viewer.roles
    try:
        case, entry = create_case(category=category, body=clean, located=located, reporter_id=user.id,
                                  reporter_kind="grid_worker" if patrol else "resident",
                                  channel="patrol" if patrol else "mini_program", check=check,
                                  client_id=body["client_id"])
        photos.attach(case.id, attached, "report", user.id, entry)
        claimed = idempotency.claim(owner, body["client_id"], body, 201, {"case_id": case.id})
    except IntegrityError as exc:
        if not idempotency.violates(exc, "uq_case_file_reporter_client", "case_file", ("reporter_id", "client_id")):
            raise
        claimed = False  # the case's own (reporter, client_id) key met the racing request's
    if not claimed:
        return _lost_race(owner, body)
    return case, True


def _lost_race(owner: str, body: dict) -> tuple[Case, bool]:
    stored = idempotency.won_by_another(owner, body["client_id"], body, "the report")
    return db.session.get(Case, stored["case_id"]), False


def submit_from_machine(api_key_hash: str, body: dict) -> tuple[Case, bool]:
    """A case from a sensor or an external system (the third channel), marked as such."""
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.key_hash == api_key_hash,
                                                          ApiClient.active))
    if client is None:
        raise NotAuthenticated("unknown or retired API key", code="invalid_api_key")
    owner = f"client:{client.id}"
    replayed = _replayed(owner, body)
    if replayed is not None:
        return replayed, False
    category = categories.leaf(body["category_id"])
    located = lookup.locate(body["lng"], body["lat"], body["coord_system"])
    if not located.path.startswith(db.session.get(Region, client.region_id).path):
        raise Invalid("the location is outside the area this client reports for",
                      fields={"location": ["outside the client's area"]})
    body = {**body, "attributes": _attributes(category, body.get("attributes"))}
    case, _ = create_case(category=category, body=body, located=located, reporter_id=None,
                          reporter_kind=client.kind, channel=client.kind, check="passed",
                          api_client_id=client.id, client_id=body["client_id"])
    if not idempotency.claim(owner, body["client_id"], body, 201, {"case_id": case.id}):
        return _lost_race(owner, body)
    return case, True


# --- similar cases and support ----------------------------------------------------------

@dataclass(frozen=True)
class Nearby:
    id: int
    category: str
    state: str
    created_at: object
    support_count: int
    distance_m: int


def similar(category_id: int, lng: float, lat: float, coord_system: str) -> list[Nearby]:
    """Open cases of the category near the point, nearest first (no personal details)."""
    radius = runtime.setting("SIMILAR_RADIUS_M")
    located = lookup.locate(lng, lat, coord_system)
    dlat = radius / lookup.METRES_PER_DEGREE
    dlng = radius / (lookup.METRES_PER_DEGREE * math.cos(math.radians(located.lat)))
    since = clock.now() - timedelta(days=runtime.setting("SIMILAR_WINDOW_DAYS"))
    # Anonymous reports, and text content security has not cleared, are never offered.
    rows = db.session.scalars(sa.select(Case).where(
        Case.category_id == category_id, Case.state.in_(LIVE), Case.created_at >= since,
        ~Case.anonymous, Case.content_check == "passed",
        Case.lat.between(located.lat - dlat, located.lat + dlat),
        Case.lng.between(located.lng - dlng, located.lng + dlng))).all()
    near = sorted(((lookup.distance_m(located.lng, located.lat, c.lng, c.lat), c) for c in rows),
                  key=lambda pair: pair[0])
    # Distances to the nearest 10 m: enough to recognise, too coarse to triangulate.
    return [Nearby(c.id, categories.reference(c.category_id)["name"], c.state, c.created_at,
                   c.support_count, round(d, -1))
            for d, c in near if d <= radius][:20]


def support(user_id: int, case_id: int, lng: float, lat: float, coord_system: str) -> Case:
    """Follow a similar open case near where one stands; idempotent. Asking for the
    position keeps strangers from walking the case ids."""
    case = db.session.get(Case, case_id)
    if case is None or case.state not in LIVE or case.anonymous or case.content_check != "passed":
        raise NotFound(f"case {case_id} not found")
    located = lookup.locate(lng, lat, coord_system)
    if lookup.distance_m(located.lng, located.lat, case.lng, case.lat) > runtime.setting("SIMILAR_RADIUS_M"):
        raise NotFound(f"case {case_id} not found")
    if case.reporter_id == user_id or db.session.get(CaseSupport, (case.id, user_id)):
        return case
    db.session.add(CaseSupport(case_id=case.id, user_id=user_id))
    actions.update_outside_flow(case.id, support_count=Case.__table__.c.support_count + 1)
    db.session.flush()
    db.session.refresh(case)
    return case
