"""The FastAPI application: health, models and jobs (contract: docs/backend_api.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from backend import __version__
from backend.interactive.router import router as interactive_router
from backend.jobs.kinds import get_job_kind, list_job_kinds
from backend.jobs.manager import JobInputError, JobManager, JobState
from backend.models.registry import model_status
from backend.runtime.device import device_report
from backend.service.security import LocalOnlyAuthMiddleware


class JobRequest(BaseModel):
    kind: str = Field(description="Job kind, see GET /jobs/kinds.")
    params: dict[str, Any] = Field(default_factory=dict)


class JobStatus(BaseModel):
    job_id: str
    kind: str
    status: str
    progress: float = Field(ge=0, le=100)
    message: str
    error: str | None


class JobResult(BaseModel):
    job_id: str
    outputs: dict[str, str]
    summary: dict[str, Any]


def create_app(token: str, device: str, model_dir: Path, jobs: JobManager) -> FastAPI:
    """Build the app.

    Args:
        token: bearer token every request must carry.
        device: resolved torch device ("cuda", "mps" or "cpu") the methods run on.
        model_dir: folder where model weights are looked up and downloaded to.
        jobs: the job manager (owned by the caller, shut down by it).
    """
    app = FastAPI(title="RoadExtract backend", version=__version__)
    app.add_middleware(LocalOnlyAuthMiddleware, token=token)
    app.state.device, app.state.model_dir, app.state.jobs = device, model_dir, jobs

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **device_report(device)}

    @app.get("/models")
    def models() -> dict[str, Any]:
        return {"model_dir": str(model_dir), "models": model_status(model_dir)}

    @app.get("/jobs/kinds")
    def job_kinds() -> dict[str, Any]:
        return {
            "kinds": [
                {
                    "kind": k.kind,
                    "title": k.title,
                    "params_schema": k.params_model.model_json_schema(),
                }
                for k in list_job_kinds()
            ]
        }

    @app.post("/jobs", status_code=201, response_model=JobStatus)
    def create_job(request: JobRequest) -> dict[str, Any]:
        # Methods run on the backend's device and model folder unless the request says.
        params = dict(request.params)
        fields = _params_fields(request.kind)
        if "device" in fields:
            params.setdefault("device", device)
        if "model_dir" in fields:
            params.setdefault("model_dir", str(model_dir))
        try:
            job = jobs.create(request.kind, params)
        except JobInputError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        return job.status()

    @app.get("/jobs/{job_id}", response_model=JobStatus)
    def job_status(job_id: str) -> dict[str, Any]:
        return _job(jobs, job_id).status()

    @app.post("/jobs/{job_id}/cancel", response_model=JobStatus)
    def cancel_job(job_id: str) -> dict[str, Any]:
        _job(jobs, job_id)
        return jobs.cancel(job_id).status()

    @app.get("/jobs/{job_id}/result", response_model=JobResult)
    def job_result(job_id: str) -> dict[str, Any]:
        job = _job(jobs, job_id)
        if job.state != JobState.SUCCEEDED:
            raise HTTPException(
                status_code=409, detail=f"Job {job_id} is {job.state.value}, it has no result."
            )
        return {"job_id": job_id, **job.result}

    app.include_router(interactive_router)
    return app


def _job(jobs: JobManager, job_id: str):
    try:
        return jobs.get(job_id)
    except KeyError:
        raise HTTPException(status_code=404, detail=f"No job {job_id}.") from None


def _params_fields(kind: str) -> set[str]:
    try:
        return set(get_job_kind(kind).params_model.model_fields)
    except ValueError:
        return set()
