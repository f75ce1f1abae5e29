"""Training targets for LineGraph2Road (Sec. 3.5, Appendix E: Algorithms 3 and 4, Fig. 10).

Input: a ground-truth road graph in this package's representation (``graph_io``): an
undirected ``networkx.Graph`` whose nodes carry ``xy`` = (x, y) float pixel coordinates of
the image the targets are for (origin at the upper-left image corner, pixel (row r, col c)
has its centre at (c + 0.5, r + 0.5)); edges are straight segments.

Pipeline of :func:`make_training_targets`:

1. Algorithm 3 (:func:`refine_overpasses`) on the ground truth: false crossings near nodes
   are resolved; the endpoints of edges that still cross without sharing a node are the
   overpass/underpass nodes.
2. Masks from the refined graph: road (centerlines, ``road_width_px`` wide), keypoint discs
   (degree != 2, or degree 2 with an angle in [60, 120] degrees) and overpass discs, both of
   radius 3 px.
3. Algorithm 4 (:func:`interpolation_distances`): keypoints and overpass nodes are kept, the
   chains of other nodes between them are replaced by nodes at random arc-length intervals
   in U(d_r, 2 d_r - 1).
4. Coupled NMS (Algorithm 1, :func:`~.nms.coupled_nms_points`) on those nodes: keypoints and
   overpass nodes with d_k, the rest with d_r.
5. Labels: two kept vertices are connected when the densified graph joins them directly or
   through a path whose inner nodes were all suppressed ("no other vertex between them").
6. Algorithm 3 again on that vertex graph (adjusts vertices near overpass crossings, marks
   the endpoints of crossing edges as overpass vertices), vertices outside the image are
   dropped, candidate edges = pairs within d_nei, label 1 when the pair is connected.

Parameters of Algorithm 3 are not given in the paper; :class:`RefinementParams` documents
the values and interpretations used here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from backend.methods.linegraph2road.candidates import candidate_edges
from backend.methods.linegraph2road.graph_io import graph_from_arrays, graph_to_arrays
from backend.methods.linegraph2road.nms import coupled_nms_points

__all__ = [
    "LineGraphTargets",
    "OverpassRefinement",
    "RefinementParams",
    "find_crossings",
    "interpolation_distances",
    "keypoint_flags",
    "label_edges_on_ground_truth",
    "make_training_targets",
    "rasterize_discs",
    "rasterize_road_mask",
    "refine_overpasses",
]


# ---------------------------------------------------------------------------------------------
# Rasterisation


def _check_shape(shape_hw: tuple[int, int]) -> tuple[int, int]:
    if len(shape_hw) != 2 or int(shape_hw[0]) <= 0 or int(shape_hw[1]) <= 0:
        raise ValueError(f"shape_hw must be a positive (height_px, width_px), got {shape_hw!r}.")
    return int(shape_hw[0]), int(shape_hw[1])


def rasterize_road_mask(
    points_xy_px: np.ndarray,
    edge_index: np.ndarray,
    shape_hw: tuple[int, int],
    *,
    road_width_px: float = 3.0,
) -> np.ndarray:
    """Road mask M_road: graph edges drawn as lines ``road_width_px`` wide (Sec. 3.5).

    Each segment is sampled every 0.5 px; the pixels containing the samples form a one-pixel
    centerline; a pixel is road when its centre lies within ``road_width_px / 2`` of a
    centerline pixel centre (so width 3 gives 3-pixel-wide lines, as SAM-Road's labels).
    Parts outside the image are ignored.

    Args:
        points_xy_px: (N, 2) (x, y) pixel coordinates of the graph nodes.
        edge_index: (2, E) integer node indices of the segments.
        shape_hw: (height_px, width_px) of the mask.
        road_width_px: line width in pixels (>= 1).

    Returns:
        (H, W) uint8 mask, 1 = road.

    Raises:
        ValueError: bad shapes or a width below 1 px.
    """
    height, width = _check_shape(shape_hw)
    if not road_width_px >= 1:
        raise ValueError(f"road_width_px must be >= 1 pixel, got {road_width_px!r}.")
    points = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    centre = np.zeros((height, width), dtype=bool)
    if edges.shape[1]:
        a, b = points[edges[0]], points[edges[1]]
        n = np.ceil(np.hypot(*(b - a).T) / 0.5).astype(np.int64) + 1
        seg = np.repeat(np.arange(edges.shape[1]), n)
        start = np.repeat(np.cumsum(n) - n, n)
        t = (np.arange(seg.size) - start) / np.maximum(n[seg] - 1, 1)
        xy = a[seg] + (b[seg] - a[seg]) * t[:, None]
        cols, rows = np.floor(xy[:, 0]).astype(np.int64), np.floor(xy[:, 1]).astype(np.int64)
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        centre[rows[inside], cols[inside]] = True
    if not centre.any():
        return centre.astype(np.uint8)
    dist = ndimage.distance_transform_edt(~centre)
    return (dist <= road_width_px / 2.0).astype(np.uint8)


def rasterize_discs(
    points_xy_px: np.ndarray, shape_hw: tuple[int, int], *, radius_px: float = 3.0
) -> np.ndarray:
    """Discs around points (keypoint / overpass masks, Sec. 3.5: radius 3 px).

    A pixel is set when its centre is within ``radius_px`` (inclusive) of a point.

    Args:
        points_xy_px: (N, 2) (x, y) pixel coordinates.
        shape_hw: (height_px, width_px) of the mask.
        radius_px: disc radius in pixels (>= 0).

    Returns:
        (H, W) uint8 mask, 1 inside a disc.

    Raises:
        ValueError: bad shapes or a negative radius.
    """
    height, width = _check_shape(shape_hw)
    if not radius_px >= 0:
        raise ValueError(f"radius_px must be >= 0, got {radius_px!r}.")
    mask = np.zeros((height, width), dtype=np.uint8)
    points = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    if points.shape[0] == 0:
        return mask
    reach = int(np.ceil(radius_px)) + 1
    off = np.arange(-reach, reach + 1)
    dr, dc = np.meshgrid(off, off, indexing="ij")
    rows = np.floor(points[:, 1]).astype(np.int64)[:, None] + dr.ravel()[None, :]
    cols = np.floor(points[:, 0]).astype(np.int64)[:, None] + dc.ravel()[None, :]
    dist2 = (cols + 0.5 - points[:, :1]) ** 2 + (rows + 0.5 - points[:, 1:]) ** 2
    hit = (dist2 <= radius_px**2) & (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    mask[rows[hit], cols[hit]] = 1
    return mask


# ---------------------------------------------------------------------------------------------
# Keypoints (Sec. 3.5)


def keypoint_flags(
    points_xy_px: np.ndarray,
    edge_index: np.ndarray,
    *,
    angle_range_deg: tuple[float, float] = (60.0, 120.0),
) -> np.ndarray:
    """Keypoint nodes of Sec. 3.5: degree != 2, or degree 2 with an angle in the range.

    The angle is the one between the two incident edges at the node (180 degrees on a
    straight road); the default range [60, 120] is symmetric about 90, so it equals the range
    of the turning angle. Bounds are inclusive; zero-length edges give no angle (no keypoint).

    Args:
        points_xy_px: (N, 2) (x, y) pixel coordinates.
        edge_index: (2, E) node indices of a simple undirected graph.
        angle_range_deg: inclusive (low, high) angle range in degrees.

    Returns:
        (N,) bool, True for keypoints.
    """
    points = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    n = points.shape[0]
    ends = np.concatenate([edges[0], edges[1]])
    others = np.concatenate([edges[1], edges[0]])
    degree = np.bincount(ends, minlength=n)
    flags = degree != 2
    order = np.argsort(ends, kind="stable")
    ends, others = ends[order], others[order]
    two = np.flatnonzero(degree[ends] == 2)  # incidences of degree-2 nodes, in pairs
    if two.size:
        node = ends[two[0::2]]
        va = points[others[two[0::2]]] - points[node]
        vb = points[others[two[1::2]]] - points[node]
        norm = np.hypot(*va.T) * np.hypot(*vb.T)
        valid = norm > 0
        cos = np.einsum("ij,ij->i", va, vb) / np.where(valid, norm, 1.0)
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        lo, hi = angle_range_deg
        flags[node] = valid & (angle >= lo) & (angle <= hi)
    return flags


# ---------------------------------------------------------------------------------------------
# Algorithm 3: overpass/underpass detection and adjustment


@dataclass(frozen=True)
class RefinementParams:
    """Parameters of Algorithm 3 (Appendix E). The paper gives no values; these are ours.

    Attributes:
        tau_px: intersection threshold tau: endpoints closer than this to a crossing point
            are pushed (weight (tau - d) / tau). Default d_k = 8 px, so overpass endpoints
            that survive end up at least a keypoint radius away from the crossing.
        gamma_px: merge gap gamma. gap(k) of a degree-2 node is the length of its shorter
            edge (the distance to its nearest graph neighbour); nodes stacked closer than
            gamma are contracted (their neighbours joined).
        alpha_px: step alpha: a pushed node moves by this many pixels per iteration.
        merge_period: P: every P-th iteration contracts stacked nodes instead of moving;
            ``None`` never contracts.
        max_iterations: T.
        epsilon: tolerance: accumulated pushes with norm <= epsilon are ignored; the loop
            ends when no node moves.
        overlap_px: a move is refused when the new position is closer than this to another
            node ("v' overlapping other nodes").

    Interpretation of "u: unit vector from v to its neighbor" (line 10): for a degree-1
    endpoint it points to its only neighbour (an overshooting dead end retracts until the
    false crossing disappears); for a degree-2 endpoint it points to the neighbour that is
    not on the crossing edge, so the node backs away from the crossing along its road until
    it is tau away (the crossing edge lengthens; nodes pushed onto their neighbour are then
    contracted as stacked). Junction nodes (degree >= 3) are not moved. Pointing along the
    crossing edge instead makes nodes next to a crossing jump back and forth over it.
    """

    tau_px: float = 8.0
    gamma_px: float = 3.0
    alpha_px: float = 1.0
    merge_period: int | None = 5
    max_iterations: int = 100
    epsilon: float = 1e-3
    overlap_px: float = 0.5

    def __post_init__(self) -> None:
        if not self.tau_px > 0 or not self.alpha_px > 0:
            raise ValueError("RefinementParams: tau_px and alpha_px must be > 0 pixels.")
        if not self.gamma_px >= 0 or not self.epsilon >= 0 or not self.overlap_px >= 0:
            raise ValueError("RefinementParams: gamma_px, epsilon and overlap_px must be >= 0.")
        if self.merge_period is not None and self.merge_period < 1:
            raise ValueError("RefinementParams: merge_period must be >= 1 or None.")
        if self.max_iterations < 1:
            raise ValueError("RefinementParams: max_iterations must be >= 1.")


def find_crossings(
    points_xy_px: np.ndarray, edge_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of segments that intersect but share no node (overpass candidates, Alg. 3 l.6).

    Touching counts as intersecting. Uses a shapely STRtree over the segments.

    Args:
        points_xy_px: (N, 2) (x, y) node coordinates.
        edge_index: (2, E) node indices of the segments.

    Returns:
        (pairs, crossing_xy_px): (K, 2) int64 edge indices (e < f) and (K, 2) float64 (x, y)
        crossing points (the centroid of the overlap for collinear segments).
    """
    points = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    empty = np.zeros((0, 2), dtype=np.int64), np.zeros((0, 2), dtype=np.float64)
    if edges.shape[1] < 2:
        return empty
    segs = shapely.linestrings(np.stack([points[edges[0]], points[edges[1]]], axis=1))
    first, second = shapely.STRtree(segs).query(segs, predicate="intersects")
    keep = first < second
    first, second = first[keep], second[keep]
    a0, a1, b0, b1 = edges[0, first], edges[1, first], edges[0, second], edges[1, second]
    disjoint = (a0 != b0) & (a0 != b1) & (a1 != b0) & (a1 != b1)
    first, second = first[disjoint], second[disjoint]
    if first.size == 0:
        return empty
    where = shapely.get_coordinates(
        shapely.centroid(shapely.intersection(segs[first], segs[second]))
    )
    pairs = np.stack([first, second], axis=1).astype(np.int64)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order], where[order]


