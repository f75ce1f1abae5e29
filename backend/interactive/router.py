"""HTTP endpoints of interactive sessions (contract: docs/backend_api.md).

``POST /interactive/{session_id}/predict``, ``GET /interactive/{session_id}``,
``DELETE /interactive/{session_id}``. Sessions are opened by the ``interactive_encode`` job.
Unknown sessions answer 404, bad prompts 400; neither affects other sessions.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, Field, ValidationError
from pydantic.json_schema import models_json_schema


class PointPrompt(BaseModel):
    x: float = Field(description="Raster pixel x (column), continuous, corner origin.")
    y: float = Field(description="Raster pixel y (row), continuous, corner origin.")
    label: int = Field(description="1 positive, 0 negative.")


class ScribblePrompt(BaseModel):
    label: int = Field(description="1 positive, 0 negative.")
    points: list[list[float]] = Field(description="[[x, y], ...] raster pixels, >= 2.")


class PredictRequest(BaseModel):
    """Body of ``POST /interactive/{session_id}/predict`` (the full prompt list)."""

    points: list[PointPrompt] = Field(default_factory=list)
    scribbles: list[ScribblePrompt] = Field(default_factory=list)
    box: list[float] | None = Field(None, description="[x0, y0, x1, y1] raster px (sam).")
    previous_round: int | None = Field(None, ge=0, description="Round fed back; null = 0.")
    merge: bool | None = Field(
        None,
        description="Road engine: change the previous round's mask only where connected to "
        "the new prompts (progressive merge); null = on when the rounds start from the "
        "initial_probability_raster.",
    )
    centerlines: bool = False
    threshold: float | None = Field(None, gt=0.0, lt=1.0, description="Road engine only.")
    simplify_tolerance_map: float = Field(0.0, ge=0.0)


class ErrorDetail(BaseModel):
    """Body of every error answer of the backend's HTTP API."""

    detail: str = Field(description="What went wrong and what to do about it.")


ERROR_DESCRIPTIONS = {
    400: "Bad request: malformed body or parameters, or input the backend refuses.",
    401: "Missing or wrong bearer token (read it from backend.json).",
    403: "Host or Origin header is not a loopback address.",
    404: "No such job or interactive session.",
    409: "The job has no result: it has not succeeded (yet).",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error ``codes``, each with :class:`ErrorDetail`.

    Raises:
        KeyError: a code without a description in ``ERROR_DESCRIPTIONS``.
    """
    responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorDetail, "description": ERROR_DESCRIPTIONS[code]} for code in codes
    }
    if 401 in responses:
        responses[401]["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
        }
    return responses


def openapi_components() -> dict[str, Any]:
    """JSON schemas the router's OpenAPI refers to but FastAPI does not collect
    (``PredictRequest`` and its prompts), keyed by component name."""
    _, top = models_json_schema(
        [(PredictRequest, "validation")], ref_template="#/components/schemas/{model}"
    )
    return top["$defs"]


router = APIRouter(prefix="/interactive", tags=["interactive"])


# sessions and engines load torch: imported by the handlers so the service starts without it.


def _session(session_id: str):
    from backend.interactive.sessions import SessionNotFound, get_store

    try:
        return get_store().get(session_id)
    except SessionNotFound:
        raise HTTPException(
            status_code=404,
            detail=f"No interactive session {session_id}: it was deleted, dropped as least "
            "recently used, or the backend restarted. Encode the view again "
            "(POST /jobs kind interactive_encode).",
        ) from None


# The body is validated here, after the session lookup (unknown session: 404 first, then 400
# with the prompt's problems); its schema is still declared for clients and schemathesis.
@router.post(
    "/{session_id}/predict",
    responses=error_responses(400, 404),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}
            },
        }
    },
)
def predict(session_id: str, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    from backend.interactive.engines import PromptError

    session = _session(session_id)
    try:
        request = PredictRequest.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise HTTPException(status_code=400, detail=f"Bad predict request: {problems}") from exc
    try:
        return session.predict(request.model_dump())
    except PromptError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


@router.get("/{session_id}", responses=error_responses(404))
def session_info(session_id: str) -> dict[str, Any]:
    return _session(session_id).info()


@router.delete("/{session_id}", responses=error_responses(404))
def delete_session(session_id: str) -> dict[str, Any]:
    from backend.interactive.sessions import SessionNotFound, get_store

    try:
        get_store().delete(session_id)
    except SessionNotFound:
        _session(session_id)  # raises the 404 with its message
    return {"session_id": session_id, "deleted": True}
