"""HTTP endpoints of interactive sessions (contract: docs/backend_api.md).

``POST /interactive/{session_id}/predict``, ``GET /interactive/{session_id}``,
``DELETE /interactive/{session_id}``. Sessions are opened by the ``interactive_encode`` job.
Unknown sessions answer 404, bad prompts 400; neither affects other sessions.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, Field, ValidationError


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
    centerlines: bool = False
    threshold: float | None = Field(None, gt=0.0, lt=1.0, description="Road engine only.")
    simplify_tolerance_map: float = Field(0.0, ge=0.0)


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


@router.post("/{session_id}/predict")
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


@router.get("/{session_id}")
def session_info(session_id: str) -> dict[str, Any]:
    return _session(session_id).info()


@router.delete("/{session_id}")
def delete_session(session_id: str) -> dict[str, Any]:
    from backend.interactive.sessions import SessionNotFound, get_store

    try:
        get_store().delete(session_id)
    except SessionNotFound:
        _session(session_id)  # raises the 404 with its message
    return {"session_id": session_id, "deleted": True}
