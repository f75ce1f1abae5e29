"""The ``box_to_mask`` job end to end with a real SAM 2.1 Hiera-T (random weights): one
polygon per valid box in the raster's CRS, bad boxes reported, rasters, dataset, cancel."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from shapely.geometry import Polygon

from backend.jobs.box_to_mask import BoxToMaskParams, run, validate
from backend.methods.samrs.geometry import pixel_to_map_geometry, raster_frame
from backend.runtime.progress import JobCancelled

from ..conftest import MODEL_ID


@pytest.fixture
def boxes_4326(utm_raster, tmp_path):
    """Boxes drawn in raster pixels, stored in EPSG:4326 (the raster is UTM 33N)."""
    with rasterio.open(utm_raster) as dataset:
        frame = raster_frame(dataset)
    pixel_boxes = [
        shapely.box(50, 40, 130, 90),                                   # car, H-Box
        Polygon([(200, 150), (260, 160), (255, 200), (195, 190)]),      # ship, rotated
        shapely.box(290, 200, 340, 230),                                # partly outside
        shapely.box(900, 900, 950, 950),                                # outside
        Polygon([(10, 10), (40, 40), (40, 10), (10, 40)]),              # self-intersecting
        shapely.box(20, 100, 20, 130),                                  # zero area
    ]
    geoms = gpd.GeoSeries([pixel_to_map_geometry(g, frame) for g in pixel_boxes],
                          crs="EPSG:32633").to_crs("EPSG:4326")
    data = gpd.GeoDataFrame(
        {"label": ["car", "ship", "car", "car", "car", "car"],
         "obj": [101, 102, 103, 104, 105, 106]},
        geometry=geoms, crs="EPSG:4326",
    )
    path = tmp_path / "boxes.gpkg"
    data.to_file(path, layer="boxes", engine="pyogrio")
    return path


def _params(utm_raster, boxes, checkpoint, tmp_path, **extra):
    return BoxToMaskParams(
        raster_path=str(utm_raster), boxes_path=str(boxes), class_field="label", id_field="obj",
        output_path=str(tmp_path / "masks.gpkg"), model=MODEL_ID, checkpoint=str(checkpoint),
        device="cpu", **extra,
    )


def test_job_writes_one_polygon_per_valid_box(utm_raster, boxes_4326, sam2_checkpoint, tmp_path):
    params = _params(
        utm_raster, boxes_4326, sam2_checkpoint, tmp_path,
        label_raster_path=str(tmp_path / "labels.tif"),
        instance_raster_path=str(tmp_path / "instances.tif"),
        dataset_dir=str(tmp_path / "dataset"), dataset_crop_px=128, parts="all",
    )
    result = run(params)
    summary = result["summary"]
    assert summary["n_features"] == 6 and summary["n_boxes_valid"] == 3
    reasons = {s["box_id"]: s["reason"] for s in summary["skipped"]}
    assert reasons[104] == "outside the raster"
    assert "Self-intersection" in reasons[105]
    assert reasons[106].startswith("zero area")
    assert any("reprojected" in w for w in summary["warnings"])
    masks = gpd.read_file(params.output_path, layer="samrs_masks")
    chips = gpd.read_file(params.output_path, layer="samrs_chips")
    assert masks.crs.to_epsg() == 32633 and chips.crs.to_epsg() == 32633
    assert len(masks) + summary["n_empty_masks"] == 3
    assert set(masks["box_id"]) <= {101, 102, 103}
    by_id = masks.set_index("box_id")
    expected = {101: ("car", "H-Box"), 102: ("ship", "RH-Box"), 103: ("car", "H-Box")}
    for box_id, row in by_id.iterrows():
        assert (row["class"], row["prompt"]) == expected[box_id]
        assert 0 <= row["class_index"] < 2 and row.geometry.geom_type == "MultiPolygon"
    with rasterio.open(utm_raster) as dataset:
        extent = shapely.box(*dataset.bounds)
    chip_of = chips.set_index("chip_id").geometry
    for _, row in masks.iterrows():
        assert chip_of[row["chip_id"]].buffer(1e-6).contains(row.geometry)
        assert extent.buffer(1e-6).contains(row.geometry)
    with rasterio.open(params.label_raster_path) as labels, \
            rasterio.open(params.instance_raster_path) as inst:
        assert labels.crs.to_epsg() == 32633 and labels.nodata == 255
        label, ids = labels.read(1), inst.read(1)
    assert set(np.unique(label)) <= {0, 1, 255}
    assert set(np.unique(ids)) <= {0, 1, 2, 3}
    assert ((label == 255) == (ids == 0)).all()
    dataset = tmp_path / "dataset"
    assert (dataset / "classes.txt").read_text() == "car\nship\n"
    meta = json.loads((dataset / "meta.json").read_text())
    assert meta["crops"] and len(list((dataset / "labels").iterdir())) == len(meta["crops"])


def test_mask_prompt_mode_and_validation(utm_raster, boxes_4326, sam2_checkpoint, tmp_path):
    with pytest.raises(ValueError, match="two box prompts"):
        validate(_params(utm_raster, boxes_4326, sam2_checkpoint, tmp_path, prompt="hbox+rhbox"))
    with pytest.raises(ValueError, match="no class field 'kind'"):
        validate(_params(utm_raster, boxes_4326, sam2_checkpoint, tmp_path).model_copy(
            update={"class_field": "kind"}))
    with pytest.raises(ValueError, match="not a SAM-family"):
        validate(_params(utm_raster, boxes_4326, sam2_checkpoint, tmp_path).model_copy(
            update={"model": "linegraph2road_hiera_pico_1m"}))


def test_cancel_leaves_nothing(utm_raster, boxes_4326, sam2_checkpoint, tmp_path):
    params = _params(utm_raster, boxes_4326, sam2_checkpoint, tmp_path,
                     label_raster_path=str(tmp_path / "labels.tif"),
                     dataset_dir=str(tmp_path / "ds"))

    def report(percent, message=""):
        if percent >= 86:  # all chips done, outputs being written
            raise JobCancelled()

    with pytest.raises(JobCancelled):
        run(params, report)
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == ["boxes.gpkg", "utm.tif"]
