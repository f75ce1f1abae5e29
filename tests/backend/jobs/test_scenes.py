"""A list of scenes in two CRSs as one input (issue 13): the VRT mosaic, "Road mask to
vectors" over it in the first scene's CRS and in a named target CRS, and the checks that
refuse a scene before any work (nothing written, HTTP 400)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.enums import Resampling

from backend.geo.mosaic import build_mosaic_vrt
from backend.geo.raster import RasterInputError
from backend.jobs.road_mask_to_vectors import (
    LAYER_CENTERLINES,
    LAYER_POLYGONS,
    RoadMaskToVectorsParams,
    run,
)
from backend.jobs.scenes import mosaic_folder

X0, Y0 = 500000.0, 5000160.0  # the scenes' upper-left corner (tests/backend/conftest.py)


def test_mosaic_in_the_first_scenes_crs_covers_both(mask_scenes, tmp_path):
    utm, mercator = mask_scenes
    vrt = build_mosaic_vrt([str(utm), str(mercator)], tmp_path / "vrt", None, Resampling.nearest)
    with rasterio.open(vrt) as mosaic, rasterio.open(utm) as first:
        assert mosaic.crs == CRS.from_epsg(32633)
        assert mosaic.res == (1.0, 1.0)
        left, bottom, right, top = mosaic.bounds
        # Both scenes: 400 m east-west, 160 m north-south (within a pixel of warp slack).
        assert left == X0 and top >= Y0 and right >= X0 + 399 and bottom <= Y0 - 159
        # The first scene is on the grid: read as it is, no resampling.
        window = mosaic.window(*first.bounds)
        np.testing.assert_array_equal(mosaic.read(1, window=window), first.read(1))
        # The horizontal road (rows 74..83 of the area) runs through the warped scene too.
        row = mosaic.index(X0 + 350, Y0 - 79)[0]
        cols = [mosaic.index(X0 + x, Y0 - 79)[1] for x in (10, 150, 270, 390)]
        assert (mosaic.read(1)[row, cols] == 255).all()
        # Valid inside both footprints, no data beyond them.
        masks = mosaic.read_masks(1)
        rows, cols = window.round_offsets().toslices()
        assert masks[rows, cols].all()
        assert not masks[:, -1].any()  # east of the warped scene's footprint
        assert masks[row, mosaic.index(X0 + 350, Y0 - 79)[1]] == 255


def test_mosaic_in_a_target_crs_warps_every_scene(mask_scenes, tmp_path):
    utm, mercator = mask_scenes
    vrt = build_mosaic_vrt([str(utm), str(mercator)], tmp_path / "vrt", "EPSG:3857")
    with rasterio.open(vrt) as mosaic, rasterio.open(mercator) as second:
        assert mosaic.crs == CRS.from_epsg(3857)
        assert mosaic.res == pytest.approx(second.res, rel=0.05)
    assert (tmp_path / "vrt" / "scene_000.vrt").is_file()  # the UTM scene was warped


@pytest.mark.parametrize("target_crs", [None, "EPSG:3857"])
def test_road_mask_to_vectors_over_two_scenes(mask_scenes, tmp_path, target_crs):
    utm, mercator = mask_scenes
    out = tmp_path / "roads.gpkg"
    result = run(
        RoadMaskToVectorsParams(
            raster_path=str(utm),
            additional_raster_paths=[str(mercator)],
            target_crs=target_crs,
            output_path=str(out),
            tile_size_px=128,
        )
    )
    expected = CRS.from_user_input(target_crs or "EPSG:32633")
    assert result["summary"]["n_scenes"] == 2
    polygons = gpd.read_file(out, layer=LAYER_POLYGONS)
    lines = gpd.read_file(out, layer=LAYER_CENTERLINES)
    assert CRS.from_user_input(polygons.crs.to_wkt()) == expected
    assert CRS.from_user_input(lines.crs.to_wkt()) == expected
    # The roads of both scenes, joined across the seam: the horizontal road is one polygon
    # from the first scene's west edge to the second's east edge.
    left, _, right, _ = polygons.to_crs("EPSG:32633").total_bounds
    assert left < X0 + 2 and right > X0 + 396
    assert lines.to_crs("EPSG:32633").total_bounds[2] > X0 + 300
    assert not mosaic_folder(str(out)).exists()  # in-process runs keep no VRT beside it


def test_a_scene_that_does_not_fit_is_refused_before_any_work(mask_scenes, data_dir, tmp_path):
    utm, _ = mask_scenes
    out = tmp_path / "roads.gpkg"

    def params(**scenes):
        return RoadMaskToVectorsParams(raster_path=str(utm), output_path=str(out), **scenes)

    with pytest.raises(RasterInputError, match="Scene 2 of 2.*no coordinate reference system"):
        run(params(additional_raster_paths=[str(data_dir / "no_crs.tif")]))
    with pytest.raises(RasterInputError, match="Scene 2 of 2.*4 band.*first scene 1"):
        run(params(additional_raster_paths=[str(data_dir / "rgb_uint16_alpha.tif")]))
    with pytest.raises(ValueError, match="target_crs"):
        run(params(target_crs="EPSG:999999"))
    with pytest.raises(RasterInputError, match="not found"):
        run(params(additional_raster_paths=[str(tmp_path / "missing.tif")]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenes"]  # nothing written


def test_the_service_answers_400_for_a_scene_without_crs(mask_scenes, data_dir, tmp_path):
    from fastapi.testclient import TestClient

    from backend.jobs.manager import JobManager
    from backend.service.app import create_app

    jobs = JobManager()
    app = create_app("t", "cpu", tmp_path / "models", jobs)
    out = tmp_path / "roads.gpkg"
    try:
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            response = client.post(
                "/jobs",
                headers={"Authorization": "Bearer t"},
                json={
                    "kind": "road_mask_to_vectors",
                    "params": {
                        "raster_path": str(mask_scenes[0]),
                        "additional_raster_paths": [str(data_dir / "no_crs.tif")],
                        "output_path": str(out),
                    },
                },
            )
    finally:
        jobs.shutdown()
    assert response.status_code == 400
    assert "Scene 2 of 2" in response.json()["detail"]
    assert not out.exists()
