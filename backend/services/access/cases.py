"""Cases and their photos: which a viewer sees, and how the viewer stands to one case in
the case flow's words (its relations), the owner chain (属地兜底) included."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Case, CasePhoto, CaseSupport, Grant, Photo, PhotoOwner, Region, Summons
from backend.services.access.viewer import Viewer, under_any
from workflows.summons import OPEN as SUMMONS_ACTIVE

CASE_AREA_ROLES = ("grid_worker", "community_admin", "hub_dispatcher", "county_admin")


def case_filter(viewer: Viewer, followed: bool = True):
    """One's own reports and (followed) the cases one supports (我也遇到: a supporter sees
    only its public view, cases.views decides what); staff the cases in their area (grid,
    community, township, county); department staff the cases their department was
    summoned to, whatever became of that summons (they keep the history they took part in)."""
    if viewer.is_platform_admin:
        return sa.true()
    summoned = sa.select(Summons.id).where(Summons.case_id == Case.id,
                                           Summons.department_id.in_(viewer.department_ids())).exists()
    ways = [Case.reporter_id == viewer.user_id, summoned,
            under_any(Case.region_path, viewer.paths(CASE_AREA_ROLES))]
    if followed:
        ways.append(sa.select(CaseSupport.case_id).where(
            CaseSupport.case_id == Case.id, CaseSupport.user_id == viewer.user_id).exists())
    return sa.or_(*ways)


def reporter_hidden(viewer: Viewer, case: Case) -> bool:
    """The anonymity rule: an anonymous report names its reporter to nobody but the
    reporter (not its handlers, not the county, not the platform or the auditor). Every view
    that joins a person to a case asks here: the case and its timeline, the outbox, the
    audit trail (and pushes carry no person at all)."""
    return bool(case.anonymous) and case.reporter_id is not None and case.reporter_id != viewer.user_id


def hidden_reporters(viewer: Viewer, case_ids) -> dict[int, int]:
    """reporter_hidden for many cases in one query: case id -> the reporter the viewer may
    not be told of, for each of case_ids whose reporter the rule hides."""
    ids = {int(i) for i in case_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Case.id, Case.reporter_id).where(
        Case.id.in_(ids), Case.anonymous, Case.reporter_id.is_not(None), Case.reporter_id != viewer.user_id))
    return dict(rows.all())


def photo_filter(viewer: Viewer):
    """A photo one uploaded, or one attached to a case one may see in full (not merely follow)."""
    if viewer.is_platform_admin:
        return sa.true()
    owned = sa.select(PhotoOwner.photo_id).where(PhotoOwner.photo_id == Photo.id,
                                                 PhotoOwner.user_id == viewer.user_id).exists()
    on_visible_case = (sa.select(CasePhoto.id).join(Case, Case.id == CasePhoto.case_id)
                       .where(CasePhoto.photo_id == Photo.id, case_filter(viewer, followed=False)).exists())
    return sa.or_(owned, on_visible_case)


AREA_RELATIONS = (("grid_worker", "grid_worker_of_grid"),
                  ("community_admin", "community_admin_of_community"),
                  ("hub_dispatcher", "hub_of_township"), ("county_admin", "county_admin"))


def case_ancestor_path(case: Case, depth: int) -> str:
    """The path of the case's ancestor at depth (1 county, 2 township, 3 community)."""
    return "/" + "/".join(case.region_path.strip("/").split("/")[:depth]) + "/"


def _unstaffed(role: str, path: str) -> bool:
    """Nobody holds role right at this region (a village without its admin...)."""
    return db.session.scalar(sa.select(Grant.id).join(Region, Grant.region_id == Region.id)
                             .where(Grant.role == role, Region.path == path).limit(1)) is None


# Who owns each level, nearest first: if the nearer ones are unstaffed, the next acts (属地兜底).
OWNER_CHAIN = {"community": (("community_admin", 3), ("hub_dispatcher", 2), ("county_admin", 1)),
               "township": (("hub_dispatcher", 2), ("county_admin", 1)), "county": (("county_admin", 1),)}
LEVEL_OWNER_RELATION = {"community": "community_admin_of_community", "township": "hub_of_township",
                        "county": "county_admin"}


def _fallbacks(viewer: Viewer, case: Case, relations: set[str]) -> set[str]:
    """属地兜底: where a level has nobody to act, the nearest staffed level above acts in its
    place (a hub for a village without its admin, the county for a township without a hub);
    a community admin verifies in a grid without a grid worker."""
    extra = set()
    for position, (role, depth) in enumerate(OWNER_CHAIN[case.level]):
        if position and any(case_ancestor_path(case, depth).startswith(p) for p in viewer.paths((role,))):
            if all(_unstaffed(r, case_ancestor_path(case, d)) for r, d in OWNER_CHAIN[case.level][:position]):
                extra.add(LEVEL_OWNER_RELATION[case.level])
            break
    if ("grid_worker_of_grid" not in relations and "community_admin_of_community" in relations | extra
            and (case.grid_id is None or _unstaffed("grid_worker", case.region_path))):
        extra.add("grid_worker_of_grid")
    return extra


def case_relations(viewer: Viewer, case: Case) -> frozenset[str]:
    """How the viewer stands to a case, in the flow engine's words (workflows.case_flow)."""
    relations = set()
    if case.reporter_id == viewer.user_id:
        relations.add("reporter")
    if case.assignee_id == viewer.user_id:
        relations.add("assignee")
    for role, relation in AREA_RELATIONS:
        if any(case.region_path.startswith(p) for p in viewer.paths((role,))):
            relations.add(relation)
    staffed = set(viewer.department_ids())
    for summons in case.summonses:
        if summons.department_id in staffed and summons.status in SUMMONS_ACTIVE:
            relations.add("summoned_staff")
            relations.add("lead_staff" if summons.role == "lead" else "co_staff")
    return frozenset(relations | _fallbacks(viewer, case, relations))
