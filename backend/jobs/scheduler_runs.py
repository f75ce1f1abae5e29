"""The seam between the job modules and ``backend.distributed``.

A job whose params carry ``scheduler`` (``local:N`` or a Dask scheduler address) runs on a
Dask cluster instead of in this process. ``backend.distributed`` imports the job modules
(their per-block steps and reductions), so they cannot import it back: the top floors (the
command line, the service) call ``backend.distributed.runners.register_runners()``, which
fills the table here. The syntax check of the option lives here so that submission checks
work without Dask installed.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from typing import Any

from backend.runtime.progress import Progress

_LOCAL = re.compile(r"^local:(\d+)$")
# scheme://host:port or host:port (Dask's default scheme is tcp).
_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://)?[^\s/:]+(:\d{1,5})?$", re.IGNORECASE)
MAX_LOCAL_WORKERS = 256
SCHEDULER_HELP = (
    "Run on a Dask cluster: 'local:N' (N worker processes on this machine) or a scheduler "
    "address such as 'tcp://host:8786'; empty runs in the backend process."
)

_RUNNERS: dict[str, Callable[[Any, Progress], dict]] = {}


class SchedulerError(ValueError):
    """The scheduler option is malformed, or its scheduler cannot be reached."""


def parse_scheduler(scheduler: str) -> int | str:
    """Check a scheduler option without connecting.

    Returns:
        The number of local workers (int) for ``local:N``, else the address (str).

    Raises:
        SchedulerError: neither ``local:N`` (1 <= N <= 256) nor an address.
    """
    value = scheduler.strip()
    local = _LOCAL.match(value)
    if local:
        n = int(local.group(1))
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise SchedulerError(
                f"scheduler {scheduler!r}: local workers must be 1..{MAX_LOCAL_WORKERS}."
            )
        return n
    if value.startswith("local") or not _ADDRESS.match(value):
        raise SchedulerError(
            f"scheduler {scheduler!r} is neither 'local:N' (N worker processes on this "
            "machine) nor a Dask scheduler address such as 'tcp://host:8786'."
        )
    return value


def register_scheduler_runner(kind: str, run: Callable[[Any, Progress], dict]) -> None:
    """Make ``run(params, report)`` the runner of ``kind`` when its params name a scheduler."""
    _RUNNERS[kind] = run


def check_scheduler(kind: str, scheduler: str | None) -> None:
    """Submission check: the option parses and this backend can run ``kind`` on a cluster.

    Raises:
        SchedulerError: malformed option, dask.distributed not installed, or no distributed
            runner for ``kind`` (the backend was started without ``backend.distributed``).
    """
    if not scheduler:
        return
    parse_scheduler(scheduler)
    if importlib.util.find_spec("distributed") is None:
        raise SchedulerError(
            "scheduler: distributed runs need dask.distributed, which is not installed in the "
            "backend's environment; install the 'distributed' extra (pip install -e "
            "'.[distributed]', or make install)."
        )
    if kind not in _RUNNERS:
        raise SchedulerError(
            f"scheduler: this backend cannot run {kind} on a Dask cluster (start it with "
            "'python -m backend', which loads backend.distributed); leave scheduler empty to "
            "run in the backend process."
        )


def run_on_scheduler(kind: str, params: Any, report: Progress) -> dict:
    """Run ``kind`` through its registered distributed runner (see :func:`check_scheduler`)."""
    check_scheduler(kind, params.scheduler)
    return _RUNNERS[kind](params, report)
