"""The "Segment roads" job on a Dask cluster.

Imports dask.distributed at import: the runner table imports this module only when a run
needs it. The model is the expensive part, so it is what the cluster runs: every tile of the job's
own tile grid (``tile_px`` / ``overlap_px`` at the model's GSD) becomes a task that returns
its (1, h, w) float32 probability. Each worker loads the model once, in a worker plugin
(:class:`SegmentModelPlugin`, set up when registered and again on a restarted worker), and
keeps the raster open; a task reads only its tile's window. The client blends the tiles
with the job's own :func:`~backend.geo.windows.blend_tiles` in the job's order, streams the
probability GeoTIFF and vectorises it as the in-process job does, so the outputs are the
in-process job's: one seamless probability raster, road polygons dissolved across tiles.

Tiles are submitted ahead of the blending by a bounded window (4 per worker), so the
results waiting on the cluster stay bounded too. Workers must see the raster and the
weights at the same paths as the client.

Memory per worker: the model (weights + activations of one tile) plus one tile read:
``(tile_px)^2 x 3`` bytes of RGB at the model's GSD, and its float32 probability.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import OrderedDict
from typing import Any

import numpy as np
from distributed import WorkerPlugin, get_worker

from backend.distributed.cluster import connect, with_absolute_paths
from backend.geo.raster import ImageReader, open_raster
from backend.geo.windows import Tile, tile_starts
from backend.jobs.segment_roads import SegmentRoadsParams, predict_tile, segment, validate
from backend.models.registry import get_model, get_weights_spec
from backend.runtime.device import resolve_device
from backend.runtime.progress import Progress, no_progress

KIND = "segment_roads"
AHEAD_PER_WORKER = 4


class SegmentModelPlugin(WorkerPlugin):
    """Dask worker plugin: the Anchor-SAM model and the open raster, once per worker.

    Args:
        params_json: the job's params (``model_dump(mode="json")``); the model, checkpoint,
            device, raster and bands are used.

    Attributes:
        name: plugin name on the worker, unique per model + raster + device.
        loads: how many times this worker loaded the model (1 after ``setup``).
        tiles: tiles predicted on this worker.
    """

    def __init__(self, params_json: dict) -> None:
        self.params_json = params_json
        keyed = {
            k: params_json.get(k)
            for k in ("model", "checkpoint", "model_dir", "device", "raster_path", "bands")
        }
        digest = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()
        self.name = f"roadextract-segment-{digest[:16]}"
        self.loads = self.tiles = 0
        self.model: Any = None
        self.device: Any = None
        self.reader: Any = None
        self._dataset: Any = None

    def setup(self, worker=None) -> None:
        params = SegmentRoadsParams.model_validate(self.params_json)
        self.device = resolve_device(params.device)
        self.model = get_model(
            params.model,
            model_dir=params.model_dir,
            device=self.device,
            checkpoint=params.checkpoint,
            verify_sha256=params.checkpoint is None,
        )
        self.loads += 1
        self._dataset = open_raster(params.raster_path)
        self.reader = ImageReader(self._dataset, tuple(params.bands) if params.bands else None)

    def teardown(self, worker=None) -> None:
        if self._dataset is not None:
            self._dataset.close()

    def predict(self, tile: Tile, scale: float) -> np.ndarray:
        self.tiles += 1
        return predict_tile(self.model, self.device, self.reader, scale, tile)


def predict_tile_task(plugin_name: str, tile: Tile, scale: float) -> np.ndarray:
    """One Dask task: (1, tile.height, tile.width) float32 probability of one tile."""
    plugin: Any = get_worker().plugins[plugin_name]
    return plugin.predict(tile, scale)


def _plugin_stats(plugin_name: str, dask_worker=None) -> dict:
    plugin = dask_worker.plugins[plugin_name]
    return {"loads": plugin.loads, "tiles": plugin.tiles, "device": plugin.device}


def blend_order(width_px: int, height_px: int, tile_px: int, overlap_px: int, band_tiles=8):
    """The tiles in the order :func:`~backend.geo.windows.blend_tiles` asks for them (a
    prefetch hint only: a tile asked for out of this order is submitted on demand)."""
    xs, ys = tile_starts(width_px, tile_px, overlap_px), tile_starts(height_px, tile_px, overlap_px)
    for b in range(0, len(xs), band_tiles):
        for y in ys:
            for x in xs[b : b + band_tiles]:
                yield Tile(x, y, min(tile_px, width_px - x), min(tile_px, height_px - y))


class _ClusterPredictor:
    """``predict(tile)`` for :func:`segment`, answered by the cluster with bounded lookahead."""

    def __init__(self, client, plugin_name, scale, order, ahead) -> None:
        self.client, self.plugin_name, self.scale = client, plugin_name, scale
        self.order, self.ahead = iter(order), ahead
        self.futures: OrderedDict[Tile, Any] = OrderedDict()
        self._top_up()

    def _submit(self, tile: Tile):
        return self.client.submit(predict_tile_task, self.plugin_name, tile, self.scale)

    def _top_up(self) -> None:
        while len(self.futures) < self.ahead:
            tile = next(self.order, None)
            if tile is None:
                return
            self.futures[tile] = self._submit(tile)

    def __call__(self, tile: Tile) -> np.ndarray:
        future = self.futures.pop(tile, None) or self._submit(tile)
        self._top_up()
        result = future.result()
        future.release()
        return result

    def cancel(self) -> None:
        if self.futures:
            self.client.cancel(list(self.futures.values()))
            self.futures.clear()


def run_distributed(params: SegmentRoadsParams, report: Progress = no_progress) -> dict:
    """Run ``segment_roads`` with its tiles predicted on the cluster ``params.scheduler``.

    Returns:
        As the in-process job; ``summary`` adds ``workers``, ``dashboard`` and
        ``model_loads`` (per worker: how often it loaded the model, normally 1).

    Raises:
        SchedulerError: bad option or unreachable scheduler (nothing written).
        RasterInputError, OutputPathError, ValueError, OutputWriteError: as the job.
        JobCancelled: from ``report`` (nothing written; the tiles in flight are cancelled).
    """
    validate(params)
    params = with_absolute_paths(params)
    spec = get_weights_spec(params.model)
    with connect(params.scheduler or "") as conn:
        link = conn.dashboard_link
        print(f"Dask dashboard: {link or '(none)'}", file=sys.stderr, flush=True)
        report(1.0, f"Loading {params.model} on {conn.n_workers} Dask workers; dashboard {link}")
        plugin = SegmentModelPlugin(params.model_dump(mode="json"))
        client = conn.client
        client.register_plugin(plugin, name=plugin.name)  # setup() runs on every worker
        stats = client.run(_plugin_stats, plugin.name)
        devices = sorted({s["device"] for s in stats.values()})
        predictors: list[_ClusterPredictor] = []

        def make_predict(reader: ImageReader, scale: float):
            with open_raster(params.raster_path) as dataset:
                width, height = dataset.width, dataset.height
            tile_r = max(8, round(params.tile_px / scale))
            overlap_r = min(tile_r - 1, round(params.overlap_px / scale))
            order = blend_order(width, height, tile_r, overlap_r)
            predictor = _ClusterPredictor(
                client, plugin.name, scale, order, AHEAD_PER_WORKER * max(1, conn.n_workers)
            )
            predictors.append(predictor)
            return predictor

        try:
            result = segment(params, report, spec.gsd_m, ",".join(devices), make_predict)
        finally:
            for predictor in predictors:
                predictor.cancel()
        stats = client.run(_plugin_stats, plugin.name)
    result["summary"].update(
        workers=conn.n_workers,
        dashboard=link,
        model_loads=sorted(s["loads"] for s in stats.values()),
        tiles_per_worker=sorted(s["tiles"] for s in stats.values()),
    )
    return result
