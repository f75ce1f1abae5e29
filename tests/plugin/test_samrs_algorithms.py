"""SAMRS requests and Processing algorithm definitions (no backend needed)."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication


def test_box_to_mask_request(rx):
    request = rx.params.BoxToMaskRequest("/r.png", "/b.gpkg", "/o.gpkg", id_field="")
    params = request.to_params()
    assert params["raster_path"] == "/r.png" and params["prompt"] == "auto"
    for left_out in ("device", "id_field", "checkpoint", "chip_px", "dataset_dir"):
        assert left_out not in params
    for bad, needle in (
        ({"prompt": "hbox+obox"}, "prompt"),
        ({"parts": "some"}, "parts"),
        ({"label_raster_path": "/l.png"}, "label_raster_path"),
        ({"chip_px": 50}, "chip_px"),
        ({"class_field": ""}, "class_field"),
    ):
        with pytest.raises(rx.params.RequestError, match=needle):
            rx.params.BoxToMaskRequest("/r.png", "/b.gpkg", "/o.gpkg", **bad).to_params()
    with pytest.raises(rx.params.RequestError, match="output_path"):
        rx.params.BoxToMaskRequest("/r.png", "/b.gpkg", "/o.shp").to_params()


def test_import_and_evaluate_requests(rx):
    with pytest.raises(rx.params.RequestError, match="format"):
        rx.params.ImportBoxAnnotationsRequest("/a.txt", "/r.png", "/o.gpkg", "coco").to_params()
    params = rx.params.EvaluateInstanceMasksRequest("/p.gpkg", "/r.png", "/g.png").to_params()
    assert "report_path" not in params and params["match"] == "iou"
    with pytest.raises(rx.params.RequestError, match="report_path"):
        rx.params.EvaluateInstanceMasksRequest("/p", "/r", "/g", report_path="/x.txt").to_params()


@pytest.mark.parametrize(
    ("alg_id", "names"),
    [
        ("roadextract:boxestomasks",
         ("INPUT", "BOXES", "CLASS_FIELD", "ID_FIELD", "MODEL", "CHECKPOINT", "PROMPT", "PARTS",
          "OUTPUT", "OUTPUT_CHIPS", "OUTPUT_LABELS", "OUTPUT_INSTANCES", "OUTPUT_DATASET")),
        ("roadextract:importboxannotations", ("ANNOTATIONS", "IMAGE", "FORMAT", "OUTPUT")),
        ("roadextract:evaluateinstancemasks",
         ("PREDICTIONS", "IMAGE", "GROUND_TRUTH", "MATCH", "ID_FIELD", "REPORT")),
    ],
)
def test_algorithm_definitions(provider, alg_id, names):
    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    assert alg is not None, alg_id
    assert alg.groupId() == "objects" and alg.group() == "Objects"
    assert alg.shortHelpString()
    declared = {p.name() for p in alg.parameterDefinitions()}
    assert set(names) <= declared
