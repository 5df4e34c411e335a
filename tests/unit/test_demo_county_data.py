"""The demo county (config/demo/county.json): its tree, its tiling and its people.

These check the file itself, which seeds and demos load, so a hand edit that breaks the
tree or the tiling fails here even if the generator is right.
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import math
import re
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[2]
DATA_PATH = ROOT / "config/demo/county.json"
GENERATOR_PATH = ROOT / "scripts/make_demo_county.py"

# Restated rather than imported from backend.models so this data test runs without the app.
LEVELS = ("county", "township", "community", "grid")
CODE_LENGTH = {"county": 6, "township": 9, "community": 12, "grid": 15}
KINDS = {"county": {"county", "district"}, "township": {"township", "street"},
         "community": {"community", "village"}, "grid": {"grid"}}
ROLES = ("resident", "grid_worker", "community_admin", "hub_dispatcher", "dept_staff",
         "county_admin", "provider_staff", "platform_admin", "security_admin", "audit_admin")
UNSCOPED = ("platform_admin", "security_admin", "audit_admin")
# The level of the region each region-scoped role is granted on (None: any level).
ROLE_LEVEL = {"resident": None, "grid_worker": "grid", "community_admin": "community",
              "hub_dispatcher": "township", "county_admin": "county"}

# Areas are in square degrees; a 1 km² grid is about 1e-4, so 1e-12 is far below any
# real overlap or gap yet above floating-point noise.
AREA_TOLERANCE = 1e-12

PHONE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(scope="module")
def data():
    return json.loads(DATA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def regions(data):
    return {r["code"]: r for r in data["regions"]}


@pytest.fixture(scope="module")
def shapes(data):
    return {r["code"]: shape(r["geometry"]) for r in data["regions"]}


@pytest.fixture(scope="module")
def children(data):
    out: dict[str | None, list[str]] = {}
    for r in data["regions"]:
        out.setdefault(r["parent"], []).append(r["code"])
    return out


def _by_level(data, level):
    return [r for r in data["regions"] if r["level"] == level]


def _county(data):
    (county,) = _by_level(data, "county")
    return county


def _township_codes(data):
    return [r["code"] for r in _by_level(data, "township")]


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_demo_county", GENERATOR_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_top_level_shape(data):
    assert set(data) == {"coord_system", "regions", "departments", "users"}
    assert data["coord_system"] == "gcj02"


def test_file_is_small_enough_to_ship():
    assert DATA_PATH.stat().st_size < 300_000


def test_generator_reproduces_the_file_byte_for_byte():
    generator = _load_generator()
    expected = json.dumps(generator.build(), ensure_ascii=False, indent=1) + "\n"
    assert DATA_PATH.read_text(encoding="utf-8") == expected


def test_region_fields(data):
    for r in data["regions"]:
        assert set(r) == {"code", "name", "level", "kind", "parent", "owner", "geometry"}, r["code"]
        assert r["name"].strip(), r["code"]
        assert r["level"] in LEVELS, r["code"]
        assert r["kind"] in KINDS[r["level"]], r["code"]
        if r["level"] == "grid":
            assert isinstance(r["owner"], str) and r["owner"].strip(), r["code"]
        else:
            assert r["owner"] is None, r["code"]


def test_codes_lengths_and_prefixes(data, regions):
    codes = [r["code"] for r in data["regions"]]
    assert len(codes) == len(set(codes))
    for r in data["regions"]:
        code = r["code"]
        assert code.isascii() and code.isdigit() and len(code) == CODE_LENGTH[r["level"]], code
        if r["level"] == "county":
            assert r["parent"] is None
            continue
        parent = regions[r["parent"]]
        assert LEVELS.index(parent["level"]) == LEVELS.index(r["level"]) - 1, code
        assert code.startswith(parent["code"]), code
        assert code[len(parent["code"]):] != "000", code


def test_parents_come_before_children(data):
    seen = set()
    for r in data["regions"]:
        assert r["parent"] is None or r["parent"] in seen, r["code"]
        seen.add(r["code"])


def test_counts(data):
    assert len(_by_level(data, "county")) == 1
    assert len(_by_level(data, "township")) == 3
    assert 8 <= len(_by_level(data, "community")) <= 12
    assert 25 <= len(_by_level(data, "grid")) <= 36
    county_departments = [d for d in data["departments"] if d["parent"] is None]
    assert 8 <= len(county_departments) <= 10


def test_kinds_are_mixed(data):
    assert {r["kind"] for r in _by_level(data, "township")} == {"township", "street"}
    assert {r["kind"] for r in _by_level(data, "community")} == {"community", "village"}


def test_geometries_are_valid_closed_ccw_and_rounded(data, shapes):
    for r in data["regions"]:
        geometry = r["geometry"]
        assert geometry["type"] in ("Polygon", "MultiPolygon"), r["code"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        for polygon in polygons:
            for k, ring in enumerate(polygon):
                assert len(ring) >= 4 and ring[0] == ring[-1], r["code"]
                for lng, lat in ring:
                    assert round(lng, 6) == lng and round(lat, 6) == lat, r["code"]
                # RFC 7946: exterior rings counter-clockwise, holes clockwise.
                assert shapely.LinearRing(ring).is_ccw == (k == 0), r["code"]
        assert shapes[r["code"]].is_valid, (r["code"], shapely.is_valid_reason(shapes[r["code"]]))
        assert shapes[r["code"]].area > 0, r["code"]


def test_county_is_plausibly_placed_sized_and_shaped(data, shapes):
    county = shapes[_county(data)["code"]]
    min_lng, min_lat, max_lng, max_lat = county.bounds
    # Northern China, inside the GCJ-02 envelope of the mainland.
    assert 73 < min_lng < max_lng < 135 and 34 < min_lat < max_lat < 54
    km_per_deg_lng = 111.32 * math.cos(math.radians((min_lat + max_lat) / 2))
    assert 20 <= (max_lng - min_lng) * km_per_deg_lng <= 40
    assert 20 <= (max_lat - min_lat) * 111.0 <= 40
    assert county.area < 0.9 * county.envelope.area, "county outline is (nearly) a rectangle"


def test_children_tile_their_parent(data, shapes, children):
    for parent in data["regions"]:
        kids = children.get(parent["code"], [])
        if parent["level"] == "grid":
            assert not kids
            continue
        assert kids, f"{parent['code']} has no children"
        for a, b in itertools.combinations(kids, 2):
            overlap = shapes[a].intersection(shapes[b]).area
            assert overlap < AREA_TOLERANCE, (a, b, overlap)
        union = shapely.union_all([shapes[k] for k in kids])
        mismatch = union.symmetric_difference(shapes[parent["code"]]).area
        assert mismatch < AREA_TOLERANCE, (parent["code"], mismatch)


def test_siblings_share_vertices_exactly(data, shapes, children):
    """Touching siblings meet along whole shared edges: no slivers, no T-junctions."""
    for kids in children.values():
        for a, b in itertools.combinations(kids, 2):
            meet = shapes[a].intersection(shapes[b])
            if meet.is_empty or meet.length == 0:
                continue
            va = {tuple(p) for p in shapely.get_coordinates(shapes[a])}
            vb = {tuple(p) for p in shapely.get_coordinates(shapes[b])}
            for p in shapely.get_coordinates(meet):
                assert tuple(p) in va and tuple(p) in vb, (a, b, tuple(p))


def test_points_resolve_to_exactly_one_grid(data, shapes):
    county = shapes[_county(data)["code"]]
    grids = [shapes[r["code"]] for r in _by_level(data, "grid")]
    min_lng, min_lat, max_lng, max_lat = county.bounds
    # A 40 x 40 sample over the bounding box, offset by an irrational fraction so that
    # no sample lands exactly on a rounded vertex or a shared edge.
    n, offset = 40, math.sqrt(2) - 1
    lngs = [min_lng + (max_lng - min_lng) * (i + offset) / n for i in range(n)]
    lats = [min_lat + (max_lat - min_lat) * (j + offset) / n for j in range(n)]
    xs, ys = zip(*itertools.product(lngs, lats))
    inside = shapely.contains_xy(county, xs, ys)
    hits = sum(shapely.contains_xy(g, xs, ys).astype(int) for g in grids)
    assert inside.sum() > n * n // 2
    for x, y, is_inside, count in zip(xs, ys, inside, hits):
        assert count == (1 if is_inside else 0), (x, y)


def test_departments(data, regions):
    departments = {d["code"]: d for d in data["departments"]}
    assert len(departments) == len(data["departments"])
    names = [d["name"] for d in data["departments"]]
    assert len(names) == len(set(names))
    county_code = _county(data)["code"]
    for d in data["departments"]:
        assert set(d) == {"code", "name", "region", "parent"}, d["code"]
        assert d["name"].strip(), d["code"]
        assert d["region"] in regions, d["code"]
        if d["parent"] is None:
            assert d["region"] == county_code, d["code"]
        else:
            parent = departments[d["parent"]]
            assert parent["parent"] is None and parent["region"] == county_code, d["code"]
            assert regions[d["region"]]["level"] == "township", d["code"]
    stationed = [d for d in data["departments"] if d["parent"] is not None]
    assert stationed, "no team stationed in a township"


def test_users_are_unique_and_well_formed(data):
    openids = [u["openid"] for u in data["users"]]
    phones = [u["phone"] for u in data["users"]]
    assert len(openids) == len(set(openids))
    assert len(phones) == len(set(phones))
    for u in data["users"]:
        assert set(u) == {"openid", "name", "phone", "grants"}, u["openid"]
        assert u["openid"].startswith("demo-"), u["openid"]
        assert u["name"].strip(), u["openid"]
        assert PHONE.match(u["phone"]), u["openid"]
        assert u["grants"], u["openid"]


def test_grants_reference_existing_scopes(data, regions):
    departments = {d["code"] for d in data["departments"]}
    for u in data["users"]:
        for grant in u["grants"]:
            role = grant["role"]
            assert role in ROLES, (u["openid"], role)
            if role in UNSCOPED:
                assert set(grant) == {"role"}, u["openid"]
            elif role == "dept_staff":
                assert set(grant) == {"role", "department"}, u["openid"]
                assert grant["department"] in departments, u["openid"]
            else:
                assert set(grant) == {"role", "region"}, u["openid"]
                assert grant["region"] in regions, u["openid"]
                level = ROLE_LEVEL[role]
                assert level is None or regions[grant["region"]]["level"] == level, u["openid"]


def test_every_role_but_provider_staff_appears(data):
    present = {g["role"] for u in data["users"] for g in u["grants"]}
    assert present == set(ROLES) - {"provider_staff"}


def test_the_fixed_demo_accounts(data, regions):
    """Other tests and the demo script log in as these; their scopes are part of the contract."""
    users = {u["openid"]: u["grants"] for u in data["users"]}
    departments = {d["code"]: d for d in data["departments"]}
    county_code = _county(data)["code"]
    township_1, township_2 = _township_codes(data)[:2]

    def only(openid):
        (grant,) = users[openid]
        return grant

    def township_of(code):
        return code[:CODE_LENGTH["township"]]

    for openid in ("demo-resident-1", "demo-resident-2"):
        assert only(openid) == {"role": "resident", "region": county_code}
    assert only("demo-grid-worker-1")["role"] == "grid_worker"
    assert township_of(only("demo-grid-worker-1")["region"]) == township_1
    assert township_of(only("demo-grid-worker-2")["region"]) == township_2
    assert only("demo-community-admin-1")["role"] == "community_admin"
    assert township_of(only("demo-community-admin-1")["region"]) == township_1
    assert only("demo-hub-dispatcher-1") == {"role": "hub_dispatcher", "region": township_1}
    assert only("demo-hub-dispatcher-2") == {"role": "hub_dispatcher", "region": township_2}
    assert only("demo-county-admin") == {"role": "county_admin", "region": county_code}
    assert only("demo-platform-admin") == {"role": "platform_admin"}
    assert only("demo-security-admin") == {"role": "security_admin"}
    assert only("demo-audit-admin") == {"role": "audit_admin"}

    staff_1 = departments[only("demo-dept-staff-1")["department"]]
    assert staff_1["parent"] is None and "城市管理" in staff_1["name"]
    staff_2 = departments[only("demo-dept-staff-2")["department"]]
    assert staff_2["parent"] is not None and staff_2["region"] == township_1
