"""The FastAPI application: health, models and jobs (contract: docs/backend_api.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from backend import __version__
from backend.interactive.router import error_responses, openapi_components
from backend.interactive.router import router as interactive_router
from backend.jobs.kinds import get_job_kind, list_job_kinds
from backend.jobs.manager import JobInputError, JobManager, JobState
from backend.models.registry import model_status
from backend.runtime.device import device_report
from backend.service.security import LocalOnlyAuthMiddleware


class JobRequest(BaseModel):
    kind: str = Field(
        description="Job kind, see GET /jobs/kinds (another value: 400 listing the kinds).",
        json_schema_extra={"enum": [k.kind for k in list_job_kinds()]},
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The kind's parameters; their JSON schema is in GET /jobs/kinds. Bad "
        "values, missing or unreadable input files and refused outputs: 400.",
    )


class JobStatus(BaseModel):
    job_id: str
    kind: str
    status: JobState
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
    _add_error_handlers(app)
    # The middleware answers 401/403 on every path, before any route runs.
    every = error_responses(401, 403)

    @app.get("/health", responses=every)
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **device_report(device)}

    @app.get("/models", responses=every)
    def models() -> dict[str, Any]:
        return {"model_dir": str(model_dir), "models": model_status(model_dir)}

    @app.get("/jobs/kinds", responses=every)
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

    @app.post(
        "/jobs",
        status_code=201,
        response_model=JobStatus,
        responses={**every, **error_responses(400)},
    )
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

    @app.get(
        "/jobs/{job_id}", response_model=JobStatus, responses={**every, **error_responses(404)}
    )
    def job_status(job_id: str) -> dict[str, Any]:
        return _job(jobs, job_id).status()

    @app.post(
        "/jobs/{job_id}/cancel",
        response_model=JobStatus,
        responses={**every, **error_responses(404)},
    )
    def cancel_job(job_id: str) -> dict[str, Any]:
        _job(jobs, job_id)
        return jobs.cancel(job_id).status()

    @app.get(
        "/jobs/{job_id}/result",
        response_model=JobResult,
        responses={**every, **error_responses(404, 409)},
    )
    def job_result(job_id: str) -> dict[str, Any]:
        job = _job(jobs, job_id)
        if job.state != JobState.SUCCEEDED:
            raise HTTPException(
                status_code=409, detail=f"Job {job_id} is {job.state.value}, it has no result."
            )
        return {"job_id": job_id, **job.result}

    app.include_router(interactive_router, responses=every)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's hook
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Errors keep the contract's ``{"detail": str}`` body: request validation is a 400 that
    names each problem, and a 405 lists every method the path has (Starlette names only
    those of the first route that matched the path)."""

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return JSONResponse({"detail": f"Bad request: {problems}"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            methods: set[str] = set()
            for route in app.router.routes:
                # A method no route has: every route whose path matches answers PARTIAL.
                match, _ = route.matches({**request.scope, "method": "\x00"})
                if match != Match.NONE:
                    methods |= set(getattr(route, "methods", None) or ())
            headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
            exc = StarletteHTTPException(405, exc.detail, headers)
        return await http_exception_handler(request, exc)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema without the 422 answers (validation errors are 400 here) and with
    the interactive components FastAPI does not collect; built once."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        components.update(openapi_components())
        app.openapi_schema = schema
    return app.openapi_schema


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
