"""APLS (Average Path Length Similarity), SpaceNet definition.

The metric of Van Etten et al. 2018 ("SpaceNet: A Remote Sensing Dataset and Challenge
Series", arXiv:1807.01232, Sec. 4.2), used for APLS in LineGraph2Road Sec. 4.2
(``papers/linegraph2road.txt``), convention for convention as the official CosmiQ
``apls`` 0.1.0 package computes it (``apls.make_graphs``, ``create_graph_midpoints``,
``insert_point_into_G``, ``path_sim_metric``, ``compute_apls_metric``):

1. Both graphs are rebuilt from their edge lines with the SpaceNet conventions
   (:mod:`backend.eval.spacenet_graph`): nodes only at shared vertices, degree-2 vertices
   merged, every copy of a repeated edge deleted, components shorter than 5 m dropped.
2. Control points: every node, plus points on long curved edges only: an edge of length
   L gets points when (L - D) / L >= ``is_curved_eps`` (D the diagonal of its bounding
   box) and L >= 0.75 ``linestring_delta_m``: one at L/2 when L <= ``linestring_delta_m``,
   else the interior points of ``linspace(0, L, len(arange(0, L, delta)) + 1)``.
   When the ground truth has ``max_nodes_for_midpoints`` nodes or more, no points are
   added and ``max_control_nodes`` nodes are drawn at random on each side instead.
3. Snapping: the control points of one graph are inserted, one after the other, into the
   other graph (without its own added points): onto the nearest edge within
   ``snap_buffer_m``, splitting it. A point that lands on a node (an edge end, or a point
   inserted before) renames that node (``allow_renaming``), so an earlier control point
   renamed there loses its counterpart. Farther points get no counterpart.
4. One direction: for every control point s and every other control point t reachable
   from s in the source graph with path length L >= ``min_path_length_m``,
   diff = min(1, |L - L'| / L) with L' the path length between their counterparts in the
   other graph; diff = 1 when t has no counterpart or no path. When s itself has no
   counterpart, every reachable t counts with diff = 1 (whatever L). Score = 1 - mean diff.
5. APLS = harmonic mean of the two directions (ground truth onto proposal, proposal onto
   ground truth), 0 when either is <= 0. An empty proposal scores 0.

Differences that remain, all inside the reference cases' tolerance of 0.005: lengths are
planar metres in the graphs' projected frame (official: great-circle segment sums);
the official nearest-edge search on graphs over 1000 nodes looks only at edges of the
20 nearest nodes, ours is exact; ties in the official code's iteration order are not
replicated (see :mod:`backend.eval.spacenet_graph`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, MultiLineString
from shapely.ops import substring

from backend.eval.graph import (
    EDGE_GEOMETRY,
    EDGE_LENGTH,
    NODE_XY,
    check_road_graph,
    check_same_frame,
    edge_coords,
    graph_from_lines,
)
from backend.eval.spacenet_graph import graph_lines, spacenet_graph_from_lines

DEFINITION = "APLS (SpaceNet definition)"

# Dijkstra rows are computed for this many matrix cells at a time (float64): bounds
# memory to ~32 MB whatever the graph size.
_CHUNK_CELLS = 4_000_000
# A projection this close (metres) to an edge end or an inserted point lands on it.
_SAME_POINT_M = 1e-9


@dataclass(frozen=True)
class AplsParams:
    """APLS parameters. Defaults are the official SpaceNet values (``apls`` 0.1.0 main()).

    Attributes:
        snap_buffer_m: a control point gets a counterpart on the other graph only within
            this distance, metres (SpaceNet ``max_snap_dist``: 4 m).
        linestring_delta_m: spacing of control points added on long curved edges, metres
            (SpaceNet: 200 m).
        is_curved_eps: an edge gets added control points only when
            (length - bounding-box diagonal) / length >= this (SpaceNet: 0.12); a negative
            value adds them on every edge of at least 0.75 ``linestring_delta_m``.
        min_path_length_m: pairs whose source path is shorter are skipped, metres
            (SpaceNet: 0.001 m).
        min_subgraph_length_m: components whose longest path is shorter are dropped
            from both graphs, metres (SpaceNet: 5 m).
        max_subgraph_nodes_checked: larger components are never dropped (SpaceNet: 100).
        remove_repeated_edges: delete every copy of an edge repeated with identical
            geometry (SpaceNet: True); False keeps one copy.
        allow_renaming: a control point landing on a node takes over that node's name
            (SpaceNet: True); False links it to the node with a zero-length edge instead.
        node_snap_tolerance_m: 0 (SpaceNet) joins lines only at exactly shared vertices;
            > 0 first nodes the lines with :func:`backend.eval.graph.graph_from_lines`,
            which also joins ends within this distance (T junctions drawn short).
        max_nodes_for_midpoints: from this many ground-truth nodes on, the large-graph
            route is taken (SpaceNet: 500): no added points, sampled control nodes.
        max_control_nodes: control nodes drawn per graph on the large-graph route
            (SpaceNet ``max_nodes``: 500).
        seed: seed of that draw.
    """

    snap_buffer_m: float = 4.0
    linestring_delta_m: float = 200.0
    is_curved_eps: float = 0.12
    min_path_length_m: float = 0.001
    min_subgraph_length_m: float = 5.0
    max_subgraph_nodes_checked: int = 100
    remove_repeated_edges: bool = True
    allow_renaming: bool = True
    node_snap_tolerance_m: float = 0.0
    max_nodes_for_midpoints: int = 500
    max_control_nodes: int = 500
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("snap_buffer_m", "min_path_length_m", "min_subgraph_length_m"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0 m, got {getattr(self, name)}")
        if not self.linestring_delta_m > 0:
            raise ValueError(f"linestring_delta_m must be > 0 m, got {self.linestring_delta_m}")
        if not self.node_snap_tolerance_m >= 0:
            raise ValueError(
                f"node_snap_tolerance_m must be >= 0 m, got {self.node_snap_tolerance_m}"
            )
        for name in ("max_subgraph_nodes_checked", "max_nodes_for_midpoints", "max_control_nodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def differences_from_spacenet(self) -> dict:
        """``{name: value}`` of every parameter that differs from the SpaceNet default
        (``seed`` excluded: it only matters on the large-graph route)."""
        official = AplsParams()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "seed" and getattr(self, f.name) != getattr(official, f.name)
        }


@dataclass(frozen=True)
class DirectedApls:
    """One direction of APLS: control points of a source graph snapped onto another.

    Attributes:
        score: 1 - mean diff, in [0, 1] (0 when no pair was scored).
        n_pairs: ordered control-point pairs scored.
        n_missing_paths: pairs with diff 1 because a point had no counterpart or the
            counterparts were not connected.
        n_control_points: control points of the source graph.
        n_snapped: control points with a counterpart in the other graph.
    """

    score: float
    n_pairs: int
    n_missing_paths: int
    n_control_points: int
    n_snapped: int


@dataclass(frozen=True)
class AplsResult:
    """APLS of a proposal against a ground truth.

    Attributes:
        apls: harmonic mean of the two directed scores, in [0, 1].
        gt_to_proposal: ground-truth paths looked up in the proposal (missed roads).
        proposal_to_gt: proposal paths looked up in the ground truth (spurious roads).
        params: parameters used.
        definition: "APLS (SpaceNet definition)", followed by the parameters that differ
            from SpaceNet's when any do.
        note: why a score is 0 without comparison (empty proposal), else "".
        gt_graph: nodes / edges / length_m of the ground truth after the SpaceNet build.
        proposal_graph: the same for the proposal.
    """

    apls: float
    gt_to_proposal: DirectedApls
    proposal_to_gt: DirectedApls
    params: AplsParams = field(default_factory=AplsParams)
    definition: str = DEFINITION
    note: str = ""
    gt_graph: dict = field(default_factory=dict)
    proposal_graph: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain-dict form (JSON serialisable)."""
        return asdict(self)


