"""The county's trails: the audit trail of changes and the delivery trail of effects (dead
letters). Each county's administrators read their county's; platform administrators all."""
from __future__ import annotations

import sqlalchemy as sa

from backend.models import AuditEntry, Case, Order, OutboxEffect
from backend.services.access.viewer import Viewer, under_any


def audit_filter(viewer: Viewer):
    """Each county's administrators read the trail of changes made in their county."""
    if viewer.is_platform_admin:
        return sa.true()
    return under_any(AuditEntry.scope_path, viewer.paths(("county_admin",)))


def effect_filter(viewer: Viewer):
    """A county's administrators watch the delivery of effects about their county's cases
    and orders (dead letters: what could not be delivered); platform administrators all."""
    if viewer.is_platform_admin:
        return sa.true()
    paths = viewer.paths(("county_admin",))
    if not paths:
        return sa.false()
    return sa.or_(OutboxEffect.case_id.in_(sa.select(Case.id).where(under_any(Case.region_path, paths))),
                  OutboxEffect.order_id.in_(sa.select(Order.id).where(under_any(Order.region_path, paths))))
