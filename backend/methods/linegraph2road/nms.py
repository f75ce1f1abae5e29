"""Coupled non-maximum suppression of road-graph vertices (LineGraph2Road Sec. 3.3, Alg. 1).

Frame: points are (x, y) = (column, row) pixel coordinates of the probability maps, origin at
the upper-left corner of the upper-left pixel, so the vertex taken from pixel (row r, col c)
is (c + 0.5, r + 0.5) (the backend's raster frame, see ``backend/geo/raster.py``).

Suppression rule (Algorithm 1): a candidate is removed when its Euclidean distance to an
already kept, higher-priority vertex is strictly smaller than the radius. Candidates are
processed in descending score order; ties keep the input order (row-major for maps), which
makes every result deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

__all__ = [
    "CoupledNmsSelection",
    "NmsVertices",
    "coupled_nms",
    "coupled_nms_points",
    "nms_points",
]


@dataclass(frozen=True)
class NmsVertices:
    """Vertices kept by :func:`coupled_nms`.

    Keypoint and overpass vertices come first (in NMS order, keypoint mask first), then road
    vertices (in NMS order).

    Attributes:
        points_xy_px: (N, 2) float64 array of (x, y) pixel coordinates (pixel centres).
        scores: (N,) float64 probability of the mask the vertex was taken from (the larger of
            the two for a pixel kept from both the keypoint and the overpass mask).
        is_keypoint: (N,) bool, kept from the keypoint mask.
        is_overpass: (N,) bool, kept from the overpass/underpass mask.
    """

    points_xy_px: np.ndarray
    scores: np.ndarray
    is_keypoint: np.ndarray
    is_overpass: np.ndarray

    @property
    def num_vertices(self) -> int:
        return int(self.points_xy_px.shape[0])

    @property
    def is_road(self) -> np.ndarray:
        """(N,) bool, kept from the road mask (neither keypoint nor overpass)."""
        return ~(self.is_keypoint | self.is_overpass)


@dataclass(frozen=True)
class CoupledNmsSelection:
    """Indices kept by :func:`coupled_nms_points`, each into its own input point set.

    Attributes:
        keypoint_keep: (K1,) int64 indices into the keypoint points, in NMS order.
        overpass_keep: (K2,) int64 indices into the overpass points, in NMS order.
        road_keep: (K3,) int64 indices into the road points, in NMS order.
    """

    keypoint_keep: np.ndarray
    overpass_keep: np.ndarray
    road_keep: np.ndarray


def _as_points(points_xy_px: np.ndarray, name: str) -> np.ndarray:
    points = np.asarray(points_xy_px, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{name} must be an (N, 2) array of (x, y) pixels, got {points.shape}.")
    if not np.all(np.isfinite(points)):
        raise ValueError(f"{name} contains NaN or infinite coordinates; drop them first.")
    return points


def _as_scores(scores: np.ndarray, n: int, name: str) -> np.ndarray:
    values = np.asarray(scores, dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match its points, got {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return values


def _check_radius(radius_px: float, name: str) -> float:
    radius = float(radius_px)
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"{name} must be a finite radius >= 0 in pixels, got {radius_px!r}.")
    return radius


def _greedy_nms(
    points: np.ndarray,
    scores: np.ndarray,
    radius: float,
    suppressed: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy NMS core; ``suppressed`` marks points removed beforehand (modified in place)."""
    n = points.shape[0]
    if suppressed is None:
        suppressed = np.zeros(n, dtype=bool)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    if radius == 0:
        # Nothing is strictly closer than 0: every not-yet-suppressed point is kept.
        return order[~suppressed[order]].astype(np.int64)
    # Unbalanced, non-compact trees build several times faster on large pixel sets.
    tree = cKDTree(points, balanced_tree=False, compact_nodes=False)
    radius2 = radius * radius
    keep: list[int] = []
    # A Python loop is unavoidable (greedy order matters) but its body is cheap for the
    # suppressed majority; neighbours come from the k-d tree, so the cost is
    # O(N + K * neighbours) rather than O(N^2).
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        centre = points[i]
        neighbours = np.asarray(tree.query_ball_point(centre, radius), dtype=np.int64)
        delta = points[neighbours] - centre
        # Strict "<" of Algorithm 1; query_ball_point is inclusive, so filter exactly.
        close = neighbours[np.einsum("ij,ij->i", delta, delta) < radius2]
        suppressed[close] = True
    return np.asarray(keep, dtype=np.int64)


