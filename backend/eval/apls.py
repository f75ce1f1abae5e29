"""APLS (Average Path Length Similarity), SpaceNet definition.

Implements the metric of Van Etten et al. 2018, "SpaceNet: A Remote Sensing Dataset and
Challenge Series" (arXiv:1807.01232, Sec. 4.2), as used for APLS in LineGraph2Road
Sec. 4.2 (``papers/linegraph2road.txt``):

1. Control points are inserted along the edges of both graphs, at most
   ``control_point_spacing_m`` apart; every node (junctions, end points, inserted points)
   is a control node.
2. Ground truth onto proposal: every ground-truth control node is snapped to the nearest
   point of the proposal's edges within ``snap_buffer_m`` (a node is inserted there);
   nodes with nothing in reach have no counterpart.
3. For sampled ordered pairs (a, b) of ground-truth control nodes joined by a path of
   length L >= ``min_path_length_m``, with L' the shortest path length between their
   counterparts in the proposal: penalty = min(1, |L - L'| / L), and 1 when a node has no
   counterpart or the counterparts are not connected. Score = 1 - mean penalty.
4. The same with the roles swapped (proposal onto ground truth) penalises spurious roads.
5. APLS = harmonic mean of the two directed scores (0 when either is 0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.ops import substring

from backend.eval.graph import (
    EDGE_GEOMETRY,
    EDGE_LENGTH,
    NODE_XY,
    check_road_graph,
    check_same_frame,
    edge_linestring,
)

# Dijkstra rows are computed for this many matrix cells at a time (float64): bounds
# memory to ~32 MB whatever the graph size.
_CHUNK_CELLS = 4_000_000
# Snapped points this close (metres) to an edge end reuse the end node.
_AT_NODE_M = 1e-6


@dataclass(frozen=True)
class AplsParams:
    """APLS parameters (defaults: SpaceNet / CosmiQ ``apls`` settings).

    Attributes:
        control_point_spacing_m: maximum spacing of control points along edges, metres
            (SpaceNet: 50 m).
        snap_buffer_m: maximum distance from a control node to the other graph for it to
            get a counterpart, metres (SpaceNet: 4 m, about a lane width).
        min_path_length_m: pairs whose reference path is shorter are skipped, metres
            (CosmiQ ``apls``: 10 m); avoids dividing by near-zero lengths.
        max_sources: at most this many source control nodes per direction, drawn at
            random (seeded); each is paired with every other control node. Bounds the
            cost at ``max_sources`` Dijkstra runs per graph and direction.
        seed: seed of the source sampling (only used when sampling happens).
    """

    control_point_spacing_m: float = 50.0
    snap_buffer_m: float = 4.0
    min_path_length_m: float = 10.0
    max_sources: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.control_point_spacing_m > 0:
            raise ValueError(
                f"control_point_spacing_m must be > 0 m, got {self.control_point_spacing_m}"
            )
        if not self.snap_buffer_m >= 0:
            raise ValueError(f"snap_buffer_m must be >= 0 m, got {self.snap_buffer_m}")
        if not self.min_path_length_m >= 0:
            raise ValueError(f"min_path_length_m must be >= 0 m, got {self.min_path_length_m}")
        if self.max_sources < 1:
            raise ValueError(f"max_sources must be >= 1, got {self.max_sources}")


@dataclass(frozen=True)
class DirectedApls:
    """One direction of APLS: a reference graph snapped onto a compared graph.

    Attributes:
        score: 1 - mean penalty, in [0, 1].
        n_pairs: ordered control-node pairs scored.
        n_missing_paths: pairs with penalty 1 because a node had no counterpart or the
            counterparts were not connected.
        n_control_nodes: control nodes of the reference graph.
        n_snapped: reference control nodes that found a counterpart within the buffer.
        n_sources: source nodes used (all control nodes, or ``max_sources`` sampled).
    """

    score: float
    n_pairs: int
    n_missing_paths: int
    n_control_nodes: int
    n_snapped: int
    n_sources: int


@dataclass(frozen=True)
class AplsResult:
    """APLS of a proposal against a ground truth.

    Attributes:
        apls: harmonic mean of the two directed scores, in [0, 1].
        gt_to_proposal: ground-truth paths looked up in the proposal (missed roads).
        proposal_to_gt: proposal paths looked up in the ground truth (spurious roads).
        params: parameters used.
    """

    apls: float
    gt_to_proposal: DirectedApls
    proposal_to_gt: DirectedApls
    params: AplsParams = field(default_factory=AplsParams)

    def to_dict(self) -> dict:
        """Plain-dict form (JSON serialisable)."""
        return asdict(self)


def compute_apls(
    gt_graph: nx.Graph, proposal_graph: nx.Graph, params: AplsParams | None = None
) -> AplsResult:
    """APLS of ``proposal_graph`` against ``gt_graph`` (SpaceNet definition, see module).

    Args:
        gt_graph: ground-truth road graph, metres (see ``backend.eval.graph``).
        proposal_graph: proposed road graph in the same metric frame.
        params: metric parameters; defaults to :class:`AplsParams` ().

    Returns:
        :class:`AplsResult`. An empty proposal scores 0 in both directions.

    Raises:
        ValueError: when the ground truth has no pair of control nodes connected by a
            path of at least ``min_path_length_m`` (nothing to score), the graphs are in
            different frames (``graph.graph["crs"]`` both set and different), or a graph
            misses the ``xy`` / ``length_m`` attributes.
    """
    params = params or AplsParams()
    check_road_graph(gt_graph, "ground truth")
    check_road_graph(proposal_graph, "proposal")
    check_same_frame(gt_graph, proposal_graph)
    # Inserted nodes get integer ids: relabel graphs whose ids are anything else.
    gt_graph = nx.convert_node_labels_to_integers(gt_graph)
    proposal_graph = nx.convert_node_labels_to_integers(proposal_graph)
    gt_cp = with_control_points(gt_graph, params.control_point_spacing_m)
    prop_cp = with_control_points(proposal_graph, params.control_point_spacing_m)
    forward = _directed_apls(gt_cp, proposal_graph, params)
    if forward.n_pairs == 0:
        raise ValueError(
            "the ground truth has no pair of connected control nodes at least "
            f"min_path_length_m={params.min_path_length_m} m apart; APLS needs roads longer "
            "than that (is the ground-truth layer empty or in the wrong units?)"
        )
    backward = _directed_apls(prop_cp, gt_graph, params)
    if backward.n_pairs == 0:
        # Nothing proposed: no correct path either (SpaceNet scores empty proposals 0).
        backward = DirectedApls(0.0, 0, 0, backward.n_control_nodes, backward.n_snapped, 0)
    a, b = forward.score, backward.score
    combined = 0.0 if a <= 0.0 or b <= 0.0 else 2.0 * a * b / (a + b)
    return AplsResult(combined, forward, backward, params)


def with_control_points(graph: nx.Graph, spacing_m: float) -> nx.Graph:
    """Copy of ``graph`` with nodes inserted so that no edge is longer than ``spacing_m``.

    An edge of length L gets ceil(L / spacing_m) - 1 evenly spaced interior nodes (a 200 m
    edge at 50 m spacing: nodes at 50, 100, 150 m). Even spacing makes the result
    independent of the direction the edge geometry is stored in.

    Args:
        graph: road graph in metres.
        spacing_m: maximum edge length after insertion, metres (> 0).

    Returns:
        New graph; original node ids kept, new ids follow ``max(id) + 1``.
    """
    out = nx.Graph(**graph.graph)
    out.add_nodes_from(graph.nodes(data=True))
    next_id = _next_node_id(graph)
    for u, v, data in graph.edges(data=True):
        length = float(data[EDGE_LENGTH])
        n_inner = max(0, math.ceil(length / spacing_m - 1e-9) - 1)
        if n_inner == 0:
            out.add_edge(u, v, **data)
            continue
        line = edge_linestring(graph, u, v)
        # Stored lengths may differ from the geometry (e.g. curved roads given as
        # straight edges): split in proportion so path lengths are unchanged.
        scale = length / line.length if line.length > 0 else 0.0
        chain = [u]
        for i in range(1, n_inner + 1):
            p = line.interpolate(line.length * i / (n_inner + 1))
            out.add_node(next_id, **{NODE_XY: (float(p.x), float(p.y))})
            chain.append(next_id)
            next_id += 1
        chain.append(v)
        for i in range(n_inner + 1):
            piece = substring(
                line, line.length * i / (n_inner + 1), line.length * (i + 1) / (n_inner + 1)
            )
            out.add_edge(
                chain[i],
                chain[i + 1],
                **{EDGE_LENGTH: piece.length * scale, EDGE_GEOMETRY: piece},
            )
    return out


def _next_node_id(graph: nx.Graph) -> int:
    ids = [n for n in graph.nodes if isinstance(n, int | np.integer)]
    return int(max(ids)) + 1 if ids else 0


def snap_points_onto(
    graph: nx.Graph, points_xy_m: np.ndarray, max_distance_m: float
) -> tuple[nx.Graph, np.ndarray]:
    """Insert the nearest point of ``graph``'s edges to each point as a node.

    Args:
        graph: road graph in metres with integer node ids.
        points_xy_m: (K, 2) array of (x, y) metres in the graph's frame.
        max_distance_m: points farther than this from every edge are not snapped.

    Returns:
        (augmented, node_of_point): a copy of ``graph`` whose edges are split at the
        snapped locations (path lengths unchanged), and a (K,) int64 array with the node
        id of each point's snapped location, -1 when nothing was within reach.
    """
    if not all(isinstance(n, int | np.integer) for n in graph.nodes):
        raise ValueError(
            "snap_points_onto needs integer node ids; relabel with "
            "networkx.convert_node_labels_to_integers"
        )
    points_xy_m = np.asarray(points_xy_m, dtype=float).reshape(-1, 2)
    node_of_point = np.full(len(points_xy_m), -1, dtype=np.int64)
    out = nx.Graph(**graph.graph)
    out.add_nodes_from(graph.nodes(data=True))
    edges = list(graph.edges(data=True))
    if not edges or len(points_xy_m) == 0:
        out.add_edges_from(edges)
        return out, node_of_point

    lines = [edge_linestring(graph, u, v) for u, v, _ in edges]
    tree = shapely.STRtree(lines)
    pts = shapely.points(points_xy_m)
    point_idx, edge_idx = tree.query_nearest(pts, max_distance=max_distance_m, all_matches=False)
    positions = shapely.line_locate_point(np.asarray(lines, dtype=object)[edge_idx], pts[point_idx])
    cuts: dict[int, list[tuple[float, int]]] = {}
    for k, e, pos in zip(point_idx.tolist(), edge_idx.tolist(), positions.tolist(), strict=True):
        cuts.setdefault(e, []).append((pos, k))

    next_id = _next_node_id(graph)
    for e, (u, v, data) in enumerate(edges):
        if e not in cuts:
            out.add_edge(u, v, **data)
            continue
        line = lines[e]
        scale = float(data[EDGE_LENGTH]) / line.length if line.length > 0 else 0.0
        # Distinct cut positions along the edge, each becoming one node.
        chain_pos = [0.0]
        chain_nodes = [u]
        for pos, k in sorted(cuts[e]):
            if pos <= _AT_NODE_M:
                node_of_point[k] = u
                continue
            if pos >= line.length - _AT_NODE_M:
                node_of_point[k] = v
                continue
            if pos - chain_pos[-1] <= _AT_NODE_M:
                node_of_point[k] = chain_nodes[-1]
                continue
            p = line.interpolate(pos)
            out.add_node(next_id, **{NODE_XY: (float(p.x), float(p.y))})
            chain_pos.append(pos)
            chain_nodes.append(next_id)
            node_of_point[k] = next_id
            next_id += 1
        chain_pos.append(line.length)
        chain_nodes.append(v)
        for i in range(len(chain_nodes) - 1):
            piece = substring(line, chain_pos[i], chain_pos[i + 1])
            out.add_edge(
                chain_nodes[i],
                chain_nodes[i + 1],
                **{EDGE_LENGTH: (chain_pos[i + 1] - chain_pos[i]) * scale, EDGE_GEOMETRY: piece},
            )
    return out, node_of_point


def _to_csr(graph: nx.Graph) -> tuple[csr_matrix, dict]:
    """Symmetric sparse adjacency weighted by ``length_m``, and node id -> row index."""
    index = {node: i for i, node in enumerate(graph.nodes)}
    if graph.number_of_edges() == 0:
        return csr_matrix((len(index), len(index))), index
    rows, cols, weights = [], [], []
    for u, v, length in graph.edges(data=EDGE_LENGTH):
        rows.append(index[u])
        cols.append(index[v])
        # csgraph treats stored zeros as missing edges: keep tiny edges connected.
        weights.append(max(float(length), 1e-9))
    rows, cols = np.array(rows + cols), np.array(cols + rows)
    weights = np.array(weights + weights)
    n = len(index)
    return csr_matrix((weights, (rows, cols)), shape=(n, n)), index


def _directed_apls(reference: nx.Graph, other: nx.Graph, params: AplsParams) -> DirectedApls:
    """Score paths between control nodes of ``reference`` against ``other``."""
    ref_nodes = list(reference.nodes)
    n_ref = len(ref_nodes)
    if n_ref == 0:
        return DirectedApls(0.0, 0, 0, 0, 0, 0)
    ref_xy = np.array([reference.nodes[n][NODE_XY] for n in ref_nodes], dtype=float)
    other_aug, counterpart = snap_points_onto(other, ref_xy, params.snap_buffer_m)

    ref_csr, _ = _to_csr(reference)  # rows follow ref_nodes order
    oth_csr, oth_index = _to_csr(other_aug)
    # Row of each reference control node's counterpart in other_aug, -1 if none.
    cp_row = np.array([oth_index[c] if c >= 0 else -1 for c in counterpart.tolist()])

    if n_ref > params.max_sources:
        rng = np.random.default_rng(params.seed)
        sources = np.sort(rng.choice(n_ref, size=params.max_sources, replace=False))
    else:
        sources = np.arange(n_ref)

    n_pairs = 0
    n_missing = 0
    penalty_sum = 0.0
    n_oth = max(oth_csr.shape[0], 1)
    chunk = max(1, _CHUNK_CELLS // max(n_ref, n_oth))
    for start in range(0, len(sources), chunk):
        src = sources[start : start + chunk]
        d_ref = dijkstra(ref_csr, directed=False, indices=src)  # (S, n_ref)
        d_oth = np.full((len(src), n_ref), np.inf)
        has_cp = cp_row[src] >= 0
        if np.any(has_cp) and oth_csr.shape[0] > 0:
            rows = dijkstra(oth_csr, directed=False, indices=cp_row[src][has_cp])
            # Distances between counterparts, laid out like d_ref (inf where missing).
            cols_ok = cp_row >= 0
            block = np.full((int(has_cp.sum()), n_ref), np.inf)
            block[:, cols_ok] = rows[:, cp_row[cols_ok]]
            d_oth[has_cp] = block
        valid = np.isfinite(d_ref) & (d_ref >= params.min_path_length_m) & (d_ref > 0)
        valid[np.arange(len(src)), src] = False
        length_ref = d_ref[valid]
        length_oth = d_oth[valid]
        missing = ~np.isfinite(length_oth)
        penalty = np.ones_like(length_ref)
        penalty[~missing] = np.minimum(
            1.0, np.abs(length_ref[~missing] - length_oth[~missing]) / length_ref[~missing]
        )
        n_pairs += int(length_ref.size)
        n_missing += int(missing.sum())
        penalty_sum += float(penalty.sum())

    score = 1.0 - penalty_sum / n_pairs if n_pairs else 0.0
    return DirectedApls(
        score=score,
        n_pairs=n_pairs,
        n_missing_paths=n_missing,
        n_control_nodes=n_ref,
        n_snapped=int(np.sum(counterpart >= 0)),
        n_sources=int(len(sources)),
    )
