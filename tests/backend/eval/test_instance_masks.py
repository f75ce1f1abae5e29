"""mIoU_I / mIoU_P (SAMRS Eq. 1): the formula, matching, and the job on iSAID ground truth."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio import features
from shapely.geometry import shape

from backend.eval.instance_masks import evaluate_instance_masks, miou
from backend.jobs.evaluate_instance_masks import EvaluateInstanceMasksParams, run


def test_equation_1_by_hand():
    # Two instances: IoU 10/20 and 30/40.
    miou_i, miou_p = miou([10, 30], [20, 40])
    assert miou_i == pytest.approx((0.5 + 0.75) / 2)
    assert miou_p == pytest.approx(40 / 60)
    assert np.isnan(miou([], [])[0])
    with pytest.raises(ValueError):
        miou([5], [4])


@pytest.fixture
def gt_raster(tmp_path):
    ids = np.zeros((60, 80), np.uint16)
    ids[10:20, 10:30] = 7     # 200 px
    ids[30:50, 40:60] = 1000  # 400 px
    path = tmp_path / "gt.tif"
    with rasterio.open(path, "w", driver="GTiff", width=80, height=60, count=1,
                       dtype="uint16") as out:
        out.write(ids, 1)
    return path


def test_matching_by_id_and_by_iou(gt_raster):
    half = shapely.box(10, 10, 20, 20)       # half of instance 7
    exact = shapely.box(40, 30, 60, 50)      # instance 1000
    with rasterio.open(gt_raster) as gt:
        by_id = evaluate_instance_masks([half, exact], [7, 1000], gt, "id")
        by_iou = evaluate_instance_masks([exact, half], None, gt, "iou")
        swapped = evaluate_instance_masks([half, exact], [1000, 7], gt, "id")
    for result in (by_id, by_iou):
        assert result["n_instances"] == 2 and result["n_matched"] == 2
        assert result["miou_i"] == pytest.approx((0.5 + 1.0) / 2)
        assert result["miou_p"] == pytest.approx((100 + 400) / (200 + 400))
    # Wrong ids: both intersections are 0.
    assert swapped["miou_i"] == 0.0


def test_unmatched_instance_counts_as_zero(gt_raster):
    with rasterio.open(gt_raster) as gt:
        result = evaluate_instance_masks([shapely.box(40, 30, 60, 50)], None, gt, "iou")
    assert result["n_unmatched_instances"] == 1
    assert result["miou_i"] == pytest.approx(0.5)
    assert result["miou_p"] == pytest.approx(400 / 600)


def test_job_on_isaid_ground_truth_polygons_score_one(shared_data, tmp_path):
    """Polygons traced from the ground truth itself score mIoU 1 by id and by IoU."""
    folder = shared_data / "boxes" / "isaid"
    from PIL import Image

    from backend.methods.samrs.annotations import decode_isaid_ids

    ids = decode_isaid_ids(np.asarray(Image.open(folder / "P0005_instance_id_RGB.png")
                                      .convert("RGB")))
    polygons, values = [], []
    flip = Affine(1, 0, 0, 0, -1, 0)  # the pixel frame of an image without georeference
    for geom, value in features.shapes(ids.astype(np.int32), mask=ids > 0, connectivity=4,
                                       transform=flip):
        polygons.append(shape(geom))
        values.append(int(value))
    frame = gpd.GeoDataFrame({"box_id": values}, geometry=polygons).dissolve("box_id")
    frame = frame.reset_index()
    path = tmp_path / "pred.gpkg"
    frame.to_file(path, layer="pred", engine="pyogrio")
    for match in ("id", "iou"):
        result = run(EvaluateInstanceMasksParams(
            predictions_path=str(path), raster_path=str(folder / "P0005.png"),
            ground_truth_path=str(folder / "P0005_instance_id_RGB.png"), match=match,
            report_path=str(tmp_path / f"{match}.json"),
        ))
        summary = result["summary"]
        assert summary["n_instances"] == 131 == summary["n_matched"]
        assert summary["miou_i"] == pytest.approx(1.0) and summary["miou_p"] == pytest.approx(1.0)
        assert (tmp_path / f"{match}.json").is_file()


def test_ground_truth_of_another_size_is_refused(gt_raster, shared_data, tmp_path):
    from backend.geo.raster import RasterInputError

    params = EvaluateInstanceMasksParams(
        predictions_path=str(gt_raster), raster_path=str(shared_data / "boxes/isaid/P0005.png"),
        ground_truth_path=str(gt_raster),
    )
    with pytest.raises(RasterInputError, match="80x60"):
        run(params)