def compute_apls(
    gt_graph: nx.Graph, proposal_graph: nx.Graph, params: AplsParams | None = None
) -> AplsResult:
    """APLS of ``proposal_graph`` against ``gt_graph`` (SpaceNet definition, see module).

    Both graphs are rebuilt from their edge geometries with the SpaceNet graph
    conventions first, so a graph from any builder is scored as SpaceNet would score its
    lines.

    Args:
        gt_graph: ground-truth road graph in metres (``Graph`` or ``MultiGraph``,
            see :mod:`backend.eval.graph`).
        proposal_graph: proposed road graph in the same metric frame; may be empty.
        params: metric parameters; defaults to the SpaceNet values.

    Returns:
        :class:`AplsResult`. An empty proposal scores 0 with a note.

    Raises:
        ValueError: the ground truth has no pair of connected control points (nothing to
            score), the graphs declare different frames, or a graph misses ``xy`` /
            ``length_m``.
    """
    check_road_graph(gt_graph, "ground truth")
    check_road_graph(proposal_graph, "proposal")
    check_same_frame(gt_graph, proposal_graph)
    return compute_apls_from_lines(graph_lines(gt_graph), graph_lines(proposal_graph), params)


def compute_apls_from_lines(
    gt_lines: Iterable[LineString | MultiLineString],
    proposal_lines: Iterable[LineString | MultiLineString],
    params: AplsParams | None = None,
) -> AplsResult:
    """APLS of proposed centerlines against ground-truth centerlines (SpaceNet definition).

    Args:
        gt_lines: ground-truth LineStrings/MultiLineStrings, (x, y) metres of one
            projected frame.
        proposal_lines: proposed lines in the same frame; may be empty.
        params: metric parameters; defaults to the SpaceNet values.

    Returns:
        :class:`AplsResult`.

    Raises:
        ValueError: non-line geometries, or a ground truth with no pair of connected
            control points after the SpaceNet graph build.
    """
    params = params or AplsParams()
    gt = _build(gt_lines, params)
    prop = _build(proposal_lines, params)
    gt_summary, prop_summary = _summary(gt), _summary(prop)
    if gt.number_of_edges() == 0:
        raise ValueError(
            "the ground truth has no road left to score after building its graph (empty, "
            f"or only pieces shorter than min_subgraph_length_m={params.min_subgraph_length_m} "
            "m); check the ground-truth layer and its CRS"
        )

    gt = nx.convert_node_labels_to_integers(gt, first_label=1)
    large = gt.number_of_nodes() >= params.max_nodes_for_midpoints
    rng = np.random.default_rng(params.seed)
    gt_cp, gt_control = _control_points(gt, params, large, rng)
    # Proposal ids start above every ground-truth id: control points keep their ids when
    # inserted into the other graph, so the two namespaces must not overlap.
    prop = nx.convert_node_labels_to_integers(prop, first_label=max(gt_cp.nodes) + 1)

    if prop.number_of_nodes() == 0:
        empty = DirectedApls(0.0, 0, 0, 0, 0)
        forward = _directed_score(gt_cp, gt_control, prop, params)
        return AplsResult(
            0.0, forward, empty, params, _definition(params),
            "empty proposal: no road proposed, so APLS is 0", gt_summary, prop_summary,
        )  # fmt: skip
    prop_cp, prop_control = _control_points(prop, params, large, rng)
    forward = _directed_score(gt_cp, gt_control, prop, params)
    if forward.n_pairs == 0:
        raise ValueError(
            "the ground truth has no pair of connected control points at least "
            f"min_path_length_m={params.min_path_length_m} m apart; APLS needs connected roads"
        )
    backward = _directed_score(prop_cp, prop_control, gt, params)
    a, b = forward.score, backward.score
    combined = 0.0 if a <= 0.0 or b <= 0.0 else 2.0 * a * b / (a + b)
    return AplsResult(
        combined, forward, backward, params, _definition(params), "", gt_summary, prop_summary
    )