@dataclass(frozen=True)
class OverpassRefinement:
    """Result of :func:`refine_overpasses`.

    Attributes:
        graph: the refined graph (a copy; node ids kept, ``xy`` updated, some degree-2 nodes
            contracted away).
        overpass_nodes: ids of the endpoints of edges that still cross without sharing a node.
        crossing_edges: list of ((u, v), (w, z)) node-id pairs of those crossing edges.
        crossing_points_xy_px: (K, 2) crossing points.
        iterations: iterations run.
        converged: True when it stopped because no node moved (not at max_iterations).
    """

    graph: nx.Graph
    overpass_nodes: list[Hashable]
    crossing_edges: list[tuple[tuple[Hashable, Hashable], tuple[Hashable, Hashable]]]
    crossing_points_xy_px: np.ndarray
    iterations: int
    converged: bool


def _contract_stacked(graph: nx.Graph, gamma_px: float) -> None:
    for node in list(graph.nodes):
        if graph.degree(node) != 2:
            continue
        n1, n2 = list(graph.neighbors(node))
        here = np.asarray(graph.nodes[node]["xy"])
        gap = min(
            np.hypot(*(np.asarray(graph.nodes[n1]["xy"]) - here)),
            np.hypot(*(np.asarray(graph.nodes[n2]["xy"]) - here)),
        )
        if gap < gamma_px:
            graph.remove_node(node)
            graph.add_edge(n1, n2)


