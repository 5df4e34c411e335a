"""Point -> grid in the demo county, in both coordinate systems."""
from __future__ import annotations

import pytest

from backend.services.geo import coords

URL = "/api/mp/locate?lng={}&lat={}&coord_system={}"


@pytest.fixture()
def resident(as_user):
    return as_user("demo-resident-1")


def test_a_point_in_a_known_grid(resident):
    body = resident.get(URL.format(112.9932, 37.4237, "gcj02")).json
    assert body["grid"]["code"] == "140730001001001"
    assert body["region"] == body["grid"]
    assert [p["level"] for p in body["path"]] == ["county", "township", "community", "grid"]
    assert (body["lng"], body["lat"], body["coord_system"]) == (112.9932, 37.4237, "gcj02")


def test_wgs84_is_converted_to_the_stored_datum(resident):
    wgs = coords.gcj02_to_wgs84(112.9932, 37.4237)
    body = resident.get(URL.format(wgs[0], wgs[1], "wgs84")).json
    assert body["grid"]["code"] == "140730001001001"
    assert body["coord_system"] == "gcj02"
    assert body["lng"] == pytest.approx(112.9932, abs=1e-6)
    assert body["lat"] == pytest.approx(37.4237, abs=1e-6)


def test_the_datum_matters(resident):
    # The same numbers read as WGS-84 land some 300-500 m away, in another grid here.
    as_gcj = resident.get(URL.format(113.1312, 37.3371, "gcj02")).json
    as_wgs = resident.get(URL.format(113.1312, 37.3371, "wgs84")).json
    assert (as_gcj["lng"], as_gcj["lat"]) != (as_wgs["lng"], as_wgs["lat"])


def test_outside_the_county_is_refused(resident):
    response = resident.get(URL.format(112.80, 37.40, "gcj02"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "outside_county"


@pytest.mark.parametrize("query", ["lng=113&lat=37.4", "lng=113&lat=95&coord_system=gcj02",
                                   "lng=x&lat=37.4&coord_system=gcj02", "lng=113&lat=37.4&coord_system=bd09"])
def test_bad_queries(resident, query):
    response = resident.get(f"/api/mp/locate?{query}")
    assert response.status_code == 422
    assert response.json["error"]["fields"]


def test_locate_needs_a_login(client):
    assert client.get(URL.format(112.9932, 37.4237, "gcj02")).status_code == 401
