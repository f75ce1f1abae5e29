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

Resume: every tile's probability is stored as it is blended, in the run's manifest beside
the GeoPackage (:class:`~backend.distributed.manifest.BlockManifest`: ``<output>.blocks/``,
``<output>.blocks.json``), keyed by the parameters and the scenes' (and the checkpoint's)
identities. A rerun with the same key reads the stored tiles instead of predicting them,
so an interrupted run resumes where it stopped and ends with the uninterrupted run's
outputs; any other key starts afresh. Disk: one float32 tile per tile, about 4 bytes per
raster pixel (plus the overlap), removed once the outputs are published.

Several scenes: the workers read the scenes' VRT mosaic, written beside the output
(``<output>.scenes/``, removed at the end).

Memory per worker: the model (weights + activations of one tile) plus one tile read:
``(tile_px)^2 x 3`` bytes of RGB at the model's GSD, and its float32 probability.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections import OrderedDict
from typing import Any

import numpy as np
from distributed import WorkerPlugin, get_worker

from backend.distributed.cluster import connect, with_absolute_paths
from backend.distributed.manifest import BlockManifest, run_key
from backend.geo.raster import ImageReader, open_raster
from backend.geo.windows import Tile, tile_starts
from backend.jobs.scenes import mosaic_folder, mosaic_input, remove_mosaic_folder, scene_paths
from backend.jobs.segment_roads import (
    SegmentRoadsParams,
    predict_tile,
    raster_tile_px,
    segment,
    validate,
    with_model_defaults,
)
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
        self.views = params.test_time_augmentation or 1
        self.loads += 1
        self._dataset = open_raster(params.raster_path)
        self.reader = ImageReader(self._dataset, tuple(params.bands) if params.bands else None)

    def teardown(self, worker=None) -> None:
        if self._dataset is not None:
            self._dataset.close()

    def predict(self, tile: Tile, scale: tuple[float, float]) -> np.ndarray:
        self.tiles += 1
        return predict_tile(self.model, self.device, self.reader, scale, tile, self.views)


def predict_tile_task(plugin_name: str, tile: Tile, scale: tuple[float, float]) -> np.ndarray:
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


def tile_grid(width_px: int, height_px: int, tile_px: int, overlap_px: int) -> list[Tile]:
    """Every tile of the job's grid, row-major: a tile's index here names it in the
    manifest."""
    xs = tile_starts(width_px, tile_px, overlap_px)
    ys = tile_starts(height_px, tile_px, overlap_px)
    return [
        Tile(x, y, min(tile_px, width_px - x), min(tile_px, height_px - y)) for y in ys for x in xs
    ]


def encode_tile(probability: np.ndarray) -> bytes:
    """A tile's (1, h, w) float32 probability as ``.npy`` bytes (exact, no pickle)."""
    buf = io.BytesIO()
    np.save(buf, probability, allow_pickle=False)
    return buf.getvalue()


def decode_tile(data: bytes) -> np.ndarray:
    """Inverse of :func:`encode_tile`."""
    return np.load(io.BytesIO(data), allow_pickle=False)


class _ClusterPredictor:
    """``predict(tile)`` for :func:`segment`, answered from the manifest (tiles of an earlier
    run) or by the cluster with bounded lookahead; every predicted tile is recorded."""

    def __init__(self, client, plugin_name, scale, order, ahead, manifest, index_of) -> None:
        self.client, self.plugin_name, self.scale = client, plugin_name, scale
        self.order, self.ahead = iter(order), ahead
        self.manifest: BlockManifest = manifest
        self.index_of: dict[Tile, int] = index_of
        self.futures: OrderedDict[Tile, Any] = OrderedDict()
        self.computed = self.reused = 0
        self._top_up()

    def _submit(self, tile: Tile):
        return self.client.submit(predict_tile_task, self.plugin_name, tile, self.scale)

    def _top_up(self) -> None:
        while len(self.futures) < self.ahead:
            tile = next(self.order, None)
            if tile is None:
                return
            if self.index_of[tile] not in self.manifest.done:
                self.futures[tile] = self._submit(tile)

    def __call__(self, tile: Tile) -> np.ndarray:
        index = self.index_of[tile]
        future = self.futures.pop(tile, None)
        if future is None and index in self.manifest.done:
            self.reused += 1
            return decode_tile(self.manifest.read_block(index))
        future = future or self._submit(tile)
        self._top_up()
        result = future.result()
        future.release()
        self.manifest.record(index, encode_tile(result))
        self.computed += 1
        return result

    def cancel(self) -> None:
        if self.futures:
            self.client.cancel(list(self.futures.values()))
            self.futures.clear()


def run_distributed(params: SegmentRoadsParams, report: Progress = no_progress) -> dict:
    """Run ``segment_roads`` with its tiles predicted on the cluster ``params.scheduler``.

    Returns:
        As the in-process job; ``summary`` adds ``workers``, ``dashboard``,
        ``model_loads`` (per worker: how often it loaded the model, normally 1),
        ``tiles_per_worker``, ``tiles_computed`` and ``tiles_reused`` (from the manifest
        of an interrupted run).

    Raises:
        SchedulerError: bad option or unreachable scheduler (nothing written).
        RasterInputError, OutputPathError, ValueError, OutputWriteError: as the job.
        JobCancelled: from ``report`` (no output written; the tiles in flight are cancelled,
            the finished ones stay in the manifest for a rerun).
    """
    validate(params)
    params = with_model_defaults(with_absolute_paths(params))
    scenes = scene_paths(params)
    key = run_key(params, [*scenes, *([params.checkpoint] if params.checkpoint else [])])
    with mosaic_input(params, mosaic_folder(params.output_path)) as mosaic:
        params = mosaic
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
        manifests: list[BlockManifest] = []

        def make_predict(reader: ImageReader, scale: tuple[float, float]):
            with open_raster(params.raster_path) as dataset:
                width, height = dataset.width, dataset.height
            tile_r, overlap_r = raster_tile_px(params.tile_px, params.overlap_px, scale)
            tiles = tile_grid(width, height, tile_r, overlap_r)
            manifest = BlockManifest(params.output_path, key, len(tiles))
            manifests.append(manifest)
            predictor = _ClusterPredictor(
                client,
                plugin.name,
                scale,
                blend_order(width, height, tile_r, overlap_r),
                AHEAD_PER_WORKER * max(1, conn.n_workers),
                manifest,
                {tile: i for i, tile in enumerate(tiles)},
            )
            predictors.append(predictor)
            return predictor

        try:
            result = segment(params, report, spec.gsd_m, ",".join(devices), make_predict)
        finally:
            for predictor in predictors:
                predictor.cancel()
            for manifest in manifests:
                manifest.save()
        stats = client.run(_plugin_stats, plugin.name)
    for manifest in manifests:  # the outputs are published: the tiles are not needed
        manifest.remove()
    remove_mosaic_folder(params.output_path)
    result["summary"].update(
        n_scenes=len(scenes),
        workers=conn.n_workers,
        dashboard=link,
        model_loads=sorted(s["loads"] for s in stats.values()),
        tiles_per_worker=sorted(s["tiles"] for s in stats.values()),
        tiles_computed=sum(p.computed for p in predictors),
        tiles_reused=sum(p.reused for p in predictors),
    )
    return result
