"""Providers and offerings (the marketplace's supply side).

A provider is the county's to certify: county administrators see the providers serving
somewhere in their county; a provider's staff see their own provider; an applicant sees
their own application until it is approved (then their staff grant is the way in, and
taking that grant away must close it). Everyone else meets providers only as the name and
rating beside a listed offering in the catalogue (catalogue_filter)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Photo, Region, User
from backend.models.providers import Offering, Provider, ProviderArea, ProviderDocument
from backend.services.access.cases import photo_filter
from backend.services.access.viewer import Viewer, under_any
from backend.services.errors import Forbidden

APPLICATION_STATES = ("applied", "more_requested", "rejected")


def _serves_in(paths: list[str]):
    """SQL: the provider has an area inside one of the subtrees at paths."""
    return (sa.select(ProviderArea.region_id).join(Region, Region.id == ProviderArea.region_id)
            .where(ProviderArea.provider_id == Provider.id, under_any(Region.path, paths)).exists())


def provider_filter(viewer: Viewer):
    if viewer.is_platform_admin:
        return sa.true()
    return sa.or_(Provider.id.in_(viewer.provider_ids()),
                  sa.and_(Provider.applicant_id == viewer.user_id, Provider.status.in_(APPLICATION_STATES)),
                  _serves_in(viewer.paths(("county_admin",))))


def offering_filter(viewer: Viewer):
    """Offerings (any status) in the console: those of the providers the viewer may see,
    except that an applicant has none to see (offerings belong to certified providers)."""
    if viewer.is_platform_admin:
        return sa.true()
    reach = sa.or_(Provider.id.in_(viewer.provider_ids()), _serves_in(viewer.paths(("county_admin",))))
    return Offering.provider_id.in_(sa.select(Provider.id).where(reach))


def catalogue_filter():
    """What residents may see: listed offerings of approved providers. A filter, not a flag
    written on each offering, so a suspension empties the catalogue in the same commit."""
    return sa.and_(Offering.status == "listed", Offering.provider_id.in_(
        sa.select(Provider.id).where(Provider.status == "approved")))


def provider_photo_filter(viewer: Viewer):
    """Photos as before, and the licence and qualification photos of providers the viewer
    may see: the county reviews what the applicant uploaded."""
    documents = (sa.select(ProviderDocument.photo_id).join(Provider, Provider.id == ProviderDocument.provider_id)
                 .where(provider_filter(viewer)))
    return sa.or_(photo_filter(viewer), Photo.id.in_(documents))


def provider_relations(viewer: Viewer, provider: Provider) -> frozenset[str]:
    """How the viewer stands to a provider, in the onboarding flow's words."""
    relations = set()
    if provider.applicant_id == viewer.user_id:
        relations.add("applicant")
    if provider.id in viewer.provider_ids():
        relations.add("provider_staff")
    area_paths = [a.path for a in db.session.scalars(
        sa.select(Region).join(ProviderArea, ProviderArea.region_id == Region.id)
        .where(ProviderArea.provider_id == provider.id))]
    county = viewer.paths(("county_admin",))
    if viewer.is_platform_admin or any(p.startswith(c) for p in area_paths for c in county):
        relations.add("county_admin")
    return frozenset(relations)


def ensure_provider_staff(viewer: Viewer, provider: Provider) -> None:
    """Offerings and slots are managed by the provider's own staff only: the county
    certifies providers, it does not run their business."""
    if provider.id not in viewer.provider_ids():
        raise Forbidden("only the provider's staff manage its offerings")


def ensure_may_manage_staff(viewer: Viewer, provider: Provider, reading: bool = False) -> None:
    """The provider's staff, or the county that certified it, list, add and remove its staff.
    The platform administrator lists them but hands out no roles (三员分立)."""
    relations = provider_relations(viewer, provider)
    county = "county_admin" in relations and (reading or bool(viewer.paths(("county_admin",))))
    if "provider_staff" not in relations and not county:
        raise Forbidden("only the provider's staff or the county administrator manage its staff")


def provider_staff(provider_id: int) -> list[int]:
    """Active people holding provider_staff for the provider, as they are now."""
    return list(db.session.scalars(sa.select(Grant.user_id).join(User, User.id == Grant.user_id)
                                   .where(Grant.role == "provider_staff", Grant.provider_id == provider_id,
                                          User.active).distinct()))
