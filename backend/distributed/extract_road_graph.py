"""The "Extract road graph" job on a Dask cluster.

Blocks are the job's own blocks (``block_px`` model pixels overlapping by ``overlap_px``);
one task per block reads only its window and returns its candidate graph (a
``WindowGraph`` in global model pixels: small arrays). Each worker loads the LineGraph2Road
model once, in a worker plugin (:class:`GraphModelPlugin`). The client takes the block
graphs in block order and runs the job's own reduction (``stitch_window_graphs``, then
``split_collinear_edges``) and write, so block borders get no duplicate nodes or broken
edges, exactly as in the in-process job.

Imports dask.distributed at import: the runner table imports this module only when a run
needs it. Workers must see the raster and the weights at the same paths as the client.
Memory per worker: the model plus one block, ``block_px^2 x 3`` bytes of RGB and the
window pass's probability maps (about ``block_px^2 x 12`` bytes of float32).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from distributed import WorkerPlugin, get_worker

from backend.distributed.cluster import connect, with_absolute_paths
from backend.geo.raster import ImageReader, open_raster
from backend.jobs.extract_road_graph import (
    ExtractRoadGraphParams,
    block_predictor,
    extract,
    graph_settings,
    predict_block_graph,
    validate,
)
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

    def predict(self, block, scale: float):
        self.blocks += 1
        overlap_px = self.params_json["overlap_px"]
        return predict_block_graph(
            self.predictor, self.settings, self.reader, block, scale, self.window_px, overlap_px
        )


def predict_block_task(plugin_name: str, block, scale: float):
    """One Dask task: one block's ``WindowGraph`` (or None for a block without data)."""
    plugin: Any = get_worker().plugins[plugin_name]
    return plugin.predict(block, scale)


def _plugin_stats(plugin_name: str, dask_worker=None) -> dict:
    plugin = dask_worker.plugins[plugin_name]
    return {"loads": plugin.loads, "blocks": plugin.blocks, "device": plugin.device}


def run_distributed(params: ExtractRoadGraphParams, report: Progress = no_progress) -> dict:
    """Run ``extract_road_graph`` with its blocks predicted on ``params.scheduler``.

    Returns:
        As the in-process job; ``summary`` adds ``workers``, ``dashboard``, ``model_loads``
        and ``blocks_per_worker``.

    Raises:
        SchedulerError: bad option or unreachable scheduler (nothing written).
        RasterInputError, OutputPathError, ValueError, OutputWriteError: as the job.
        JobCancelled: from ``report`` (nothing written; blocks in flight are cancelled).
    """
    validate(params)
    params = with_absolute_paths(params)
    spec = get_weights_spec(params.model)
    settings = graph_settings(params, spec)
    with connect(params.scheduler or "") as conn:
        link, client = conn.dashboard_link, conn.client
        print(f"Dask dashboard: {link or '(none)'}", file=sys.stderr, flush=True)
        report(1.0, f"Loading {params.model} on {conn.n_workers} Dask workers; dashboard {link}")
        plugin = GraphModelPlugin(params.model_dump(mode="json"))
        client.register_plugin(plugin, name=plugin.name)  # setup() runs on every worker
        devices = sorted({s["device"] for s in client.run(_plugin_stats, plugin.name).values()})
        futures: list[Any] = []

        def predict_blocks(reader: ImageReader, blocks, scale: float):
            futures.extend(
                client.submit(predict_block_task, plugin.name, block, scale) for block in blocks
            )
            # In block order: the reduction sees them as the in-process job does.
            for i, future in enumerate(futures):
                graph = future.result()
                future.release()
                report(5.0 + 85.0 * (i + 1) / len(blocks), f"Block {i + 1}/{len(blocks)}")
                yield graph

        try:
            result = extract(params, report, spec, ",".join(devices), settings, predict_blocks)
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                client.cancel(pending)
        stats = client.run(_plugin_stats, plugin.name)
    result["summary"].update(
        workers=conn.n_workers,
        dashboard=link,
        model_loads=sorted(s["loads"] for s in stats.values()),
        blocks_per_worker=sorted(s["blocks"] for s in stats.values()),
    )
    return result