def _build(lines: Iterable, params: AplsParams) -> nx.MultiGraph:
    lines = list(lines)
    if params.node_snap_tolerance_m > 0:
        lines = graph_lines(graph_from_lines(lines, snap_tolerance_m=params.node_snap_tolerance_m))
    return spacenet_graph_from_lines(
        lines,
        min_subgraph_length_m=params.min_subgraph_length_m,
        max_subgraph_nodes_checked=params.max_subgraph_nodes_checked,
        remove_repeated_edges=params.remove_repeated_edges,
    )


def _summary(graph: nx.Graph) -> dict:
    return {
        "n_nodes": graph.number_of_nodes(),
        "n_edges": graph.number_of_edges(),
        "length_m": float(sum(length for *_, length in graph.edges(data=EDGE_LENGTH))),
    }


def _definition(params: AplsParams) -> str:
    changed = params.differences_from_spacenet()
    if not changed:
        return DEFINITION
    listed = ", ".join(f"{k}={v}" for k, v in changed.items())
    return f"{DEFINITION}, except {listed}"


def _control_points(
    graph: nx.MultiGraph, params: AplsParams, large: bool, rng: np.random.Generator
) -> tuple[nx.MultiGraph, list[int]]:
    """(graph with added control points, control point ids in order); module step 2."""
    if large:
        nodes = list(graph.nodes)
        size = min(params.max_control_nodes, len(nodes))
        chosen = rng.choice(len(nodes), size=size, replace=False)
        return graph, [nodes[i] for i in chosen]
    points = []
    next_id = max(graph.nodes) + 1
    for u, v, k, data in graph.edges(keys=True, data=True):
        for position in _midpoint_positions(data[EDGE_LENGTH], data[EDGE_GEOMETRY], params):
            p = _oriented_line(graph, u, v, k).interpolate(position)
            points.append((next_id, (float(p.x), float(p.y))))
            next_id += 1
    with_points, _ = insert_control_points(
        graph, points, max_distance_m=np.inf, allow_renaming=params.allow_renaming
    )
    return with_points, list(with_points.nodes)