def _push_target(
    graph: nx.Graph, node_ids: list[Hashable], index: dict, v: int, partner: int
) -> int | None:
    """Index of the node v is pushed towards (see RefinementParams), None if it stays."""
    neighbours = [index[n] for n in graph.neighbors(node_ids[v])]
    if len(neighbours) == 1:
        return partner
    if len(neighbours) == 2:
        return neighbours[0] if neighbours[1] == partner else neighbours[1]
    return None


def refine_overpasses(
    graph: nx.Graph, params: RefinementParams | None = None
) -> OverpassRefinement:
    """Iterative graph refinement for overpass/underpass detection (Algorithm 3, App. E).

    Each iteration finds segment pairs that cross without a shared node; every endpoint v
    closer than tau to the crossing point p accumulates ((tau - |v - p|) / tau) * u, u the
    unit vector from v to a neighbour (see :class:`RefinementParams` for which). Every
    P-th iteration contracts stacked degree-2 nodes (gap < gamma) instead; the other
    iterations move each node whose accumulated push exceeds epsilon by alpha along it,
    unless that lands on another node, and stop when nothing moved. The endpoints of the
    crossings left at the end are the overpass/underpass nodes.

    Args:
        graph: road graph (nodes with ``xy``), not modified; self-loops are dropped from the
            refined copy.
        params: :class:`RefinementParams`; defaults when ``None``.

    Returns:
        :class:`OverpassRefinement`.

    Raises:
        ValueError: nodes without a finite ``xy``.
    """
    params = params or RefinementParams()
    refined = graph.copy()
    refined.remove_edges_from(list(nx.selfloop_edges(refined)))  # no geometry, break walks
    graph_to_arrays(refined)  # validates xy
    converged = False
    iterations = 0
    for t in range(1, params.max_iterations + 1):
        iterations = t
        if params.merge_period is not None and t % params.merge_period == 0:
            _contract_stacked(refined, params.gamma_px)
            continue
        node_ids, points, edges = graph_to_arrays(refined)
        pairs, where = find_crossings(points, edges)
        index = {node: i for i, node in enumerate(node_ids)}
        push = np.zeros_like(points)
        for (e, f), p in zip(pairs.tolist(), where, strict=True):
            for edge in (e, f):
                for v, partner in (
                    (edges[0, edge], edges[1, edge]),
                    (edges[1, edge], edges[0, edge]),
                ):
                    d = float(np.hypot(*(points[v] - p)))
                    target = _push_target(refined, node_ids, index, v, partner)
                    if d < params.tau_px and target is not None:
                        step = points[target] - points[v]
                        norm = float(np.hypot(*step))
                        if norm > 0:
                            push[v] += (params.tau_px - d) / params.tau_px * step / norm
        moved = 0
        for v in np.flatnonzero(np.hypot(*push.T) > params.epsilon).tolist():
            new = points[v] + params.alpha_px * push[v] / np.hypot(*push[v])
            dist = np.hypot(*(points - new).T)
            dist[v] = np.inf
            if dist.min() >= params.overlap_px:
                points[v] = new
                refined.nodes[node_ids[v]]["xy"] = (float(new[0]), float(new[1]))
                moved += 1
        if moved == 0:
            converged = True
            break
    node_ids, points, edges = graph_to_arrays(refined)
    pairs, where = find_crossings(points, edges)
    crossing_edges = [
        (
            (node_ids[edges[0, e]], node_ids[edges[1, e]]),
            (node_ids[edges[0, f]], node_ids[edges[1, f]]),
        )
        for e, f in pairs.tolist()
    ]
    involved = set(np.unique(edges[:, pairs.ravel()]).tolist()) if pairs.size else set()
    overpass_nodes = [node_ids[i] for i in sorted(involved)]
    return OverpassRefinement(refined, overpass_nodes, crossing_edges, where, iterations, converged)