def nms_points(points_xy_px: np.ndarray, scores: np.ndarray, radius_px: float) -> np.ndarray:
    """Greedy NMS of a point set (the inner loops of Algorithm 1, lines 9-12 / 31-34).

    Points are visited in descending score order (ties: input order); each kept point removes
    every later point strictly closer than ``radius_px``.

    Args:
        points_xy_px: (N, 2) array of (x, y) pixel coordinates.
        scores: (N,) priorities (any finite reals; larger wins).
        radius_px: suppression radius in pixels (>= 0).

    Returns:
        (K,) int64 indices of the kept points, in the order they were kept.

    Raises:
        ValueError: wrong shapes, non-finite values or a negative radius.
    """
    points = _as_points(points_xy_px, "points_xy_px")
    values = _as_scores(scores, points.shape[0], "scores")
    radius = _check_radius(radius_px, "radius_px")
    return _greedy_nms(points, values, radius)


def coupled_nms_points(
    keypoint_xy_px: np.ndarray,
    keypoint_scores: np.ndarray,
    road_xy_px: np.ndarray,
    road_scores: np.ndarray,
    overpass_xy_px: np.ndarray | None = None,
    overpass_scores: np.ndarray | None = None,
    *,
    d_k_px: float = 8.0,
    d_r_px: float = 16.0,
) -> CoupledNmsSelection:
    """Coupled NMS on point sets with priorities (Algorithm 1 after thresholding).

    1. Keypoints are NMS'd with ``d_k_px``; overpass/underpass points separately with
       ``d_k_px`` (lines 4-21). Their union is the priority set V_k (line 22).
    2. Road points strictly closer than ``d_r_px`` to any V_k point are removed (lines 28-30).
    3. The remaining road points are NMS'd with ``d_r_px`` (lines 31-34).

    Used on thresholded probability maps by :func:`coupled_nms` and on ground-truth graph
    nodes by the training-target pipeline (Sec. 3.5, Fig. 10).

    Args:
        keypoint_xy_px: (N1, 2) keypoint candidates, (x, y) pixels.
        keypoint_scores: (N1,) their priorities.
        road_xy_px: (N3, 2) road candidates, (x, y) pixels.
        road_scores: (N3,) their priorities.
        overpass_xy_px: optional (N2, 2) overpass/underpass candidates, (x, y) pixels.
        overpass_scores: (N2,) their priorities; required with ``overpass_xy_px``.
        d_k_px: keypoint (and overpass) suppression radius in pixels.
        d_r_px: road suppression radius in pixels.

    Returns:
        :class:`CoupledNmsSelection` with kept indices into each input set.

    Raises:
        ValueError: wrong shapes, non-finite values, negative radii, or overpass points
            without scores.
    """
    d_k = _check_radius(d_k_px, "d_k_px")
    d_r = _check_radius(d_r_px, "d_r_px")
    kp = _as_points(keypoint_xy_px, "keypoint_xy_px")
    kp_scores = _as_scores(keypoint_scores, kp.shape[0], "keypoint_scores")
    road = _as_points(road_xy_px, "road_xy_px")
    rd_scores = _as_scores(road_scores, road.shape[0], "road_scores")
    if overpass_xy_px is None:
        if overpass_scores is not None:
            raise ValueError("overpass_scores given without overpass_xy_px.")
        ov = np.zeros((0, 2))
        ov_scores = np.zeros(0)
    else:
        if overpass_scores is None:
            raise ValueError("overpass_xy_px needs overpass_scores (one priority per point).")
        ov = _as_points(overpass_xy_px, "overpass_xy_px")
        ov_scores = _as_scores(overpass_scores, ov.shape[0], "overpass_scores")

    kp_keep = _greedy_nms(kp, kp_scores, d_k)
    ov_keep = _greedy_nms(ov, ov_scores, d_k)
    priority = np.concatenate([kp[kp_keep], ov[ov_keep]], axis=0)

    suppressed = np.zeros(road.shape[0], dtype=bool)
    if road.shape[0] and priority.shape[0] and d_r > 0:
        # Nearest priority vertex per road point, in C; "inf" when none within d_r.
        dist, _ = cKDTree(priority).query(road, k=1, distance_upper_bound=d_r)
        suppressed = dist < d_r
    road_keep = _greedy_nms(road, rd_scores, d_r, suppressed=suppressed)
    return CoupledNmsSelection(kp_keep, ov_keep, road_keep)


def _check_map(prob: np.ndarray, name: str, shape: tuple[int, ...] | None) -> np.ndarray:
    values = np.asarray(prob)
    if values.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) probability map, got shape {values.shape}.")
    if shape is not None and values.shape != shape:
        raise ValueError(f"{name} has shape {values.shape}; all maps must have shape {shape}.")
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(
            f"{name} must be a float array of probabilities in [0, 1], got dtype "
            f"{values.dtype}; scale integer masks first (e.g. uint8 / 255)."
        )
    if values.size and not (
        np.all(np.isfinite(values)) and values.min() >= 0 and values.max() <= 1
    ):
        raise ValueError(f"{name} must hold finite probabilities in [0, 1].")
    return values


