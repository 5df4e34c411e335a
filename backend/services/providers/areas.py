"""Where a provider serves: its areas (a county, township or community each), the county
it is certified in, and the offerings an edit of its areas would leave outside them. Beside
the provider, so applications, offerings and slots check areas without importing each other."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Offering, OfferingArea, Provider, Region
from backend.services.errors import Invalid

AREA_LEVELS = ("county", "township", "community")


def regions(region_ids: list[int], field: str = "area_region_ids") -> list[Region]:
    """The regions, each a county, township or community (a grid is too small to serve)."""
    rows = {r.id: r for r in db.session.scalars(sa.select(Region).where(Region.id.in_(region_ids)))}
    missing = [i for i in region_ids if i not in rows]
    if missing:
        raise Invalid("unknown regions", fields={field: [f"unknown region ids: {missing}"]})
    small = [i for i in region_ids if rows[i].level not in AREA_LEVELS]
    if small:
        raise Invalid("serve a county, township or community", fields={field: [f"not an area: {small}"]})
    return [rows[i] for i in region_ids]


def county_path(provider: Provider) -> str | None:
    """The county the provider is certified in, for the audit trail (its areas' county)."""
    region_id = provider.areas[0].region_id if provider.areas else None
    region = db.session.get(Region, region_id) if region_id else None
    return "/" + region.path.strip("/").split("/")[0] + "/" if region else None


def provider_paths(provider: Provider) -> list[str]:
    return list(db.session.scalars(sa.select(Region.path).where(
        Region.id.in_([a.region_id for a in provider.areas]))))


def offerings_outside(provider_id: int, paths: list[str]) -> list[int]:
    """Ids of the provider's offerings with an area outside the subtrees at paths."""
    rows = db.session.execute(sa.select(OfferingArea.offering_id, Region.path)
                              .join(Region, Region.id == OfferingArea.region_id)
                              .join(Offering, Offering.id == OfferingArea.offering_id)
                              .where(Offering.provider_id == provider_id)).all()
    return sorted({oid for oid, path in rows if not any(path.startswith(p) for p in paths)})
