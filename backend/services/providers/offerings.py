"""What providers offer residents: their staff create, edit, list and unlist offerings;
residents find the listed ones through one catalogue filtered to where they live (统一入口).

The order service calls serves(), orderable() and catalogue(): an offering exists for a
resident only while it is listed, its provider approved, and it serves their region.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import Offering, OfferingArea, OfferingSlot, Provider, Region
from backend.services import access, audit, clock
from backend.services.errors import Conflict, Invalid, NotFound
from backend.services.providers import areas

log = logging.getLogger("shaobao.offerings")
MAX_PRICE_FEN = 10_000_000  # 100,000 yuan: above any home service, below any typo of a zero too many
FIELDS = ("title", "category", "description", "price_fen", "unit", "daily_capacity")


@dataclass(frozen=True)
class OfferingView:
    """An offering with its areas and coming slots (and its provider, for the catalogue)."""
    offering: Offering
    areas: list[Region]
    slots: list[OfferingSlot]

    def __getattr__(self, name):
        return getattr(self.offering, name)


def snapshot(offering: Offering) -> dict:
    return {**{k: getattr(offering, k) for k in FIELDS}, "status": offering.status,
            "area_region_ids": [a.region_id for a in offering.areas]}


def area_paths(offering_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(Region.path).join(OfferingArea, OfferingArea.region_id == Region.id)
                                   .where(OfferingArea.offering_id == offering_id)))


# --- checks ----------------------------------------------------------------------------------

def _check_price(price_fen: int) -> None:
    if not 0 < price_fen <= MAX_PRICE_FEN:
        raise Invalid(f"the price is in fen, from 1 to {MAX_PRICE_FEN}", fields={"price_fen": ["out of range"]})


def _check_category(provider: Provider, category: str) -> None:
    if category not in provider.categories:
        raise Invalid("the provider is not certified for this kind of service", code="category_not_certified",
                      fields={"category": [f"must be one of: {', '.join(provider.categories)}"]})


def _areas_inside(provider: Provider, region_ids: list[int]) -> list[Region]:
    """The regions, each inside one of the provider's areas (the same or below it)."""
    regions = areas.regions(region_ids)
    allowed = areas.provider_paths(provider)
    outside = [r.id for r in regions if not any(r.path.startswith(p) for p in allowed)]
    if outside:
        raise Invalid("an offering is sold only inside the provider's areas", code="area_outside_provider",
                      fields={"area_region_ids": [f"outside the provider's areas: {outside}"]})
    return regions


def _set_areas(offering: Offering, regions: list[Region]) -> None:
    kept = {a.region_id: a for a in offering.areas}
    offering.areas = [kept.get(r.id) or OfferingArea(region_id=r.id) for r in regions]


# --- provider staff: create, edit, list, unlist ---------------------------------------------

def _managed_provider(viewer, provider_id: int) -> Provider:
    provider = access.get_visible(viewer, Provider, provider_id)
    access.ensure_provider_staff(viewer, provider)
    if provider.status not in ("approved", "suspended"):
        raise Conflict("the provider is not certified", code="provider_not_approved")
    return provider


def managed(viewer, offering_id: int) -> Offering:
    """An offering the viewer may change: seen (else 404), and theirs (else 403)."""
    offering = access.get_visible(viewer, Offering, offering_id)
    _managed_provider(viewer, offering.provider_id)
    return offering


def _ensure_version(offering: Offering, version: int | None) -> None:
    if version is not None and version != offering.version:
        raise Conflict("the offering changed since you read it; reload and try again", code="stale")


def _audit(viewer, action: str, offering: Offering, before: dict | None) -> None:
    audit.record(viewer.user_id, action, offering, before, snapshot(offering), areas.county_path(offering.provider))
    log.info("offering %s offering=%s provider=%s status=%s actor=%s", action.split(".")[1], offering.id,
             offering.provider_id, offering.status, viewer.user_id)


def create(viewer, provider_id: int, data: dict) -> Offering:
    """A draft: the staff list it when it is ready. Areas default to the provider's."""
    provider = _managed_provider(viewer, provider_id)
    _check_category(provider, data["category"])
    _check_price(data["price_fen"])
    region_ids = data.get("area_region_ids") or [a.region_id for a in provider.areas]
    offering = Offering(provider=provider, status="draft", **{k: data.get(k) for k in FIELDS if k in data})
    _set_areas(offering, _areas_inside(provider, region_ids))
    db.session.add(offering)
    db.session.flush()
    _audit(viewer, "offering.create", offering, None)
    return offering


def update(viewer, offering_id: int, data: dict, version: int | None) -> Offering:
    offering = managed(viewer, offering_id)
    _ensure_version(offering, version)
    before = snapshot(offering)
    if "category" in data:
        _check_category(offering.provider, data["category"])
    if "price_fen" in data:
        _check_price(data["price_fen"])
    for key in FIELDS:
        if key in data:
            setattr(offering, key, data[key])
    if "area_region_ids" in data:
        _set_areas(offering, _areas_inside(offering.provider, data["area_region_ids"]))
    offering.updated_at = clock.now()  # always an UPDATE, so the version moves
    db.session.flush()
    _audit(viewer, "offering.update", offering, before)
    return offering


