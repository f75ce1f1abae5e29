"""Road graph ends at the image border (not in the paper; issue 10).

Coupled NMS (Algorithm 1) places road vertices about every d_r along a road, so a road that
runs off the image ends at its last vertex, up to d_r (16 px, 16 m at 1 m GSD) short of the
border. A graph that stops short of its area's edge cannot be joined to the graph of the
next area, and APLS (SpaceNet) counts the ground truth's end points on the border as
unreachable: on the LineGraph2Road select split (shipped model, 2026-12-01, the label as road
mask and perfect edges) 4 of the 44 scored Massachusetts 400 px crops read APLS 0 at TOPO
recall 0.84-0.97 for that reason alone. :func:`extend_dead_ends_to_border` continues such
ends straight on to the border.

Frame: (x, y) = (column, row) pixels of the image or raster, origin at its upper-left
corner; the image spans ``[0, width] x [0, height]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BorderExtension", "extend_dead_ends_to_border"]


@dataclass(frozen=True)
class BorderExtension:
    """A graph with its dead ends continued to the border.

    Attributes:
        points_xy_px: ``(N + K, 2)`` float64 vertices; the K new border vertices come last.
        edge_index: ``(2, E + K)`` int64 edges; the K new edges come last, each joining a
            dead end (first row) to its border vertex (second row).
        edge_prob: ``(E + K,)`` float64; a new edge has the probability of the dead end's
            own edge.
        source_vertex: ``(K,)`` int64 the dead end each border vertex continues (callers
            copy per-vertex attributes such as flags and scores from it).
    """

    points_xy_px: np.ndarray
    edge_index: np.ndarray
    edge_prob: np.ndarray
    source_vertex: np.ndarray


def extend_dead_ends_to_border(
    points_xy_px: np.ndarray,
    edge_index: np.ndarray,
    edge_prob: np.ndarray,
    width_px: float,
    height_px: float,
    max_distance_px: float,
) -> BorderExtension:
    """Continue each dead end straight on to the border when the border is that close.

    A dead end is a vertex with one edge. It is continued along the direction of that edge
    (from its neighbour through it); if the ray meets the image border within
    ``max_distance_px``, a vertex is added where it meets it, joined to the dead end. Ends
    already on the border (within half a pixel) and ends pointing away from a near border
    are left alone. The road mask is not consulted: on the select split, also requiring a
    mean road probability of 0.3 along the extension changed APLS by at most 0.001.

    Args:
        points_xy_px: ``(N, 2)`` vertex coordinates, pixels.
        edge_index: ``(2, E)`` int vertex pairs.
        edge_prob: ``(E,)`` edge probabilities.
        width_px: image width, pixels (the border is at x = 0 and x = width_px).
        height_px: image height, pixels.
        max_distance_px: longest extension, pixels (the card's 24 = 1.5 d_r).

    Returns:
        :class:`BorderExtension` (the inputs as float64/int64 with the new vertices and
        edges appended; nothing appended when ``max_distance_px`` <= 0).

    Raises:
        ValueError: arrays of the wrong shape or an empty image extent.
    """
    points = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    probs = np.asarray(edge_prob, dtype=np.float64).reshape(-1)
    if probs.shape[0] != edges.shape[1]:
        raise ValueError(f"{edges.shape[1]} edges but {probs.shape[0]} edge probabilities")
    if width_px <= 0 or height_px <= 0:
        raise ValueError(f"empty image extent {width_px} x {height_px} px")
    none = BorderExtension(points, edges, probs, np.zeros(0, np.int64))
    if max_distance_px <= 0 or edges.shape[1] == 0:
        return none
    degree = np.bincount(edges.ravel(), minlength=len(points))
    # For each dead end: its one edge (column) and the neighbour at the edge's other end.
    ends, new_points, new_probs = [], [], []
    for column, (u, v) in enumerate(edges.T):
        for end, neighbour in ((u, v), (v, u)):
            if degree[end] != 1 or end == neighbour:
                continue
            hit = _border_hit(points[neighbour], points[end], width_px, height_px)
            if hit is None:
                continue
            distance = float(np.hypot(*(hit - points[end])))
            if 0.5 < distance <= max_distance_px:
                ends.append(end)
                new_points.append(hit)
                new_probs.append(probs[column])
    if not ends:
        return none
    new_ids = np.arange(len(points), len(points) + len(ends), dtype=np.int64)
    return BorderExtension(
        points_xy_px=np.concatenate([points, np.asarray(new_points)]),
        edge_index=np.concatenate([edges, np.stack([np.asarray(ends, np.int64), new_ids])], 1),
        edge_prob=np.concatenate([probs, np.asarray(new_probs)]),
        source_vertex=np.asarray(ends, np.int64),
    )


def _border_hit(
    start: np.ndarray, end: np.ndarray, width_px: float, height_px: float
) -> np.ndarray | None:
    """Where the ray from ``start`` through ``end`` leaves the image, None without a
    direction or when ``end`` lies outside the image."""
    direction = end - start
    norm = float(np.hypot(*direction))
    if norm == 0.0 or not (0 <= end[0] <= width_px and 0 <= end[1] <= height_px):
        return None
    direction = direction / norm
    steps = []
    for axis, limit in ((0, width_px), (1, height_px)):
        if direction[axis] > 1e-12:
            steps.append((limit - end[axis]) / direction[axis])
        elif direction[axis] < -1e-12:
            steps.append(-end[axis] / direction[axis])
    hit = end + min(steps) * direction
    return np.clip(hit, [0.0, 0.0], [width_px, height_px])
