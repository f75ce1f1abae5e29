"""Registration of the distributed runners with the job modules' scheduler seam."""

from __future__ import annotations

from backend.distributed import road_mask_to_vectors
from backend.jobs import extract_road_graph as extract_road_graph_job
from backend.jobs import segment_roads as segment_roads_job
from backend.jobs.scheduler_runs import register_scheduler_runner
from backend.runtime.progress import Progress


# The model jobs' runners import dask.distributed (worker plugins) only when a run asks.
def _segment_roads(params, report: Progress) -> dict:
    from backend.distributed import segment_roads

    return segment_roads.run_distributed(params, report)


def _extract_road_graph(params, report: Progress) -> dict:
    from backend.distributed import extract_road_graph

    return extract_road_graph.run_distributed(params, report)


def register_runners() -> None:
    """Let jobs whose params name a ``scheduler`` run on a Dask cluster (idempotent)."""
    register_scheduler_runner(road_mask_to_vectors.KIND, road_mask_to_vectors.run_distributed)
    register_scheduler_runner(segment_roads_job.KIND, _segment_roads)
    register_scheduler_runner(extract_road_graph_job.KIND, _extract_road_graph)
