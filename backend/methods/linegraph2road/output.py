"""The graph LineGraph2Road writes, from the stitched graph (one function, so the job and
the validation report score the same graph).

Two steps after stitching (Sec. 3.5), neither in the paper: collinear vertices are joined
only in sequence (:func:`~backend.methods.linegraph2road.planar.split_collinear_edges`),
then dead ends near the border are continued to it
(:func:`~backend.methods.linegraph2road.borders.extend_dead_ends_to_border`), except where
the caller says the data ends before the border (``keep_border_vertex``).

Frame: (x, y) = (column, row) model pixels of the whole image or raster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backend.methods.linegraph2road.borders import extend_dead_ends_to_border
from backend.methods.linegraph2road.planar import split_collinear_edges

__all__ = ["OutputGraph", "output_graph"]


@dataclass(frozen=True)
class OutputGraph:
    """The written graph.

    Attributes:
        points_xy_px: ``(N + K, 2)`` float64 vertices: the N stitched ones, then K border
            vertices.
        edge_index: ``(2, E')`` int64 edges.
        edge_prob: ``(E',)`` float64 edge probabilities.
        source_vertex: ``(N + K,)`` int64 stitched vertex each vertex takes its per-vertex
            attributes (flags, scores) from: itself, or the dead end a border vertex continues.
    """

    points_xy_px: np.ndarray
    edge_index: np.ndarray
    edge_prob: np.ndarray
    source_vertex: np.ndarray


def output_graph(
    points_xy_px: np.ndarray,
    edge_index: np.ndarray,
    edge_prob: np.ndarray,
    *,
    collinear_tolerance_px: float,
    is_overpass: np.ndarray | None = None,
    width_px: float | None = None,
    height_px: float | None = None,
    border_extension_px: float = 0.0,
    keep_border_vertex: Callable[[np.ndarray], np.ndarray] | None = None,
) -> OutputGraph:
    """The stitched graph as written: planar along collinear runs, dead ends within
    ``border_extension_px`` of the border continued to it.

    Args:
        points_xy_px: ``(N, 2)`` stitched vertices, model pixels.
        edge_index: ``(2, E)`` kept edges; edge_prob: ``(E,)`` their probabilities.
        collinear_tolerance_px: distance within which a vertex lies on an edge (d_k / 2).
        is_overpass: ``(N,)`` bool overpass flags (such vertices split edges only when joined
            to an end; see ``split_collinear_edges``).
        width_px, height_px: image extent, model pixels (needed for the border extension).
        border_extension_px: longest extension, model pixels (0: none).
        keep_border_vertex: ``(K, 2)`` new border vertices -> ``(K,)`` bool; those it rejects
            are dropped with their edge (e.g. over no-data: the data, not the image, ends
            there). None keeps all.

    Returns:
        :class:`OutputGraph`.

    Raises:
        ValueError: mismatched shapes, a negative tolerance, or an extension without the
            image extent.
    """
    points = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    edges, probs = split_collinear_edges(
        points, edge_index, edge_prob, tolerance_px=collinear_tolerance_px,
        is_overpass=is_overpass,
    )  # fmt: skip
    identity = np.arange(len(points), dtype=np.int64)
    if border_extension_px <= 0:
        return OutputGraph(points, edges, probs, identity)
    if width_px is None or height_px is None:
        raise ValueError("border_extension_px needs the image extent (width_px, height_px)")
    extended = extend_dead_ends_to_border(
        points, edges, probs, width_px, height_px, border_extension_px
    )
    n_points, n_edges = len(points), edges.shape[1]
    new_points = extended.points_xy_px[n_points:]
    keep = np.ones(len(new_points), bool)
    if keep_border_vertex is not None and len(new_points):
        keep = np.asarray(keep_border_vertex(new_points), bool).reshape(-1)
    # New vertex k has id n_points + k and is joined by new edge n_edges + k; dropping a
    # vertex renumbers the later ones.
    new_edges = extended.edge_index[:, n_edges:][:, keep]
    new_edges[1] = n_points + np.arange(int(keep.sum()), dtype=np.int64)
    return OutputGraph(
        np.concatenate([points, new_points[keep]]),
        np.concatenate([edges, new_edges], axis=1),
        np.concatenate([probs, extended.edge_prob[n_edges:][keep]]),
        np.concatenate([identity, extended.source_vertex[keep]]),
    )
