"""A small second county, built through the console API, for tree and import tests."""
from __future__ import annotations


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def grid_feature(code, name, geometry, owner="测试社区居委会"):
    return {"type": "Feature", "properties": {"code": code, "name": name, "owner": owner},
            "geometry": geometry}


def build_test_county(platform) -> dict:
    """County 990101 (0.1 degree square) > township > community (no grids yet)."""
    ids = {}
    for key, body in (
        ("county", {"code": "990101", "name": "试验县", "level": "county",
                    "geometry": square(100, 30, 100.1, 30.1)}),
        ("township", {"code": "990101001", "name": "试验镇", "level": "township",
                      "geometry": square(100, 30, 100.05, 30.1)}),
        ("community", {"code": "990101001001", "name": "试验社区", "level": "community",
                       "kind": "community", "geometry": square(100, 30, 100.05, 30.05)}),
    ):
        parent = {"county": None, "township": ids.get("county"), "community": ids.get("township")}[key]
        response = platform.post("/api/console/regions", json={**body, "parent_id": parent})
        assert response.status_code == 201, response.json
        ids[key] = response.json["id"]
    return ids


TWO_GRIDS = {"type": "FeatureCollection", "features": [
    grid_feature("990101001001001", "试验社区第一网格", square(100, 30, 100.025, 30.05)),
    grid_feature("990101001001002", "试验社区第二网格", square(100.025, 30, 100.05, 30.05)),
]}
