"""The prompt session model of interactive extraction: prompts, undo/redo/clear, rounds.

Pure logic (no Qt, no QGIS): every coordinate here is already in the raster's continuous
pixel frame (``x`` = column, ``y`` = row, (0, 0) = top-left corner of the raster; see
:mod:`.frame`).

Rounds: the backend numbers every prediction of a session (1, 2, ...). Each prediction is
made for the FULL prompt list and refines the result of an earlier round
(``previous_round``: its low-resolution logits go back in). A result is stored under the
exact prompt list it was made for, so undo and redo show stored results without a request,
and the next prompt after an undo refines the round that the shorter list produced
(``docs/backend_api.md``, ``POST /interactive/{session_id}/predict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

POSITIVE = 1
NEGATIVE = 0


@dataclass(frozen=True)
class PointPrompt:
    """A click.

    Attributes:
        x_px: Column in the raster's continuous pixel frame.
        y_px: Row in the raster's continuous pixel frame.
        positive: True for "object here" (label 1), False for "not here" (label 0).
    """

    x_px: float
    y_px: float
    positive: bool = True

    def pixel_points(self) -> tuple[tuple[float, float], ...]:
        """The prompt's vertices, ``((x_px, y_px),)``."""
        return ((self.x_px, self.y_px),)


@dataclass(frozen=True)
class ScribblePrompt:
    """A freehand stroke.

    Attributes:
        points_px: ``((x_px, y_px), ...)`` polyline vertices in the raster's pixel frame,
            at least two.
        positive: True for a positive scribble (label 1), False for a negative one.
    """

    points_px: tuple[tuple[float, float], ...]
    positive: bool = True

    def __post_init__(self) -> None:
        """Refuse a scribble with fewer than two vertices.

        Raises:
            ValueError: Fewer than two vertices.
        """
        if len(self.points_px) < 2:  # noqa: PLR2004 - a polyline needs two vertices
            raise ValueError(f"a scribble needs at least 2 points, got {len(self.points_px)}")
        object.__setattr__(
            self, "points_px", tuple((float(x), float(y)) for x, y in self.points_px)
        )

    def pixel_points(self) -> tuple[tuple[float, float], ...]:
        """The polyline vertices ``((x_px, y_px), ...)``."""
        return self.points_px


@dataclass(frozen=True)
class BoxPrompt:
    """A box (SAM engines only); the last box of a prompt list is the one sent.

    Attributes:
        x0_px: Left edge (smallest column) in the raster's pixel frame.
        y0_px: Top edge (smallest row).
        x1_px: Right edge (largest column).
        y1_px: Bottom edge (largest row).
    """

    x0_px: float
    y0_px: float
    x1_px: float
    y1_px: float

    @classmethod
    def from_corners(cls, a: tuple[float, float], b: tuple[float, float]) -> BoxPrompt:
        """The box spanned by two opposite corners ``(x_px, y_px)`` in any order."""
        return cls(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))

    @property
    def positive(self) -> bool:
        """A box always marks the object (label 1)."""
        return True

    def pixel_points(self) -> tuple[tuple[float, float], ...]:
        """The four corners, clockwise from top-left, ``((x_px, y_px), ...)``."""
        return (
            (self.x0_px, self.y0_px),
            (self.x1_px, self.y0_px),
            (self.x1_px, self.y1_px),
            (self.x0_px, self.y1_px),
        )


Prompt = Union[PointPrompt, ScribblePrompt, BoxPrompt]  # noqa: UP007 - runtime alias


@dataclass(frozen=True)
class RoundResult:
    """One prediction of the backend.

    Attributes:
        session_id: Backend session that made it (rounds are numbered per session).
        round: Round number the backend gave it (1, 2, ...).
        score: SAM: predicted IoU; road engine: mean probability inside the mask (0..1).
        geometry: GeoJSON Polygon or MultiPolygon in the raster CRS (may be empty).
        centerlines: GeoJSON MultiLineString in the raster CRS, or None when not asked for.
        crs_wkt: WKT of the raster CRS the geometries are in.
        decode_ms: Backend decode time in milliseconds.
        prompts: The prompt list the prediction was made for.
    """

    session_id: str
    round: int
    score: float
    geometry: dict[str, Any]
    centerlines: dict[str, Any] | None
    crs_wkt: str
    decode_ms: float
    prompts: tuple[Prompt, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any], prompts: tuple[Prompt, ...]) -> RoundResult:
        """Build from the answer of ``POST /interactive/{session_id}/predict``.

        Args:
            data: The decoded JSON answer.
            prompts: The prompt list the request was sent with.

        Raises:
            KeyError: ``round`` or ``geometry`` is missing.
        """
        return cls(
            session_id=str(data.get("session_id") or ""),
            round=int(data["round"]),
            score=float(data.get("score") or 0.0),
            geometry=dict(data["geometry"] or {}),
            centerlines=dict(data["centerlines"]) if data.get("centerlines") else None,
            crs_wkt=str(data.get("crs_wkt") or ""),
            decode_ms=float(data.get("decode_ms") or 0.0),
            prompts=tuple(prompts),
        )


