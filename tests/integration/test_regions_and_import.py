"""The region tree through the console: create, edit, delete, import grids, audit."""
from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, Region
from tests.integration.geo_fixtures import TWO_GRIDS, build_test_county, grid_feature, square


@pytest.fixture()
def platform(as_user):
    return as_user("demo-platform-admin")


@pytest.fixture()
def tree(platform):
    return build_test_county(platform)


def import_grids(platform, community_id, collection, **query):
    suffix = "?update_existing=true" if query.get("update_existing") else ""
    return platform.post(f"/api/console/regions/{community_id}/grids/import{suffix}", json=collection)


def region_count(prefix="990101"):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Region)
                             .where(Region.code.startswith(prefix)))


def test_tree_and_detail(platform, tree):
    detail = platform.get(f"/api/console/regions/{tree['community']}").json
    assert [a["code"] for a in detail["ancestors"]] == ["990101", "990101001"]
    assert detail["geometry"]["type"] == "Polygon"
    children = platform.get(f"/api/console/regions?parent_id={tree['county']}").json
    assert [c["code"] for c in children] == ["990101001"]


def test_import_grids_writes_them_all_and_audits(platform, tree):
    response = import_grids(platform, tree["community"], TWO_GRIDS)
    assert response.status_code == 201, response.json
    assert [g["code"] for g in response.json] == ["990101001001001", "990101001001002"]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "region.import")).all()
    assert len(audit) == 2 and all(a.before is None and a.after["level"] == "grid" for a in audit)
    assert all(a.actor_id is not None for a in audit)


def test_locate_sees_imported_grids_at_once(platform, tree, as_user):
    resident = as_user("demo-resident-1")
    before = resident.get("/api/mp/locate?lng=100.01&lat=30.01&coord_system=gcj02").json
    assert before["region"]["code"] == "990101001001" and before["grid"] is None
    import_grids(platform, tree["community"], TWO_GRIDS)
    after = resident.get("/api/mp/locate?lng=100.01&lat=30.01&coord_system=gcj02").json
    assert after["grid"]["code"] == "990101001001001"
    assert [p["code"] for p in after["path"]] == ["990101", "990101001", "990101001001", "990101001001001"]


@pytest.mark.parametrize("mutate, field, code", [
    (lambda fc: fc["features"][0]["geometry"]["coordinates"][0].pop(), "features.0.geometry", "closed"),
    (lambda fc: fc["features"][1]["geometry"].update(coordinates=[[[100.03, 30], [100.05, 30.05],
                                                                   [100.05, 30], [100.03, 30.05],
                                                                   [100.03, 30]]]),
     "features.1.geometry", "Self-intersection"),
    (lambda fc: fc["features"][1].update(geometry=square(100.02, 30, 100.05, 30.05)),
     "features.1.geometry", "overlaps 990101001001001"),
    (lambda fc: fc["features"][1].update(geometry=square(100.025, 30, 100.06, 30.05)),
     "features.1.geometry", "reaches outside 试验社区"),
    (lambda fc: fc["features"][1]["properties"].update(code="990101001001001"),
     "features.1.properties.code", "repeated"),
    (lambda fc: fc["features"][1]["properties"].update(code="990101002001002"),
     "features.1.properties.code", "must start with 990101001001"),
])
def test_one_bad_feature_refuses_the_whole_file(platform, tree, mutate, field, code):
    collection = copy.deepcopy(TWO_GRIDS)
    mutate(collection)
    response = import_grids(platform, tree["community"], collection)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_import"
    problems = response.json["error"]["fields"]
    assert field in problems, problems
    assert any(code in message for message in problems[field]), problems
    assert region_count() == 3


@pytest.mark.parametrize("mutate, field", [
    (lambda fc: fc["features"][0]["properties"].pop("name"), "features.0.properties.name"),
    (lambda fc: fc["features"][0]["properties"].update(code=["x"]), "features.0.properties.code"),
    (lambda fc: fc["features"][1]["properties"].update(owner={"a": 1}), "features.1.properties.owner"),
    (lambda fc: fc["features"][1]["properties"].update(name="长" * 65), "features.1.properties.name"),
    (lambda fc: fc["features"][1].update(type="Point"), "features.1.type"),
    (lambda fc: fc.update(features=[]), "features"),
])
def test_malformed_features_are_422_per_field(platform, tree, mutate, field):
    collection = copy.deepcopy(TWO_GRIDS)
    mutate(collection)
    for update_existing in (False, True):
        response = import_grids(platform, tree["community"], collection, update_existing=update_existing)
        assert response.status_code == 422, response.json
        assert field in response.json["error"]["fields"], response.json
    assert region_count() == 3


