"""Polygon validation for imported regions."""
import pytest

from backend.services.geo import geometry

SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]


def polygon(ring):
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_valid_square():
    assert geometry.parse_polygon(polygon(SQUARE)).area == 1


@pytest.mark.parametrize("raw, reason", [
    (None, "Polygon or MultiPolygon"),
    ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
    ({"type": "Polygon"}, "no coordinates"),
    (polygon([[0, 0], [1, 0], [1, 1], [0, 1]]), "closed"),
    (polygon([[0, 0], [1, 0], [0, 0]]), "at least 4"),
    (polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), "invalid polygon: Self-intersection"),
    (polygon([[0, 0], [1, 0], [2, 0], [0, 0]]), "invalid polygon"),
    (polygon([[0, 0], [200, 0], [1, 1], [0, 0]]), "not a lng/lat"),
    (polygon([[0, 0], ["a", 0], [1, 1], [0, 0]]), "finite numbers"),
    ({"type": "MultiPolygon", "coordinates": [[]]}, "exterior ring"),
])
def test_bad_polygons_say_why(raw, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        geometry.parse_polygon(raw)


def test_overlap_and_outside_areas_in_square_metres():
    a = geometry.parse_polygon(polygon([[113, 37], [113.01, 37], [113.01, 37.01], [113, 37.01], [113, 37]]))
    b = geometry.parse_polygon(polygon([[113.005, 37], [113.02, 37], [113.02, 37.01], [113.005, 37.01],
                                        [113.005, 37]]))
    # 0.005 x 0.01 degrees at 37N is about 444 m x 1113 m.
    assert geometry.overlap_m2(a, b) == pytest.approx(444 * 1113, rel=0.01)
    assert geometry.outside_m2(a, b) == pytest.approx(444 * 1113, rel=0.01)
    touching = geometry.parse_polygon(polygon([[113.01, 37], [113.02, 37], [113.02, 37.01], [113.01, 37.01],
                                               [113.01, 37]]))
    assert geometry.overlap_m2(a, touching) == 0