def _candidates(prob: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(prob > threshold)  # row-major order: the tie-break order
    points = np.column_stack((cols + 0.5, rows + 0.5)).astype(np.float64)
    return points, prob[rows, cols].astype(np.float64)


def coupled_nms(
    keypoint_prob: np.ndarray,
    road_prob: np.ndarray,
    overpass_prob: np.ndarray | None = None,
    *,
    t_k: float = 0.5,
    t_r: float = 0.5,
    t_o: float | None = None,
    d_k_px: float = 8.0,
    d_r_px: float = 16.0,
) -> NmsVertices:
    """Coupled NMS of vertices from probability maps (Sec. 3.3, Algorithm 1, Appendix A).

    Pixels with keypoint (overpass) probability > ``t_k`` (``t_o``) are NMS'd separately with
    radius ``d_k_px``; their union forms the priority vertices. Road pixels (> ``t_r``)
    strictly within ``d_r_px`` of a priority vertex are dropped, then the rest are NMS'd
    with ``d_r_px``. A pixel kept from both the keypoint and the overpass mask is one vertex
    with both flags (the set union of line 22). Defaults d_k = 8 px and d_r = 16 px follow
    Sec. 4.3; the paper selects thresholds on validation data (as SAM-Road does), so tune
    ``t_k`` / ``t_r`` per model.

    Args:
        keypoint_prob: (H, W) float keypoint probability map in [0, 1].
        road_prob: (H, W) float road probability map in [0, 1].
        overpass_prob: optional (H, W) float overpass/underpass probability map in [0, 1].
        t_k: keypoint threshold (strict ">").
        t_r: road threshold (strict ">").
        t_o: overpass threshold; ``None`` uses ``t_k`` as Algorithm 1 does.
        d_k_px: keypoint/overpass suppression radius in pixels.
        d_r_px: road suppression radius in pixels.

    Returns:
        :class:`NmsVertices` with (x, y) pixel-centre coordinates.

    Raises:
        ValueError: maps that are not 2-D floats in [0, 1] of one shape, or negative radii.
    """
    kp_map = _check_map(keypoint_prob, "keypoint_prob", None)
    road_map = _check_map(road_prob, "road_prob", kp_map.shape)
    ov_map = (
        None if overpass_prob is None else _check_map(overpass_prob, "overpass_prob", kp_map.shape)
    )
    t_o = t_k if t_o is None else t_o

    kp_pts, kp_scores = _candidates(kp_map, t_k)
    road_pts, road_scores = _candidates(road_map, t_r)
    if ov_map is None:
        ov_pts, ov_scores = np.zeros((0, 2)), np.zeros(0)
    else:
        ov_pts, ov_scores = _candidates(ov_map, t_o)
    sel = coupled_nms_points(
        kp_pts, kp_scores, road_pts, road_scores, ov_pts, ov_scores, d_k_px=d_k_px, d_r_px=d_r_px
    )

    kp_kept, ov_kept = kp_pts[sel.keypoint_keep], ov_pts[sel.overpass_keep]
    ov_kept_scores = ov_scores[sel.overpass_keep]
    # Set union of line 22: an overpass vertex on the same pixel as a keypoint vertex merges.
    kp_index = {(float(x), float(y)): i for i, (x, y) in enumerate(kp_kept)}
    n_kp = kp_kept.shape[0]
    kp_is_ov = np.zeros(n_kp, dtype=bool)
    kp_vertex_scores = kp_scores[sel.keypoint_keep].copy()
    ov_new = np.ones(ov_kept.shape[0], dtype=bool)
    for j, (x, y) in enumerate(ov_kept):
        i = kp_index.get((float(x), float(y)))
        if i is not None:
            kp_is_ov[i] = True
            kp_vertex_scores[i] = max(kp_vertex_scores[i], ov_kept_scores[j])
            ov_new[j] = False
    n_ov = int(ov_new.sum())
    n_road = sel.road_keep.shape[0]
    points = np.concatenate([kp_kept, ov_kept[ov_new], road_pts[sel.road_keep]], axis=0)
    scores = np.concatenate([kp_vertex_scores, ov_kept_scores[ov_new], road_scores[sel.road_keep]])
    is_keypoint = np.concatenate([np.ones(n_kp, bool), np.zeros(n_ov + n_road, bool)])
    is_overpass = np.concatenate([kp_is_ov, np.ones(n_ov, bool), np.zeros(n_road, bool)])
    return NmsVertices(points.reshape(-1, 2), scores, is_keypoint, is_overpass)
