"""SAMRS through processing.run against the real backend: import iSAID boxes, boxes to
masks with a real SAM 2.1 Hiera-T architecture (random weights saved in the official
checkpoint format, made with the backend's Python), then mIoU against the ground truth.

Runs on the shared iSAID image P0003 (1147 x 1023 px PNG without georeference, 59
instances): two 1024 px chips, so boxes are spread over more than one encoding.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsProcessingException,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)

IMPORT_ID = "roadextract:importboxannotations"
MASKS_ID = "roadextract:boxestomasks"
EVALUATE_ID = "roadextract:evaluateinstancemasks"
MODEL_ID = "sam2.1_hiera_t"
N_INSTANCES = 59
MAKE_CHECKPOINT = (
    "import sys, torch\n"
    "from backend.models.registry import get_model\n"
    "torch.manual_seed(0)\n"
    "model = get_model(sys.argv[1], load_weights=False)\n"
    "torch.save({'model': model.state_dict()}, sys.argv[2])\n"
)


@pytest.fixture(scope="module")
def isaid(env) -> SimpleNamespace:
    folder = env.SHARED_DATA / "boxes" / "isaid"
    image = folder / "P0003.png"
    if not image.is_file():
        pytest.skip(f"shared data not found: {image}")
    return SimpleNamespace(image=image, ids=folder / "P0003_instance_id_RGB.png")


@pytest.fixture(scope="module")
def checkpoint(backend_session, env, tmp_path_factory) -> Path:
    """SAM 2.1 Hiera-T with random weights in the official format ({"model": state})."""
    path = tmp_path_factory.mktemp("sam2") / "sam2.1_hiera_tiny.pt"
    done = subprocess.run(
        [str(backend_session.python), "-c", MAKE_CHECKPOINT, MODEL_ID, str(path)],
        cwd=env.REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def samrs_run(backend_session, roadextract, env, isaid, checkpoint, tmp_path_factory):
    """Import the boxes, add two bad ones, run boxes-to-masks once, evaluate."""
    import processing

    env.ensure_provider_registered(roadextract)
    backend_session.client = backend_session.manager.ensure_running(backend_session.settings)
    backend_session.settings.save()
    out = tmp_path_factory.mktemp("samrs")
    imported = processing.run(
        IMPORT_ID,
        {"ANNOTATIONS": str(isaid.ids), "IMAGE": str(isaid.image), "FORMAT": 0,
         "OUTPUT": str(out / "boxes.gpkg")},
    )
    boxes = QgsVectorLayer(imported["OUTPUT"], "boxes", "ogr")
    truth = {f["box_id"]: f["class"] for f in boxes.getFeatures()}
    # A box outside the image and a zero-area box: skipped and reported, never fatal.
    bad = []
    for rect in (QgsRectangle(5000, -200, 5050, -150), QgsRectangle(10, -10, 10, -40)):
        feature = QgsFeature(boxes.fields())
        feature.setGeometry(QgsGeometry.fromRect(rect))
        feature["box_id"], feature["class"], feature["difficult"] = 900000 + len(bad), "x", 0
        bad.append(feature)
    assert boxes.dataProvider().addFeatures(bad)[0]
    del boxes
    outputs = {
        "OUTPUT": str(out / "masks.gpkg"),
        "OUTPUT_CHIPS": str(out / "chips.gpkg"),
        "OUTPUT_LABELS": str(out / "labels.tif"),
        "OUTPUT_DATASET": str(out / "dataset"),
    }
    results = processing.run(
        MASKS_ID,
        {"INPUT": str(isaid.image), "BOXES": imported["OUTPUT"], "CLASS_FIELD": "class",
         "ID_FIELD": "box_id", "MODEL": MODEL_ID, "CHECKPOINT": str(checkpoint), **outputs},
    )
    scores = processing.run(
        EVALUATE_ID,
        {"PREDICTIONS": results["OUTPUT"], "IMAGE": str(isaid.image),
         "GROUND_TRUTH": str(isaid.ids), "MATCH": 1, "ID_FIELD": "box_id",
         "REPORT": str(out / "report.json")},
    )
    run = SimpleNamespace(
        imported=imported, truth=truth, results=results, scores=scores, out=out,
        masks=QgsVectorLayer(results["OUTPUT"], "masks", "ogr"),
        chips=QgsVectorLayer(results["OUTPUT_CHIPS"], "chips", "ogr"),
    )
    yield run
    # Release the layers now: pytest keeps the fixture value until the session ends, and a
    # layer destroyed after QGIS has exited crashes the interpreter.
    del run.masks, run.chips


def test_import_places_boxes_in_the_pixel_frame(samrs_run, isaid):
    assert samrs_run.imported["N_BOXES"] == N_INSTANCES
    boxes = QgsVectorLayer(samrs_run.imported["OUTPUT"], "boxes", "ogr")
    image = QgsRasterLayer(str(isaid.image), "image", "gdal")
    # No georeference: QGIS shows the PNG at x = column, y = -row; the boxes must match.
    # GeoPackage stores "no CRS" as its undefined engineering SRS.
    assert not boxes.crs().authid() and not boxes.crs().isGeographic()
    imported = [f for f in boxes.getFeatures() if f["box_id"] in samrs_run.truth]
    assert len(imported) == N_INSTANCES
    extent = image.extent()
    for feature in imported:
        assert extent.contains(feature.geometry().boundingBox())


def test_one_mask_per_valid_box_with_class_and_id(samrs_run):
    masks = samrs_run.masks
    assert masks.isValid() and masks.geometryType() == QgsWkbTypes.PolygonGeometry
    assert samrs_run.results["N_MASKS"] == masks.featureCount() == N_INSTANCES
    assert samrs_run.results["N_SKIPPED"] == 2
    seen = set()
    for feature in masks.getFeatures():
        box_id = feature["box_id"]
        assert samrs_run.truth[box_id] == feature["class"]
        assert feature["prompt"] == "H-Box"  # auto on axis-aligned boxes
        assert 0 <= feature["class_index"] < 255
        assert feature.geometry().isGeosValid() and feature.geometry().area() > 0
        seen.add(box_id)
    assert seen == set(samrs_run.truth)


def test_every_polygon_inside_its_chip(samrs_run):
    chips = {f["chip_id"]: f.geometry() for f in samrs_run.chips.getFeatures()}
    assert len(chips) == samrs_run.results["N_CHIPS"] >= 2
    for feature in samrs_run.masks.getFeatures():
        assert chips[feature["chip_id"]].contains(feature.geometry()), feature["box_id"]


def test_label_raster_and_dataset(samrs_run, isaid):
    labels = QgsRasterLayer(samrs_run.results["OUTPUT_LABELS"], "labels", "gdal")
    image = QgsRasterLayer(str(isaid.image), "image", "gdal")
    assert labels.isValid()
    assert (labels.width(), labels.height()) == (image.width(), image.height())
    dataset = Path(samrs_run.results["OUTPUT_DATASET"])
    classes = (dataset / "classes.txt").read_text().split()
    assert set(classes) == set(samrs_run.truth.values())
    meta = json.loads((dataset / "meta.json").read_text())
    assert meta["ignore_index"] == 255 and meta["crops"]
    for crop in meta["crops"]:
        for sub in ("images", "labels", "instances"):
            assert (dataset / sub / crop["file"]).is_file()


def test_miou_computed(samrs_run):
    scores = samrs_run.scores
    assert scores["N_INSTANCES"] == N_INSTANCES == scores["N_MATCHED"]
    assert 0.0 <= scores["MIOU_P"] <= 1.0 and 0.0 < scores["MIOU_I"] <= 1.0
    report = json.loads(Path(scores["REPORT"]).read_text())
    ious = [row["iou"] for row in report["instances"]]
    assert abs(sum(ious) / len(ious) - scores["MIOU_I"]) < 1e-9


def test_requests_match_the_backend_params_schema(params_schema_properties, rx):
    box = rx.params.BoxToMaskRequest(
        "/r.tif", "/b.gpkg", "/o.gpkg", boxes_layer="boxes", id_field="id", checkpoint="/c.pt",
        device="cpu", chip_px=512, label_raster_path="/l.tif", instance_raster_path="/i.tif",
        dataset_dir="/d",
    )
    properties = params_schema_properties(box)
    defaults = dataclasses.asdict(rx.params.BoxToMaskRequest("", "", ""))
    for name in ("class_field", "model", "prompt", "parts", "context_px", "dataset_crop_px"):
        assert properties[name]["default"] == defaults[name], name
    params_schema_properties(rx.params.ImportBoxAnnotationsRequest("/a.txt", "/r.png", "/o.gpkg"))
    params_schema_properties(
        rx.params.EvaluateInstanceMasksRequest("/p.gpkg", "/r.png", "/g.png", report_path="/r.json")
    )


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        # The model picker lists the SAM-family models only (issue 16).
        ({"MODEL": "linegraph2road_hiera_pico_1m"}, r"Incorrect parameter value for MODEL"),
        ({"MODEL": "sam_vit_b"}, r"sam_vit_b"),  # wrong architecture for the file
        ({"CLASS_FIELD": "no_such_field"}, r"class field|no_such_field"),
    ],
)
def test_bad_input_fails_cleanly(
    backend, samrs_run, isaid, checkpoint, tmp_path, assert_failed_cleanly, params, needle
):
    import processing

    outputs = {"OUTPUT": str(tmp_path / "masks.gpkg"), "OUTPUT_CHIPS": str(tmp_path / "c.gpkg")}
    run = {"INPUT": str(isaid.image), "BOXES": samrs_run.imported["OUTPUT"],
           "CLASS_FIELD": "class", "MODEL": MODEL_ID, "CHECKPOINT": str(checkpoint),
           **params, **outputs}
    with pytest.raises(QgsProcessingException, match=needle):
        processing.run(MASKS_ID, run)
    assert_failed_cleanly(outputs)


def test_cancel_leaves_nothing_behind(
    backend, samrs_run, isaid, checkpoint, tmp_path, cancel_once_job_runs, assert_failed_cleanly
):
    import processing

    outputs = {"OUTPUT": str(tmp_path / "masks.gpkg"), "OUTPUT_CHIPS": str(tmp_path / "c.gpkg"),
               "OUTPUT_LABELS": str(tmp_path / "labels.tif")}
    run = {"INPUT": str(isaid.image), "BOXES": samrs_run.imported["OUTPUT"],
           "CLASS_FIELD": "class", "MODEL": MODEL_ID, "CHECKPOINT": str(checkpoint), **outputs}
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        processing.run(MASKS_ID, run, feedback=cancel_once_job_runs)
    assert_failed_cleanly(outputs, cancelled_by=cancel_once_job_runs)