# ---------------------------------------------------------------------------------------------
# Algorithm 4: random interpolation along a line


def interpolation_distances(
    length_px: float, d_r_px: float, rng: np.random.Generator
) -> np.ndarray:
    """Arc-length positions of interpolated nodes on a line (Algorithm 4, Appendix E).

    While p + 2 d_r - 1 < L: draw u ~ U(d_r, 2 d_r - 1) and accept it when
    p + u + d_r - 1 < L. The accepted u are uniform on [d_r, min(2 d_r - 1, L - p - d_r + 1)),
    so u is drawn from that interval directly: same distribution, no rejection loop (which
    could spin for a long time when L - p is just above 2 d_r - 1).

    Args:
        length_px: line length L in pixels.
        d_r_px: road suppression radius d_r in pixels (> 1).
        rng: numpy random generator (seed it for reproducible targets).

    Returns:
        (K,) increasing float64 distances from the line start, each >= d_r apart, the last
        more than d_r - 1 before the end.

    Raises:
        ValueError: d_r_px <= 1 or a negative/non-finite length.
    """
    if not d_r_px > 1:
        raise ValueError(f"d_r_px must be > 1 pixel for Algorithm 4, got {d_r_px!r}.")
    if not (np.isfinite(length_px) and length_px >= 0):
        raise ValueError(f"length_px must be a finite length >= 0, got {length_px!r}.")
    out = []
    p = 0.0
    while p + 2 * d_r_px - 1 < length_px:
        high = min(2 * d_r_px - 1, length_px - p - d_r_px + 1)
        p += float(rng.uniform(d_r_px, high))
        out.append(p)
    return np.asarray(out, dtype=np.float64)


