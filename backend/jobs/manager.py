"""Jobs: long work run on a worker thread, with progress, cancellation and results.

One worker thread by default: the methods use the whole GPU/CPU and would only slow each
other down. The HTTP layer never blocks on a job.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from backend.geo.outputs import disk_full_message
from backend.geo.raster import gdal_error_text
from backend.jobs.kinds import JobKind, get_job_kind
from backend.runtime.progress import JobCancelled

log = logging.getLogger("roadextract.jobs")


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
# Parameters naming output files besides ``output_path`` / ``*_output*``.
_OUTPUTS = {"probability_path", "report_path", "label_raster_path", "instance_raster_path"}


class JobInputError(ValueError):
    """The job was refused before it started (bad parameters or input files)."""


@dataclass
class Job:
    """One job's state; mutated only by its worker and :class:`JobManager`."""

    job_id: str
    kind: str
    params: BaseModel
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    message: str = "Queued"
    error: str | None = None
    result: dict[str, Any] | None = None
    created_s: float = field(default_factory=time.time)
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def status(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "status": self.state.value,
            "progress": round(self.progress, 1),
            "message": self.message,
            "error": self.error,
        }


class JobManager:
    """Creates, runs, cancels and remembers jobs.

    Args:
        max_workers: concurrent jobs (1: jobs queue behind each other).
        keep_finished: how many finished jobs to remember for status/result queries.
    """

    def __init__(self, max_workers: int = 1, keep_finished: int = 200) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep_finished = keep_finished

    def create(self, kind: str, params: dict[str, Any]) -> Job:
        """Validate and queue a job.

        Raises:
            JobInputError: unknown kind, invalid parameters, or input the kind's validator
                refuses (missing file, not a raster, no CRS, unwritable output...).
        """
        try:
            job_kind: JobKind = get_job_kind(kind)
        except ValueError as exc:
            raise JobInputError(str(exc)) from exc
        try:
            model = job_kind.params_model.model_validate(params)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                if err["loc"]
                else err["msg"]
                for err in exc.errors()
            )
            raise JobInputError(f"Invalid parameters for {kind}: {problems}") from exc
        try:
            job_kind.validate(model)
        except (ValueError, OSError) as exc:
            raise JobInputError(str(exc)) from exc
        job = Job(job_id=uuid.uuid4().hex, kind=kind, params=model)
        with self._lock:
            self._jobs[job.job_id] = job
            self._forget_old()
        self._executor.submit(self._run, job, job_kind)
        return job

    def get(self, job_id: str) -> Job:
        """Raises KeyError for an unknown id."""
        with self._lock:
            return self._jobs[job_id]

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop; queued jobs are cancelled at once, running ones at their next
        progress report. Finished jobs are left as they are."""
        job = self.get(job_id)
        job.cancel_event.set()
        if job.state == JobState.QUEUED:
            job.state, job.message = JobState.CANCELLED, "Cancelled"
        return job

    def wait(self, job_id: str, timeout_s: float | None = None) -> Job:
        """Block until the job reaches a final state (CLI and tests)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        job = self.get(job_id)
        while job.state not in FINAL_STATES:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Job {job_id} did not finish within {timeout_s} s.")
            time.sleep(0.05)
        return job

    def shutdown(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel_event.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: Job, job_kind: JobKind) -> None:
        if job.cancel_event.is_set():
            job.state, job.message = JobState.CANCELLED, "Cancelled"
            return
        job.state, job.message = JobState.RUNNING, "Started"

        def report(percent: float, message: str = "") -> None:
            if job.cancel_event.is_set():
                raise JobCancelled()
            job.progress = max(0.0, min(100.0, float(percent)))
            if message:
                job.message = message

        try:
            job.result = job_kind.run(job.params, report)
            # Outputs are published after the job's last cancel point: a cancel that
            # arrives later is answered with the finished result.
            job.progress, job.state, job.message = 100.0, JobState.SUCCEEDED, "Done"
        except JobCancelled:
            job.state, job.message = JobState.CANCELLED, "Cancelled"
        except Exception as exc:  # noqa: BLE001 - the service must survive any job failure
            job.state, job.message = JobState.FAILED, "Failed"
            job.error = self._error_text(job, exc)

    @staticmethod
    def _error_text(job: Job, exc: Exception) -> str:
        """A message the user can act on; the traceback goes to the backend log only."""
        folders = [
            Path(str(value)).parent
            for name, value in job.params
            if name.endswith("_path") and value and ("output" in name or name in _OUTPUTS)
        ]
        full = disk_full_message(exc, folders)
        if full is not None:
            log.warning("job %s (%s): disk full: %s", job.job_id, job.kind, exc)
            return full
        if isinstance(exc, (ValueError, OSError)):
            log.info("job %s (%s) failed: %s", job.job_id, job.kind, exc)
            return (
                gdal_error_text(exc) if "see previous exception" in str(exc).lower() else str(exc)
            )
        log.exception("job %s (%s) failed unexpectedly", job.job_id, job.kind, exc_info=exc)
        return (
            f"Internal error in {job.kind} ({type(exc).__name__}: {exc}). Details are in the "
            f"backend log under job {job.job_id}."
        )

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINAL_STATES]
        finished.sort(key=lambda j: j.created_s)
        for job in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._jobs[job.job_id]