def test_stored_geometry_is_normalised(platform, tree):
    collection = copy.deepcopy(TWO_GRIDS)
    collection["features"][0]["geometry"]["junk"] = "ignored"
    collection["features"][0]["id"] = "foreign member"
    assert import_grids(platform, tree["community"], collection).status_code == 201
    grid = db.session.scalar(sa.select(Region).where(Region.code == "990101001001001"))
    assert set(grid.geometry) == {"type", "coordinates"}


def test_an_overlap_within_tolerance_is_accepted(platform, tree):
    collection = copy.deepcopy(TWO_GRIDS)
    # A 1e-9 degree sliver along a 5.5 km edge (about 0.6 m2, a digitising error) stays
    # under the 1 m2 tolerance; 1e-7 (about 60 m2) would not.
    collection["features"][1]["geometry"] = square(100.024999999, 30, 100.05, 30.05)
    assert import_grids(platform, tree["community"], collection).status_code == 201


def test_duplicate_codes_against_existing_grids(platform, tree):
    assert import_grids(platform, tree["community"], TWO_GRIDS).status_code == 201
    again = import_grids(platform, tree["community"], TWO_GRIDS)
    assert again.status_code == 422
    assert "features.0.properties.code" in again.json["error"]["fields"]
    assert region_count() == 5


def test_update_existing_replaces_geometry(platform, tree):
    import_grids(platform, tree["community"], TWO_GRIDS)
    moved = {"type": "FeatureCollection", "features": [
        grid_feature("990101001001001", "试验社区一网格", square(100, 30, 100.03, 30.05)),
        grid_feature("990101001001002", "试验社区二网格", square(100.03, 30, 100.05, 30.05))]}
    response = import_grids(platform, tree["community"], moved, update_existing=True)
    assert response.status_code == 201, response.json
    assert region_count() == 5
    grid = db.session.scalar(sa.select(Region).where(Region.code == "990101001001001"))
    assert grid.name == "试验社区一网格"
    assert grid.geometry["coordinates"][0][1] == [100.03, 30]


def test_import_target_must_be_a_community(platform, tree):
    response = import_grids(platform, tree["township"], TWO_GRIDS)
    assert response.status_code == 422
    assert "region_id" in response.json["error"]["fields"]


@pytest.mark.parametrize("body, status, field", [
    ({"code": "990101002", "name": "二镇", "level": "township"}, 422, "parent_id"),
    ({"code": "99010100", "name": "二镇", "level": "township", "parent": "county"}, 422, "code"),
    ({"code": "990102002", "name": "二镇", "level": "township", "parent": "county"}, 422, "code"),
    ({"code": "990101001", "name": "重复", "level": "township", "parent": "county"}, 409, "code"),
    ({"code": "990101002", "name": "二镇", "level": "community", "parent": "county"}, 422, "parent_id"),
    ({"code": "990101002", "name": "二镇", "level": "township", "kind": "village", "parent": "county"},
     422, "kind"),
    ({"code": "990101002", "name": "二镇", "level": "township", "parent": "county",
      "geometry": square(100.04, 30, 100.1, 30.1)}, 422, "geometry"),
    ({"code": "990101002", "name": "", "level": "township", "parent": "county"}, 422, "name"),
    ({"code": "990101002", "name": "二镇", "level": "town", "parent": "county"}, 422, "level"),
])
def test_region_create_is_validated(platform, tree, body, status, field):
    body = dict(body)
    if body.pop("parent", None):
        body["parent_id"] = tree["county"]
    response = platform.post("/api/console/regions", json=body)
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"]
    assert region_count() == 3


def test_unknown_parent_is_404(platform):
    response = platform.post("/api/console/regions", json={
        "code": "990101002", "name": "二镇", "level": "township", "parent_id": 987654})
    assert response.status_code == 404


def test_update_audits_before_and_after(platform, tree, as_user):
    response = platform.patch(f"/api/console/regions/{tree['township']}", json={"name": "新试验镇"})
    assert response.status_code == 200 and response.json["name"] == "新试验镇"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "region.update"))
    assert entry.before["name"] == "试验镇" and entry.after["name"] == "新试验镇"
    # The platform administrator's acts are read by the audit administrator (三员分立).
    trail = as_user("demo-audit-admin").get(
        f"/api/console/audit?object_type=region&object_id={tree['township']}").json
    assert [t["action"] for t in trail] == ["region.update", "region.create"]


