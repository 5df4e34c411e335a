"""Who may see and act on what: decided here and nowhere else.

A viewer's reach comes from their grants. Seeing is expressed as SQL filters, so lists
and fetches by id share one rule; an object outside the filter answers 404, never 403,
so its existence does not leak. Acting needs seeing first, then a role that may act (403).

One import point (`from backend.services import access`), split by kind of object:
viewer (the viewer and its scopes), people (regions, departments, grants, users; who hands
out roles under 三员分立), cases (cases, photos, relations, the owner chain, the anonymity
rule), privacy (who may reveal personal data), rooms (Socket.IO), providers, orders (and
their money, reconciliation runs), trails (audit trail, effects, and what their rows may
say of a person), visibility (the table behind visible and get_visible).
"""
from backend.services.access.cases import (
                                           AREA_RELATIONS,
                                           CASE_AREA_ROLES,
                                           LEVEL_OWNER_RELATION,
                                           OWNER_CHAIN,
                                           case_ancestor_path,
                                           case_filter,
                                           case_relations,
                                           hidden_reporters,
                                           photo_filter,
                                           reporter_hidden,
)
from backend.services.access.orders import (
                                           ensure_finance_viewer,
                                           ensure_money_viewer,
                                           ensure_order_county,
                                           finance_filter,
                                           order_filter,
                                           order_relations,
                                           order_viewers,
                                           reconciliation_filter,
                                           visible_order,
                                           visible_order_books,
)
from backend.services.access.people import (
                                           ADMIN_ROLES,
                                           GRANTABLE,
                                           STAFF_REGION_ROLES,
                                           department_filter,
                                           ensure_county_admin,
                                           ensure_duties_apart,
                                           ensure_may_grant,
                                           ensure_may_manage_user,
                                           ensure_region_admin,
                                           grant_filter,
                                           grant_path,
                                           grant_scope_path,
                                           may_grant,
                                           region_filter,
                                           user_filter,
)
from backend.services.access.privacy import ensure_may_reveal, may_reveal
from backend.services.access.providers import (
                                           APPLICATION_STATES,
                                           catalogue_filter,
                                           ensure_may_manage_staff,
                                           ensure_provider_staff,
                                           offering_filter,
                                           provider_filter,
                                           provider_photo_filter,
                                           provider_relations,
                                           provider_staff,
)
from backend.services.access.rooms import CASE_ROOM_ROLES, case_rooms, grant_room, socket_rooms, user_room
from backend.services.access.trails import (
                                           audit_as_seen,
                                           audit_filter,
                                           effect_filter,
                                           effects_as_seen,
                                           ensure_audit_exporter,
)
from backend.services.access.viewer import Scope, Viewer, grant_scopes, under_any, viewer_for, viewer_from
from backend.services.access.visibility import VISIBILITY, get_visible, visible

__all__ = [
    "ADMIN_ROLES", "APPLICATION_STATES", "AREA_RELATIONS", "CASE_AREA_ROLES", "CASE_ROOM_ROLES", "GRANTABLE",
    "LEVEL_OWNER_RELATION", "OWNER_CHAIN", "STAFF_REGION_ROLES", "Scope", "VISIBILITY", "Viewer", "audit_as_seen",
    "audit_filter", "case_ancestor_path", "case_filter", "case_relations", "case_rooms", "catalogue_filter",
    "department_filter", "effect_filter", "effects_as_seen", "ensure_audit_exporter", "ensure_county_admin",
    "ensure_duties_apart", "ensure_finance_viewer", "ensure_may_grant", "ensure_may_manage_staff",
    "ensure_may_manage_user", "ensure_may_reveal", "ensure_money_viewer", "ensure_order_county",
    "ensure_provider_staff",
    "ensure_region_admin", "finance_filter", "get_visible", "grant_filter", "grant_path", "grant_room",
    "grant_scope_path", "grant_scopes", "hidden_reporters", "may_grant", "may_reveal", "offering_filter",
    "order_filter", "order_relations", "order_viewers", "photo_filter", "provider_filter", "provider_photo_filter",
    "provider_relations", "provider_staff", "reconciliation_filter", "region_filter", "reporter_hidden",
    "socket_rooms", "under_any", "user_filter", "user_room", "viewer_for", "viewer_from", "visible", "visible_order",
    "visible_order_books",
]