def _chains(graph: nx.Graph, fixed: set) -> list[list[Hashable]]:
    """Paths between fixed nodes through non-fixed (degree-2) nodes.

    A cycle without fixed nodes gets one of its nodes added to ``fixed`` (modified in place)
    as an anchor, so that it becomes a path from the anchor back to itself.
    """
    chains: list[list[Hashable]] = []
    used: set[tuple[Hashable, Hashable]] = set()

    def walk(start: Hashable, first: Hashable) -> None:
        if (start, first) in used:
            return
        path, prev, cur = [start, first], start, first
        while cur not in fixed:
            nxt = next(n for n in graph.neighbors(cur) if n != prev)
            prev, cur = cur, nxt
            path.append(cur)
        used.add((start, first))
        used.add((path[-1], path[-2]))
        chains.append(path)

    for node in graph.nodes:
        if node in fixed:
            for nb in graph.neighbors(node):
                walk(node, nb)
    covered = {n for path in chains for n in path}
    for node in graph.nodes:
        if node not in covered and graph.degree(node) == 2:
            fixed.add(node)  # a cycle of degree-2 nodes with no keypoint: anchor it
            walk(node, next(iter(graph.neighbors(node))))
            covered.update(chains[-1])
    return chains


@dataclass(frozen=True)
class LineGraphTargets:
    """Training targets of one image (Sec. 3.5).

    Attributes:
        road_mask: (H, W) uint8, 1 = road centerline drawn ``road_width_px`` wide.
        keypoint_mask: (H, W) uint8, 1 within 3 px of a keypoint.
        overpass_mask: (H, W) uint8, 1 within 3 px of an overpass/underpass edge endpoint.
        vertices_xy_px: (N, 2) float64 (x, y) pixel coordinates of the graph vertices.
        vertex_is_keypoint: (N,) bool, vertex from a ground-truth keypoint.
        vertex_is_overpass: (N,) bool, vertex from an overpass node or an endpoint of a
            crossing edge of the final vertex graph.
        edge_index: (2, E) int64 candidate edges (i < j, all pairs within d_nei).
        edge_labels: (E,) uint8, 1 when the two vertices are directly connected.
        num_positive_beyond_d_nei: connected vertex pairs longer than d_nei (not candidates,
            so not learnable; a diagnostic).
        refinement: Algorithm 3 result on the ground truth (refined graph, crossings).
    """

    road_mask: np.ndarray
    keypoint_mask: np.ndarray
    overpass_mask: np.ndarray
    vertices_xy_px: np.ndarray
    vertex_is_keypoint: np.ndarray
    vertex_is_overpass: np.ndarray
    edge_index: np.ndarray
    edge_labels: np.ndarray
    num_positive_beyond_d_nei: int
    refinement: OverpassRefinement = field(repr=False)


