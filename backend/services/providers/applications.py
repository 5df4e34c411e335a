"""Provider applications and providers: apply, edit, read. Review steps are in
provider_actions, staff in provider_staff, what they offer in offerings."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Photo, Provider, ProviderArea, ProviderDocument, Region
from backend.models.people import mask_phone
from backend.services import access, audit, clock, idempotency
from backend.services.cases import photos
from backend.services.errors import Conflict, Forbidden, Invalid
from backend.services.privacy.texts import value_for
from backend.services.providers import areas, credit_code
from backend.services.providers import log as provider_log
from workflows import definition, engine
from workflows.provider_flow import LEVEL, PROVIDER_FLOW

log = logging.getLogger("shaobao.providers")
# A mobile, or a landline with its area code: a care centre answers on either.
CONTACT_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
# What the applicant may change while the county has it (or asked for more), and what a
# certified provider's staff may change without a new review (not its name, code or kinds).
APPLICANT_FIELDS = {"name", "contact_name", "contact_phone", "categories", "area_region_ids",
                    "licence_photo_ids", "qualification_photo_ids"}
STAFF_FIELDS = {"contact_name", "contact_phone", "area_region_ids"}


@dataclass(frozen=True)
class ProviderView:
    """A provider as one viewer sees it: its areas, documents, timeline and next steps."""
    provider: Provider
    areas: list[Region]
    documents: list[ProviderDocument]
    timeline: list[dict]
    actions: list[str]

    def __getattr__(self, name):
        return getattr(self.provider, name)

    @property
    def contact_phone_masked(self) -> str | None:
        return mask_phone(self.provider.contact_phone)


def snapshot(provider: Provider) -> dict:
    """For the audit trail: phones masked."""
    return {"name": provider.name, "credit_code": provider.credit_code, "status": provider.status,
            "contact_name": provider.contact_name, "contact_phone": mask_phone(provider.contact_phone),
            "categories": list(provider.categories), "sub_mchid": provider.sub_mchid,
            "area_region_ids": [a.region_id for a in provider.areas]}


# --- checking what the applicant sends ----------------------------------------------------

def clean_credit_code(raw: str) -> str:
    try:
        return credit_code.normalise(raw)
    except credit_code.CreditCodeError as bad:
        raise Invalid(str(bad), code="invalid_credit_code", fields={"credit_code": [str(bad)]}) from None


def ensure_code_free(code: str, exclude_id: int | None = None) -> None:
    """One live application or provider per credit code (a rejected one does not count)."""
    clash = db.session.scalar(sa.select(Provider.id).where(
        Provider.credit_code == code, Provider.status != "rejected", Provider.id != (exclude_id or 0)))
    if clash is not None:
        raise Conflict("an application or provider with this credit code already exists",
                       code="duplicate_credit_code", fields={"credit_code": ["already registered"]})


def check_contact_phone(phone: str) -> None:
    if not CONTACT_PHONE.match(phone):
        raise Invalid("a mobile number, or a landline with its area code",
                      fields={"contact_phone": ["not a phone number"]})


def _documents(user_id: int, data: dict) -> list[tuple[Photo, str]]:
    licences = photos.owned(user_id, data.get("licence_photo_ids") or [], "licence_photo_ids")
    if not licences:
        raise Invalid("a photo of the business licence is required",
                      fields={"licence_photo_ids": ["upload the licence first"]})
    quals = photos.owned(user_id, data.get("qualification_photo_ids") or [], "qualification_photo_ids")
    return [(p, "licence") for p in licences] + [(p, "qualification") for p in quals]


def _set_areas(provider: Provider, regions: list[Region]) -> None:
    kept = {a.region_id: a for a in provider.areas}
    provider.areas = [kept.get(r.id) or ProviderArea(region_id=r.id) for r in regions]


def _set_documents(provider: Provider, documents: list[tuple[Photo, str]]) -> None:
    # Rows kept where the photo stays: a new row for a kept photo would be inserted before
    # the old one is deleted, and meet it in the unique (provider, photo) key.
    kept = {d.photo_id: d for d in provider.documents}
    rows = []
    for photo, kind in documents:
        row = kept.pop(photo.id, None) or ProviderDocument(photo_id=photo.id, kind=kind)
        row.kind = kind
        rows.append(row)
    provider.documents = rows


# --- applying ------------------------------------------------------------------------------

def apply(viewer, data: dict) -> tuple[Provider, bool]:
    """An application from any logged-in user; (provider, created). With a client_id, the
    same id again gives the first application back (a phone retries on a bad network)."""
    owner, key = f"user:{viewer.user_id}", data.get("client_id")
    if key:
        stored = idempotency.replay(owner, key, data)
        if stored is not None:
            return db.session.get(Provider, stored["provider_id"]), False
    code = clean_credit_code(data["credit_code"])
    check_contact_phone(data["contact_phone"])
    regions = areas.regions(data["area_region_ids"])
    documents = _documents(viewer.user_id, data)
    ensure_code_free(code)
    provider = Provider(name=data["name"], credit_code=code, contact_name=data["contact_name"],
                        contact_phone=data["contact_phone"], categories=list(data["categories"]),
                        status=PROVIDER_FLOW.initial, applicant_id=viewer.user_id)
    _set_areas(provider, regions)
    _set_documents(provider, documents)
    db.session.add(provider)
    db.session.flush()
    provider_log.append(provider, "apply", viewer.user_id, None, provider.status,
                        {"name": provider.name, "credit_code": code})
    audit.record(viewer.user_id, "provider.apply", provider, None, snapshot(provider), areas.county_path(provider))
    if key and not idempotency.claim(owner, key, data, 201, {"provider_id": provider.id}):
        raise Conflict("the same application is being submitted; reload", code="retry_in_flight")
    log.info("provider apply provider=%s actor=%s phone=%s", provider.id, viewer.user_id,
             mask_phone(provider.contact_phone))
    return provider, True


def _editable(viewer, provider: Provider, fields: set[str]) -> None:
    relations = access.provider_relations(viewer, provider)
    if "applicant" in relations and provider.status in ("applied", "more_requested"):
        allowed = APPLICANT_FIELDS
    elif "provider_staff" in relations and provider.status in ("approved", "suspended"):
        allowed = STAFF_FIELDS
    else:
        raise Forbidden("this provider cannot be edited by you now")
    refused = sorted(fields - allowed)
    if refused:
        raise Forbidden("these fields cannot be changed now: " + ", ".join(refused),
                        fields={f: ["not editable now"] for f in refused})


def _offerings_outside(provider: Provider, regions: list[Region]) -> list[int]:
    """Offerings with an area the new provider areas no longer cover."""
    return areas.offerings_outside(provider.id, [r.path for r in regions])


def _apply_edit(viewer, provider: Provider, data: dict) -> None:
    if "contact_phone" in data:
        check_contact_phone(data["contact_phone"])
    for key in ("name", "contact_name", "contact_phone", "categories"):
        if key in data:
            setattr(provider, key, list(data[key]) if key == "categories" else data[key])
    if "area_region_ids" in data:
        regions = areas.regions(data["area_region_ids"])
        stranded = _offerings_outside(provider, regions)
        if stranded:
            raise Invalid("some offerings are sold outside the new areas: change them first",
                          code="offerings_outside_area", fields={"area_region_ids": [f"offerings {stranded}"]})
        _set_areas(provider, regions)
    if {"licence_photo_ids", "qualification_photo_ids"} & set(data):
        merged = {k: data.get(k, [d.photo_id for d in provider.documents if d.kind == kind])
                  for k, kind in (("licence_photo_ids", "licence"), ("qualification_photo_ids", "qualification"))}
        _set_documents(provider, _documents(provider.applicant_id, merged))


def update(viewer, provider_id: int, data: dict, version: int | None) -> Provider:
    """The applicant edits the application (before approval); the staff edit contact and
    areas of a certified provider. version: what the client read, else a 409."""
    provider = access.get_visible(viewer, Provider, provider_id)
    fields = set(data) - {"version"}
    _editable(viewer, provider, fields)
    if version is not None and version != provider.version:
        raise Conflict("the provider changed since you read it; reload and try again", code="stale")
    before = snapshot(provider)
    _apply_edit(viewer, provider, {k: data[k] for k in fields})
    provider.updated_at = clock.now()  # always an UPDATE, so the version moves with any edit
    db.session.flush()
    after = snapshot(provider)
    if after != before:
        audit.record(viewer.user_id, "provider.update", provider, before, after, areas.county_path(provider))
    log.info("provider update provider=%s fields=%s actor=%s", provider.id, ",".join(sorted(fields)),
             viewer.user_id)
    return provider


# --- reading ---------------------------------------------------------------------------------

def view(viewer, provider: Provider) -> ProviderView:
    relations = access.provider_relations(viewer, provider)
    actions = engine.available(PROVIDER_FLOW, definition.Facts(state=provider.status, level=LEVEL),
                               definition.Actor(viewer.user_id, relations))
    areas = list(db.session.scalars(sa.select(Region).where(
        Region.id.in_([a.region_id for a in provider.areas])).order_by(Region.path)))
    # Notes and reasons go between the applicant and the county: numbers in them masked for
    # all but their author.
    timeline = [{"seq": e.seq, "action": e.action, "actor_id": e.actor_id, "from_state": e.from_state,
                 "to_state": e.to_state, "payload": value_for(viewer.user_id, e.actor_id, e.payload), "at": e.at}
                for e in provider_log.timeline(provider.id)]
    return ProviderView(provider, areas, list(provider.documents), timeline, actions)


def get(viewer, provider_id: int) -> ProviderView:
    return view(viewer, access.get_visible(viewer, Provider, provider_id))


def search(viewer, status: str | None = None, q: str | None = None, mine: bool = False):
    """A select of the providers the viewer may see, newest first; mine: own applications."""
    query = access.visible(viewer, Provider).order_by(Provider.id.desc())
    if mine:
        query = query.where(Provider.applicant_id == viewer.user_id)
    if status:
        query = query.where(Provider.status == status)
    if q:
        query = query.where(sa.or_(Provider.name.icontains(q, autoescape=True),
                                   Provider.credit_code == q.strip().upper()))
    return query