def test_delete_refuses_a_region_in_use(platform, tree):
    response = platform.delete(f"/api/console/regions/{tree['township']}")
    assert response.status_code == 409 and response.json["error"]["code"] == "region_in_use"
    assert platform.delete(f"/api/console/regions/{tree['community']}").status_code == 204
    assert region_count() == 2


def test_only_county_admins_shape_the_tree(as_user):
    hub = as_user("demo-hub-dispatcher-1")
    township = hub.get("/api/console/regions?level=township").json[0]
    response = hub.patch(f"/api/console/regions/{township['id']}", json={"name": "改名"})
    assert response.status_code == 403
    county_admin = as_user("demo-county-admin")
    assert county_admin.patch(f"/api/console/regions/{township['id']}", json={"name": "改名"}).status_code == 200


def test_the_tree_nests_what_the_viewer_sees(as_user):
    roots = as_user("demo-community-admin-1").get("/api/console/regions/tree").json
    assert [r["region"]["code"] for r in roots] == ["140730001001"]
    assert [c["region"]["level"] for c in roots[0]["children"]] == ["grid"] * len(roots[0]["children"])
    county = as_user("demo-county-admin").get("/api/console/regions/tree").json
    assert [r["region"]["code"] for r in county] == ["140730"]
    assert len(county[0]["children"]) == 3


def test_a_region_without_a_polygon_does_not_break_locate(platform, tree, as_user):
    created = platform.post("/api/console/regions", json={
        "code": "990101002", "name": "无界镇", "level": "township", "parent_id": tree["county"]})
    assert created.status_code == 201 and created.json["geometry"] is None
    assert db.session.scalar(sa.select(Region.id).where(Region.code == "990101002",
                                                        Region.geometry.is_(None))) is not None
    located = as_user("demo-resident-1").get("/api/mp/locate?lng=100.01&lat=30.01&coord_system=gcj02")
    assert located.status_code == 200 and located.json["region"]["code"] == "990101001001"


def test_grids_may_not_overlap_grids_of_another_community(platform, tree):
    bare = platform.post("/api/console/regions", json={
        "code": "990101001002", "name": "无界社区", "level": "community", "parent_id": tree["township"]})
    assert bare.status_code == 201
    assert import_grids(platform, tree["community"], TWO_GRIDS).status_code == 201
    copy_of_first = {"type": "FeatureCollection", "features": [
        grid_feature("990101001002001", "重叠网格", square(100, 30, 100.025, 30.05))]}
    response = import_grids(platform, bare.json["id"], copy_of_first)
    assert response.status_code == 422
    assert "overlaps 990101001001001" in response.json["error"]["fields"]["features.0.geometry"][0]


def test_a_polygon_is_checked_against_the_nearest_ancestor_with_one(platform, tree):
    bare = platform.post("/api/console/regions", json={
        "code": "990101001002", "name": "无界社区", "level": "community", "parent_id": tree["township"]})
    outside_township = {"type": "FeatureCollection", "features": [
        grid_feature("990101001002001", "越界网格", square(100.06, 30.06, 100.07, 30.07))]}
    response = import_grids(platform, bare.json["id"], outside_township)
    assert response.status_code == 422
    assert "reaches outside 试验镇" in response.json["error"]["fields"]["features.0.geometry"][0]


@pytest.mark.parametrize("geometry, message", [
    (square(100, 30, 100.001, 30.001), "would leave 试验社区 (990101001001) outside"),
    (square(100, 30, 100.15, 30.1), "reaches outside 试验县"),
    ({"type": "Polygon", "coordinates": [[[100, 30], [100.05, 30.1], [100.05, 30], [100, 30.1], [100, 30]]]},
     "Self-intersection"),
])
def test_patching_a_polygon_is_checked(platform, tree, geometry, message):
    response = platform.patch(f"/api/console/regions/{tree['township']}", json={"geometry": geometry})
    assert response.status_code == 422, response.json
    assert message in response.json["error"]["fields"]["geometry"][0]


def test_patching_into_a_sibling_is_refused(platform, tree):
    second = platform.post("/api/console/regions", json={
        "code": "990101002", "name": "二镇", "level": "township", "parent_id": tree["county"],
        "geometry": square(100.05, 30, 100.1, 30.1)})
    assert second.status_code == 201, second.json
    response = platform.patch(f"/api/console/regions/{second.json['id']}",
                              json={"geometry": square(100.04, 30, 100.1, 30.1)})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "overlapping_geometry"
