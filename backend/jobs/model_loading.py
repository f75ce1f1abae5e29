"""What the model jobs share: params and checks of a model run over a raster, the weights
check, the model-loading prelude (device, weights spec, model) and the GSD rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from backend.geo.gsd import resample_factor
from backend.geo.raster import ImageReader, open_raster
from backend.models.registry import (
    WeightsSpec,
    get_model,
    get_weights_spec,
    how_to_install,
)
from backend.runtime.device import resolve_device
from backend.runtime.progress import Progress


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


def check_weights_installed(
    spec: WeightsSpec, checkpoint: str | None, model_dir: str | None
) -> None:
    """An own checkpoint must exist; otherwise the declared weights must be installed.

    Raises:
        ValueError: naming the missing file and how to install the weights.
    """
    if checkpoint is not None:
        if not Path(checkpoint).is_file():
            raise ValueError(f"Checkpoint not found: {checkpoint}.")
    elif not spec.path(model_dir).is_file():
        raise ValueError(
            f"The weights of {spec.id} are not installed ({spec.path(model_dir)}). "
            f"{how_to_install(spec, model_dir)} Or give a checkpoint file."
        )


@dataclass(frozen=True)
class LoadedModel:
    """A registered model ready to run: its torch module, weights spec and device."""

    module: Any
    spec: WeightsSpec
    device: str


def load_job_model(params: RasterModelParams, report: Progress) -> LoadedModel:
    """The prelude of a model job: resolve the device, look up the weights spec, load the
    model (an own checkpoint is loaded without the sha256 check).

    Raises:
        ValueError: unknown device or model, weights missing or not matching.
    """
    device = resolve_device(params.device)
    spec = get_weights_spec(params.model)
    report(1.0, f"Loading {params.model} on {device}")
    module = get_model(
        params.model,
        model_dir=params.model_dir,
        device=device,
        checkpoint=params.checkpoint,
        verify_sha256=params.checkpoint is None,
    )
    return LoadedModel(module, spec, device)


def working_gsd_m(
    raster_gsd_m: float, model_gsd_m: float | None, requested_gsd_m: float | None = None
) -> float:
    """The GSD (metres per pixel) a model job runs at: the request's, else the model's,
    else the raster's own."""
    return requested_gsd_m or model_gsd_m or raster_gsd_m


def model_px_per_raster_px(
    raster_gsd_m: float, model_gsd_m: float | None, requested_gsd_m: float | None = None
) -> tuple[float, float]:
    """``(gsd_m, scale)``: the working GSD (:func:`working_gsd_m`) and how many model pixels
    one raster pixel becomes (``backend.geo.gsd.resample_factor``)."""
    gsd_m = working_gsd_m(raster_gsd_m, model_gsd_m, requested_gsd_m)
    return gsd_m, resample_factor(raster_gsd_m, gsd_m)
