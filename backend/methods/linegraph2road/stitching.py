"""Sliding-window inference support for LineGraph2Road (Sec. 3.6, Appendix G).

Appendix G: 512 x 512 windows; on 2048 x 2048 images a 5 x 5 grid is the smallest that
covers the image with an overlap greater than d_nei = 64 px, and performs on par with 16 x 16.
With overlap > d_nei every candidate edge (length <= d_nei) lies wholly inside at least one
window, so it is predicted with both endpoints in view. Sec. 3.6: an edge predicted in several
windows gets the mean of its probabilities.

How windows are combined here (:func:`stitch_window_graphs`):

1. Vertices of all windows (global pixel coordinates) are merged across windows: in priority
   order (keypoint/overpass vertices first, then higher score, then earlier window), each
   vertex not yet merged becomes a representative and takes, from every other window, its
   nearest unmerged vertex strictly closer than ``merge_radius_px``. Vertices of one window
   never merge with each other (NMS already separated them), so at most one vertex per
   window joins a merged vertex and no edge collapses into a self-loop. The merged vertex
   keeps the representative's position, the highest score and the OR of the flags.
   When the windows share a global vertex set (SAM-Road's way: NMS once on the fused masks,
   then per-window edge prediction), duplicates are at distance 0 and merge exactly.
2. Edges are re-indexed to merged vertices; the same (unordered) merged pair from several
   windows is one edge whose probability is the mean over those windows (Sec. 3.6).
3. Edges with mean probability > ``edge_threshold`` are kept.

Edges whose endpoints did not merge (vertices of two windows further apart than the merge
radius) stay separate edges: pick the radius from the NMS radii (default d_k / 2 = 4 px).

Frame: (x, y) = (column, row) pixels of the full image, origin at its upper-left corner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["StitchedGraph", "WindowGraph", "stitch_window_graphs", "window_origins"]


def _axis_origins(length_px: int, window_px: int, overlap_px: float) -> np.ndarray:
    if length_px <= window_px:
        return np.zeros(1, dtype=np.int64)
    stride = window_px - overlap_px
    count = int(np.ceil((length_px - overlap_px) / stride))
    while True:  # rounding can shave a pixel off the overlap: add a window then
        origins = np.round(np.linspace(0, length_px - window_px, max(count, 2))).astype(np.int64)
        if np.all(np.diff(origins) <= stride):
            return origins
        count += 1


def window_origins(
    height_px: int,
    width_px: int,
    window_px: int = 512,
    overlap_px: float = 128.0,
    *,
    d_nei_px: float = 64.0,
) -> np.ndarray:
    """Upper-left corners of evenly spaced sliding windows (Appendix G).

    Per axis, the fewest windows whose neighbours overlap by at least ``overlap_px`` are
    spread evenly from 0 to ``length - window_px`` (2048 px, window 512, overlap 65..128 ->
    5 windows 384 px apart, the paper's 5 x 5). A side no longer than the window gets one
    window at 0 that is cut at the image edge (read it boundless/padded or smaller).

    Args:
        height_px: image height in pixels.
        width_px: image width in pixels.
        window_px: window side in pixels.
        overlap_px: minimum overlap between neighbouring windows in pixels; must exceed
            ``d_nei_px`` so that every candidate edge fits in one window.
        d_nei_px: candidate-edge radius d_nei in pixels.

    Returns:
        (K, 2) int64 array of (x0, y0) = (column, row) window origins, row-major order
        (y outer, x inner). Window k covers columns [x0, x0 + window_px) and rows
        [y0, y0 + window_px), clipped to the image.

    Raises:
        ValueError: non-positive sizes, ``overlap_px <= d_nei_px`` or
            ``overlap_px >= window_px``.
    """
    if height_px <= 0 or width_px <= 0 or window_px <= 0:
        raise ValueError(
            f"Sizes must be positive: image {height_px} x {width_px} px, window {window_px} px."
        )
    if not overlap_px > d_nei_px:
        raise ValueError(
            f"overlap_px ({overlap_px}) must exceed d_nei_px ({d_nei_px}) so that every "
            "candidate edge lies inside one window (Appendix G); increase overlap_px."
        )
    if not overlap_px < window_px:
        raise ValueError(f"overlap_px ({overlap_px}) must be smaller than window_px ({window_px}).")
    xs = _axis_origins(int(width_px), int(window_px), float(overlap_px))
    ys = _axis_origins(int(height_px), int(window_px), float(overlap_px))
    grid_y, grid_x = np.meshgrid(ys, xs, indexing="ij")
    return np.column_stack((grid_x.ravel(), grid_y.ravel())).astype(np.int64)


@dataclass(frozen=True)
class WindowGraph:
    """Result of one window, in global (full-image) pixel coordinates.

    Attributes:
        points_xy_px: (N, 2) (x, y) pixel coordinates in the full image's frame.
        edge_index: (2, E) candidate edges, indices into this window's points.
        edge_prob: (E,) predicted connection probabilities in [0, 1].
        scores: optional (N,) vertex scores (NMS probabilities); default 0.
        is_keypoint: optional (N,) bool; default False.
        is_overpass: optional (N,) bool; default False.
    """

    points_xy_px: np.ndarray
    edge_index: np.ndarray
    edge_prob: np.ndarray
    scores: np.ndarray | None = None
    is_keypoint: np.ndarray | None = None
    is_overpass: np.ndarray | None = None


@dataclass(frozen=True)
class StitchedGraph:
    """One global graph from all windows (see the module docstring for the rules).

    Attributes:
        points_xy_px: (N, 2) float64 (x, y) full-image pixel coordinates.
        scores: (N,) float64 highest score among the merged vertices.
        is_keypoint: (N,) bool.
        is_overpass: (N,) bool.
        vertex_window_count: (N,) int64 number of windows that contributed the vertex.
        edge_index: (2, E) int64 kept edges (i < j), mean probability > threshold.
        edge_prob: (E,) float64 mean probability of the kept edges.
        edge_window_count: (E,) int64 number of windows that predicted each kept edge.
        candidate_edge_index: (2, C) int64 all merged candidate edges (i < j), sorted.
        candidate_edge_prob: (C,) float64 their mean probabilities.
        candidate_edge_window_count: (C,) int64.
    """

    points_xy_px: np.ndarray
    scores: np.ndarray
    is_keypoint: np.ndarray
    is_overpass: np.ndarray
    vertex_window_count: np.ndarray
    edge_index: np.ndarray
    edge_prob: np.ndarray
    edge_window_count: np.ndarray
    candidate_edge_index: np.ndarray
    candidate_edge_prob: np.ndarray
    candidate_edge_window_count: np.ndarray


def _window_arrays(k: int, win: WindowGraph) -> tuple[np.ndarray, ...]:
    points = np.asarray(win.points_xy_px, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not np.all(np.isfinite(points)):
        raise ValueError(f"Window {k}: points_xy_px must be a finite (N, 2) array of (x, y).")
    n = points.shape[0]
    edges = np.asarray(win.edge_index)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"Window {k}: edge_index must have shape (2, E), got {edges.shape}.")
    edges = edges.astype(np.int64)
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"Window {k}: edge_index refers to vertices outside [0, {n}).")
    prob = np.asarray(win.edge_prob, dtype=np.float64)
    if prob.shape != (edges.shape[1],):
        raise ValueError(
            f"Window {k}: edge_prob must have shape ({edges.shape[1]},), got {prob.shape}."
        )
    if prob.size and not (np.all(np.isfinite(prob)) and prob.min() >= 0 and prob.max() <= 1):
        raise ValueError(f"Window {k}: edge_prob must hold probabilities in [0, 1].")

    def per_vertex(values, dtype, default):
        if values is None:
            return np.full(n, default, dtype=dtype)
        arr = np.asarray(values, dtype=dtype)
        if arr.shape != (n,):
            raise ValueError(
                f"Window {k}: per-vertex arrays must have shape ({n},), got {arr.shape}."
            )
        return arr

    scores = per_vertex(win.scores, np.float64, 0.0)
    kp = per_vertex(win.is_keypoint, bool, False)
    ov = per_vertex(win.is_overpass, bool, False)
    return points, edges, prob, scores, kp, ov


def _merge_vertices(
    points: np.ndarray, window: np.ndarray, priority_order: np.ndarray, radius: float
) -> np.ndarray:
    """Cluster id per vertex (see the module docstring, step 1)."""
    n = points.shape[0]
    cluster = np.full(n, -1, dtype=np.int64)
    if radius > 0 and n > 1:
        pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
        if pairs.size:
            a, b = pairs[:, 0], pairs[:, 1]
            dist = np.hypot(*(points[a] - points[b]).T)
            ok = (window[a] != window[b]) & (dist < radius)
            a, b, dist = a[ok], b[ok], dist[ok]
            neighbours: dict[int, list[tuple[float, int]]] = {}
            for u, v, d in zip(a.tolist(), b.tolist(), dist.tolist(), strict=True):
                neighbours.setdefault(u, []).append((d, v))
                neighbours.setdefault(v, []).append((d, u))
            rank = np.empty(n, dtype=np.int64)
            rank[priority_order] = np.arange(n)
            next_id = 0
            # Only vertices with a close vertex in another window need the greedy pass.
            for u in sorted(neighbours, key=lambda i: rank[i]):
                if cluster[u] >= 0:
                    continue
                cluster[u] = next_id
                taken = {int(window[u])}
                for _, v in sorted(neighbours[u]):
                    if cluster[v] < 0 and int(window[v]) not in taken:
                        cluster[v] = next_id
                        taken.add(int(window[v]))
                next_id += 1
    alone = np.flatnonzero(cluster < 0)
    cluster[alone] = cluster.max(initial=-1) + 1 + np.arange(alone.size)
    return cluster


def stitch_window_graphs(
    windows: Sequence[WindowGraph],
    *,
    merge_radius_px: float = 4.0,
    edge_threshold: float = 0.5,
    drop_isolated_vertices: bool = False,
) -> StitchedGraph:
    """Combine per-window vertices and edge probabilities into one graph (Sec. 3.6, App. G).

    Args:
        windows: per-window results, vertices already in full-image pixel coordinates.
        merge_radius_px: vertices of different windows strictly closer than this merge
            (default d_k / 2 with d_k = 8 px).
        edge_threshold: edges with mean probability strictly greater are kept.
        drop_isolated_vertices: remove vertices without a kept edge (indices are compacted).

    Returns:
        :class:`StitchedGraph`; merged vertices are numbered in the priority order
        (keypoint/overpass first, then by score).

    Raises:
        ValueError: malformed window arrays, a negative merge radius or a threshold outside
            [0, 1].
    """
    if not merge_radius_px >= 0:
        raise ValueError(f"merge_radius_px must be >= 0, got {merge_radius_px!r}.")
    if not 0 <= edge_threshold <= 1:
        raise ValueError(f"edge_threshold must be in [0, 1], got {edge_threshold!r}.")
    parts = [_window_arrays(k, w) for k, w in enumerate(windows)]
    sizes = np.asarray([p[0].shape[0] for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    points = np.concatenate([p[0] for p in parts] + [np.zeros((0, 2))], axis=0)
    scores = np.concatenate([p[3] for p in parts] + [np.zeros(0)])
    is_kp = np.concatenate([p[4] for p in parts] + [np.zeros(0, bool)])
    is_ov = np.concatenate([p[5] for p in parts] + [np.zeros(0, bool)])
    window = np.repeat(np.arange(len(parts)), sizes)
    # Priority: keypoint/overpass first, higher score, earlier window, lower index.
    priority_order = np.lexsort((np.arange(points.shape[0]), window, -scores, ~(is_kp | is_ov)))
    cluster = _merge_vertices(points, window, priority_order, float(merge_radius_px))

    # Renumber merged vertices by their representative's (first member's) priority rank.
    num = int(cluster.max(initial=-1)) + 1
    _, first_pos = np.unique(cluster[priority_order], return_index=True)  # ids are 0..num-1
    by_rank = np.argsort(first_pos)
    new_id = np.empty(num, dtype=np.int64)
    new_id[by_rank] = np.arange(num)
    vid = new_id[cluster]
    out_points = points[priority_order[first_pos[by_rank]]].reshape(-1, 2)
    out_scores = np.full(num, -np.inf)
    np.maximum.at(out_scores, vid, scores)
    out_kp = np.zeros(num, dtype=bool)
    out_ov = np.zeros(num, dtype=bool)
    np.logical_or.at(out_kp, vid, is_kp)
    np.logical_or.at(out_ov, vid, is_ov)
    vertex_count = np.bincount(vid, minlength=num).astype(np.int64)

    # Edges: re-index, drop self-loops, average duplicates across windows.
    glob = [vid[offsets[k] + p[1]] for k, p in enumerate(parts)]
    ends = np.concatenate(glob + [np.zeros((2, 0), np.int64)], axis=1)
    prob = np.concatenate([p[2] for p in parts] + [np.zeros(0)])
    ok = ends[0] != ends[1]
    lo, hi, prob = np.minimum(*ends[:, ok]), np.maximum(*ends[:, ok]), prob[ok]
    keys, inverse = np.unique(lo * max(num, 1) + hi, return_inverse=True)
    inverse = inverse.reshape(-1)
    count = np.bincount(inverse, minlength=keys.size).astype(np.int64)
    mean = np.bincount(inverse, weights=prob, minlength=keys.size) / np.maximum(count, 1)
    cand = np.stack([keys // max(num, 1), keys % max(num, 1)]).astype(np.int64)
    keep = mean > edge_threshold
    edge_index, edge_prob, edge_count = cand[:, keep], mean[keep], count[keep]

    if drop_isolated_vertices:
        used = np.zeros(num, dtype=bool)
        used[edge_index.ravel()] = True
        remap = np.cumsum(used) - 1
        out_points, out_scores = out_points[used], out_scores[used]
        out_kp, out_ov, vertex_count = out_kp[used], out_ov[used], vertex_count[used]
        edge_index = remap[edge_index]
        both = used[cand[0]] & used[cand[1]]
        cand, mean, count = remap[cand[:, both]], mean[both], count[both]
    return StitchedGraph(
        points_xy_px=out_points,
        scores=out_scores,
        is_keypoint=out_kp,
        is_overpass=out_ov,
        vertex_window_count=vertex_count,
        edge_index=edge_index,
        edge_prob=edge_prob,
        edge_window_count=edge_count,
        candidate_edge_index=cand,
        candidate_edge_prob=mean,
        candidate_edge_window_count=count,
    )
