"""What the model jobs share: params and checks of a model run over a raster, the weights
check, the model-loading prelude (device, weights spec, model) and the GSD rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from backend.geo.gsd import ground_sample_distance_m, resample_factor
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
    max_model_megapixels: float = Field(
        4000.0,
        gt=0,
        description=(
            "Refuse rasters larger than this at the GSD the model runs at (million model "
            "pixels; 4000 = 63 km x 63 km at 1 m). Raise it for bigger runs."
        ),
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
        plan = plan_work(dataset.width, dataset.height, raster_gsd_xy_m(dataset), spec, params)
    plan.check(params.max_model_megapixels)


# Rough model throughput, seconds per million model pixels (bench/: Anchor-SAM pico and
# LineGraph2Road ViT-tiny on a shared 2-core CPU; GPU figures from the papers' FPS).
_SECONDS_PER_MEGAPIXEL = {"cpu": 5.0, "cuda": 0.05, "mps": 0.5}
# A model pixel may stand for at most this many raster pixels per side the other way:
# upsampling a raster by more than this (a GSD far finer than the raster's) is refused.
MAX_UPSAMPLING = 16.0


@dataclass(frozen=True)
class WorkPlan:
    """How big a model run over a raster is, before it starts.

    Attributes:
        width_px, height_px: raster size, pixels.
        raster_gsd_m: mean GSD of the raster (of its columns and rows), metres.
        run_gsd_m: the GSD the model runs at, metres.
        scale_xy: model pixels per raster pixel along columns and rows (they differ where
            ground pixels are not square, e.g. a geographic CRS away from the equator).
        model_megapixels: raster area at ``run_gsd_m``, million pixels.
        seconds: rough run time on ``device``.
        device: the resolved device.
    """

    width_px: int
    height_px: int
    raster_gsd_m: float
    run_gsd_m: float
    scale_xy: tuple[float, float]
    model_megapixels: float
    seconds: float
    device: str

    def n_tiles(self, tile_px: int, overlap_px: int) -> int:
        """Tiles of ``tile_px`` model pixels overlapping by ``overlap_px`` covering the run."""
        step = max(1, tile_px - overlap_px)
        along = [
            max(1, math.ceil((side * scale - overlap_px) / step))
            for side, scale in zip((self.width_px, self.height_px), self.scale_xy, strict=True)
        ]
        return along[0] * along[1]

    def describe(self) -> str:
        """One line for the first progress message."""
        return (
            f"{self.width_px} x {self.height_px} px at {self.raster_gsd_m:.3g} m -> "
            f"{self.model_megapixels:.1f} Mpx at {self.run_gsd_m:.3g} m, about "
            f"{_duration(self.seconds)} on {self.device}"
        )

    def check(self, max_model_megapixels: float) -> None:
        """Raise ValueError, naming the numbers, when the run is too big or the GSD is far
        finer than the raster's."""
        if max(self.scale_xy) > MAX_UPSAMPLING:
            raise ValueError(
                f"Running at {self.run_gsd_m:.3g} m per pixel would upsample this "
                f"{self.raster_gsd_m:.3g} m raster {max(self.scale_xy):.0f} times (at most "
                f"{MAX_UPSAMPLING:.0f}): the model would see blurred pixels and need "
                f"{self.model_megapixels:.0f} Mpx of work. Use a GSD of at least "
                f"{self.raster_gsd_m / MAX_UPSAMPLING:.3g} m (the model's own is the default)."
            )
        if self.model_megapixels > max_model_megapixels:
            raise ValueError(
                f"This {self.width_px} x {self.height_px} px raster is "
                f"{self.model_megapixels:.0f} million pixels at {self.run_gsd_m:.3g} m, more "
                f"than the limit of {max_model_megapixels:.0f} (max_model_megapixels); it "
                f"would take about {_duration(self.seconds)} on {self.device}. Choose a "
                "smaller extent, a coarser GSD, or raise the limit."
            )


def raster_gsd_xy_m(dataset) -> tuple[float, float]:
    """``(x, y)`` GSD of an open raster along columns and rows, metres (pixel size for a
    raster without CRS)."""
    if dataset.crs is None:
        return float(abs(dataset.transform.a)), float(abs(dataset.transform.e))
    gsd = ground_sample_distance_m(dataset.crs, dataset.transform, dataset.width, dataset.height)
    return float(gsd[0]), float(gsd[1])


def plan_work(
    width_px: int, height_px: int, gsd_xy_m: tuple[float, float], spec, params
) -> WorkPlan:
    """The :class:`WorkPlan` of running ``spec``'s model over a raster whose ``(x, y)`` GSD is
    ``gsd_xy_m`` with ``params``, resampled per axis as the jobs do
    (:func:`model_px_per_raster_px_xy`)."""
    run_gsd_m, scale_xy = model_px_per_raster_px_xy(gsd_xy_m, spec.gsd_m, params.gsd_m)
    device = resolve_device(params.device)
    megapixels = width_px * scale_xy[0] * height_px * scale_xy[1] / 1e6
    per_mpx = _SECONDS_PER_MEGAPIXEL.get(device.split(":")[0], 5.0)
    return WorkPlan(
        width_px, height_px, sum(gsd_xy_m) / 2.0, run_gsd_m, scale_xy, megapixels,
        megapixels * per_mpx, device,
    )  # fmt: skip


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


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


def load_job_model(
    params: RasterModelParams, report: Progress, tiling_px: tuple[int, int] | None = None
) -> LoadedModel:
    """The prelude of a model job: report the size of the run (tiles, rough time: the first
    progress message), resolve the device, look up the weights spec, load the model (an
    own checkpoint is loaded without the sha256 check).

    Raises:
        ValueError: unknown device or model, weights missing or not matching.
    """
    device = resolve_device(params.device)
    spec = get_weights_spec(params.model)
    with open_raster(params.raster_path) as dataset:
        plan = plan_work(dataset.width, dataset.height, raster_gsd_xy_m(dataset), spec, params)
    tiles = f"{plan.n_tiles(*tiling_px)} tile(s) of {tiling_px[0]} px, " if tiling_px else ""
    report(0.5, f"{tiles}{plan.describe()}")
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


def model_px_per_raster_px_xy(
    raster_gsd_xy_m: tuple[float, float],
    model_gsd_m: float | None,
    requested_gsd_m: float | None = None,
) -> tuple[float, tuple[float, float]]:
    """``(gsd_m, (scale_x, scale_y))``: the working GSD (:func:`working_gsd_m`, the raster's
    mean GSD when neither is given) and how many model pixels one raster pixel becomes along
    columns and along rows, so that model pixels are square on the ground. A raster in a
    geographic CRS has non-square ground pixels away from the equator (0.243 m x 0.300 m on
    the demo sample at 36 degrees north): one scale for both axes would stretch it.

    Raises:
        ValueError: a GSD is not positive.
    """
    gsd_x, gsd_y = raster_gsd_xy_m
    gsd_m = working_gsd_m((gsd_x + gsd_y) / 2.0, model_gsd_m, requested_gsd_m)
    return gsd_m, (resample_factor(gsd_x, gsd_m), resample_factor(gsd_y, gsd_m))
