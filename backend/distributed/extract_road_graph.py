"""The "Extract road graph" job on a Dask cluster.

Blocks are the job's own blocks (``block_px`` model pixels overlapping by ``overlap_px``);
one task per block reads only its window and returns its candidate graph (a
``WindowGraph`` in global model pixels: small arrays). Each worker loads the LineGraph2Road
model once, in a worker plugin (:class:`GraphModelPlugin`). The client takes the block
graphs in block order and runs the job's own reduction (``stitch_window_graphs``, then
``output_graph``) and write, so block borders get no duplicate nodes or broken
edges, exactly as in the in-process job.

Resume: every block's graph is stored as it arrives, in the run's manifest beside the
GeoPackage (:class:`~backend.distributed.manifest.BlockManifest`), keyed by the parameters
and the scenes' (and the checkpoint's) identities; a rerun with the same key predicts only
the blocks the manifest lacks and ends with the uninterrupted run's graph. Several scenes:
the workers read the scenes' VRT mosaic, written beside the output (``<output>.scenes/``).

Imports dask.distributed at import: the runner table imports this module only when a run
needs it. Workers must see the raster and the weights at the same paths as the client.
Memory per worker: the model plus one block, ``block_px^2 x 3`` bytes of RGB and the
window pass's probability maps (about ``block_px^2 x 12`` bytes of float32).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from typing import Any

import numpy as np
from distributed import WorkerPlugin, as_completed, get_worker

from backend.distributed.cluster import connect, with_absolute_paths
from backend.distributed.manifest import BlockManifest, run_key
from backend.geo.raster import ImageReader, open_raster
from backend.jobs.extract_road_graph import (
    ExtractRoadGraphParams,
    block_predictor,
    extract,
    graph_settings,
    predict_block_graph,
    validate,
)
from backend.jobs.scenes import mosaic_folder, mosaic_input, remove_mosaic_folder, scene_paths
from backend.models.registry import get_model, get_weights_spec
from backend.runtime.device import resolve_device
from backend.runtime.progress import Progress, no_progress


class GraphModelPlugin(WorkerPlugin):
    """Dask worker plugin: the LineGraph2Road predictor and the open raster, once per worker.

    Args:
        params_json: the job's params (``model_dump(mode="json")``).

    Attributes:
        name: plugin name on the worker, unique per parameter set.
        loads: how many times this worker loaded the model (1 after ``setup``).
        blocks: blocks predicted on this worker.
    """

    def __init__(self, params_json: dict) -> None:
        self.params_json = params_json
        digest = hashlib.sha256(json.dumps(params_json, sort_keys=True).encode()).hexdigest()
        self.name = f"roadextract-graph-{digest[:16]}"
        self.loads = self.blocks = 0
        self.predictor: Any = None
        self.settings: Any = None
        self.window_px: Any = None
        self.device: str | None = None
        self.reader: Any = None
        self._dataset: Any = None

    def setup(self, worker=None) -> None:
        params = ExtractRoadGraphParams.model_validate(self.params_json)
        self.device = resolve_device(params.device)
        model = get_model(
            params.model,
            model_dir=params.model_dir,
            device=self.device,
            checkpoint=params.checkpoint,
            verify_sha256=params.checkpoint is None,
        )
        self.settings = graph_settings(params, get_weights_spec(params.model))
        self.predictor, self.window_px = block_predictor(params, model, self.device, self.settings)
        self.loads += 1
        self._dataset = open_raster(params.raster_path)
        self.reader = ImageReader(self._dataset, tuple(params.bands) if params.bands else None)

    def teardown(self, worker=None) -> None:
        if self._dataset is not None:
            self._dataset.close()

    def predict(self, block, scale: tuple[float, float]):
        self.blocks += 1
        overlap_px = self.params_json["overlap_px"]
        return predict_block_graph(
            self.predictor, self.settings, self.reader, block, scale, self.window_px, overlap_px
        )


def predict_block_task(plugin_name: str, block, scale: tuple[float, float]):
    """One Dask task: one block's ``WindowGraph`` (or None for a block without data)."""
    plugin: Any = get_worker().plugins[plugin_name]
    return plugin.predict(block, scale)


def _plugin_stats(plugin_name: str, dask_worker=None) -> dict:
    plugin = dask_worker.plugins[plugin_name]
    return {"loads": plugin.loads, "blocks": plugin.blocks, "device": plugin.device}


