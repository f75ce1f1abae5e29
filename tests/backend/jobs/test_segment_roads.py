"""The ``segment_roads`` job with the shipped Anchor-SAM model on small GeoTIFF fixtures."""

from pathlib import Path

import numpy as np
import pytest
import rasterio

pytest.importorskip("sam2")

from backend.geo.raster import RasterInputError  # noqa: E402
from backend.jobs.segment_roads import (  # noqa: E402
    PROBABILITY_NODATA,
    SegmentRoadsParams,
    run,
)
from backend.runtime.progress import JobCancelled  # noqa: E402


def _params(data_dir: Path, tmp_path: Path, raster: str, **extra) -> SegmentRoadsParams:
    return SegmentRoadsParams(
        raster_path=str(data_dir / raster),
        probability_path=str(tmp_path / "probability.tif"),
        output_path=str(tmp_path / "roads.gpkg"),
        device="cpu",
        **extra,
    )


def test_probability_on_input_grid_and_vectors_written(data_dir, tmp_path):
    # 0.5 m fixture run at the model's 1 m, in several tiles (tile 64 model px = 128 px).
    params = _params(data_dir, tmp_path, "roads_utm33n.tif", tile_px=64, overlap_px=16,
                     threshold=0.3, centerlines=True)
    result = run(params)
    with rasterio.open(data_dir / "roads_utm33n.tif") as src, rasterio.open(
        result["outputs"]["probability"]
    ) as prob:
        assert (prob.crs, prob.transform, prob.shape) == (src.crs, src.transform, src.shape)
        assert prob.dtypes[0] == "float32" and prob.nodata == PROBABILITY_NODATA
        values = prob.read(1)
        # The fixture's nodata (7) pixels are nodata in the probability raster too.
        source_nodata = src.read(1) == src.nodata
        assert np.all(values[source_nodata] == PROBABILITY_NODATA)
        assert np.all((values[~source_nodata] >= 0) & (values[~source_nodata] <= 1))
    summary = result["summary"]
    assert summary["n_tiles"] > 1 and summary["gsd_m"] == 1.0
    assert 0.0 <= summary["road_fraction"] <= 1.0
    layers = {name for name, _ in __import__("pyogrio").list_layers(params.output_path)}
    assert layers == {"road_polygons", "road_centerlines", "road_nodes"}


def test_alpha_band_marks_nodata(data_dir, tmp_path):
    params = _params(data_dir, tmp_path, "rgb_uint16_alpha.tif", bands=[1, 2, 3])
    run(params)
    with rasterio.open(data_dir / "rgb_uint16_alpha.tif") as src:
        transparent = src.read(4) == 0
    with rasterio.open(params.probability_path) as prob:
        values = prob.read(1)
    assert transparent.any()
    assert np.all(values[transparent] == PROBABILITY_NODATA)


def test_cancel_and_bad_input_leave_nothing(data_dir, tmp_path):
    def cancel_after_first_tile(percent: float, message: str) -> None:
        if message.startswith("Segmented tile"):
            raise JobCancelled()

    params = _params(data_dir, tmp_path, "roads_utm33n.tif", tile_px=64, overlap_px=16)
    with pytest.raises(JobCancelled):
        run(params, cancel_after_first_tile)
    with pytest.raises(RasterInputError, match="no coordinate reference system"):
        run(_params(data_dir, tmp_path, "no_crs.tif"))
    with pytest.raises(ValueError, match="this job runs anchor_sam models"):
        run(_params(data_dir, tmp_path, "roads_utm33n.tif", model="linegraph2road_hiera_pico_1m"))
    with pytest.raises(ValueError, match="Overlap"):
        run(_params(data_dir, tmp_path, "roads_utm33n.tif", tile_px=64, overlap_px=64))
    assert list(tmp_path.iterdir()) == []


def test_empty_threshold_takes_the_one_the_model_card_validated(data_dir, tmp_path):
    from backend.jobs.segment_roads import model_threshold
    from backend.models.registry import get_weights_spec

    card = get_weights_spec("anchor_sam_pico_1m").model_card
    assert model_threshold("anchor_sam_pico_1m") == card["inference_defaults"]["threshold"]
    result = run(_params(data_dir, tmp_path, "roads_utm33n.tif", tile_px=128, overlap_px=16))
    assert result["summary"]["threshold"] == card["inference_defaults"]["threshold"]
    (tmp_path / "b").mkdir()
    chosen = run(_params(data_dir, tmp_path / "b", "roads_utm33n.tif", tile_px=128,
                         overlap_px=16, threshold=0.7))
    assert chosen["summary"]["threshold"] == 0.7


def test_test_time_views_default_to_the_model_card_and_change_the_probability(data_dir, tmp_path):
    from pydantic import ValidationError

    from backend.jobs.segment_roads import model_test_time_augmentation
    from backend.models.registry import get_weights_spec

    card = get_weights_spec("anchor_sam_pico_1m").model_card
    views = card["inference_defaults"]["test_time_augmentation"]
    assert model_test_time_augmentation("anchor_sam_pico_1m") == views
    runs = {}
    for name, chosen in (("default", None), ("one", 1), ("eight", 8), ("card", views)):
        (tmp_path / name).mkdir()
        result = run(_params(data_dir, tmp_path / name, "roads_utm33n.tif", tile_px=128,
                             overlap_px=16, test_time_augmentation=chosen))
        assert result["summary"]["test_time_augmentation"] == (chosen or views)
        with rasterio.open(result["outputs"]["probability"]) as prob:
            runs[name] = prob.read(1)
    assert not np.allclose(runs["one"], runs["eight"], atol=1e-3)
    np.testing.assert_array_equal(runs["default"], runs["card"])
    with pytest.raises(ValidationError, match="test_time_augmentation"):
        _params(data_dir, tmp_path, "roads_utm33n.tif", test_time_augmentation=3)


def test_geographic_raster_runs_on_square_ground_pixels(tmp_path, monkeypatch):
    """At 60 degrees north a pixel of 1e-5 x 1e-5 degrees is about 0.56 m x 1.11 m on the
    ground: each axis is resampled by its own GSD, so the model sees square 1 m pixels
    (the mean GSD for both axes would squeeze the image to about 84 x 168 model px)."""
    from affine import Affine

    import backend.methods.anchor_sam.predict as anchor_predict
    from backend.geo.gsd import ground_sample_distance_m

    from ..conftest import write_rgb

    path = write_rgb(tmp_path / "north.tif", "EPSG:4326", Affine(1e-5, 0, 10.0, 0, -1e-5, 60.0),
                     width=200, height=100)  # fmt: skip
    seen = []

    def record_shape(model, image, device, **kwargs):
        seen.append(image.shape[:2])
        return np.zeros(image.shape[:2], np.float32)

    monkeypatch.setattr(anchor_predict, "predict_probability", record_shape)
    run(SegmentRoadsParams(raster_path=str(path), probability_path=str(tmp_path / "p.tif"),
                           output_path=str(tmp_path / "roads.gpkg"), device="cpu"))  # fmt: skip
    with rasterio.open(path) as ds:
        gsd_x, gsd_y = ground_sample_distance_m(ds.crs, ds.transform, ds.width, ds.height)
    assert gsd_y / gsd_x == pytest.approx(2.0, rel=0.01)
    assert seen == [(round(100 * gsd_y), round(200 * gsd_x))]  # one tile, 1 m model pixels