def set_listed(viewer, offering_id: int, listed: bool, version: int | None) -> Offering:
    """List (only while the provider is approved) or unlist an offering."""
    offering = managed(viewer, offering_id)
    _ensure_version(offering, version)
    if listed and offering.provider.status != "approved":
        raise Conflict("a suspended provider's offerings cannot be listed", code="provider_not_approved")
    before = snapshot(offering)
    offering.status = "listed" if listed else "unlisted"
    offering.updated_at = clock.now()
    db.session.flush()
    _audit(viewer, "offering.list" if listed else "offering.unlist", offering, before)
    return offering


def search(viewer, provider_id: int | None = None, status: str | None = None):
    """A select of the offerings the viewer may see in the console (any status)."""
    query = access.visible(viewer, Offering).order_by(Offering.id)
    if provider_id is not None:
        query = query.where(Offering.provider_id == provider_id)
    if status:
        query = query.where(Offering.status == status)
    return query


def _upcoming(offering_id: int, bookable_only: bool = False) -> list[OfferingSlot]:
    """Slots that have not started, soonest first; bookable_only: with room left."""
    query = sa.select(OfferingSlot).where(OfferingSlot.offering_id == offering_id,
                                          OfferingSlot.starts_at > clock.now())
    if bookable_only:
        query = query.where(OfferingSlot.booked < OfferingSlot.capacity)
    return list(db.session.scalars(query.order_by(OfferingSlot.starts_at).limit(200)))


def view(offering: Offering, slots: list[OfferingSlot]) -> OfferingView:
    areas = list(db.session.scalars(sa.select(Region).where(
        Region.id.in_([a.region_id for a in offering.areas])).order_by(Region.path)))
    return OfferingView(offering, areas, slots)


def get(viewer, offering_id: int) -> OfferingView:
    offering = access.get_visible(viewer, Offering, offering_id)
    return view(offering, _upcoming(offering.id))


# --- residents: the catalogue, and what the order service asks ---------------------------------

def serves(offering: Offering, region_path: str) -> bool:
    """The region (a materialised path) lies in one of the offering's areas' subtrees."""
    return any(region_path.startswith(p) for p in area_paths(offering.id))


def orderable(offering_id: int, region_path: str) -> Offering:
    """The offering a resident at region_path may order now. NotFound when it does not exist,
    is not listed or its provider is not approved (a resident learns no more than that);
    Invalid("area_not_served") when it is not sold where the resident lives."""
    offering = db.session.scalar(sa.select(Offering).where(Offering.id == offering_id,
                                                           access.catalogue_filter()))
    if offering is None:
        raise NotFound(f"offering {offering_id} not found")
    if not serves(offering, region_path):
        raise Invalid("this service is not offered where you live", code="area_not_served",
                      fields={"region_id": ["outside the service's area"]})
    return offering


def resident_region(region_id: int) -> Region:
    """The region a resident says they live in (any level; public geography)."""
    region = db.session.get(Region, region_id)
    if region is None:
        raise Invalid("unknown region", fields={"region_id": ["unknown region"]})
    return region


def _ancestor_ids(region_path: str) -> list[int]:
    return [int(part) for part in region_path.strip("/").split("/") if part]


def catalogue(viewer, region_path: str, q: str | None = None, category: str | None = None):
    """A select of the offerings a resident at region_path can order: listed, of approved
    providers, sold in an area containing the region; by text (title, description or
    provider name, case-insensitive) and category. The view pages it (web.paging.page).
    The viewer is not consulted: the catalogue is the same for everyone in one place."""
    sold_here = sa.select(OfferingArea.offering_id).where(
        OfferingArea.offering_id == Offering.id, OfferingArea.region_id.in_(_ancestor_ids(region_path))).exists()
    query = (sa.select(Offering).join(Provider, Provider.id == Offering.provider_id)
             .where(access.catalogue_filter(), sold_here).order_by(Offering.id)
             .options(selectinload(Offering.provider)))
    if category:
        query = query.where(Offering.category == category)
    if q and q.strip():
        text = q.strip()
        query = query.where(sa.or_(Offering.title.icontains(text, autoescape=True),
                                   Offering.description.icontains(text, autoescape=True),
                                   Provider.name.icontains(text, autoescape=True)))
    return query


def public(offering_id: int) -> OfferingView:
    """One catalogue offering (any region) with its bookable slots, or NotFound."""
    offering = db.session.scalar(sa.select(Offering).where(Offering.id == offering_id,
                                                           access.catalogue_filter()))
    if offering is None:
        raise NotFound(f"offering {offering_id} not found")
    return view(offering, _upcoming(offering.id, bookable_only=True))