_GRAPH_FIELDS = ("points_xy_px", "edge_index", "edge_prob", "scores", "is_keypoint", "is_overpass")


def encode_block_graph(graph) -> bytes:
    """A block's ``WindowGraph`` (or None: a block without data) as ``.npz`` bytes (exact,
    no pickle)."""
    buf = io.BytesIO()
    if graph is None:
        np.savez(buf, empty=np.ones(1, bool))
    else:
        arrays: dict[str, Any] = {
            name: np.asarray(value)
            for name in _GRAPH_FIELDS
            if (value := getattr(graph, name)) is not None
        }
        np.savez(buf, **arrays)
    return buf.getvalue()


def decode_block_graph(data: bytes):
    """Inverse of :func:`encode_block_graph`."""
    from backend.methods.linegraph2road.stitching import WindowGraph

    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        if "empty" in z.files:
            return None
        return WindowGraph(**{name: z[name] for name in _GRAPH_FIELDS if name in z.files})


def run_distributed(params: ExtractRoadGraphParams, report: Progress = no_progress) -> dict:
    """Run ``extract_road_graph`` with its blocks predicted on ``params.scheduler``.

    Returns:
        As the in-process job; ``summary`` adds ``workers``, ``dashboard``, ``model_loads``,
        ``blocks_per_worker``, ``blocks_computed`` and ``blocks_reused`` (from the manifest
        of an interrupted run).

    Raises:
        SchedulerError: bad option or unreachable scheduler (nothing written).
        RasterInputError, OutputPathError, ValueError, OutputWriteError: as the job.
        JobCancelled: from ``report`` (no output written; blocks in flight are cancelled,
            the finished ones stay in the manifest for a rerun).
    """
    validate(params)
    params = with_absolute_paths(params)
    scenes = scene_paths(params)
    key = run_key(params, [*scenes, *([params.checkpoint] if params.checkpoint else [])])
    with mosaic_input(params, mosaic_folder(params.output_path)) as mosaic:
        params = mosaic
    spec = get_weights_spec(params.model)
    settings = graph_settings(params, spec)
    with connect(params.scheduler or "") as conn:
        link, client = conn.dashboard_link, conn.client
        print(f"Dask dashboard: {link or '(none)'}", file=sys.stderr, flush=True)
        report(1.0, f"Loading {params.model} on {conn.n_workers} Dask workers; dashboard {link}")
        plugin = GraphModelPlugin(params.model_dump(mode="json"))
        client.register_plugin(plugin, name=plugin.name)  # setup() runs on every worker
        devices = sorted({s["device"] for s in client.run(_plugin_stats, plugin.name).values()})
        futures: dict[Any, int] = {}
        manifests: list[BlockManifest] = []
        counts = {"computed": 0, "reused": 0}

        def predict_blocks(reader: ImageReader, blocks, scale: tuple[float, float]):
            manifest = BlockManifest(params.output_path, key, len(blocks))
            manifests.append(manifest)
            counts["reused"] = len(manifest.done)
            todo = [i for i in range(len(blocks)) if i not in manifest.done]
            futures.update(
                {client.submit(predict_block_task, plugin.name, blocks[i], scale): i for i in todo}
            )
            # Recorded as they finish (an interrupted run keeps every finished block) ...
            for future in as_completed(list(futures)):
                manifest.record(futures.pop(future), encode_block_graph(future.result()))
                future.release()
                counts["computed"] += 1
                done = len(manifest.done)
                report(5.0 + 85.0 * done / len(blocks), f"Block {done}/{len(blocks)}")
            manifest.save()
            # ... and handed on in block order: the reduction sees them as in-process.
            for i in range(len(blocks)):
                yield decode_block_graph(manifest.read_block(i))

        try:
            result = extract(params, report, spec, ",".join(devices), settings, predict_blocks)
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                client.cancel(pending)
            for manifest in manifests:
                manifest.save()
        stats = client.run(_plugin_stats, plugin.name)
    for manifest in manifests:  # the output is published: the blocks are not needed
        manifest.remove()
    remove_mosaic_folder(params.output_path)
    result["summary"].update(
        n_scenes=len(scenes),
        workers=conn.n_workers,
        dashboard=link,
        model_loads=sorted(s["loads"] for s in stats.values()),
        blocks_per_worker=sorted(s["blocks"] for s in stats.values()),
        blocks_computed=counts["computed"],
        blocks_reused=counts["reused"],
    )
    return result
