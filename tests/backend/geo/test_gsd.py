import pytest
from rasterio.transform import from_origin

from backend.geo.gsd import ground_sample_distance_m, resample_factor


def test_geographic_gsd_at_the_equator_and_at_60_degrees():
    deg = 1e-5
    gx, gy = ground_sample_distance_m("EPSG:4326", from_origin(0, 0.005, deg, deg), 1000, 1000)
    # 1e-5 degree of longitude at the equator on WGS84: 1.11319 m; of latitude: 1.10574 m.
    assert gx == pytest.approx(1.11319, rel=1e-4)
    assert gy == pytest.approx(1.10574, rel=1e-3)
    gx60, _ = ground_sample_distance_m("EPSG:4326", from_origin(0, 60.005, deg, deg), 1000, 1000)
    # cos(60 deg) = 0.5, with the ellipsoid's larger radius of curvature: 0.5583 m.
    assert gx60 == pytest.approx(0.5583, rel=1e-3)


def test_projected_gsd_in_metres_and_feet():
    assert ground_sample_distance_m(
        "EPSG:32633", from_origin(500000, 5e6, 0.3, 0.3), 10, 10) == pytest.approx((0.3, 0.3))
    # NAD83 / New York Long Island (ftUS): 1 US survey foot = 0.3048006 m.
    gx, gy = ground_sample_distance_m("EPSG:2263", from_origin(1e6, 2e5, 1.0, 1.0), 10, 10)
    assert gx == pytest.approx(0.3048006, rel=1e-6) and gy == pytest.approx(0.3048006, rel=1e-6)


def test_resample_factor():
    assert resample_factor(0.3, 1.0) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        resample_factor(0.0, 1.0)
