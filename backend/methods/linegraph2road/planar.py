"""Planar output graphs: straight edges never run along each other.

The Graph Transformer scores every candidate pair within d_nei (Sec. 3.4), so on one
straight road several vertices can all be joined to each other: with four collinear
vertices A-B-C-D, the edges A-C, A-D and B-D lie on top of A-B, B-C and C-D. Written as
lines they count the same road up to three times (``length_m``) and they are not the
road network the image shows. :func:`split_collinear_edges` replaces every edge that
passes through other vertices by the chain through them, so collinear vertices are
joined only in sequence. A vertex the overpass head marked (Sec. 3.2, overpass /
underpass points) splits an edge only when it is already joined to one of the edge's
ends (then the two edges overlap); otherwise the edge passes over it: there two roads
cross without meeting.
"""

from __future__ import annotations

import numpy as np
import shapely

# Projections this close (pixels) to an edge end are at the end: w is then the end itself.
_END_PX = 1e-6
_MAX_PASSES = 32


def split_collinear_edges(
    points_xy_px: np.ndarray,
    edge_index: np.ndarray,
    edge_prob: np.ndarray,
    *,
    tolerance_px: float,
    is_overpass: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Replace edges that pass through other vertices by the chain through those vertices.

    A vertex w lies on edge (u, v) when it is within ``tolerance_px`` of the segment and
    projects strictly between its ends (however close to one: u-w would otherwise run
    along u-v). An overpass vertex counts
    only when an edge joins it to u or v. Edge (u, v) with such
    vertices w1..wk (ordered along it) becomes u-w1, ..., wk-v. Each resulting vertex pair
    keeps the highest probability of the edges that produced it; duplicates are merged.

    Args:
        points_xy_px: (N, 2) float array of (x, y) vertex positions, pixels.
        edge_index: (2, E) int array of straight edges between vertex indices.
        edge_prob: (E,) float array of edge probabilities.
        tolerance_px: distance from a segment within which a vertex is on it, pixels (>= 0).
        is_overpass: optional (N,) bool; such vertices split an edge only when joined to
            one of its ends.

    Returns:
        (edge_index, edge_prob): (2, E') int64 and (E',) float64, each undirected pair once
        with u < v, sorted.

    Raises:
        ValueError: on mismatched shapes or a negative tolerance.
    """
    points = np.asarray(points_xy_px, dtype=float).reshape(-1, 2)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    probs = np.asarray(edge_prob, dtype=float).reshape(-1)
    if probs.shape[0] != edges.shape[1]:
        raise ValueError(f"edge_prob has {probs.shape[0]} values for {edges.shape[1]} edges")
    if not tolerance_px >= 0:
        raise ValueError(f"tolerance_px must be >= 0 pixels, got {tolerance_px!r}")
    overpass = (
        np.zeros(len(points), dtype=bool)
        if is_overpass is None
        else np.asarray(is_overpass, dtype=bool).reshape(-1)
    )
    best = _merge_pairs(edges, probs)
    # A split can join an overpass vertex to an edge end, which lets it split another
    # edge in the next pass: repeat until nothing changes (a few passes in practice; the
    # cap only guards against a pathological cycle).
    for _ in range(_MAX_PASSES):
        split = _split_once(points, best, tolerance_px, overpass)
        if split == best:
            break
        best = split
    if not best:
        return np.zeros((2, 0), dtype=np.int64), np.zeros(0, dtype=np.float64)
    pairs = sorted(best)
    return (
        np.asarray(pairs, dtype=np.int64).T.reshape(2, -1),
        np.asarray([best[p] for p in pairs], dtype=np.float64),
    )


def _merge_pairs(edges: np.ndarray, probs: np.ndarray) -> dict[tuple[int, int], float]:
    """{(u, v) with u < v: highest probability}, self-loops dropped."""
    best: dict[tuple[int, int], float] = {}
    for (a, b), p in zip(edges.T.tolist(), probs.tolist(), strict=True):
        if a != b:
            key = (min(a, b), max(a, b))
            best[key] = max(best.get(key, -np.inf), p)
    return best


def _split_once(
    points: np.ndarray,
    pairs: dict[tuple[int, int], float],
    tolerance_px: float,
    overpass: np.ndarray,
) -> dict[tuple[int, int], float]:
    """One pass of :func:`split_collinear_edges` over the edges ``pairs``."""
    if not pairs:
        return {}
    keys = list(pairs)
    edges = np.asarray(keys, dtype=np.int64).T
    probs = np.asarray([pairs[k] for k in keys], dtype=float)
    # Only vertices that are part of the graph may split.
    candidates = np.unique(edges.ravel())
    joined = set(keys) | {(b, a) for a, b in keys}
    segments = shapely.linestrings(np.stack([points[edges[0]], points[edges[1]]], axis=1))
    tree = shapely.STRtree(segments)
    vertex_pos, edge_pos = tree.query(
        shapely.points(points[candidates]), predicate="dwithin", distance=tolerance_px
    )
    inner: dict[int, list[tuple[float, int]]] = {}
    for k, e in zip(vertex_pos.tolist(), edge_pos.tolist(), strict=True):
        w = int(candidates[k])
        u, v = int(edges[0, e]), int(edges[1, e])
        if w in (u, v) or (overpass[w] and (w, u) not in joined and (w, v) not in joined):
            continue
        along = float(shapely.line_locate_point(segments[e], shapely.points(points[w])))
        if _END_PX < along < segments[e].length - _END_PX:
            inner.setdefault(e, []).append((along, w))
    chain_probs = []
    pieces = []
    for e in range(edges.shape[1]):
        chain = [int(edges[0, e]), *(w for _, w in sorted(inner.get(e, []))), int(edges[1, e])]
        pieces.extend(zip(chain[:-1], chain[1:], strict=True))
        chain_probs.extend([float(probs[e])] * (len(chain) - 1))
    chains = np.asarray(pieces, dtype=np.int64).T.reshape(2, -1)
    return _merge_pairs(chains, np.asarray(chain_probs))
