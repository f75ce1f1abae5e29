"""TOPO: topology-aware precision/recall of a road graph (RoadRunner / Sat2Graph).

Implements the TOPO metric of He et al. 2018 ("RoadRunner", he2018roadrunner) in the
form used by Sat2Graph (He et al. 2020) and by LineGraph2Road Sec. 4.2
(``papers/linegraph2road.txt``): seeds are placed on the ground-truth graph; from each
seed, the part of each graph reachable within ``max_distance_m`` *along the graph* is
sampled every ``interval_m`` ("holes" on the ground truth, "marbles" on the proposal),
and the two point sets are matched one-to-one using a spatial radius and a direction
tolerance. Counts are summed over seeds:

    precision = matched / proposal points,  recall = matched / ground-truth points,
    F1 = 2 P R / (P + R).

Defaults follow the Sat2Graph TOPO tool (``metrics/topo`` of github.com/songtaohe/
Sat2Graph, README "TOPO Parameters"): propagation distance 300 m (150 m for SpaceNet-size
tiles), interval 5 m, matching distance 10 m, matching angle 30 degrees, one-to-one
matching. The proposal subgraph starts at the point of the proposal nearest to the seed;
when no proposal point lies within ``match_radius_m`` of the seed the proposal
contributes no points for that seed (all its ground-truth points count as missed).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra, maximum_bipartite_matching
from scipy.spatial import cKDTree

from backend.eval.graph import EDGE_LENGTH, check_road_graph, check_same_frame, edge_linestring


@dataclass(frozen=True)
class TopoParams:
    """TOPO parameters (defaults: Sat2Graph TOPO tool, see module docstring).

    Attributes:
        max_distance_m: propagation distance along the graph from each seed, metres.
        interval_m: maximum spacing of sample points along edges, metres.
        match_radius_m: maximum distance between matched points, metres.
        angle_tolerance_deg: maximum difference of road direction between matched
            points, degrees in [0, 90] (directions are undirected, compared modulo 180).
        num_seeds: number of seed locations drawn on the ground truth.
        seed: random seed of the seed-location draw.
    """

    max_distance_m: float = 300.0
    interval_m: float = 5.0
    match_radius_m: float = 10.0
    angle_tolerance_deg: float = 30.0
    num_seeds: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("max_distance_m", "interval_m", "match_radius_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 m, got {getattr(self, name)}")
        if not 0 <= self.angle_tolerance_deg <= 90:
            raise ValueError(
                f"angle_tolerance_deg must be in [0, 90] (road directions are compared "
                f"modulo 180 degrees), got {self.angle_tolerance_deg}"
            )
        if self.num_seeds < 1:
            raise ValueError(f"num_seeds must be >= 1, got {self.num_seeds}")


@dataclass(frozen=True)
class TopoResult:
    """TOPO scores summed over seeds.

    Attributes:
        precision: matched / proposal points, in [0, 1] (0 when no proposal point).
        recall: matched / ground-truth points, in [0, 1].
        f1: harmonic mean of precision and recall.
        n_seeds: seeds evaluated.
        n_seeds_unmatched_start: seeds with no proposal within ``match_radius_m``.
        n_gt_points: ground-truth sample points, summed over seeds.
        n_proposal_points: proposal sample points, summed over seeds.
        n_matched: one-to-one matched pairs, summed over seeds.
        params: parameters used.
    """

    precision: float
    recall: float
    f1: float
    n_seeds: int
    n_seeds_unmatched_start: int
    n_gt_points: int
    n_proposal_points: int
    n_matched: int
    params: TopoParams = field(default_factory=TopoParams)

    def to_dict(self) -> dict:
        """Plain-dict form (JSON serialisable)."""
        return asdict(self)


class _Sampled:
    """A road graph as arrays: CSR adjacency, edges, and dense samples along edges.

    Edge e runs from row ``edge_u[e]`` to row ``edge_v[e]``; sample positions ``s`` are
    arc lengths from the ``edge_u`` end, metres. Sample directions are angles in
    [0, pi) radians (undirected).
    """

    def __init__(self, graph: nx.Graph, interval_m: float) -> None:
        index = {node: i for i, node in enumerate(graph.nodes)}
        edges = list(graph.edges(data=EDGE_LENGTH))
        self.n_nodes = len(index)
        self.lines = np.array([edge_linestring(graph, u, v) for u, v, _ in edges], dtype=object)
        self.edge_u = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
        self.edge_v = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
        self.edge_len = np.array([float(length) for _, _, length in edges], dtype=float)
        weights = np.maximum(self.edge_len, 1e-9)  # csgraph drops stored zeros
        self.csr = csr_matrix(
            (
                np.concatenate([weights, weights]),
                (
                    np.concatenate([self.edge_u, self.edge_v]),
                    np.concatenate([self.edge_v, self.edge_u]),
                ),
            ),
            shape=(self.n_nodes, self.n_nodes),
        )
        self.tree = shapely.STRtree(self.lines) if len(edges) else None

        # Samples at the centres of ceil(L / interval) equal parts of each edge: spacing
        # <= interval_m and no sample on a node, so junctions are not counted twice.
        n_per_edge = np.maximum(1, np.ceil(self.edge_len / interval_m - 1e-9)).astype(np.int64)
        self.sample_edge = np.repeat(np.arange(len(edges)), n_per_edge)
        k = np.arange(len(self.sample_edge)) - np.repeat(
            np.cumsum(n_per_edge) - n_per_edge, n_per_edge
        )
        frac = (k + 0.5) / np.repeat(n_per_edge, n_per_edge)
        self.sample_s = frac * self.edge_len[self.sample_edge] if len(edges) else np.zeros(0)
        geom_len = shapely.length(self.lines) if len(edges) else np.zeros(0)
        sample_lines = self.lines[self.sample_edge]
        at = frac * geom_len[self.sample_edge]
        # Direction from two points just around each sample (within its own part).
        delta = np.minimum(0.5, 0.25 * geom_len[self.sample_edge] / n_per_edge[self.sample_edge])
        self.sample_xy = shapely.get_coordinates(shapely.line_interpolate_point(sample_lines, at))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(sample_lines, at + delta))
        behind = shapely.get_coordinates(shapely.line_interpolate_point(sample_lines, at - delta))
        d = ahead - behind
        self.sample_theta = np.mod(np.arctan2(d[:, 1], d[:, 0]), np.pi)

    def locate(self, xy: np.ndarray, max_distance_m: float | None) -> tuple[int, float] | None:
        """Nearest edge and arc position (metres, from ``edge_u``) to a point, or None."""
        if self.tree is None:
            return None
        pt = shapely.points(xy)
        hit = self.tree.query_nearest(pt, max_distance=max_distance_m, all_matches=False)
        if len(hit) == 0:
            return None
        e = int(hit[0])
        line = self.lines[e]
        scale = self.edge_len[e] / line.length if line.length > 0 else 0.0
        return e, float(line.project(pt)) * scale

    def point_at(self, edge: int, s_m: float) -> np.ndarray:
        """(2,) (x, y) metres of the point at arc position ``s_m`` of an edge."""
        line = self.lines[edge]
        scale = line.length / self.edge_len[edge] if self.edge_len[edge] > 0 else 0.0
        return shapely.get_coordinates(line.interpolate(s_m * scale))[0]

    def reachable(self, edge: int, s0_m: float, max_distance_m: float) -> np.ndarray:
        """Indices of samples within ``max_distance_m`` along the graph of a start point.

        Args:
            edge: edge the start point lies on.
            s0_m: arc position of the start point on that edge, metres from ``edge_u``.
            max_distance_m: propagation distance, metres.
        """
        length0 = self.edge_len[edge]
        u0, v0 = self.edge_u[edge], self.edge_v[edge]
        dist = dijkstra(self.csr, directed=False, indices=[u0, v0], limit=max_distance_m)
        # Distance from the start to every node: leave the start edge by either end.
        d_node = np.minimum(s0_m + dist[0], (length0 - s0_m) + dist[1])
        e = self.sample_edge
        s = self.sample_s
        d_sample = np.minimum(
            d_node[self.edge_u[e]] + s, d_node[self.edge_v[e]] + (self.edge_len[e] - s)
        )
        on_start = e == edge
        d_sample[on_start] = np.minimum(d_sample[on_start], np.abs(s[on_start] - s0_m))
        return np.flatnonzero(d_sample <= max_distance_m)


def _matched_count(
    gt_xy: np.ndarray,
    gt_theta: np.ndarray,
    prop_xy: np.ndarray,
    prop_theta: np.ndarray,
    radius_m: float,
    angle_tol_rad: float,
) -> int:
    """Size of a maximum one-to-one matching of points within radius and angle."""
    if len(gt_xy) == 0 or len(prop_xy) == 0:
        return 0
    pairs = cKDTree(gt_xy).sparse_distance_matrix(cKDTree(prop_xy), radius_m, output_type="ndarray")
    if len(pairs) == 0:
        return 0
    i, j = pairs["i"], pairs["j"]
    diff = np.abs(gt_theta[i] - prop_theta[j])
    diff = np.minimum(diff, np.pi - diff)  # undirected: 170 deg and 10 deg agree
    ok = diff <= angle_tol_rad + 1e-9
    if not np.any(ok):
        return 0
    adjacency = csr_matrix(
        (np.ones(int(ok.sum()), dtype=np.int8), (i[ok], j[ok])), shape=(len(gt_xy), len(prop_xy))
    )
    # Maximum-cardinality bipartite matching (Hopcroft-Karp), as the one-to-one
    # matching of the TOPO definition.
    match = maximum_bipartite_matching(adjacency, perm_type="column")
    return int(np.sum(match >= 0))


def sample_seed_points(gt_graph: nx.Graph, num_seeds: int, seed: int) -> np.ndarray:
    """Seed locations drawn uniformly by length along the ground-truth edges.

    Returns:
        (num_seeds, 2) array of (x, y) metres on the graph's edges.
    """
    lines = [edge_linestring(gt_graph, u, v) for u, v in gt_graph.edges]
    if not lines:
        return np.zeros((0, 2))
    lengths = np.array([line.length for line in lines])
    rng = np.random.default_rng(seed)
    edge = rng.choice(len(lines), size=num_seeds, p=lengths / lengths.sum())
    pos = rng.random(num_seeds) * lengths[edge]
    return shapely.get_coordinates(
        shapely.line_interpolate_point(np.asarray(lines, dtype=object)[edge], pos)
    )


def compute_topo(
    gt_graph: nx.Graph,
    proposal_graph: nx.Graph,
    params: TopoParams | None = None,
    *,
    seed_points_xy_m: np.ndarray | None = None,
) -> TopoResult:
    """TOPO precision, recall and F1 of ``proposal_graph`` against ``gt_graph``.

    Args:
        gt_graph: ground-truth road graph, metres (see ``backend.eval.graph``).
        proposal_graph: proposed road graph in the same metric frame.
        params: metric parameters; defaults to :class:`TopoParams` ().
        seed_points_xy_m: optional (K, 2) array of (x, y) metres to use as seeds instead
            of ``params.num_seeds`` random ones; each is moved to the nearest point of
            the ground truth.

    Returns:
        :class:`TopoResult` with counts summed over seeds.

    Raises:
        ValueError: when the ground truth has no edges, a graph misses the ``xy`` /
            ``length_m`` attributes, or the graphs are in different frames.
    """
    params = params or TopoParams()
    check_road_graph(gt_graph, "ground truth")
    check_road_graph(proposal_graph, "proposal")
    check_same_frame(gt_graph, proposal_graph)
    if gt_graph.number_of_edges() == 0:
        raise ValueError("the ground-truth graph has no edges; TOPO needs roads to seed from")
    gt = _Sampled(gt_graph, params.interval_m)
    prop = _Sampled(proposal_graph, params.interval_m)
    if seed_points_xy_m is None:
        seeds = sample_seed_points(gt_graph, params.num_seeds, params.seed)
    else:
        seeds = np.asarray(seed_points_xy_m, dtype=float).reshape(-1, 2)
    angle_tol = math.radians(params.angle_tolerance_deg)

    n_gt = n_prop = n_matched = n_no_start = 0
    for xy in seeds:
        gt_start = gt.locate(xy, None)
        assert gt_start is not None  # gt has edges
        e, s0 = gt_start
        gt_idx = gt.reachable(e, s0, params.max_distance_m)
        # The proposal walk starts where the proposal is nearest to the seed's point on
        # the ground truth.
        prop_start = prop.locate(gt.point_at(e, s0), params.match_radius_m)
        if prop_start is None:
            n_no_start += 1
            prop_idx = np.zeros(0, dtype=np.int64)
        else:
            prop_idx = prop.reachable(*prop_start, params.max_distance_m)
        n_gt += len(gt_idx)
        n_prop += len(prop_idx)
        n_matched += _matched_count(
            gt.sample_xy[gt_idx],
            gt.sample_theta[gt_idx],
            prop.sample_xy[prop_idx],
            prop.sample_theta[prop_idx],
            params.match_radius_m,
            angle_tol,
        )

    precision = n_matched / n_prop if n_prop else 0.0
    recall = n_matched / n_gt if n_gt else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return TopoResult(
        precision=precision,
        recall=recall,
        f1=f1,
        n_seeds=len(seeds),
        n_seeds_unmatched_start=n_no_start,
        n_gt_points=n_gt,
        n_proposal_points=n_prop,
        n_matched=n_matched,
        params=params,
    )