def _midpoint_positions(length_m: float, line: LineString, params: AplsParams) -> list[float]:
    """Arc-length positions (metres) of the points added on one edge (module step 2)."""
    if length_m <= 0:
        return []
    minx, miny, maxx, maxy = line.bounds
    diagonal = float(np.hypot(maxx - minx, maxy - miny))
    if abs(diagonal - length_m) / length_m < params.is_curved_eps:
        return []
    delta = params.linestring_delta_m
    if length_m < 0.75 * delta:
        return []
    if length_m <= delta:
        return [0.5 * line.length]
    n_points = len(np.arange(0, length_m, delta)) + 1
    return [float(d) for d in np.linspace(0, length_m, n_points)[1:-1]]


def insert_control_points(
    graph: nx.MultiGraph,
    points: list[tuple[int, tuple[float, float]]],
    *,
    max_distance_m: float,
    allow_renaming: bool = True,
) -> tuple[nx.MultiGraph, set[int]]:
    """Insert points into ``graph`` one after the other, as ``insert_control_points`` does.

    Each point goes onto its nearest edge within ``max_distance_m``, splitting it (path
    lengths unchanged). A point whose projection lands on a node (an edge end, or a point
    inserted before) renames that node to the point's id when ``allow_renaming``, so an
    earlier point renamed there loses its place; otherwise it is linked to that node by a
    zero-length edge.

    Args:
        graph: road multigraph in metres with integer node ids.
        points: ``(id, (x, y))`` per point, metres; ids must not be node ids of ``graph``.
        max_distance_m: points farther than this from every edge are not inserted.
        allow_renaming: see above (SpaceNet: True).

    Returns:
        (augmented copy of ``graph``, set of point ids present in it).
    """
    out = nx.MultiGraph(**graph.graph)
    out.add_nodes_from(graph.nodes(data=True))
    edges = list(graph.edges(keys=True, data=True))
    if not edges or not points:
        out.add_edges_from(edges)
        return out, set()

    lines = [_oriented_line(graph, u, v, k) for u, v, k, _ in edges]
    xy = np.array([p for _, p in points], dtype=float).reshape(-1, 2)
    tree = shapely.STRtree(lines)
    max_distance = None if not np.isfinite(max_distance_m) else max_distance_m
    point_idx, edge_idx = tree.query_nearest(
        shapely.points(xy), max_distance=max_distance, all_matches=False
    )
    positions = shapely.line_locate_point(
        np.asarray(lines, dtype=object)[edge_idx], shapely.points(xy[point_idx])
    )
    nearest = {
        int(i): (int(e), float(pos))
        for i, e, pos in zip(point_idx, edge_idx, positions, strict=True)
    }

    # Each point lands on a spot: ("node", id) at an edge end, or ("cut", edge, position).
    cuts: dict[int, list[float]] = {}
    spots: list[tuple[int, tuple]] = []
    for i in range(len(points)):
        if i not in nearest:
            continue
        e, pos = nearest[i]
        u, v, _, _ = edges[e]
        if pos <= _SAME_POINT_M:
            spot: tuple = ("node", u)
        elif pos >= lines[e].length - _SAME_POINT_M:
            spot = ("node", v)
        else:
            on_edge = cuts.setdefault(e, [])
            same = next((p for p in on_edge if abs(p - pos) <= _SAME_POINT_M), None)
            if same is None:
                on_edge.append(pos)
            spot = ("cut", e, pos if same is None else same)
        spots.append((points[i][0], spot))

    # In insertion order: the first point at a cut creates a node named after it; a point
    # landing on an existing node renames it (the previous name is lost) or, without
    # renaming, hangs off it by a zero-length edge.
    name_of_spot: dict[tuple, int] = {}
    present: set[int] = set()
    aliases: list[tuple[int, tuple]] = []
    for point_id, spot in spots:
        if spot[0] == "cut" and spot not in name_of_spot:
            name_of_spot[spot] = point_id
        elif allow_renaming:
            present.discard(name_of_spot.get(spot))
            name_of_spot[spot] = point_id
        else:
            aliases.append((point_id, spot))
        present.add(point_id)

    for e, (u, v, _key, data) in enumerate(edges):
        if e not in cuts:
            out.add_edge(u, v, **data)
            continue
        line = lines[e]
        scale = float(data[EDGE_LENGTH]) / line.length if line.length > 0 else 0.0
        chain_pos = [0.0, *sorted(cuts[e]), line.length]
        chain = [u] + [name_of_spot[("cut", e, p)] for p in chain_pos[1:-1]] + [v]
        for p, node in zip(chain_pos[1:-1], chain[1:-1], strict=True):
            xy_p = line.interpolate(p)
            out.add_node(node, **{NODE_XY: (float(xy_p.x), float(xy_p.y))})
        for a in range(len(chain) - 1):
            piece = substring(line, chain_pos[a], chain_pos[a + 1])
            out.add_edge(
                chain[a],
                chain[a + 1],
                **{EDGE_LENGTH: (chain_pos[a + 1] - chain_pos[a]) * scale, EDGE_GEOMETRY: piece},
            )
    for alias, spot in aliases:
        node = spot[1] if spot[0] == "node" else name_of_spot[spot]
        out.add_node(alias, **{NODE_XY: out.nodes[node][NODE_XY]})
        out.add_edge(alias, node, **{EDGE_LENGTH: 0.0, EDGE_GEOMETRY: None})
    renamed = {spot[1]: name for spot, name in name_of_spot.items() if spot[0] == "node"}
    if renamed:
        nx.relabel_nodes(out, renamed, copy=False)
    return out, present


