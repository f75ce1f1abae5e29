"""Road masks to centerline paths and metric road graphs, through the geo core.

Uses :func:`backend.geo.vectorize.trace_skeleton` and :func:`build_centerline_graph` (the
same skeleton graph as the "Road mask to vectors" job), so interactive centerlines and the
validation APLS see the same graph.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from shapely.geometry import LineString
from skimage.morphology import skeletonize

from backend.eval.graph import graph_from_lines
from backend.geo.vectorize import build_centerline_graph, prune_spurs, trace_skeleton


def centerline_paths_px(
    mask: np.ndarray, simplify_px: float = 0.5, prune_spur_px: float = 10.0
) -> list[np.ndarray]:
    """Centerline paths of a road mask (skeleton graph, short dangling spurs pruned as the
    "Road mask to vectors" job does with its default 10 m).

    Args:
        mask: ``(H, W)`` bool road mask.
        simplify_px: Douglas-Peucker tolerance of each path, pixels.
        prune_spur_px: dangling edges off a junction shorter than this (pixels) are removed
            (``backend.geo.vectorize.prune_spurs``); 0 keeps them.

    Returns:
        List of ``(N, 2)`` float arrays of (x, y) pixel coordinates in the mask's frame
        (corner origin; skeleton pixel centres are at ``c + 0.5``), one per graph edge.
    """
    mask = np.asarray(mask, bool)
    if not mask.any():
        return []
    pieces = trace_skeleton(skeletonize(mask), (0, 0))
    graph = build_centerline_graph(pieces, simplify_px=simplify_px)
    prune_spurs(graph, _path_length_px, prune_spur_px)
    return [np.asarray(d["path"], dtype=np.float64) for _, _, d in graph.edges(data=True)]


def _path_length_px(path: np.ndarray) -> float:
    return float(np.hypot(*np.diff(np.asarray(path, np.float64), axis=0).T).sum())


def mask_to_metric_graph(mask: np.ndarray, gsd_m: float) -> nx.Graph:
    """Road graph (``backend.eval.graph`` format, metres in a local frame) of a road mask.

    Args:
        mask: ``(H, W)`` bool road mask.
        gsd_m: metres per pixel.

    Returns:
        The graph of :func:`backend.eval.graph.graph_from_lines` (empty when no road); spurs
        shorter than 10 m are pruned.
    """
    paths = centerline_paths_px(mask, prune_spur_px=10.0 / gsd_m)
    lines = [LineString(p * gsd_m) for p in paths if len(p) >= 2]
    lines = [ln for ln in lines if ln.length > 0]
    return graph_from_lines(lines, snap_tolerance_m=1.0)
