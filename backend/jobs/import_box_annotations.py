"""The ``import_box_annotations`` job: a DOTA / DIOR / FAIR1M / iSAID annotation file as a
box layer on its image (formats and frames: ``backend/methods/samrs/annotations.py``)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

import shapely
from pydantic import BaseModel, Field

from backend.geo.outputs import JobOutputs
from backend.geo.raster import open_raster
from backend.jobs.output_checks import GpkgOutputParams, check_gpkg_output
from backend.methods.samrs.annotations import (
    LAYER_BOXES,
    AnnotationError,
    annotations_to_layer,
    detect_format,
    read_annotations,
)
from backend.methods.samrs.geometry import crs_name, raster_frame
from backend.runtime.progress import Progress, no_progress


class ImportBoxAnnotationsParams(GpkgOutputParams, BaseModel):
    """Parameters of ``import_box_annotations`` (see the module docstring)."""

    annotation_path: str = Field(description="DOTA .txt, DIOR / FAIR1M .xml or iSAID id .png.")
    raster_path: str = Field(description="The image the annotations belong to.")
    output_path: str = Field(description="GeoPackage to write (.gpkg), layer 'boxes'.")
    format: Literal["auto", "dota", "dior", "fair1m", "isaid"] = Field(
        "auto", description="Annotation format (auto: from the file name and content)."
    )


def validate(params: ImportBoxAnnotationsParams) -> None:
    """The annotation file exists and its format is known; the image opens (a CRS is not
    required); the output is a writable .gpkg."""
    if not Path(params.annotation_path).is_file():
        raise AnnotationError(f"Annotation file not found: {params.annotation_path}.")
    if params.format == "auto":
        detect_format(params.annotation_path)
    with open_raster(params.raster_path, require_crs=False):
        pass
    check_gpkg_output(
        params.output_path,
        mode=params.output_mode,
        layers=(LAYER_BOXES,),
        inputs=(params.raster_path, params.annotation_path),
        estimate_bytes=Path(params.annotation_path).stat().st_size * 4,
    )


def run(params: ImportBoxAnnotationsParams, report: Progress = no_progress) -> dict:
    """Import the annotation file as a box layer in the image's CRS (or pixel frame).

    Returns:
        ``{"outputs": {"gpkg": path}, "summary": {n_boxes, classes, format, crs,
        georeferenced, n_outside, header...}}``; ``n_outside`` counts boxes that do not
        touch the image (kept: box-to-mask reports and skips them).
    """
    validate(params)
    report(5.0, "Reading the annotations")
    annotations, meta = read_annotations(params.annotation_path, params.format)
    with open_raster(params.raster_path, require_crs=False) as dataset:
        frame = raster_frame(dataset)
    layer = annotations_to_layer(annotations, frame)
    extent = shapely.box(0, 0, frame.width_px, frame.height_px)
    n_outside = sum(not shapely.Polygon(a.corners_xy_px).intersects(extent) for a in annotations)
    report(80.0, f"Writing the GeoPackage: {len(layer)} box(es)")
    with warnings.catch_warnings(), JobOutputs() as outputs:
        warnings.filterwarnings("ignore", message=".*'crs' was not provided")
        outputs.stage_gpkg(params.output_path, {LAYER_BOXES: layer}, mode=params.output_mode)
        outputs.publish(report)
    classes = sorted(set(layer["class"])) if len(layer) else []
    summary = {
        "n_boxes": len(layer),
        "classes": classes,
        "class_counts": {c: int((layer["class"] == c).sum()) for c in classes},
        "n_outside": int(n_outside),
        "crs": crs_name(frame.crs_wkt),
        "georeferenced": frame.georeferenced,
        **meta,
    }
    return {"outputs": {"gpkg": params.output_path}, "summary": summary}
