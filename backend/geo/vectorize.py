"""Raster masks to vectors: road polygons and skeleton centerline graphs, tile by tile.

Both work on non-overlapping core tiles (a halo is read where the algorithm needs context)
so memory depends on the tile size and the amount of road, never on the raster's area.

Frames: pixel coordinates (x, y) = (column, row) with the origin at the raster's upper-left
corner; a pixel's centre is (col + 0.5, row + 0.5). Graph nodes are keyed by the integer
(col, row) of their skeleton pixel; edge geometry is an (N, 2) float array of (x, y) pixel
coordinates of pixel centres. Map coordinates come from :func:`pixel_to_map`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from rasterio import features
from shapely.geometry import LineString, Polygon, shape
from skimage.morphology import skeletonize

from backend.geo.windows import CoreTile, Tile

# Pixel steps to the four "forward" 8-neighbours; with their opposites this is 8-connectivity.
_FORWARD_STEPS = ((1, 0), (0, 1), (1, 1), (-1, 1))


def pixel_to_map(points_xy_px: np.ndarray, transform) -> np.ndarray:
    """Map coordinates of (N, 2) pixel (x, y) points through an affine geotransform.

    Args:
        points_xy_px: (N, 2) float array of (x, y) pixel coordinates (not centres: add 0.5
            to a column index to get its centre).
        transform: rasterio ``Affine`` pixel -> map.

    Returns:
        (N, 2) float64 array of (x, y) in the raster's CRS.
    """
    pts = np.asarray(points_xy_px, dtype=np.float64)
    a, b, c, d, e, f = tuple(transform)[:6]
    return np.column_stack((a * pts[:, 0] + b * pts[:, 1] + c, d * pts[:, 0] + e * pts[:, 1] + f))


# --------------------------------------------------------------------------- polygons


def tile_polygons_px(mask: np.ndarray, tile: Tile, raster_w: int, raster_h: int):
    """Polygons of one core tile's mask, in raster pixel coordinates.

    Args:
        mask: (tile.height, tile.width) bool road mask of the core tile.
        tile: the core tile (its offsets place the polygons in the raster).
        raster_w, raster_h: raster size, to tell internal tile borders from raster edges.

    Returns:
        (finished, border): polygons that touch no internal tile border (final), and those
        that do (to be merged with their neighbours' pieces).
    """
    finished: list[Polygon] = []
    border: list[Polygon] = []
    if not mask.any():
        return finished, border
    offset = (1.0, 0.0, float(tile.col_off), 0.0, 1.0, float(tile.row_off))
    x0, y0 = tile.col_off, tile.row_off
    x1, y1 = x0 + tile.width, y0 + tile.height
    for geom, _ in features.shapes(
        mask.astype(np.uint8), mask=mask, connectivity=4, transform=offset
    ):
        poly = shape(geom)
        minx, miny, maxx, maxy = poly.bounds
        touches = (
            (minx <= x0 and x0 > 0)
            or (miny <= y0 and y0 > 0)
            or (maxx >= x1 and x1 < raster_w)
            or (maxy >= y1 and y1 < raster_h)
        )
        (border if touches else finished).append(poly)
    return finished, border


def merge_border_polygons(border: list[Polygon]) -> list[Polygon]:
    """Union pieces cut by tile borders back into whole polygons (holes kept)."""
    if not border:
        return []
    merged = shapely.union_all(border)
    return [g for g in getattr(merged, "geoms", [merged]) if not g.is_empty]


def polygons_to_map(
    polygons_px: list[Polygon],
    transform,
    pixel_area_m2: float,
    simplify_tolerance_map: float = 0.0,
    min_area_map: float = 0.0,
) -> tuple[list[Polygon], list[float]]:
    """Move pixel-frame polygons to map coordinates, simplify and drop small ones.

    Args:
        polygons_px: polygons in raster pixel coordinates.
        transform: rasterio ``Affine`` pixel -> map.
        pixel_area_m2: ground area of one pixel in square metres (for ``area_m2``).
        simplify_tolerance_map: Douglas-Peucker tolerance in map units (0: none); topology
            is preserved so holes stay holes.
        min_area_map: polygons smaller than this (square map units, after simplification)
            are dropped.

    Returns:
        (polygons in the raster's CRS, their areas in square metres).
    """
    a, b, c, d, e, f = tuple(transform)[:6]
    out, areas = [], []
    for poly_px in polygons_px:
        poly = shapely.affinity.affine_transform(poly_px, (a, b, d, e, c, f))
        if simplify_tolerance_map > 0:
            poly = poly.simplify(simplify_tolerance_map, preserve_topology=True)
        if poly.is_empty or poly.area < min_area_map:
            continue
        out.append(poly)
        areas.append(float(poly_px.area) * pixel_area_m2)
    return out, areas


# --------------------------------------------------------------------------- skeleton graph


@dataclass
class GraphPiece:
    """A centerline edge from one tile: node keys (col, row) and (N, 2) pixel-centre path."""

    u: tuple[int, int]
    v: tuple[int, int]
    path_xy_px: np.ndarray


def _skeleton_pixel_edges(skel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-neighbour links between skeleton pixels, without redundant diagonals.

    A diagonal link is dropped when the two pixels also connect through a shared
    4-neighbour; this collapses the small pixel triangles skeletons form at junctions.

    Returns:
        (ys, xs, pairs): skeleton pixel rows/cols (K,) and (L, 2) index pairs into them.
    """
    ys, xs = np.nonzero(skel)
    index = np.full(skel.shape, -1, np.int64)
    index[ys, xs] = np.arange(ys.size)
    h, w = skel.shape
    pairs = []
    for dx, dy in _FORWARD_STEPS:
        nx_, ny_ = xs + dx, ys + dy
        ok = (nx_ >= 0) & (nx_ < w) & (ny_ < h)
        src = np.nonzero(ok)[0]
        dst = index[ny_[ok], nx_[ok]]
        keep = dst >= 0
        src, dst = src[keep], dst[keep]
        if dx != 0 and dy != 0:
            # Shared 4-neighbours of a diagonal pair: (x+dx, y) and (x, y+dy).
            via_a = skel[ys[src], xs[src] + dx]
            via_b = skel[ys[src] + dy, xs[src]]
            keep = ~(via_a | via_b)
            src, dst = src[keep], dst[keep]
        pairs.append(np.column_stack((src, dst)))
    return ys, xs, np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)


def trace_skeleton(
    skel: np.ndarray,
    origin_xy: tuple[int, int],
    owner: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    anchor: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> list[GraphPiece]:
    """Trace a skeleton into edges between nodes (ends, junctions and anchor pixels).

    Args:
        skel: (H, W) bool skeleton (one-pixel-wide lines).
        origin_xy: raster (col, row) of ``skel[0, 0]``.
        owner: keeps a pixel link when ``owner(x_min, y_min)`` (raster coordinates of the
            link's top-left corner) is True; tiles use it so each link is traced by exactly
            one tile. None keeps all links.
        anchor: marks pixels (raster x, y arrays) that must become nodes (tile borders), so
            pieces from neighbouring tiles meet at shared nodes. None: no anchors.

    Returns:
        Edges as :class:`GraphPiece` in raster pixel coordinates (pixel centres).
    """
    ys, xs, pairs = _skeleton_pixel_edges(skel)
    gx, gy = xs + origin_xy[0], ys + origin_xy[1]
    if owner is not None and len(pairs):
        keep = owner(np.minimum(gx[pairs[:, 0]], gx[pairs[:, 1]]),
                     np.minimum(gy[pairs[:, 0]], gy[pairs[:, 1]]))
        pairs = pairs[keep]
    n = ys.size
    if n == 0 or len(pairs) == 0:
        return []
    # CSR adjacency over both link directions.
    src = np.concatenate((pairs[:, 0], pairs[:, 1]))
    dst = np.concatenate((pairs[:, 1], pairs[:, 0]))
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    indptr = np.searchsorted(src, np.arange(n + 1))
    degree = np.diff(indptr)
    is_node = degree != 2
    if anchor is not None:
        is_node |= anchor(gx, gy) & (degree > 0)
    is_node &= degree > 0
    neighbours = dst.tolist()
    indptr_l = indptr.tolist()
    node_flags = is_node.tolist()
    visited = np.zeros(n, bool)
    pieces: list[GraphPiece] = []

    def key(i: int) -> tuple[int, int]:
        return int(gx[i]), int(gy[i])

    def walk(start: int, first: int) -> list[int]:
        path = [start, first]
        prev, cur = start, first
        while not node_flags[cur]:
            visited[cur] = True
            a, b = neighbours[indptr_l[cur]], neighbours[indptr_l[cur] + 1]
            nxt = b if a == prev else a
            prev, cur = cur, nxt
            path.append(cur)
            if cur == start:
                break
        return path

    def emit(path: list[int]) -> None:
        idx = np.asarray(path)
        pts = np.column_stack((gx[idx] + 0.5, gy[idx] + 0.5))
        pieces.append(GraphPiece(key(path[0]), key(path[-1]), pts))

    for i in np.nonzero(is_node)[0].tolist():
        for j in neighbours[indptr_l[i] : indptr_l[i + 1]]:
            if node_flags[j]:
                if i < j:
                    emit([i, j])
            elif not visited[j]:
                emit(walk(i, j))
    # Closed loops without any node: start anywhere on them.
    for i in np.nonzero(~visited & ~is_node & (degree == 2))[0].tolist():
        if visited[i]:
            continue
        node_flags[i] = True
        emit(walk(i, neighbours[indptr_l[i]]))
    return pieces


def tile_skeleton_pieces(mask_read: np.ndarray, tile: CoreTile, raster_w: int, raster_h: int):
    """Skeletonise one tile (with its halo) and trace the part the tile owns.

    The skeleton is computed on the whole read region so that, given a halo wider than the
    roads, the core's skeleton matches what a whole-raster skeleton would give there. The
    tile owns the pixel links whose top-left corner lies in its core; pixels on the core's
    first and one-past-last rows/columns are anchors shared with the neighbouring tiles.

    Args:
        mask_read: (read.height, read.width) bool road mask over ``tile.read``.
        tile: the core tile and its read region.
        raster_w, raster_h: raster size.

    Returns:
        list of :class:`GraphPiece` in raster pixel coordinates.
    """
    core, read = tile.core, tile.read
    skel = skeletonize(mask_read)
    # Trace over the core plus one pixel right and below (links leaving the core).
    r0, c0 = core.row_off - read.row_off, core.col_off - read.col_off
    r1 = min(r0 + core.height + 1, read.height)
    c1 = min(c0 + core.width + 1, read.width)
    sub = skel[r0:r1, c0:c1]
    x0, y0 = core.col_off, core.row_off
    x1, y1 = x0 + core.width, y0 + core.height

    def owner(x, y):
        return (x >= x0) & (x < x1) & (y >= y0) & (y < y1)

    def anchor(x, y):
        return (
            ((x == x0) & (x0 > 0))
            | ((y == y0) & (y0 > 0))
            | ((x == x1) & (x1 < raster_w))
            | ((y == y1) & (y1 < raster_h))
        )

    return trace_skeleton(sub, (x0, y0), owner=owner, anchor=anchor)


def build_centerline_graph(
    pieces: Iterator[GraphPiece] | list[GraphPiece],
    simplify_px: float = 0.5,
) -> nx.MultiGraph:
    """Join tile pieces into one graph; nodes only at ends and junctions.

    Pieces meeting at an anchor pixel share the node key, so degree-2 nodes (tile borders,
    chain breaks) are then dissolved by concatenating their paths, and junction pixels that
    touch each other are merged into one node.

    Args:
        pieces: edges from :func:`tile_skeleton_pieces` / :func:`trace_skeleton`.
        simplify_px: Douglas-Peucker tolerance applied to each final path, in pixels (0.5
            removes pixel staircases and keeps every vertex on the skeleton's pixels).

    Returns:
        networkx MultiGraph; node attribute ``xy`` (pixel centre), edge attribute ``path``
        ((N, 2) float pixel coordinates from node ``u`` to node ``v``).
    """
    graph = nx.MultiGraph()
    for piece in pieces:
        for node in (piece.u, piece.v):
            if node not in graph:
                graph.add_node(node, xy=(node[0] + 0.5, node[1] + 0.5))
        graph.add_edge(piece.u, piece.v, path=piece.path_xy_px)
    _merge_touching_junctions(graph)
    dissolve_degree_two(graph)
    if simplify_px > 0:
        for _, _, data in graph.edges(data=True):
            data["path"] = _simplify_path(data["path"], simplify_px)
    return graph


def _simplify_path(path: np.ndarray, tolerance_px: float) -> np.ndarray:
    if len(path) <= 2:
        return path
    line = LineString(path).simplify(tolerance_px, preserve_topology=False)
    coords = np.asarray(line.coords)
    return coords if len(coords) >= 2 else path[[0, -1]]


def _merge_touching_junctions(graph: nx.MultiGraph) -> None:
    """Contract 1-link edges between adjacent junction pixels into one node."""
    short = [
        (u, v)
        for u, v, data in graph.edges(data=True)
        if u != v
        and len(data["path"]) == 2
        and graph.degree(u) >= 3
        and graph.degree(v) >= 3
    ]
    for u, v in short:
        if u in graph and v in graph and u != v:
            nx.contracted_nodes(graph, u, v, self_loops=False, copy=False)
            # contracted_nodes leaves paths that started at v; re-anchor them at u.
            for a, b, data in graph.edges(u, data=True):
                _reanchor(data, graph.nodes[a]["xy"], graph.nodes[b]["xy"])


def _reanchor(data: dict, xy_a, xy_b) -> None:
    path = data["path"]
    start, end = np.asarray(xy_a), np.asarray(xy_b)
    d_forward = np.abs(path[0] - start).sum() + np.abs(path[-1] - end).sum()
    d_backward = np.abs(path[-1] - start).sum() + np.abs(path[0] - end).sum()
    if d_backward < d_forward:
        start, end = end, start
    path = path.copy()
    path[0], path[-1] = start, end
    data["path"] = path


def dissolve_degree_two(graph: nx.MultiGraph) -> None:
    """Remove degree-2 nodes by joining their two edges (self-loop cycles keep one node)."""
    for node in list(graph.nodes):
        if graph.degree(node) != 2:
            continue
        edges = list(graph.edges(node, keys=True, data=True))
        if len(edges) != 2:  # a self-loop counts twice: a closed ring, keep it
            continue
        (_, a, ka, da), (_, b, kb, db) = edges
        if a == node or b == node:
            continue
        pa = _oriented(da["path"], graph.nodes[a]["xy"])  # a -> node
        pb = _oriented(db["path"], graph.nodes[node]["xy"])  # node -> b
        graph.remove_node(node)
        graph.add_edge(a, b, path=np.vstack((pa, pb[1:])))


def _oriented(path: np.ndarray, start_xy) -> np.ndarray:
    start = np.asarray(start_xy)
    if np.abs(path[0] - start).sum() <= np.abs(path[-1] - start).sum():
        return path
    return path[::-1]


def prune_spurs(graph: nx.MultiGraph, min_length: Callable[[np.ndarray], float], tol: float):
    """Remove dangling edges shorter than ``tol`` that hang off a junction.

    Args:
        graph: graph from :func:`build_centerline_graph` (modified in place).
        min_length: edge length function of an edge's path (e.g. metres).
        tol: spurs with ``min_length(path) < tol`` go; repeated until none is left.
    """
    if tol <= 0:
        return
    while True:
        spurs = []
        for u, v, k, data in graph.edges(keys=True, data=True):
            du, dv = graph.degree(u), graph.degree(v)
            dangling = (du == 1 and dv >= 3) or (dv == 1 and du >= 3)
            if dangling and min_length(data["path"]) < tol:
                spurs.append((u, v, k))
        if not spurs:
            break
        for u, v, k in spurs:
            if graph.has_edge(u, v, k):
                graph.remove_edge(u, v, k)
        graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
        dissolve_degree_two(graph)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
