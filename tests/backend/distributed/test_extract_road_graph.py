""" "Extract road graph" with its blocks predicted on a real Dask LocalCluster: the model is
loaded once per worker (worker plugin); the stitched graph equals the in-process one."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

torch = pytest.importorskip("torch")
pytest.importorskip("distributed")

from backend.jobs.extract_road_graph import (  # noqa: E402
    LAYER_EDGES,
    LAYER_NODES,
    ExtractRoadGraphParams,
    run,
)


def _params(raster, out, checkpoint, **extra):
    return ExtractRoadGraphParams(
        raster_path=str(raster),
        output_path=str(out),
        checkpoint=str(checkpoint),
        device="cpu",
        edge_threshold=0.0,
        road_threshold=0.0,
        keypoint_threshold=0.0,
        block_px=256,
        gsd_m=1.2,  # about 290 model px: 2 x 2 blocks of 256 px (quick on a CPU)
        **extra,
    )


def test_blocks_on_two_workers_stitch_to_the_in_process_graph(
    shared_data, tmp_path, random_checkpoint, scheduler
):
    raster = shared_data / "samples/spacenet_vegas_rgb.tif"
    # Dask workers run torch on one thread; so does the reference run, for the same floats.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = run(_params(raster, tmp_path / "local.gpkg", random_checkpoint))
    finally:
        torch.set_num_threads(threads)
    dask = run(_params(raster, tmp_path / "dask.gpkg", random_checkpoint, scheduler=scheduler))
    summary = dask["summary"]
    assert summary["model_loads"] == [1, 1]
    assert summary["n_blocks"] == local["summary"]["n_blocks"] >= 4
    assert sum(summary["blocks_per_worker"]) == summary["n_blocks"]
    for layer in (LAYER_EDGES, LAYER_NODES):
        a = gpd.read_file(local["outputs"]["gpkg"], layer=layer)
        b = gpd.read_file(dask["outputs"]["gpkg"], layer=layer)
        assert len(a) == len(b) > 0, layer
        for column in a.columns.drop("geometry"):
            np.testing.assert_allclose(a[column], b[column], rtol=0, atol=1e-6)
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, 1e-6).all(), layer
