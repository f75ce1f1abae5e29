"""WorkPlan: the size of a model run, counted per axis as the jobs resample."""

from types import SimpleNamespace

import pytest

from backend.jobs.model_loading import plan_work


def test_non_square_ground_pixels_are_counted_per_axis():
    # The demo sample's pixels: 0.243 m x 0.300 m (EPSG:4326 at 36 degrees north), run at 1 m.
    spec, params = SimpleNamespace(gsd_m=1.0), SimpleNamespace(gsd_m=None, device="cpu")
    plan = plan_work(10000, 8000, (0.243, 0.300), spec, params)
    assert plan.scale_xy == pytest.approx((0.243, 0.300))
    assert plan.model_megapixels == pytest.approx(10000 * 0.243 * 8000 * 0.300 / 1e6)
    assert plan.raster_gsd_m == pytest.approx(0.2715)
    # 2430 x 2400 model px in 256 px tiles overlapping by 32: 11 x 11.
    assert plan.n_tiles(256, 32) == 11 * 11


def test_upsampling_along_either_axis_is_refused():
    spec = SimpleNamespace(gsd_m=1.0)
    params = SimpleNamespace(gsd_m=0.01, device="cpu")
    plan = plan_work(100, 100, (0.1, 0.2), spec, params)
    with pytest.raises(ValueError, match="upsample this 0.15 m raster 20 times"):
        plan.check(4000.0)