def _densify(
    graph: nx.Graph,
    keypoints: set,
    overpass: set,
    d_r_px: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Algorithm 4 over the graph: fixed nodes kept, chains re-sampled.

    Returns points (M, 2), is_keypoint (M,), is_overpass (M,), priority (M,), edges (2, F).
    """
    fixed = set(keypoints) | set(overpass)
    chains = _chains(graph, fixed)
    fixed_list = [n for n in graph.nodes if n in fixed]
    index = {n: i for i, n in enumerate(fixed_list)}
    points = [np.asarray(graph.nodes[n]["xy"], dtype=np.float64) for n in fixed_list]
    is_kp = [n in keypoints for n in fixed_list]
    is_ov = [n in overpass for n in fixed_list]
    priority = [float(graph.degree(n)) for n in fixed_list]
    edges: list[tuple[int, int]] = []
    for path in chains:
        xy = np.asarray([graph.nodes[n]["xy"] for n in path], dtype=np.float64)
        arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        dist = interpolation_distances(float(arc[-1]), d_r_px, rng)
        ids = [index[path[0]]]
        for s in dist:
            points.append(np.array([np.interp(s, arc, xy[:, 0]), np.interp(s, arc, xy[:, 1])]))
            is_kp.append(False)
            is_ov.append(False)
            priority.append(0.0)
            ids.append(len(points) - 1)
        ids.append(index[path[-1]])
        edges.extend((u, v) for u, v in itertools.pairwise(ids) if u != v)
    return (
        np.asarray(points, dtype=np.float64).reshape(-1, 2),
        np.asarray(is_kp, dtype=bool),
        np.asarray(is_ov, dtype=bool),
        np.asarray(priority, dtype=np.float64),
        np.asarray(sorted({(min(e), max(e)) for e in edges}), dtype=np.int64).reshape(-1, 2).T,
    )


def _connected_through_suppressed(
    num_nodes: int, edges: np.ndarray, survives: np.ndarray
) -> set[tuple[int, int]]:
    """Pairs of surviving nodes joined by an edge or by a path of suppressed nodes only."""
    a, b = edges
    both = survives[a] & survives[b]
    pairs = {
        (min(u, v), max(u, v)) for u, v in zip(a[both].tolist(), b[both].tolist(), strict=True)
    }
    gone = ~survives[a] & ~survives[b]
    _, comp = connected_components(
        coo_matrix((np.ones(int(gone.sum())), (a[gone], b[gone])), shape=(num_nodes, num_nodes)),
        directed=False,
    )
    mixed = survives[a] != survives[b]
    kept_end = np.where(survives[a[mixed]], a[mixed], b[mixed])
    lost_end = np.where(survives[a[mixed]], b[mixed], a[mixed])
    groups: dict[int, set[int]] = {}
    for s, c in zip(kept_end.tolist(), comp[lost_end].tolist(), strict=True):
        groups.setdefault(c, set()).add(s)
    for members in groups.values():
        pairs.update(itertools.combinations(sorted(members), 2))
    return pairs


def make_training_targets(
    graph: nx.Graph,
    height_px: int,
    width_px: int,
    *,
    seed: int | np.random.Generator = 0,
    d_k_px: float = 8.0,
    d_r_px: float = 16.0,
    d_nei_px: float = 64.0,
    road_width_px: float = 3.0,
    keypoint_radius_px: float = 3.0,
    overpass_radius_px: float = 3.0,
    angle_range_deg: tuple[float, float] = (60.0, 120.0),
    refinement: RefinementParams | None = None,
) -> LineGraphTargets:
    """Masks, vertices and labelled candidate edges from a ground-truth graph (Sec. 3.5).

    See the module docstring for the pipeline (Algorithms 1, 3, 4 and Fig. 10).

    Args:
        graph: ground-truth road graph; nodes carry ``xy`` (x, y) pixel coordinates of this
            image. Vertices outside [0, width_px] x [0, height_px] are dropped at the end
            (with their edges): clip or crop the graph to the image first.
        height_px: image height in pixels.
        width_px: image width in pixels.
        seed: seed or generator for Algorithm 4's random intervals.
        d_k_px: keypoint suppression radius d_k (Sec. 4.3: 8).
        d_r_px: road suppression radius d_r (Sec. 4.3: 16).
        d_nei_px: candidate-edge radius d_nei (Sec. 4.3: 64).
        road_width_px: width of the rasterised centerlines.
        keypoint_radius_px: keypoint disc radius (Sec. 3.5: 3).
        overpass_radius_px: overpass disc radius (Sec. 3.5: 3).
        angle_range_deg: degree-2 keypoint angle range (Sec. 3.5: 60 to 120 degrees).
        refinement: Algorithm 3 parameters (:class:`RefinementParams`).

    Returns:
        :class:`LineGraphTargets`.

    Raises:
        ValueError: bad image size or radii, or nodes without finite ``xy``.
    """
    shape = _check_shape((height_px, width_px))
    if not (d_r_px > 1 and d_k_px >= 0 and d_nei_px >= 0):
        raise ValueError(
            f"Need d_r_px > 1 and d_k_px, d_nei_px >= 0 (pixels); got d_r_px={d_r_px!r}, "
            f"d_k_px={d_k_px!r}, d_nei_px={d_nei_px!r}."
        )
    rng = np.random.default_rng(seed)
    params = refinement or RefinementParams()

    # 1-2. Algorithm 3 on the ground truth, then the three masks.
    ref = refine_overpasses(graph, params)
    node_ids, points, edges = graph_to_arrays(ref.graph)
    kp_flags = keypoint_flags(points, edges, angle_range_deg=angle_range_deg)
    overpass_set = set(ref.overpass_nodes)
    ov_flags = np.asarray([n in overpass_set for n in node_ids], dtype=bool)
    road_mask = rasterize_road_mask(points, edges, shape, road_width_px=road_width_px)
    keypoint_mask = rasterize_discs(points[kp_flags], shape, radius_px=keypoint_radius_px)
    overpass_mask = rasterize_discs(points[ov_flags], shape, radius_px=overpass_radius_px)

    # 3. Algorithm 4 between keypoints / overpass nodes.
    keypoints = {n for n, f in zip(node_ids, kp_flags.tolist(), strict=True) if f}
    dense_xy, dense_kp, dense_ov, priority, dense_edges = _densify(
        ref.graph, keypoints, overpass_set, d_r_px, rng
    )

    # 4. Coupled NMS on the densified nodes (keypoint and overpass sets with d_k first).
    kp_idx, ov_idx = np.flatnonzero(dense_kp), np.flatnonzero(dense_ov)
    road_idx = np.flatnonzero(~dense_kp & ~dense_ov)
    sel = coupled_nms_points(
        dense_xy[kp_idx], priority[kp_idx], dense_xy[road_idx], priority[road_idx],
        dense_xy[ov_idx], priority[ov_idx], d_k_px=d_k_px, d_r_px=d_r_px,
    )  # fmt: skip
    survives = np.zeros(dense_xy.shape[0], dtype=bool)
    survives[kp_idx[sel.keypoint_keep]] = True
    survives[ov_idx[sel.overpass_keep]] = True
    survives[road_idx[sel.road_keep]] = True

    # 5. Direct connections, through suppressed nodes where NMS removed some.
    pairs = _connected_through_suppressed(dense_xy.shape[0], dense_edges, survives)
    kept = np.flatnonzero(survives)
    compact = np.full(dense_xy.shape[0], -1, dtype=np.int64)
    compact[kept] = np.arange(kept.size)
    pos_edges = np.asarray([(compact[u], compact[v]) for u, v in sorted(pairs)], dtype=np.int64)
    vertex_graph = graph_from_arrays(dense_xy[kept], pos_edges.reshape(-1, 2).T)
    for i, orig in enumerate(kept.tolist()):
        vertex_graph.nodes[i]["kp"] = bool(dense_kp[orig])
        vertex_graph.nodes[i]["ov"] = bool(dense_ov[orig])

    # 6. Algorithm 3 on the vertex graph, crop to the image, candidates and labels.
    adjusted = refine_overpasses(vertex_graph, params)
    final = adjusted.graph
    crossing = set(adjusted.overpass_nodes)
    ids, vxy, vedges = graph_to_arrays(final)
    # Inclusive bounds: clipped ground truth ends exactly on the image border.
    inside = (vxy[:, 0] >= 0) & (vxy[:, 0] <= width_px) & (vxy[:, 1] >= 0)
    inside &= vxy[:, 1] <= height_px
    remap = np.full(len(ids), -1, dtype=np.int64)
    remap[inside] = np.arange(int(inside.sum()))
    vxy = vxy[inside]
    is_kp = np.asarray([final.nodes[n]["kp"] for n in ids], dtype=bool)[inside]
    is_ov = np.asarray([final.nodes[n]["ov"] or n in crossing for n in ids], dtype=bool)[inside]
    both_in = inside[vedges[0]] & inside[vedges[1]] if vedges.size else np.zeros(0, bool)
    pos = np.sort(remap[vedges[:, both_in]], axis=0)
    n_v = vxy.shape[0]
    cand = candidate_edges(vxy, d_nei_px)
    labels = np.isin(cand[0] * n_v + cand[1], pos[0] * n_v + pos[1]).astype(np.uint8)
    pos_len = np.hypot(*(vxy[pos[0]] - vxy[pos[1]]).T)
    return LineGraphTargets(
        road_mask=road_mask,
        keypoint_mask=keypoint_mask,
        overpass_mask=overpass_mask,
        vertices_xy_px=vxy,
        vertex_is_keypoint=is_kp,
        vertex_is_overpass=is_ov,
        edge_index=cand,
        edge_labels=labels,
        num_positive_beyond_d_nei=int(np.sum(pos_len > d_nei_px)),
        refinement=ref,
    )


# ---------------------------------------------------------------------------------------------
# Labels for vertices that are not the ground truth's (issue 10; not in the paper)


def _point_segment_distance(points: np.ndarray, seg_a: np.ndarray, seg_b: np.ndarray) -> np.ndarray:
    """``(P, S)`` distances from ``points`` ``(P, 2)`` to the segments ``seg_a -> seg_b``."""
    ab = seg_b - seg_a  # (S, 2)
    ap = points[:, None, :] - seg_a[None, :, :]  # (P, S, 2)
    t = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    return np.hypot(*(ap - t[..., None] * ab).transpose(2, 0, 1))


def label_edges_on_ground_truth(
    points_xy_px: np.ndarray,
    edge_index: np.ndarray,
    gt_segments_xy_px: np.ndarray,
    *,
    tolerance_px: float = 8.0,
    between_px: float = 5.0,
    max_length_px: float | None = None,
    n_samples: int = 9,
) -> np.ndarray:
    """Label candidate edges among vertices that were not derived from the ground truth.

    The paper labels candidate edges among the ground-truth vertices only (Sec. 3.5, step 5
    of :func:`make_training_targets`). At inference the vertices come from coupled NMS on the
    predicted masks: some sit off the road, and the ones on the road are not where the
    ground truth's are. Training the edge classifier on the model's own vertices needs labels
    for those, given geometrically: an edge is positive when

    * every one of ``n_samples`` points evenly spaced along it (ends included) lies within
      ``tolerance_px`` of a ground-truth segment (it runs along a road, both ends on it), and
    * no other vertex lies within ``between_px`` of its inner 90 % (it does not skip a vertex
      on the way: the "direct connection" of Sec. 3.5), and
    * it is at most ``max_length_px`` long (when given): where the prediction has a gap
      between two vertices on one road, the edge across it is not taught as a connection.

    Args:
        points_xy_px: ``(N, 2)`` (x, y) vertex coordinates in pixels.
        edge_index: ``(2, E)`` candidate edges, indices into ``points_xy_px``.
        gt_segments_xy_px: ``(S, 2, 2)`` ground-truth segments (start, end) in the same frame.
        tolerance_px: distance to the ground truth within which a point counts as on it
            (8 px at 1 m: a vertex of a wide road can sit off its centerline).
        between_px: distance to the edge within which another vertex counts as between.
        max_length_px: longest positive edge; None: any candidate length.
        n_samples: points checked per edge (at least 2).

    Returns:
        ``(E,)`` uint8 labels (1 = positive); all 0 without ground-truth segments.

    Raises:
        ValueError: arrays of the wrong shape, an index outside the vertices, or
            ``n_samples`` < 2.
    """
    pts = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    segs = np.asarray(gt_segments_xy_px, dtype=np.float64).reshape(-1, 2, 2)
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    if edges.size and (edges.min() < 0 or edges.max() >= len(pts)):
        raise ValueError(f"edge_index points outside the {len(pts)} vertices")
    n_edges = edges.shape[1]
    if n_edges == 0 or len(segs) == 0:
        return np.zeros(n_edges, dtype=np.uint8)
    a, b = pts[edges[0]], pts[edges[1]]
    t = np.linspace(0.0, 1.0, n_samples)
    samples = (a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]).reshape(-1, 2)
    near = _point_segment_distance(samples, segs[:, 0], segs[:, 1]).min(axis=1)
    on_road = (near.reshape(n_edges, n_samples) <= tolerance_px).all(axis=1)
    if max_length_px is not None:
        on_road &= np.hypot(*(b - a).T) <= max_length_px
    positive = np.zeros(n_edges, dtype=bool)
    for e in np.flatnonzero(on_road):
        u, v = edges[:, e]
        ab = pts[v] - pts[u]
        length2 = max(float(ab @ ab), 1e-12)
        rel = pts - pts[u]
        along = (rel @ ab) / length2
        across = np.abs(ab[0] * rel[:, 1] - ab[1] * rel[:, 0]) / math.sqrt(length2)
        between = (along > 0.05) & (along < 0.95) & (across < between_px)
        between[[u, v]] = False
        positive[e] = not between.any()
    return positive.astype(np.uint8)
