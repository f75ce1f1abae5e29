"""Interactive sessions: one encoded view, its rounds, and the prompt -> geometry round trip.

Frames (docs/backend_api.md, "Interactive extraction"):

* raster pixels: continuous (x, y) = (column, row), origin at the raster's top-left corner;
  pixel (c, r) covers [c, c+1) x [r, r+1);
* model image: the window ``(col_off, row_off, width, height)`` resampled to ``(H, W)``
  model pixels; ``u = (x - col_off) * sx``, ``v = (y - row_off) * sy`` with
  ``sx = W / width``, ``sy = H / height``;
* map: the raster's CRS through its affine geotransform.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from rasterio import features
from shapely.geometry import LineString, MultiLineString, MultiPolygon, mapping, shape

from backend.interactive.engines import PromptError, Prompts, ShownRound
from backend.methods.roadgie.geometry import centerline_paths_px
from backend.methods.roadgie.prompts import Scribble, prompt_label_map

MAX_SESSIONS = 16
MAX_ROUNDS_KEPT = 32


class SessionNotFound(KeyError):
    """No such session (unknown id, deleted, or dropped as least recently used)."""


@dataclass
class RoundState:
    """One decoded round kept by a session (up to :data:`MAX_ROUNDS_KEPT` of them).

    Attributes:
        low_res_logits: the engine's low-res logits (fed back when a later round names it).
        shown_bits: road engine: the returned mask, ``np.packbits`` of the ``(H, W)`` bool
            (a bit per pixel: 32 rounds of a 768 x 768 view take 2.4 MB); SAM: None.
        prompts: the round's prompts (their label map is redrawn when a merge needs it).
        from_raster: the round's chain of previous rounds starts at a starting probability
            (``initial_probability_raster`` or ``initial_model``; then rounds merge by
            default).
    """

    low_res_logits: Any
    shown_bits: np.ndarray | None
    prompts: Prompts
    from_raster: bool

    def shown(self, shape_hw: tuple[int, int]) -> ShownRound | None:
        """The round as the user saw it (mask and prompt label map), or None (SAM)."""
        if self.shown_bits is None:
            return None
        h, w = shape_hw
        mask = np.unpackbits(self.shown_bits, count=h * w).reshape(h, w).astype(bool)
        p = self.prompts
        return ShownRound(
            mask, prompt_label_map(shape_hw, p.points_xy_px, p.point_labels, p.scribbles)
        )


@dataclass
class Session:
    """State of one interactive view.

    Attributes:
        session_id: hex id.
        engine_name: ``"road"`` or ``"sam"``.
        model: registry id.
        engine: the loaded engine (``backend.interactive.engines``).
        embedding: the engine's runtime embedding of the model image.
        window_px: ``(col_off, row_off, width, height)`` raster pixels encoded.
        model_hw: ``(H, W)`` of the model image.
        transform: the raster's affine pixel -> map transform.
        crs_wkt: the raster's CRS.
        raster_gsd_m: ``(x, y)`` metres per raster pixel.
        model_gsd_m: metres per model pixel of the engine (None for SAM).
        initial_logits: round-0 logits (road refinement start) or None.
        initial_shown: round 0 as shown (the starting probability above the threshold) or
            None.
        rounds: round number -> :class:`RoundState` (most recent last).
        next_round: number the next predict gets.
    """

    session_id: str
    engine_name: str
    model: str
    engine: Any
    embedding: Any
    window_px: tuple[int, int, int, int]
    model_hw: tuple[int, int]
    transform: Affine
    crs_wkt: str
    raster_gsd_m: tuple[float, float]
    model_gsd_m: float | None
    initial_logits: Any | None = None
    initial_shown: ShownRound | None = None
    rounds: OrderedDict[int, RoundState] = field(default_factory=OrderedDict)
    next_round: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def scale_xy(self) -> tuple[float, float]:
        """``(sx, sy)`` model pixels per raster pixel."""
        return self.model_hw[1] / self.window_px[2], self.model_hw[0] / self.window_px[3]

    @property
    def model_to_map(self) -> Affine:
        """Affine model pixel -> map coordinates."""
        c0, r0 = self.window_px[:2]
        sx, sy = self.scale_xy
        return self.transform * Affine(1.0 / sx, 0.0, c0, 0.0, 1.0 / sy, r0)

    def info(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "engine": self.engine_name,
            "model": self.model,
            "window_px": list(self.window_px),
            "model_gsd_m": self.model_gsd_m,
            "crs_wkt": self.crs_wkt,
            "rounds": list(self.rounds),
        }

    # -- prompts ------------------------------------------------------------------------------
    def to_model_px(self, xy: np.ndarray, what: str) -> np.ndarray:
        """Raster pixel ``(N, 2)`` -> model pixel; raises PromptError outside the window."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        if not np.all(np.isfinite(xy)):
            raise PromptError(f"{what}: coordinates must be finite numbers")
        c0, r0, w, h = self.window_px
        outside = (xy[:, 0] < c0) | (xy[:, 0] > c0 + w) | (xy[:, 1] < r0) | (xy[:, 1] > r0 + h)
        if outside.any():
            x, y = xy[np.argmax(outside)]
            raise PromptError(
                f"{what} at raster pixel ({x:g}, {y:g}) is outside the encoded window "
                f"x {c0}..{c0 + w}, y {r0}..{r0 + h}; encode a window that holds it"
            )
        sx, sy = self.scale_xy
        return np.column_stack([(xy[:, 0] - c0) * sx, (xy[:, 1] - r0) * sy])

    def prompts_from_request(self, request: dict[str, Any]) -> Prompts:
        """Validate and convert the prompts of a predict request (raster pixel frame)."""
        pts, labels = [], []
        for i, p in enumerate(request.get("points") or []):
            if p["label"] not in (0, 1):
                raise PromptError(f"points[{i}].label must be 1 (positive) or 0 (negative)")
            pts.append((p["x"], p["y"]))
            labels.append(int(p["label"]))
        points = self.to_model_px(np.asarray(pts, np.float64).reshape(-1, 2), "point")
        scribbles = []
        for i, s in enumerate(request.get("scribbles") or []):
            if s["label"] not in (0, 1):
                raise PromptError(f"scribbles[{i}].label must be 1 (positive) or 0 (negative)")
            xy = np.asarray(s["points"], np.float64)
            if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 2:
                raise PromptError(f"scribbles[{i}].points must be at least two [x, y] pairs")
            scribbles.append(Scribble(self.to_model_px(xy, f"scribble {i}"), int(s["label"])))
        box = request.get("box")
        box_m = None
        if box is not None:
            b = np.asarray(box, np.float64).reshape(-1)
            if b.shape != (4,) or not (b[2] > b[0] and b[3] > b[1]):
                raise PromptError("box must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0")
            box_m = self.to_model_px(b.reshape(2, 2), "box").reshape(4)
        return Prompts(points, np.asarray(labels, np.int64), scribbles, box_m)

    # -- one round ----------------------------------------------------------------------------
    def predict(self, request: dict[str, Any]) -> dict[str, Any]:
        """Decode one round (see the module docstring and docs/backend_api.md).

        Progressive merge (road engine, ``merge``; null = on exactly when the chain of
        previous rounds starts at a starting probability, ``initial_probability_raster`` or
        ``initial_model``; never for a first round without one): the new round changes the
        previous round's mask only where the change is connected to the prompts added since
        (additions at positive, removals at negative prompts:
        :func:`backend.methods.roadgie.merge.progressive_merge`).
        On the select split, starting from the shipped Anchor-SAM's probability, merging
        raised Google/EPFL Dice after 5 clicks from 0.759 to 0.790; from no start it lowered
        it (0.718 to 0.685), hence the default (issue 10).

        Args:
            request: ``points``, ``scribbles``, ``box``, ``previous_round``, ``merge``,
                ``centerlines``, ``threshold``, ``simplify_tolerance_map``.

        Returns:
            The response dict of ``POST /interactive/{id}/predict``.

        Raises:
            PromptError: invalid prompts, an unknown ``previous_round``, or ``merge`` true
                with the sam engine.
        """
        t0 = time.perf_counter()
        prompts = self.prompts_from_request(request)
        prev_round = request.get("previous_round")
        merge = request.get("merge")
        if merge and self.engine_name != "road":
            raise PromptError("merge is a road engine option; leave it null with sam")
        with self.lock:
            if prev_round is None or prev_round == 0:
                prev, prev_round = self.initial_logits, 0
                # no raster: nothing shown yet, the first round shows the whole prediction
                base, from_raster = self.initial_shown, self.initial_shown is not None
            elif prev_round in self.rounds:
                state = self.rounds[prev_round]
                prev, from_raster = state.low_res_logits, state.from_raster
                base = state.shown(self.model_hw)
            else:
                kept = list(self.rounds)
                raise PromptError(
                    f"previous_round {prev_round} is unknown; this session keeps rounds "
                    f"{kept[0] if kept else '-'}..{kept[-1] if kept else '-'} (and 0 = none)"
                )
            merged = base is not None and (from_raster if merge is None else bool(merge))
            kwargs = {"merge_into": base} if merged else {}  # only the road engine merges
            out = self.engine.decode(
                self.embedding, prompts, prev, request.get("threshold"), **kwargs
            )
            round_no = self.next_round
            self.next_round += 1
            bits = None if out.shown is None else np.packbits(out.shown.mask)
            self.rounds[round_no] = RoundState(out.low_res_logits, bits, prompts, from_raster)
            while len(self.rounds) > MAX_ROUNDS_KEPT:
                self.rounds.popitem(last=False)
        geometry, area_m2 = self.mask_geometry(
            out.mask, float(request.get("simplify_tolerance_map") or 0.0)
        )
        centerlines = self.mask_centerlines(out.mask) if request.get("centerlines") else None
        return {
            "session_id": self.session_id,
            "round": round_no,
            "previous_round": int(prev_round),
            "score": float(out.score),
            "geometry": geometry,
            "centerlines": centerlines,
            "crs_wkt": self.crs_wkt,
            "area_m2": area_m2,
            "n_prompts": prompts.count,
            "merged": bool(merged),
            "decode_ms": (time.perf_counter() - t0) * 1000.0,
        }

    # -- vectors ------------------------------------------------------------------------------
    def mask_geometry(
        self, mask: np.ndarray, simplify_tolerance_map: float = 0.0
    ) -> tuple[dict[str, Any], float]:
        """GeoJSON MultiPolygon (raster CRS) of a model-image mask, and its area in m^2.

        Polygons follow pixel edges (``rasterio.features.shapes``, 4-connectivity, holes
        kept) and are placed with :attr:`model_to_map`; with ``simplify_tolerance_map`` > 0
        (map units) they are simplified with topology preserved. The area is that of the
        unsimplified polygons: the mask's pixel count times the ground area of a model pixel.

        Args:
            mask: ``(H, W)`` bool at the model image size.
            simplify_tolerance_map: Douglas-Peucker tolerance in map units (0: none).

        Returns:
            ``(geometry, area_m2)``; an empty mask gives ``{"type": "MultiPolygon",
            "coordinates": []}`` and 0.
        """
        sx, sy = self.scale_xy
        px_area_m2 = (self.raster_gsd_m[0] / sx) * (self.raster_gsd_m[1] / sy)
        area_m2 = float(np.count_nonzero(mask)) * px_area_m2
        if not mask.any():
            return {"type": "MultiPolygon", "coordinates": []}, area_m2
        rings = [
            geom["coordinates"]
            for geom, _ in features.shapes(
                mask.astype(np.uint8), mask=mask, connectivity=4, transform=self.model_to_map
            )
        ]
        if simplify_tolerance_map > 0:
            out = []
            for poly in rings:
                q = shape({"type": "Polygon", "coordinates": poly}).simplify(
                    simplify_tolerance_map, preserve_topology=True
                )
                if not q.is_empty:
                    out.extend(getattr(q, "geoms", [q]))
            if not out:
                return {"type": "MultiPolygon", "coordinates": []}, area_m2
            return dict(mapping(MultiPolygon(out))), area_m2
        return {"type": "MultiPolygon", "coordinates": rings}, area_m2

    def mask_centerlines(self, mask: np.ndarray) -> dict[str, Any]:
        """GeoJSON MultiLineString (raster CRS) of the mask's skeleton centerlines (the geo
        core's skeleton graph, ``backend.methods.roadgie.geometry.centerline_paths_px``; spurs
        shorter than 10 m pruned)."""
        t = self.model_to_map
        metres_per_model_px = self.raster_gsd_m[0] / self.scale_xy[0]
        lines = []
        for path in centerline_paths_px(mask, prune_spur_px=10.0 / metres_per_model_px):
            if len(path) < 2:
                continue
            xy = np.column_stack(
                [
                    t.a * path[:, 0] + t.b * path[:, 1] + t.c,
                    t.d * path[:, 0] + t.e * path[:, 1] + t.f,
                ]
            )
            lines.append(LineString(xy))
        if not lines:
            return {"type": "MultiLineString", "coordinates": []}
        return dict(mapping(MultiLineString(lines)))


class SessionStore:
    """The live sessions (LRU, at most ``max_sessions``); thread-safe."""

    def __init__(self, max_sessions: int = MAX_SESSIONS) -> None:
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def add(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.session_id] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)

    def get(self, session_id: str) -> Session:
        """Raises SessionNotFound."""
        with self._lock:
            try:
                self._sessions.move_to_end(session_id)
                return self._sessions[session_id]
            except KeyError:
                raise SessionNotFound(session_id) from None

    def delete(self, session_id: str) -> None:
        """Raises SessionNotFound."""
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise SessionNotFound(session_id)

    def __len__(self) -> int:
        return len(self._sessions)


_STORE: SessionStore | None = None
_STORE_LOCK = threading.Lock()


def get_store() -> SessionStore:
    """The process-wide session store (shared by the encode job and the HTTP router)."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = SessionStore()
        return _STORE
