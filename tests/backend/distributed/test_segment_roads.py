""" "Segment roads" with its tiles predicted on a real Dask LocalCluster: the model is loaded
once per worker (worker plugin), the probability raster and the polygons match the
in-process job."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

pytest.importorskip("sam2")
torch = pytest.importorskip("torch")
pytest.importorskip("distributed")

from backend.jobs.segment_roads import SegmentRoadsParams, run  # noqa: E402


def _params(raster, tmp_path, name, **extra):
    return SegmentRoadsParams(
        raster_path=str(raster),
        probability_path=str(tmp_path / f"{name}.tif"),
        output_path=str(tmp_path / f"{name}.gpkg"),
        device="cpu",
        tile_px=128,
        overlap_px=16,
        threshold=0.3,
        **extra,
    )


def test_spacenet_rgb_on_two_workers_matches_in_process(shared_data, tmp_path, scheduler):
    raster = shared_data / "samples/spacenet_vegas_rgb.tif"
    # Dask workers run torch on one thread; so does the reference run, for the same floats.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = run(_params(raster, tmp_path, "local"))
    finally:
        torch.set_num_threads(threads)
    dask = run(_params(raster, tmp_path, "dask", scheduler=scheduler))
    summary = dask["summary"]
    # One model load per worker, not per tile; every tile predicted on the cluster.
    assert summary["model_loads"] == [1, 1]
    assert sum(summary["tiles_per_worker"]) == summary["n_tiles"] == local["summary"]["n_tiles"]
    assert summary["n_tiles"] >= 9 and min(summary["tiles_per_worker"]) >= 1
    with (
        rasterio.open(local["outputs"]["probability"]) as a,
        rasterio.open(dask["outputs"]["probability"]) as b,
    ):
        assert (a.crs, a.transform, a.shape, a.nodata) == (b.crs, b.transform, b.shape, b.nodata)
        pa, pb = a.read(1), b.read(1)
    # Same tiles, same blending, same order: one seamless raster, as in-process.
    np.testing.assert_allclose(pa, pb, rtol=0, atol=1e-6)
    polys_a = gpd.read_file(local["outputs"]["gpkg"], layer="road_polygons")
    polys_b = gpd.read_file(dask["outputs"]["gpkg"], layer="road_polygons")
    assert len(polys_a) == len(polys_b) > 0
    assert shapely.equals_exact(polys_a.geometry.values, polys_b.geometry.values, 1e-6).all()
