"""The ``evaluate_instance_masks`` job: mIoU_I and mIoU_P (SAMRS Eq. 1) of predicted mask
polygons against an instance-id raster (inputs, frames and matching:
``backend/eval/instance_masks.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import geopandas as gpd
import pyogrio
from pydantic import BaseModel, Field, model_validator

from backend.eval.instance_masks import evaluate_instance_masks
from backend.geo.outputs import JobOutputs
from backend.geo.raster import RasterInputError, open_raster
from backend.jobs.output_checks import check_file_output
from backend.methods.samrs.geometry import BoxLayerError, map_to_pixel_geometry, raster_frame
from backend.runtime.progress import Progress, no_progress


class EvaluateInstanceMasksParams(BaseModel):
    """Parameters of ``evaluate_instance_masks`` (see the module docstring)."""

    predictions_path: str = Field(description="Predicted mask polygons (any OGR format).")
    predictions_layer: str | None = Field(
        None, description="Layer in a multi-layer file (default: samrs_masks if present)."
    )
    raster_path: str = Field(description="The image the predictions belong to (its grid).")
    ground_truth_path: str = Field(
        description="Instance-id raster on the image grid (1 band, or iSAID RGB id PNG)."
    )
    match: Literal["id", "iou"] = Field(
        "iou", description="Pair predictions to instances by id field or by best IoU."
    )
    id_field: str = Field("box_id", description="Prediction field holding the instance id.")
    report_path: str | None = Field(None, description="Optional JSON report (per instance).")

    @model_validator(mode="after")
    def _id_field_to_match_by(self) -> EvaluateInstanceMasksParams:
        """Raises ValueError for ``match="id"`` without a field name to match by."""
        if self.match == "id" and not self.id_field.strip():
            raise ValueError('id_field: needed to match by id (match="id"); name the field.')
        return self


def validate(params: EvaluateInstanceMasksParams) -> None:
    """Files exist and open; the ground truth has the image's size; report writable."""
    if not Path(params.predictions_path).exists():
        raise ValueError(f"Predictions file not found: {params.predictions_path}.")
    if params.report_path:
        check_file_output(
            params.report_path,
            (".json",),
            inputs=(params.raster_path, params.ground_truth_path, params.predictions_path),
            estimate_bytes=2**20,
        )
    with (
        open_raster(params.raster_path, require_crs=False) as image,
        open_raster(params.ground_truth_path, require_crs=False) as gt,
    ):
        if (gt.width, gt.height) != (image.width, image.height):
            raise RasterInputError(
                f"The ground truth is {gt.width}x{gt.height} px but the image is "
                f"{image.width}x{image.height}: give the instance raster of this image."
            )


def run(params: EvaluateInstanceMasksParams, report: Progress = no_progress) -> dict:
    """Read, match, score. ``summary`` holds mIoU_I, mIoU_P and the counts (the per-instance
    rows go to the report only)."""
    validate(params)
    report(5.0, "Reading the predictions")
    layer = params.predictions_layer
    if layer is None:
        names = [row[0] for row in pyogrio.list_layers(params.predictions_path)]
        layer = "samrs_masks" if "samrs_masks" in names else None
    predictions = gpd.read_file(params.predictions_path, layer=layer, engine="pyogrio")
    if params.match == "id" and params.id_field not in predictions.columns:
        raise BoxLayerError(
            f"The predictions have no field {params.id_field!r} to match by id; fields: "
            f"{', '.join(c for c in predictions.columns if c != 'geometry')}."
        )
    with (
        open_raster(params.raster_path, require_crs=False) as image,
        open_raster(params.ground_truth_path, require_crs=False) as gt,
    ):
        frame = raster_frame(image)
        if predictions.crs is not None and frame.crs_wkt is not None:
            predictions = predictions.to_crs(frame.crs_wkt)
        polygons = [map_to_pixel_geometry(g, frame) for g in predictions.geometry if g is not None]
        ids = (
            [
                v
                for v, g in zip(predictions[params.id_field], predictions.geometry, strict=True)
                if g is not None
            ]
            if params.match == "id"
            else None
        )
        report(20.0, f"Scoring {len(polygons)} prediction(s)")
        result = evaluate_instance_masks(polygons, ids, gt, params.match)
    report(95.0, f"mIoU_I {result['miou_i']:.4f}, mIoU_P {result['miou_p']:.4f}")
    outputs = {}
    if params.report_path:
        with JobOutputs() as staged:
            staged.stage_json(params.report_path, result)
            staged.publish(report)
        outputs["report"] = params.report_path
    summary = {k: v for k, v in result.items() if k != "instances"}
    summary["match"] = params.match
    return {"outputs": outputs, "summary": summary}
