"""Candidate edges and their line graph (LineGraph2Road Sec. 3.4, Definition 1).

Vertices are (x, y) pixel coordinates (any common frame; only distances matter). Edge
indices follow the PyTorch Geometric layout: ``edge_index`` is a (2, E) int64 array whose
column e holds the two vertex indices of edge e.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["candidate_edges", "line_graph"]


def candidate_edges(points_xy_px: np.ndarray, d_nei_px: float = 64.0) -> np.ndarray:
    """All vertex pairs within ``d_nei_px``: E_nei = {(i, j) : ||pos(i) - pos(j)|| <= d_nei}.

    Implements the global sparse Euclidean graph of Sec. 3.4 (d_nei = 64 px in Sec. 4.3).

    Args:
        points_xy_px: (N, 2) array of (x, y) pixel coordinates.
        d_nei_px: neighbourhood radius in pixels (inclusive, as in the paper's definition).

    Returns:
        edge_index: (2, E) int64 array with ``edge_index[0] < edge_index[1]`` in every column,
        columns sorted lexicographically (deterministic order).

    Raises:
        ValueError: points not (N, 2) finite, or ``d_nei_px`` not a finite value >= 0.
    """
    points = np.asarray(points_xy_px, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points_xy_px must be an (N, 2) array of (x, y), got {points.shape}.")
    if not np.all(np.isfinite(points)):
        raise ValueError("points_xy_px contains NaN or infinite coordinates.")
    radius = float(d_nei_px)
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"d_nei_px must be a finite distance >= 0 in pixels, got {d_nei_px!r}.")
    if points.shape[0] < 2:
        return np.zeros((2, 0), dtype=np.int64)
    pairs = cKDTree(points).query_pairs(radius, output_type="ndarray").astype(np.int64)
    if pairs.size == 0:
        return np.zeros((2, 0), dtype=np.int64)
    pairs.sort(axis=1)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return np.ascontiguousarray(pairs.T)


def _check_edge_index(edge_index: np.ndarray, num_vertices: int) -> np.ndarray:
    edges = np.asarray(edge_index)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {edges.shape}.")
    if edges.size and not np.issubdtype(edges.dtype, np.integer):
        raise ValueError(f"edge_index must hold integer vertex indices, got dtype {edges.dtype}.")
    edges = edges.astype(np.int64, copy=False)
    if num_vertices < 0:
        raise ValueError(f"num_vertices must be >= 0, got {num_vertices}.")
    if edges.size:
        if edges.min() < 0 or edges.max() >= num_vertices:
            raise ValueError(
                f"edge_index refers to vertices outside [0, {num_vertices}); "
                "pass the number of vertices the indices refer to."
            )
        if np.any(edges[0] == edges[1]):
            raise ValueError("edge_index contains self-loops (i, i); candidate edges have i != j.")
        lo, hi = np.minimum(edges[0], edges[1]), np.maximum(edges[0], edges[1])
        if np.unique(lo * num_vertices + hi).size != edges.shape[1]:
            raise ValueError(
                "edge_index contains the same undirected edge twice; deduplicate it first."
            )
    return edges


def line_graph(edge_index: np.ndarray, num_vertices: int) -> np.ndarray:
    """Line graph L(G) of an undirected simple graph (Definition 1, Sec. 3.4).

    Node e of L(G) is column e of ``edge_index``; nodes e != f are adjacent when edges e and
    f share an endpoint. Both directions are listed, so the result can be passed as a PyG
    ``edge_index`` for message passing on L(G). Vectorised: incidences are grouped by vertex
    and all ordered pairs within each group are formed, O(sum_v deg(v)^2) memory.

    Args:
        edge_index: (2, E) integer array of undirected edges (any orientation), no self-loops
            and no duplicates.
        num_vertices: number of vertices N of G (indices lie in [0, N)).

    Returns:
        lg_edge_index: (2, M) int64 array of directed L(G) edges (source row 0, target row 1),
        M = sum_v deg(v) * (deg(v) - 1), sorted lexicographically.

    Raises:
        ValueError: wrong shape/dtype, indices outside [0, N), self-loops or duplicate edges.
    """
    edges = _check_edge_index(edge_index, int(num_vertices))
    num_edges = edges.shape[1]
    if num_edges == 0:
        return np.zeros((2, 0), dtype=np.int64)
    vertex = np.concatenate([edges[0], edges[1]])
    edge_id = np.concatenate([np.arange(num_edges), np.arange(num_edges)])
    order = np.argsort(vertex, kind="stable")
    vertex, edge_id = vertex[order], edge_id[order]
    counts = np.bincount(vertex, minlength=int(num_vertices))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # Incidence k (sorted position) pairs with every incidence of its vertex's group.
    group_size = counts[vertex]
    src_pos = np.repeat(np.arange(vertex.size), group_size)
    offset_in_group = np.arange(src_pos.size) - np.repeat(
        np.cumsum(group_size) - group_size, group_size
    )
    dst_pos = starts[vertex[src_pos]] + offset_in_group
    keep = src_pos != dst_pos
    src, dst = edge_id[src_pos[keep]], edge_id[dst_pos[keep]]
    order = np.lexsort((dst, src))
    return np.stack([src[order], dst[order]]).astype(np.int64)
