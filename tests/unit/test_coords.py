"""WGS-84 <-> GCJ-02."""
import math

import pytest

from backend.services.geo import coords


def metres(a, b):
    dlat = (a[1] - b[1]) * 111_320
    dlng = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dlat, dlng)


def test_forward_matches_a_published_vector():
    # gcoord's test: GCJ-02 (123, 45) is WGS-84 (122.99395597, 44.99804071).
    lng, lat = coords.wgs84_to_gcj02(122.99395597, 44.99804071)
    assert lng == pytest.approx(123, abs=1e-5)
    assert lat == pytest.approx(45, abs=1e-5)


@pytest.mark.parametrize("point", [(112.99, 37.42), (116.397, 39.909), (121.47, 31.23), (87.6, 43.8)])
def test_the_offset_is_hundreds_of_metres_and_inverts(point):
    gcj = coords.wgs84_to_gcj02(*point)
    assert 50 < metres(gcj, point) < 1000
    back = coords.gcj02_to_wgs84(*gcj)
    assert metres(back, point) < 0.01


def test_outside_china_is_unchanged():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert coords.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_to_stored():
    assert coords.to_stored(113.0, 37.4, "gcj02") == (113.0, 37.4)
    assert coords.to_stored(113.0, 37.4, "wgs84") == coords.wgs84_to_gcj02(113.0, 37.4)
    with pytest.raises(ValueError):
        coords.to_stored(113.0, 37.4, "bd09")