def _oriented_line(graph: nx.MultiGraph, u: int, v: int, k: int) -> LineString:
    """Edge (u, v, k) as a LineString from u to v."""
    return LineString(edge_coords(graph, u, v, k))


def _to_csr(graph: nx.MultiGraph) -> tuple[csr_matrix, dict]:
    """Symmetric adjacency weighted by the shortest of parallel edges; node id -> row."""
    index = {node: i for i, node in enumerate(graph.nodes)}
    n = len(index)
    best: dict[tuple[int, int], float] = {}
    for u, v, length in graph.edges(data=EDGE_LENGTH):
        a, b = index[u], index[v]
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        best[key] = min(best.get(key, np.inf), float(length))
    if not best:
        return csr_matrix((n, n)), index
    pairs = np.array(list(best.keys()))
    # csgraph treats stored zeros as missing edges: keep zero-length links connected.
    weights = np.maximum(np.array(list(best.values())), 1e-12)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return csr_matrix((np.concatenate([weights, weights]), (rows, cols)), shape=(n, n)), index


def _directed_score(
    source: nx.MultiGraph, control: list[int], target: nx.MultiGraph, params: AplsParams
) -> DirectedApls:
    """Score paths between ``control`` points of ``source`` against ``target`` (steps 3-4)."""
    n_control = len(control)
    if n_control == 0:
        return DirectedApls(0.0, 0, 0, 0, 0)
    points = [(node, source.nodes[node][NODE_XY]) for node in control]
    target_aug, present = insert_control_points(
        target, points, max_distance_m=params.snap_buffer_m, allow_renaming=params.allow_renaming
    )
    src_csr, src_index = _to_csr(source)
    tgt_csr, tgt_index = _to_csr(target_aug)
    src_rows = np.array([src_index[c] for c in control])
    tgt_rows = np.array([tgt_index[c] if c in present else -1 for c in control])
    has_cp = tgt_rows >= 0

    n_pairs = n_missing = 0
    diff_sum = 0.0
    chunk = max(1, _CHUNK_CELLS // max(src_csr.shape[0], tgt_csr.shape[0], 1))
    for start in range(0, n_control, chunk):
        block = np.arange(start, min(start + chunk, n_control))
        d_src = dijkstra(src_csr, directed=False, indices=src_rows[block])[:, src_rows]
        d_tgt = np.full((len(block), n_control), np.inf)
        ok = has_cp[block]
        if np.any(ok):
            rows = dijkstra(tgt_csr, directed=False, indices=tgt_rows[block][ok])
            sub = np.full((int(ok.sum()), n_control), np.inf)
            sub[:, has_cp] = rows[:, tgt_rows[has_cp]]
            d_tgt[ok] = sub
        reachable = np.isfinite(d_src)
        reachable[np.arange(len(block)), block] = False
        # Source point without counterpart: every reachable pair is missed, any length.
        lost = reachable & ~ok[:, None]
        scored = reachable & ok[:, None] & (d_src >= params.min_path_length_m)
        length_src = d_src[scored]
        length_tgt = d_tgt[scored]
        missing = ~np.isfinite(length_tgt)
        diff = np.ones_like(length_src)
        found = ~missing & (length_src > 0)
        diff[found] = np.minimum(
            1.0, np.abs(length_src[found] - length_tgt[found]) / length_src[found]
        )
        diff[~missing & (length_src <= 0)] = 0.0
        n_pairs += int(lost.sum()) + int(length_src.size)
        n_missing += int(lost.sum()) + int(missing.sum())
        diff_sum += float(lost.sum()) + float(diff.sum())

    score = 1.0 - diff_sum / n_pairs if n_pairs else 0.0
    return DirectedApls(
        score=score,
        n_pairs=n_pairs,
        n_missing_paths=n_missing,
        n_control_points=n_control,
        n_snapped=int(has_cp.sum()),
    )
