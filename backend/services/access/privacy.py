"""Who may unmask a case's personal data (a reporter's or supporter's phone, a number typed
into its free text): those who must call back, and nobody else.

- the township's hub dispatcher and the county's administrators, always: they dispatch,
  supervise and make the callback (回访) for every case in their area;
- the case's current holder: its assignee, the lead department's staff while summoned, the
  community's administrator while the case is handled at community level, the grid worker
  while it waits for verification on site (属地兜底 stand-ins included: case_relations gives
  them the relation of the level they stand in for).
Co-handlers, followers, grid workers and community administrators who merely see the case in
their area read masked numbers. The platform administrator reveals nothing (三员分立). A
case the viewer may not see answers 404 before this rule is asked.
"""
from __future__ import annotations

from backend.models import Case
from backend.services.access.cases import case_relations
from backend.services.access.viewer import Viewer
from backend.services.errors import Forbidden

ALWAYS = frozenset({"hub_of_township", "county_admin", "assignee", "lead_staff"})


def may_reveal(viewer: Viewer, case: Case, relations: frozenset[str] | None = None) -> bool:
    """Whether the viewer is one of those who must call this case's people back."""
    relations = case_relations(viewer, case) if relations is None else relations
    if relations & ALWAYS:
        return True
    if "community_admin_of_community" in relations and case.level == "community":
        return True
    return "grid_worker_of_grid" in relations and case.state == "awaiting_verification"


def ensure_may_reveal(viewer: Viewer, case: Case) -> frozenset[str]:
    """403 unless the viewer must call back (the case is already known visible); the relations."""
    relations = case_relations(viewer, case)
    if not may_reveal(viewer, case, relations):
        raise Forbidden("only the case's holder, its township's hub and the county may reveal",
                        code="reveal_not_allowed")
    return relations
