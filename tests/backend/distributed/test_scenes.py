"""Scene lists on a real Dask LocalCluster (issue 13): two scenes in two CRSs give the
in-process outputs in the target CRS; the model jobs resume an interrupted run from their
manifest and end with the uninterrupted run's outputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.crs import CRS

from backend.distributed.manifest import run_key
from backend.jobs import extract_road_graph, road_mask_to_vectors, segment_roads
from backend.jobs.scenes import mosaic_folder
from backend.runtime.progress import JobCancelled

pytest.importorskip("distributed")


def assert_same_layers(path_a, path_b, layers, atol=1e-9):
    for layer in layers:
        a, b = gpd.read_file(path_a, layer=layer), gpd.read_file(path_b, layer=layer)
        assert len(a) == len(b) > 0, layer
        assert a.crs == b.crs
        for column in a.columns.drop("geometry"):
            np.testing.assert_allclose(a[column], b[column], rtol=0, atol=atol)
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, 1e-6).all(), layer


def cancel_after(n: int, prefix: str):
    """A progress callback that cancels the job at the n-th message starting with prefix."""
    seen = []

    def report(percent: float, message: str = "") -> None:
        if message.startswith(prefix):
            seen.append(message)
            if len(seen) == n:
                raise JobCancelled("cancelled by the test")

    return report


def single_thread_run(module, params):
    """The in-process reference: torch on one thread, as on the Dask workers."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return module.run(params)
    finally:
        torch.set_num_threads(threads)


def test_mask_scenes_in_two_crss_equal_in_process(mask_scenes, tmp_path, scheduler):
    utm, mercator = mask_scenes

    def params(name, **extra):
        return road_mask_to_vectors.RoadMaskToVectorsParams(
            raster_path=str(utm),
            additional_raster_paths=[str(mercator)],
            target_crs="EPSG:3857",
            output_path=str(tmp_path / f"{name}.gpkg"),
            tile_size_px=96,
            **extra,
        )

    local = road_mask_to_vectors.run(params("local"))
    dask = road_mask_to_vectors.run(params("dask", scheduler=scheduler))
    assert dask["summary"]["n_scenes"] == 2 and dask["summary"]["blocks"] >= 4
    layers = road_mask_to_vectors.output_layers(params("x"))
    assert_same_layers(local["outputs"]["gpkg"], dask["outputs"]["gpkg"], layers)
    polygons = gpd.read_file(dask["outputs"]["gpkg"], layer=layers[0])
    assert CRS.from_user_input(polygons.crs.to_wkt()) == CRS.from_epsg(3857)
    assert not mosaic_folder(dask["outputs"]["gpkg"]).exists()


def test_segment_roads_on_scenes_resumes_after_a_cancel(rgb_scenes, tmp_path, scheduler):
    pytest.importorskip("sam2")
    utm, mercator = rgb_scenes

    def params(name, **extra):
        return segment_roads.SegmentRoadsParams(
            raster_path=str(utm),
            additional_raster_paths=[str(mercator)],
            probability_path=str(tmp_path / f"{name}.tif"),
            output_path=str(tmp_path / f"{name}.gpkg"),
            device="cpu",
            tile_px=128,
            overlap_px=16,
            # Synthetic dark lines on noise are far from aerial imagery: the shipped model
            # reads at most 0.08 there. This test compares the in-process and Dask outputs,
            # so it keeps whatever the model sees.
            threshold=0.02,
            **extra,
        )

    local = single_thread_run(segment_roads, params("local"))
    dask_params = params("dask", scheduler=scheduler)
    with pytest.raises(JobCancelled):
        segment_roads.run(dask_params, cancel_after(3, "Segmented tile"))
    out = tmp_path / "dask.gpkg"
    assert not out.exists() and not (tmp_path / "dask.tif").exists()
    assert (tmp_path / "dask.gpkg.blocks.json").is_file()
    assert mosaic_folder(str(out)).is_dir()
    # Other parameters are another run: its manifest would start afresh.
    other = dask_params.model_copy(update={"threshold": 0.4})
    assert run_key(dask_params, []) != run_key(other, [])
    resumed = segment_roads.run(dask_params)
    summary = resumed["summary"]
    assert summary["tiles_reused"] >= 3
    assert summary["tiles_reused"] + summary["tiles_computed"] == summary["n_tiles"] >= 8
    assert summary["n_scenes"] == 2
    with (
        rasterio.open(local["outputs"]["probability"]) as a,
        rasterio.open(resumed["outputs"]["probability"]) as b,
    ):
        assert a.crs == b.crs == CRS.from_epsg(32633)
        assert (a.transform, a.shape) == (b.transform, b.shape)
        assert b.width >= 400  # both scenes
        np.testing.assert_allclose(a.read(1), b.read(1), rtol=0, atol=1e-6)
    assert_same_layers(local["outputs"]["gpkg"], out, ["road_polygons"], atol=1e-6)
    assert not (tmp_path / "dask.gpkg.blocks.json").exists()
    assert not mosaic_folder(str(out)).exists()


def test_extract_road_graph_on_scenes_resumes_after_a_cancel(
    rgb_scenes, tmp_path, random_checkpoint, scheduler
):
    utm, mercator = rgb_scenes

    def params(name, **extra):
        return extract_road_graph.ExtractRoadGraphParams(
            raster_path=str(utm),
            additional_raster_paths=[str(mercator)],
            output_path=str(tmp_path / f"{name}.gpkg"),
            checkpoint=str(random_checkpoint),
            device="cpu",
            edge_threshold=0.0,
            road_threshold=0.0,
            keypoint_threshold=0.0,
            block_px=256,
            gsd_m=1.0,
            **extra,
        )

    local = single_thread_run(extract_road_graph, params("local"))
    dask_params = params("dask", scheduler=scheduler)
    with pytest.raises(JobCancelled):
        extract_road_graph.run(dask_params, cancel_after(1, "Block"))
    assert not (tmp_path / "dask.gpkg").exists()
    resumed = extract_road_graph.run(dask_params)
    summary = resumed["summary"]
    assert summary["blocks_reused"] >= 1
    assert summary["blocks_reused"] + summary["blocks_computed"] == summary["n_blocks"] >= 2
    assert summary["crs"] == local["summary"]["crs"] == "EPSG:32633"
    layers = (extract_road_graph.LAYER_EDGES, extract_road_graph.LAYER_NODES)
    assert_same_layers(local["outputs"]["gpkg"], resumed["outputs"]["gpkg"], layers, atol=1e-6)
    assert not (tmp_path / "dask.gpkg.blocks.json").exists()
