"""Where a distributed run executes: ``local:N`` or the address of a running scheduler.

``local:N`` starts a ``LocalCluster`` of N worker processes with one thread each (our block
tasks are single-threaded NumPy/GDAL work; processes avoid the GIL). Any other value is a
scheduler address handed to ``distributed.Client`` as is (``tcp://host:8786``, ``tls://...``),
so dask-jobqueue, Kubernetes or cloud clusters work by their address.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from backend.jobs.scheduler_runs import SchedulerError, parse_scheduler

CONNECT_TIMEOUT_S = 5.0
WORKER_WAIT_S = 30.0


@dataclass
class Connection:
    """An open connection to a cluster.

    Attributes:
        client: the ``distributed.Client``.
        dashboard_link: URL of the Dask dashboard ("" when the scheduler serves none).
        n_workers: workers connected when the run started.
    """

    client: Any
    dashboard_link: str
    n_workers: int


@contextmanager
def connect(
    scheduler: str, *, connect_timeout_s: float = CONNECT_TIMEOUT_S
) -> Iterator[Connection]:
    """Start (``local:N``) or reach (address) a cluster for the length of the block.

    A local cluster is closed on exit; a remote one is only disconnected from.

    Raises:
        SchedulerError: bad option, no scheduler answered within ``connect_timeout_s``, or
            the scheduler had no worker within ``WORKER_WAIT_S``.
    """
    target = parse_scheduler(scheduler)
    from distributed import Client, LocalCluster  # checked by check_scheduler at submission

    cluster = client = None
    try:
        if isinstance(target, int):
            cluster = LocalCluster(
                n_workers=target,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(target, timeout=connect_timeout_s)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SchedulerError(
                    f"No Dask scheduler answered at {target} within {connect_timeout_s:g} s "
                    f"({type(exc).__name__}: {exc}). Start one (dask scheduler) or use "
                    "'local:N'."
                ) from None
        try:
            n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        except TypeError:  # older distributed: no n_workers argument
            n_workers = len(client.scheduler_info().get("workers", {}))
        if n_workers == 0:  # a scheduler without workers would leave the run waiting forever
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except (TimeoutError, OSError):
                raise SchedulerError(
                    f"The Dask scheduler at {target} has no workers (waited {WORKER_WAIT_S:g} "
                    "s); start some (dask worker ADDRESS)."
                ) from None
            n_workers = len(client.scheduler_info().get("workers", {}))
        yield Connection(client, client.dashboard_link or "", n_workers)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


_Params = TypeVar("_Params")


def with_absolute_paths(params: _Params) -> _Params:
    """A copy of a job's params whose raster(s), checkpoint and model folder are absolute
    paths: workers may run in another working directory."""
    absolute: dict = {
        name: str(Path(value).resolve())
        for name in ("raster_path", "checkpoint", "model_dir")
        if (value := getattr(params, name, None))
    }
    if scenes := getattr(params, "additional_raster_paths", None):
        absolute["additional_raster_paths"] = [str(Path(p).resolve()) for p in scenes]
    return params.model_copy(update=absolute)  # type: ignore[attr-defined]
