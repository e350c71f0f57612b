"""Point in circle and point in polygon."""

from __future__ import annotations

import pytest

from plateledger.catalog.geometry import Area, distance_m, in_circle, in_polygon

SCHOOL = (47.6097, -122.3331)
SQUARE = ((47.0, -122.0), (47.0, -121.0), (48.0, -121.0), (48.0, -122.0))


def test_distance_matches_a_known_figure() -> None:
    # one degree of latitude is about 111.2 km
    assert distance_m(47.0, -122.0, 48.0, -122.0) == pytest.approx(111_195, rel=1e-3)


def test_a_point_within_the_radius_is_in_the_circle() -> None:
    # 0.001 degrees of latitude is about 111 m
    assert in_circle(SCHOOL[0] + 0.001, SCHOOL[1], SCHOOL, 150)
    assert not in_circle(SCHOOL[0] + 0.002, SCHOOL[1], SCHOOL, 150)
    assert in_circle(*SCHOOL, SCHOOL, 1)


def test_points_in_and_out_of_a_polygon() -> None:
    assert in_polygon(47.5, -121.5, SQUARE)
    assert not in_polygon(48.5, -121.5, SQUARE)
    assert not in_polygon(47.5, -120.5, SQUARE)


def test_a_concave_polygon_leaves_its_notch_out() -> None:
    # a U shape: the notch between the arms is outside
    shape = ((0, 0), (0, 3), (3, 3), (3, 2), (1, 2), (1, 1), (3, 1), (3, 0))
    assert in_polygon(0.5, 1.5, shape)
    assert not in_polygon(2, 1.5, shape)
    assert in_polygon(2, 0.5, shape)


def test_an_area_is_a_circle_or_a_polygon_and_its_box_holds_it() -> None:
    circle = Area(centre=SCHOOL, radius_m=500)
    south, west, north, east = circle.bounds
    assert south < SCHOOL[0] < north and west < SCHOOL[1] < east
    assert circle.contains(*SCHOOL)
    assert Area(polygon=SQUARE).bounds == (47.0, -122.0, 48.0, -121.0)
    with pytest.raises(ValueError, match="not both"):
        Area(centre=SCHOOL, radius_m=5, polygon=SQUARE)
    with pytest.raises(ValueError, match="needs a shape"):
        Area()
    with pytest.raises(ValueError, match="both its centre and its radius"):
        Area(centre=SCHOOL)
    with pytest.raises(ValueError):
        Area(polygon=SQUARE[:2])
