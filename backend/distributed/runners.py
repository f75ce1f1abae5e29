"""Registration of the distributed runners with the job modules' scheduler seam."""

from __future__ import annotations

from backend.distributed import road_mask_to_vectors
from backend.jobs.scheduler_runs import register_scheduler_runner


def register_runners() -> None:
    """Let jobs whose params name a ``scheduler`` run on a Dask cluster (idempotent)."""
    register_scheduler_runner(road_mask_to_vectors.KIND, road_mask_to_vectors.run_distributed)
