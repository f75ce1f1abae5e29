"""Params and checks shared by the jobs that run a registered model over a raster."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from backend.geo.raster import ImageReader, open_raster
from backend.models.registry import get_weights_spec
from backend.runtime.device import resolve_device


class RasterModelParams(BaseModel):
    """Input raster, model and device of a model job; a job's params subclass this and
    override ``model``'s default."""

    raster_path: str = Field(description="Aerial image, any GDAL raster with a CRS.")
    model: str = Field(description="Registered model id.")
    checkpoint: str | None = Field(
        None, description="Own weights file for the model's architecture (no sha256 check)."
    )
    model_dir: str | None = Field(None, description="Folder of downloaded checkpoints.")
    device: str = Field("auto", description="auto, cpu, cuda or mps.")
    bands: list[int] | None = Field(None, description="1 or 3 band numbers (default 1,2,3).")
    gsd_m: float | None = Field(
        None, gt=0, description="Metres per pixel to run at (default: the model's)."
    )


def validate_raster_model(params: RasterModelParams, method: str) -> None:
    """Fail before a job starts: a model of ``method``, a device, a checkpoint that exists,
    and a raster that opens with a CRS and the chosen bands.

    Raises:
        RasterInputError: the raster cannot be read or has no CRS.
        ValueError: unknown model or device, a model of another method, a missing
            checkpoint, or bands that are not 1 or 3 existing bands.
    """
    spec = get_weights_spec(params.model)
    if spec.method != method:
        raise ValueError(
            f"Model {params.model!r} is a {spec.method} model; this job runs {method} models "
            "(GET /models lists them)."
        )
    resolve_device(params.device)
    if params.bands is not None and len(params.bands) not in (1, 3):
        raise ValueError(f"Choose 1 or 3 bands, got {params.bands}.")
    if params.checkpoint is not None and not Path(params.checkpoint).is_file():
        raise ValueError(f"Checkpoint not found: {params.checkpoint}.")
    with open_raster(params.raster_path) as dataset:
        ImageReader(dataset, tuple(params.bands) if params.bands else None)
