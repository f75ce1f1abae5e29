"""Job kind ``interactive_encode``: encode a raster window once for interactive prompting.

Reads the window (clipped to the raster, shrunk about its centre when larger than the
engine decodes interactively), resamples it to the engine's working resolution (road
model: its GSD; SAM: longest side at most 1024 px, its input size), encodes it or takes
the embedding from the cache (``backend.interactive.cache``), and opens a session
(``backend.interactive.sessions``). Contract: docs/backend_api.md, "Interactive extraction".
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pydantic import BaseModel, Field
from rasterio.warp import Resampling, reproject
from rasterio.windows import Window

from backend.geo.raster import ImageReader, open_raster, raster_info, unit_scale_divisor
from backend.interactive.engine_table import DEFAULT_MODELS, ENGINE_TABLE, EngineName
from backend.jobs.model_loading import check_weights_installed, model_px_per_raster_px
from backend.models.registry import get_weights_spec
from backend.runtime.progress import Progress, no_progress

# Largest raster window (pixels per side) the sam engine reads.
SAM_MAX_WINDOW_PX = 4096


class InteractiveEncodeParams(BaseModel):
    """Parameters of the ``interactive_encode`` job (see docs/backend_api.md)."""

    raster_path: str = Field(description="Image raster (needs a CRS).")
    engine: EngineName = Field("road", description="road (RoadGIE-style) or sam.")
    model: str | None = Field(None, description="Registry id; null = the engine's default.")
    checkpoint_path: str | None = Field(
        None, description="Own weights file (SAM official checkpoint or road weights)."
    )
    window_px: list[int] | None = Field(
        None, description="[col_off, row_off, width, height] raster pixels; null = all."
    )
    bands: list[int] | None = Field(None, description="1-based bands (1 or 3); null = auto.")
    device: str = Field("cpu", description="torch device.")
    model_dir: str | None = Field(None, description="Folder of downloaded checkpoints.")
    initial_probability_raster: str | None = Field(
        None, description="Road engine: probability raster giving the starting logits."
    )
    initial_model: str | None = Field(
        None,
        description="Road engine: an Anchor-SAM model (registry id, e.g. anchor_sam_pico_1m) "
        "run on the encoded view; its road probability gives the starting logits.",
    )


def _engine_model(params: InteractiveEncodeParams) -> str:
    return params.model or DEFAULT_MODELS[params.engine]


def validate(params: InteractiveEncodeParams) -> None:
    """Fail fast: raster opens with a CRS, bands and window are valid, the model belongs to
    the engine and its weights are there, the initial probability raster opens.

    Raises:
        ValueError / RasterInputError with a message that says what to do.
    """
    model = _engine_model(params)
    spec = get_weights_spec(model)
    if (
        params.initial_probability_raster is not None or params.initial_model is not None
    ) and not ENGINE_TABLE[params.engine].takes_initial_probability:
        raise ValueError("initial_probability_raster and initial_model are for the road engine")
    if params.initial_model is not None:
        if params.initial_probability_raster is not None:
            raise ValueError(
                "give initial_probability_raster or initial_model, not both: each one is a "
                "starting mask"
            )
        start = get_weights_spec(params.initial_model)
        if start.method != "anchor_sam":
            raise ValueError(
                f"initial_model {params.initial_model!r} is a {start.method} model; give an "
                "anchor_sam road segmentation model (GET /models)"
            )
        if start.gsd_m != spec.gsd_m:
            raise ValueError(
                f"initial_model {params.initial_model!r} works at {start.gsd_m} m, the road "
                f"model {model!r} at {spec.gsd_m} m; give one at the road model's GSD, or "
                "run Segment roads and pass its raster as initial_probability_raster"
            )
        check_weights_installed(start, None, params.model_dir)
    wanted = ENGINE_TABLE[params.engine].methods
    if spec.method not in wanted:
        raise ValueError(
            f"model {model!r} ({spec.method}) does not fit engine {params.engine!r}; pick a "
            f"{'/'.join(wanted)} model (GET /models)"
        )
    check_weights_installed(spec, params.checkpoint_path, params.model_dir)
    with open_raster(params.raster_path) as ds:
        ImageReader(ds, tuple(params.bands) if params.bands else None)  # checks the bands
        clip_window(params.window_px, ds.width, ds.height)
    if params.initial_probability_raster is not None:
        with open_raster(params.initial_probability_raster):
            pass


def clip_window(
    window_px: list[int] | None, width_px: int, height_px: int
) -> tuple[int, int, int, int]:
    """The part of ``[col_off, row_off, width, height]`` inside a raster.

    Raises:
        ValueError: malformed window, or no overlap with the raster.
    """
    if window_px is None:
        return 0, 0, int(width_px), int(height_px)
    if len(window_px) != 4 or window_px[2] <= 0 or window_px[3] <= 0:
        raise ValueError(
            f"window_px must be [col_off, row_off, width, height] with positive size, got "
            f"{window_px}"
        )
    c0, r0, w, h = (int(v) for v in window_px)
    c1, r1 = min(c0 + w, width_px), min(r0 + h, height_px)
    c0, r0 = max(c0, 0), max(r0, 0)
    if c1 <= c0 or r1 <= r0:
        raise ValueError(
            f"window_px {window_px} does not overlap the raster (0, 0, {width_px}, {height_px})"
        )
    return c0, r0, c1 - c0, r1 - r0


def shrink_about_centre(
    window: tuple[int, int, int, int], max_w: int, max_h: int
) -> tuple[int, int, int, int]:
    """A window of at most ``max_w x max_h`` pixels with the same centre (inside the
    original)."""
    c0, r0, w, h = window
    nw, nh = min(w, max(int(max_w), 1)), min(h, max(int(max_h), 1))
    return c0 + (w - nw) // 2, r0 + (h - nh) // 2, nw, nh


def model_geometry(
    engine: str,
    window: tuple[int, int, int, int],
    raster_gsd_m: tuple[float, float],
    model_gsd_m: float | None,
    max_model_px: int,
) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """The window to encode and the model image size ``(H, W)``.

    Road: the window resampled to ``model_gsd_m`` (``backend.geo.gsd.resample_factor``),
    shrunk about its centre so that neither side exceeds ``max_model_px`` model pixels. SAM:
    at most ``SAM_MAX_WINDOW_PX`` raster pixels per side, read so that the longest side is at
    most ``max_model_px`` (SAM resizes to its 1024 px input anyway).
    """
    if ENGINE_TABLE[engine].works_at_model_gsd:
        fx = model_px_per_raster_px(raster_gsd_m[0], model_gsd_m)[1]
        fy = model_px_per_raster_px(raster_gsd_m[1], model_gsd_m)[1]
        window = shrink_about_centre(
            window, math.floor(max_model_px / fx), math.floor(max_model_px / fy)
        )
        hw = (max(1, round(window[3] * fy)), max(1, round(window[2] * fx)))
        return window, hw
    window = shrink_about_centre(window, SAM_MAX_WINDOW_PX, SAM_MAX_WINDOW_PX)
    s = min(1.0, max_model_px / max(window[2], window[3]))
    return window, (max(1, round(window[3] * s)), max(1, round(window[2] * s)))


def read_probability_on_grid(
    path: str, dst_transform, dst_crs, shape_hw: tuple[int, int]
) -> np.ndarray:
    """Band 1 of a probability raster reprojected (bilinear) onto a grid, scaled to 0..1
    (``backend.geo.raster.unit_scale_divisor``); no data and outside read 0. GDAL reads only
    the part of the source the grid needs.

    Args:
        path: probability raster (any CRS).
        dst_transform: affine pixel -> map of the grid.
        dst_crs: CRS of the grid.
        shape_hw: ``(H, W)`` of the grid.

    Returns:
        ``(H, W)`` float32 in [0, 1].
    """
    out = np.zeros(shape_hw, np.float32)
    with open_raster(path) as src:
        divisor = unit_scale_divisor(src, 1)
        reproject(
            source=rasterio.band(src, 1),
            destination=out,
            dst_transform=dst_transform,
            dst_crs=dst_crs,
            dst_nodata=0.0,
            resampling=Resampling.bilinear,
        )
    return np.clip(out / np.float32(divisor), 0.0, 1.0)


def starting_probability(
    model_id: str, image: np.ndarray, device: str = "cpu", model_dir: str | None = None
) -> np.ndarray:
    """Road probability of an Anchor-SAM model on the model image: the refinement start of
    ``initial_model`` (the road engine then merges each round into it), averaged over the
    test-time views its card validated, as the Segment roads job runs it by default (8 for
    the shipped model: on the select split they raised the Dice after 5 merged clicks).

    Args:
        model_id: registry id of an ``anchor_sam`` model at the road model's GSD.
        image: ``(H, W, 3)`` uint8 RGB model image (the encoded window at that GSD).
        device: torch device.
        model_dir: folder of downloaded checkpoints.

    Returns:
        ``(H, W)`` float32 in [0, 1].

    Raises:
        ValueError: ``model_id`` is not an Anchor-SAM model.
    """
    import torch

    from backend.jobs.segment_roads import model_test_time_augmentation
    from backend.methods.anchor_sam.model import AnchorSAM
    from backend.methods.anchor_sam.predict import predict_probability
    from backend.models.registry import get_model

    model = get_model(model_id, model_dir=model_dir, device=device)
    if not isinstance(model, AnchorSAM):  # validate() admits anchor_sam models only
        raise ValueError(f"initial_model {model_id!r} is not an Anchor-SAM model")
    model.eval()
    with torch.inference_mode():
        views = model_test_time_augmentation(model_id)
        return predict_probability(model, image, device, test_time_augmentation=views).astype(
            np.float32
        )


def run(params: InteractiveEncodeParams, report: Progress = no_progress) -> dict[str, Any]:
    """Encode the view and open a session; ``summary`` holds the session (see module)."""
    # The cache, engines and sessions load torch: imported when the job runs.
    from backend.interactive.cache import embedding_key, get_cache
    from backend.interactive.engines import RoadEngine, get_engine
    from backend.interactive.sessions import Session, get_store

    t0 = time.perf_counter()
    model = _engine_model(params)
    report(2, f"Loading {model}")
    engine = get_engine(
        params.engine, model, params.device, params.checkpoint_path, params.model_dir
    )
    with open_raster(params.raster_path) as ds:
        info = raster_info(ds)
        window = clip_window(params.window_px, ds.width, ds.height)
        window, model_hw = model_geometry(
            params.engine, window, info.gsd_m, engine.model_gsd_m, engine.max_model_px
        )
        bands = tuple(params.bands) if params.bands else None
        key = embedding_key(
            params.raster_path,
            window,
            bands,
            params.engine,
            model,
            params.checkpoint_path,
            model_hw,
        )
        cache = get_cache()
        payload, level = cache.get(key)
        image = None
        if payload is None or params.initial_model is not None:
            report(10, "Reading the window")
            reader = ImageReader(ds, bands)
            image = reader.read_rgb(Window(*window), out_shape_hw=model_hw)
        if payload is None:
            assert image is not None
            report(30, f"Encoding {model_hw[1]} x {model_hw[0]} px with {model}")
            payload = engine.encode(image)
            report(90, "Caching the embedding")
            cache.put(key, payload)
        embedding = engine.prepare(payload)
        transform, crs = ds.transform, ds.crs
    session = Session(
        session_id=get_store().new_id(),
        engine_name=params.engine,
        model=model,
        engine=engine,
        embedding=embedding,
        window_px=window,
        model_hw=model_hw,
        transform=transform,
        crs_wkt=info.crs_wkt,
        raster_gsd_m=info.gsd_m,
        model_gsd_m=engine.model_gsd_m,
    )
    start = None  # round 0: the starting road probability on the model image, if any
    if params.initial_probability_raster is not None:
        report(95, "Reading the initial probability raster")
        sx, sy = session.scale_xy
        grid = transform * Affine(1.0 / sx, 0.0, window[0], 0.0, 1.0 / sy, window[1])
        start = read_probability_on_grid(params.initial_probability_raster, grid, crs, model_hw)
    elif params.initial_model is not None:
        assert image is not None  # read above for the start
        report(95, "Computing the starting road probability")
        start = starting_probability(params.initial_model, image, params.device, params.model_dir)
    if start is not None:
        assert isinstance(engine, RoadEngine)  # validate() allows a start for this engine only
        session.initial_logits = engine.initial_logits(start)
        session.initial_shown = engine.initial_shown(start)
    get_store().add(session)
    return {
        "outputs": {},
        "summary": {
            "session_id": session.session_id,
            "window_px": list(window),
            "model": model,
            "engine": params.engine,
            "model_gsd_m": engine.model_gsd_m,
            "cached": level is not None,
            "crs_wkt": info.crs_wkt,
            "encode_ms": (time.perf_counter() - t0) * 1000.0,
        },
    }
