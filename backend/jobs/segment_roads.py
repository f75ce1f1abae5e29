"""The ``segment_roads`` job: Anchor-SAM road probability raster, road polygons, centerlines.

Pipeline:

1. The raster is tiled in its own pixels (tiles of ``tile_px`` model pixels, overlapping by
   ``overlap_px``); each tile is read as RGB resampled to the GSD the model runs at
   (default: the model's), segmented, and the probability resampled back to the tile.
2. Overlapping tiles are blended (:func:`~backend.geo.windows.blend_tiles`) and streamed
   block by block into a float32 GeoTIFF on the input's grid (same size, transform and
   CRS); pixels without data are nodata (-1). Memory stays bounded by a band of tiles,
   whatever the raster's size.
3. Road polygons (and, if asked, centerlines and nodes) come from the probability raster
   through the foundation's ``road_mask_to_vectors`` at ``threshold``.

Several scenes (``additional_raster_paths``) or a ``target_crs``: the job runs on the
scenes' VRT mosaic in the target CRS (:mod:`backend.jobs.scenes`), and both outputs are on
the mosaic's grid.

Both files appear only when everything succeeded: a failed or cancelled job leaves neither.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
from pydantic import Field
from rasterio.windows import Window

from backend.geo.outputs import JobOutputs
from backend.geo.raster import ImageReader, open_raster, raster_info
from backend.geo.windows import Tile, blend_tiles, tile_starts
from backend.jobs import road_mask_to_vectors as m2v
from backend.jobs.model_loading import (
    RasterModelParams,
    load_job_model,
    model_px_per_raster_px_xy,
    validate_raster_model,
)
from backend.jobs.output_checks import GpkgOutputParams, check_file_output, check_gpkg_output
from backend.jobs.output_checks import vector_estimate_bytes as m2v_estimate
from backend.jobs.scenes import SceneListParams, mosaic_input, scene_paths
from backend.jobs.scheduler_runs import SCHEDULER_HELP, check_scheduler, run_on_scheduler
from backend.methods.anchor_sam.views import TestTimeViews
from backend.models.registry import get_weights_spec
from backend.runtime.progress import Progress, no_progress

KIND = "segment_roads"
DEFAULT_MODEL = "anchor_sam_pico_1m"
PROBABILITY_NODATA = -1.0


class SegmentRoadsParams(GpkgOutputParams, SceneListParams, RasterModelParams):
    """Parameters of ``segment_roads`` (see the module docstring)."""

    probability_path: str = Field(description="Road probability GeoTIFF to write (.tif).")
    output_path: str = Field(description="GeoPackage for road polygons / centerlines (.gpkg).")
    model: str = Field(DEFAULT_MODEL, description="Registered Anchor-SAM model id.")
    tile_px: int = Field(512, ge=64, le=2048, description="Tile side in model pixels.")
    overlap_px: int = Field(64, ge=0, le=512, description="Tile overlap in model pixels.")
    threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Road where probability >= this (default: the threshold the model card "
        "chose on validation data, else 0.5).",
    )
    test_time_augmentation: TestTimeViews | None = Field(
        None,
        description="Views of each tile whose probabilities are averaged: 1 (the tile only, "
        "fastest), 2 (and its mirror), 4 (the flips), 8 (all rotations and flips); each view "
        "costs one more pass of the model. Default: the model card's choice on validation "
        "data, else 1.",
    )
    centerlines: bool = Field(False, description="Also write centerlines and nodes.")
    simplify_tolerance_map: float = Field(
        0.0, ge=0.0, description="Polygon simplification tolerance, map units."
    )
    min_area_map: float = Field(0.0, ge=0.0, description="Drop polygons smaller (map units^2).")
    simplify_tolerance_m: float = Field(
        0.0,
        ge=0.0,
        description="Polygon simplification tolerance in metres on the ground, whatever the "
        "raster CRS; the larger of this and simplify_tolerance_map applies.",
    )
    min_area_m2: float = Field(
        0.0,
        ge=0.0,
        description="Drop polygons smaller than this many square metres on the ground, "
        "whatever the raster CRS; applies together with min_area_map.",
    )
    prune_spur_length_m: float = Field(
        10.0, ge=0.0, description="Prune dangling centerline spurs shorter than this (m)."
    )
    scheduler: str | None = Field(None, description=SCHEDULER_HELP)


def validate(params: SegmentRoadsParams) -> None:
    """Fail before a job starts: raster (readable, CRS, bands), model, device, tiling, and
    outputs (writable, not an input, room on the disk)."""
    if params.overlap_px >= params.tile_px:
        raise ValueError(
            f"Overlap ({params.overlap_px} px) must be smaller than the tile ({params.tile_px})."
        )
    check_scheduler(KIND, params.scheduler)
    with mosaic_input(params) as mosaic:
        validate_raster_model(mosaic, "anchor_sam")
        with open_raster(mosaic.raster_path) as dataset:
            pixels = dataset.width * dataset.height
            size = (dataset.width, dataset.height)
    inputs = (*scene_paths(params), params.checkpoint)
    # float32 probabilities, deflate: about a third of the raw 4 bytes per pixel.
    check_file_output(
        params.probability_path, (".tif", ".tiff"), inputs=inputs, estimate_bytes=pixels * 4 / 3
    )
    check_gpkg_output(
        params.output_path,
        mode=params.output_mode,
        layers=_vector_layers(params),
        inputs=(*inputs, params.probability_path),
        estimate_bytes=m2v_estimate(*size),
    )


def _vector_layers(params: SegmentRoadsParams) -> tuple[str, ...]:
    return (m2v.LAYER_POLYGONS,) + (m2v.LAYER_CENTERLINES, m2v.LAYER_NODES) * params.centerlines


def run(params: SegmentRoadsParams, report: Progress = no_progress) -> dict:
    """Segment roads of a raster (see the module docstring).

    Returns:
        ``{"outputs": {"probability": tif, "gpkg": gpkg}, "summary": {n_polygons,
        road_area_m2, road_fraction, crs, gsd_m, device, model, n_tiles}}``.

    Raises:
        RasterInputError, OutputPathError, ValueError: bad input (nothing written).
        OutputWriteError: an output did not read back as written (nothing published).
        JobCancelled: through ``report`` (nothing written).
        SchedulerError: ``scheduler`` is malformed or unreachable (nothing written).
    """
    if params.scheduler:
        return run_on_scheduler(KIND, params, report)
    validate(params)
    params = with_model_defaults(params)
    n_scenes = len(scene_paths(params))
    with mosaic_input(params) as params:
        loaded = load_job_model(params, report, (params.tile_px, params.overlap_px))
        views = params.test_time_augmentation or 1

        def make_predict(
            reader: ImageReader, scale: tuple[float, float]
        ) -> Callable[[Tile], np.ndarray]:
            return lambda tile: predict_tile(
                loaded.module, loaded.device, reader, scale, tile, views
            )

        result = segment(params, report, loaded.spec.gsd_m, loaded.device, make_predict)
    result["summary"]["n_scenes"] = n_scenes
    return result


def model_threshold(model_id: str) -> float:
    """The road threshold a model's card validated (``inference_defaults.threshold``, chosen
    on a selection split), else 0.5."""
    card = get_weights_spec(model_id).model_card or {}
    return float(card.get("inference_defaults", {}).get("threshold", 0.5))


def model_test_time_augmentation(model_id: str) -> int:
    """The number of test-time views a model's card validated
    (``inference_defaults.test_time_augmentation``, chosen on a selection split), else 1."""
    card = get_weights_spec(model_id).model_card or {}
    return int(card.get("inference_defaults", {}).get("test_time_augmentation", 1))


def with_model_defaults(params: SegmentRoadsParams) -> SegmentRoadsParams:
    """``params`` with the threshold and test-time views left empty taken from the model
    card (:func:`model_threshold`, :func:`model_test_time_augmentation`)."""
    update = {}
    if params.threshold is None:
        update["threshold"] = model_threshold(params.model)
    if params.test_time_augmentation is None:
        update["test_time_augmentation"] = model_test_time_augmentation(params.model)
    return params.model_copy(update=update)


def predict_tile(
    model,
    device: str,
    reader: ImageReader,
    scale: tuple[float, float],
    tile: Tile,
    test_time_augmentation: int = 1,
) -> np.ndarray:
    """Road probability of one tile: read as RGB at the model's GSD, segment, resample back.

    Args:
        model, device: the loaded Anchor-SAM module and its torch device.
        reader: the input raster's :class:`ImageReader`.
        scale: model pixels per raster pixel along columns and rows (``(x, y)``:
            :func:`~backend.jobs.model_loading.model_px_per_raster_px_xy`).
        tile: the tile, in raster pixels.
        test_time_augmentation: views averaged (``predict_probability``).

    Returns:
        (1, tile.height, tile.width) float32 probabilities (0 where the tile has no data).
    """
    # torch and the network only when the job runs: the service starts without them.
    import torch

    from backend.methods.anchor_sam.predict import predict_probability

    scale_x, scale_y = scale
    shape = (max(1, round(tile.height * scale_y)), max(1, round(tile.width * scale_x)))
    valid = reader.read_valid_mask(tile.window, shape)
    if not valid.any():
        return np.zeros((1, tile.height, tile.width), np.float32)
    image = reader.read_rgb(tile.window, shape)
    image[~valid] = 0
    prob = predict_probability(
        model, image, device, amp=True, test_time_augmentation=test_time_augmentation
    )
    if prob.shape != (tile.height, tile.width):  # back to raster pixels
        prob = torch.nn.functional.interpolate(
            torch.from_numpy(prob)[None, None],
            size=(tile.height, tile.width),
            mode="bilinear",
            align_corners=False,
        )[0, 0].numpy()
    return prob[None]


def segment(
    params: SegmentRoadsParams,
    report: Progress,
    model_gsd_m: float | None,
    device: str,
    make_predict: Callable[[ImageReader, tuple[float, float]], Callable[[Tile], np.ndarray]],
) -> dict:
    """Tile, blend, write and vectorise (steps 1-3 of the module docstring) with the tile
    predictor ``make_predict(reader, scale)`` returns (the model here, or a Dask cluster).

    Args:
        params: as :func:`with_model_defaults` returns them (threshold and views set).
        model_gsd_m: the model's GSD in metres (None: the raster's own).
        device: where the model runs (for the summary).
        make_predict: ``(reader, model px per raster px (x, y)) -> predict(tile)`` returning
            (1, tile.height, tile.width) float32, as :func:`predict_tile`.

    Returns and raises as :func:`run`.
    """
    threshold = params.threshold
    if threshold is None or params.test_time_augmentation is None:
        # Resolved once by the caller, which built make_predict for these views.
        raise ValueError("segment() takes params resolved by with_model_defaults()")
    with JobOutputs() as outputs, contextlib.ExitStack() as stack:
        dataset = stack.enter_context(open_raster(params.raster_path))
        info = raster_info(dataset)
        reader = ImageReader(dataset, tuple(params.bands) if params.bands else None)
        run_gsd_m, scale = model_px_per_raster_px_xy(info.gsd_m, model_gsd_m, params.gsd_m)
        tile_r, overlap_r = raster_tile_px(params.tile_px, params.overlap_px, scale)
        width, height = dataset.width, dataset.height

        tmp_tif = outputs.stage_geotiff(
            params.probability_path, width=width, height=height, count=1
        )
        profile = {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": 1,
            "dtype": "float32",
            "crs": dataset.crs,
            "transform": dataset.transform,
            "nodata": PROBABILITY_NODATA,
            "compress": "deflate",
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            "BIGTIFF": "IF_SAFER",
        }
        out = stack.enter_context(rasterio.open(tmp_tif, "w", **profile))
        predict = make_predict(reader, scale)

        def write_block(col_off: int, row_off: int, block: np.ndarray) -> None:
            window = Window(col_off, row_off, block.shape[2], block.shape[1])
            valid = reader.read_valid_mask(window)
            band = np.where(valid, np.clip(block[0], 0.0, 1.0), PROBABILITY_NODATA)
            out.write(band.astype(np.float32), 1, window=window)

        def on_tile(done: int, total: int) -> None:
            report(2.0 + 78.0 * done / total, f"Segmented tile {done}/{total}")

        n_tiles = _count_tiles(width, height, tile_r, overlap_r)
        blend_tiles(width, height, tile_r, overlap_r, 1, predict, write_block, on_tile)
        out.close()

        # Vectorise the finished probability raster before either file is published.
        def vector_report(percent: float, message: str = "") -> None:
            report(80.0 + 0.19 * percent, message)

        layers, vector_summary = m2v.vectorise(
            m2v.RoadMaskToVectorsParams(
                raster_path=str(tmp_tif),
                output_path=params.output_path,
                threshold=params.threshold,
                centerlines=params.centerlines,
                simplify_tolerance_map=params.simplify_tolerance_map,
                min_area_map=params.min_area_map,
                simplify_tolerance_m=params.simplify_tolerance_m,
                min_area_m2=params.min_area_m2,
                prune_spur_length_m=params.prune_spur_length_m,
            ),
            vector_report,
        )
        road_px = _count_above(tmp_tif, threshold)
        report(98.0, "Writing the GeoPackage")
        outputs.stage_gpkg(params.output_path, layers, mode=params.output_mode)
        # Both files together, after the last cancel point.
        outputs.publish(report)
    pixel_area_m2 = info.gsd_m[0] * info.gsd_m[1]
    summary = {
        **vector_summary,
        "road_area_m2": road_px[0] * pixel_area_m2,
        "road_fraction": road_px[0] / max(road_px[1], 1),
        "gsd_m": run_gsd_m,
        "device": device,
        "model": params.model,
        "n_tiles": n_tiles,
        "threshold": threshold,
        "test_time_augmentation": params.test_time_augmentation,
    }
    return {
        "outputs": {
            "probability": str(Path(params.probability_path)),
            "gpkg": str(Path(params.output_path)),
        },
        "summary": summary,
    }


def raster_tile_px(tile_px: int, overlap_px: int, scale: tuple[float, float]) -> tuple[int, int]:
    """``(tile, overlap)`` in raster pixels for tiles of at most ``tile_px`` model pixels
    along either axis overlapping by at least ``overlap_px`` model pixels along both (``scale``
    as :func:`predict_tile`'s)."""
    tile_r = max(8, round(tile_px / max(scale)))
    return tile_r, min(tile_r - 1, round(overlap_px / min(scale)))


def _count_tiles(width: int, height: int, tile: int, overlap: int) -> int:
    return len(tile_starts(width, tile, overlap)) * len(tile_starts(height, tile, overlap))


def _count_above(path: Path, threshold: float) -> tuple[int, int]:
    """(road pixels, valid pixels) of a probability GeoTIFF, block by block."""
    road = valid = 0
    with rasterio.open(path) as src:
        for _, window in src.block_windows(1):
            band = src.read(1, window=window)
            ok = band != PROBABILITY_NODATA
            valid += int(ok.sum())
            road += int((ok & (band >= threshold)).sum())
    return road, valid