@dataclass
class PromptSession:
    """Prompts of the object being extracted, their undo/redo history and the results.

    Attributes:
        session_id: Backend session the results belong to; changing it (a new encode)
            drops every stored result, since round numbers are per session.
    """

    session_id: str | None = None
    _prompts: list[Prompt] = field(default_factory=list)
    _redo: list[Prompt] = field(default_factory=list)
    _results: dict[tuple[Prompt, ...], RoundResult] = field(default_factory=dict)

    # -- prompts ---------------------------------------------------------------------------

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        """The current prompt list, oldest first."""
        return tuple(self._prompts)

    @property
    def round_count(self) -> int:
        """Interaction rounds of the current state: one per prompt."""
        return len(self._prompts)

    def add(self, prompt: Prompt) -> None:
        """Append a prompt; the redo history is dropped (as in any editor)."""
        self._prompts.append(prompt)
        self._redo.clear()

    def can_undo(self) -> bool:
        """True when there is a prompt to take back."""
        return bool(self._prompts)

    def can_redo(self) -> bool:
        """True when an undone prompt can be put back."""
        return bool(self._redo)

    def undo(self) -> Prompt | None:
        """Take back the last prompt; returns it, or None when there is none."""
        if not self._prompts:
            return None
        prompt = self._prompts.pop()
        self._redo.append(prompt)
        return prompt

    def redo(self) -> Prompt | None:
        """Put back the last undone prompt; returns it, or None when there is none."""
        if not self._redo:
            return None
        prompt = self._redo.pop()
        self._prompts.append(prompt)
        return prompt

    def clear(self) -> None:
        """Drop the prompts and the redo history (the object is started over).

        Stored results stay (they are keyed by prompt list), so prompting the same again
        needs no request.
        """
        self._prompts.clear()
        self._redo.clear()

    def discard_last(self) -> Prompt | None:
        """Remove the last prompt for good (not redoable), e.g. one the backend refused."""
        return self._prompts.pop() if self._prompts else None

    def start_backend_session(self, session_id: str) -> None:
        """Bind to a new backend session: stored results are dropped, the prompts stay."""
        self.session_id = session_id
        self._results.clear()

    def reset(self, session_id: str | None = None) -> None:
        """Start over on a (new) backend session: prompts, history and results dropped."""
        self.session_id = session_id
        self.clear()
        self._results.clear()

    # -- results ---------------------------------------------------------------------------

    def record(self, result: RoundResult) -> bool:
        """Store a result under the prompt list it was made for.

        Args:
            result: The prediction.

        Returns:
            False (nothing stored) when it belongs to another backend session than
            :attr:`session_id` (it arrived after a re-encode).
        """
        if result.session_id and self.session_id and result.session_id != self.session_id:
            return False
        self._results[result.prompts] = result
        return True

    def result_for(self, prompts: tuple[Prompt, ...]) -> RoundResult | None:
        """The stored result of exactly this prompt list, or None."""
        return self._results.get(tuple(prompts))

    @property
    def current_result(self) -> RoundResult | None:
        """The result of the current prompt list, or None (not predicted yet, or none)."""
        if not self._prompts:
            return None
        return self._results.get(self.prompts)

    def needs_prediction(self) -> bool:
        """True when there are prompts and no stored result for exactly them."""
        return bool(self._prompts) and self.current_result is None

    def previous_round_for(self, prompts: tuple[Prompt, ...]) -> int | None:
        """The round whose logits a prediction of ``prompts`` refines.

        The result of the longest proper prefix of ``prompts`` that has one; None (round 0:
        no previous mask, or the initial probability raster) when none has.
        """
        prompts = tuple(prompts)
        for length in range(len(prompts) - 1, 0, -1):
            result = self._results.get(prompts[:length])
            if result is not None:
                return result.round
        return None

    # -- request ---------------------------------------------------------------------------

    def request_body(
        self,
        prompts: tuple[Prompt, ...] | None = None,
        centerlines: bool = False,
        threshold: float = 0.5,
    ) -> dict[str, Any]:
        """The JSON body of ``POST /interactive/{session_id}/predict`` for a prompt list.

        Args:
            prompts: Prompt list to predict; None means the current one.
            centerlines: Ask for the skeleton centerlines of the mask too.
            threshold: Probability threshold of the road engine, 0..1.

        Returns:
            ``{"points": [{"x", "y", "label"}], "scribbles": [{"label", "points"}],
            "box": [x0, y0, x1, y1] | None, "previous_round": int | None,
            "centerlines": bool, "threshold": float, "simplify_tolerance_map": 0.0}``, all
            coordinates in the raster's pixel frame. Simplification is done by the plugin
            (in metres), so the backend is asked for none.
        """
        prompts = self.prompts if prompts is None else tuple(prompts)
        points: list[dict[str, Any]] = []
        scribbles: list[dict[str, Any]] = []
        box: list[float] | None = None
        for prompt in prompts:
            if isinstance(prompt, PointPrompt):
                points.append(
                    {"x": prompt.x_px, "y": prompt.y_px, "label": _label(prompt.positive)}
                )
            elif isinstance(prompt, ScribblePrompt):
                scribbles.append(
                    {
                        "label": _label(prompt.positive),
                        "points": [[x, y] for x, y in prompt.points_px],
                    }
                )
            elif isinstance(prompt, BoxPrompt):
                box = [prompt.x0_px, prompt.y0_px, prompt.x1_px, prompt.y1_px]
        return {
            "points": points,
            "scribbles": scribbles,
            "box": box,
            "previous_round": self.previous_round_for(prompts),
            "centerlines": bool(centerlines),
            "threshold": float(threshold),
            "simplify_tolerance_map": 0.0,
        }


def _label(positive: bool) -> int:
    return POSITIVE if positive else NEGATIVE
