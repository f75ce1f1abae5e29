"""Tests of backend.eval.topo (TOPO precision/recall/F1) with hand-computed cases.

Sampling used in the hand counts: an edge of length L gets ceil(L / 5 m) samples at the
centres of equal parts, e.g. a 100 m edge -> 20 samples at 2.5, 7.5, ..., 97.5 m.
"""

from __future__ import annotations

import networkx as nx
import pytest
from shapely import affinity
from shapely.geometry import LineString

from backend.eval.graph import graph_from_lines, read_road_graph
from backend.eval.topo import TopoParams, compute_topo, sample_seed_points

from ._lines import grid_lines

ROAD_200 = [LineString([(0, 0), (200, 0)])]
T_JUNCTION = [LineString([(0, 0), (200, 0)]), LineString([(100, 0), (100, 100)])]


def test_identical_graphs_score_one():
    graph = graph_from_lines(grid_lines(3, 200.0))
    result = compute_topo(graph, graph)
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)
    assert result.n_seeds == 100
    assert result.n_matched == result.n_gt_points == result.n_proposal_points > 0


def test_proposal_missing_one_half():
    # GT: 200 m -> 40 samples. Proposal: x in [0, 100] -> 20 samples at the same places.
    # Seed (50, 0): the whole GT (40) and the whole proposal (20) are within 300 m;
    #   all 20 proposal samples match -> P = 20/20, R = 20/40.
    # Seed (150, 0): the proposal is 50 m away (> 10 m): no proposal points, 40 GT points.
    # Sum: matched 20, proposal 20, GT 80 -> P = 1, R = 0.25, F1 = 2*0.25/1.25 = 0.4.
    gt = graph_from_lines(ROAD_200)
    half = graph_from_lines([LineString([(0, 0), (100, 0)])])
    one = compute_topo(gt, half, seed_points_xy_m=[(50, 0)])
    assert (one.precision, one.recall, one.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    both = compute_topo(gt, half, seed_points_xy_m=[(50, 0), (150, 0)])
    assert (both.n_matched, both.n_proposal_points, both.n_gt_points) == (20, 20, 80)
    assert both.n_seeds_unmatched_start == 1
    assert (both.precision, both.recall, both.f1) == pytest.approx((1.0, 0.25, 0.4))


def test_t_junction_with_disconnected_side_road():
    # GT T junction: main 2 x 100 m (40 samples) + side 100 m (20 samples) = 60 samples,
    # all within 300 m of either seed. Proposal: same main road, side road from (100,10)
    # (90 m, 18 samples at y = 12.5 ... 97.5, which coincide with GT samples).
    # Seed (50, 0): proposal walk stays on the main road: 40 points, 40 matched, 60 GT.
    # Seed (100, 60): proposal walk stays on its side road: 18 points, 18 matched, 60 GT.
    # Sum: matched 58, proposal 58, GT 120 -> P = 1, R = 58/120, F1 = 2R/(1+R) = 116/178.
    gapped = [T_JUNCTION[0], LineString([(100, 10), (100, 100)])]
    result = compute_topo(
        graph_from_lines(T_JUNCTION),
        graph_from_lines(gapped),
        seed_points_xy_m=[(50, 0), (100, 60)],
    )
    assert (result.n_matched, result.n_proposal_points, result.n_gt_points) == (58, 58, 120)
    assert result.precision == pytest.approx(1.0)
    assert result.recall == pytest.approx(58 / 120)
    assert result.f1 == pytest.approx(116 / 178)


def test_propagation_distance_limits_the_subgraph():
    # 1000 m road, seed at 500 m, 300 m reach: samples at 202.5 ... 797.5 -> 120 points.
    graph = graph_from_lines([LineString([(0, 0), (1000, 0)])])
    result = compute_topo(graph, graph, seed_points_xy_m=[(500, 0)])
    assert result.n_gt_points == result.n_proposal_points == result.n_matched == 120


def test_direction_must_agree():
    # GT: 20 m road along x; proposal: 20 m road along y crossing it at (10, 0). Samples
    # are within 10 m of each other but 90 degrees apart: no match at 30 degrees
    # tolerance, a full match when any direction is accepted (90 degrees).
    gt = graph_from_lines([LineString([(0, 0), (20, 0)])])
    crossing = graph_from_lines([LineString([(10, -10), (10, 10)])])
    strict = compute_topo(gt, crossing, seed_points_xy_m=[(10, 0)])
    assert strict.f1 == 0.0 and strict.n_gt_points == 4 and strict.n_proposal_points == 4
    loose = compute_topo(
        gt, crossing, TopoParams(angle_tolerance_deg=90), seed_points_xy_m=[(10, 0)]
    )
    assert loose.f1 == pytest.approx(1.0)


def test_matching_is_one_to_one():
    # The road digitised twice, 2 m apart, joined at both ends by 2 m connectors (so one
    # walk covers both): 40 + 40 samples along x, plus 1 sample on each connector (along
    # y, so unmatched). Each of the 40 GT samples takes one proposal sample only
    # -> matched 40, P = 40/82, R = 1.
    gt = graph_from_lines(ROAD_200)
    loop = [
        ROAD_200[0],
        LineString([(0, 2), (200, 2)]),
        LineString([(0, 0), (0, 2)]),
        LineString([(200, 0), (200, 2)]),
    ]
    result = compute_topo(gt, graph_from_lines(loop), seed_points_xy_m=[(100, 0)])
    assert (result.n_matched, result.n_proposal_points, result.n_gt_points) == (40, 82, 40)
    assert result.recall == pytest.approx(1.0)
    assert result.precision == pytest.approx(40 / 82)


@pytest.mark.parametrize(("shift_m", "min_f1", "max_f1"), [(3.0, 0.98, 1.0), (15.0, 0.0, 0.0)])
def test_shifted_proposal(shift_m, min_f1, max_f1):
    # A diagonal shift (d, d) moves every street of the grid perpendicular to itself by
    # d. Below the 10 m matching radius every sample still has a partner; only the edge
    # of the 300 m reach moves a little (the proposal walk starts up to ~d away from the
    # seed), hence ~1. Above it, neither the start nor any sample matches -> 0.
    gt = graph_from_lines(grid_lines(2, 200.0))
    shifted = graph_from_lines([affinity.translate(g, shift_m, shift_m) for g in grid_lines(2)])
    assert min_f1 <= compute_topo(gt, shifted).f1 <= max_f1


def test_straight_road_shifted_within_radius_scores_exactly_one():
    # 1000 m road, seed in the middle: the reach ends stay inside the road, so the
    # shifted copy (3 m) has the same 120 samples, all matched.
    road = LineString([(0, 0), (1000, 0)])
    shifted = graph_from_lines([affinity.translate(road, 0, 3.0)])
    result = compute_topo(graph_from_lines([road]), shifted, seed_points_xy_m=[(500, 0)])
    assert result.f1 == pytest.approx(1.0)


def test_cut_edge_loses_recall_not_precision():
    lines = grid_lines(3, 200.0)
    gt = graph_from_lines(lines)
    cut = graph_from_lines(lines[1:])
    result = compute_topo(gt, cut)
    assert result.recall < 0.99
    # Seeds on the removed street start the proposal walk at the nearest junction (up to
    # 10 m away), whose reach pokes slightly past the GT walk: precision stays ~1.
    assert result.precision > 0.99


def test_seeds_are_reproducible_and_on_the_graph():
    graph = graph_from_lines(T_JUNCTION)
    a = sample_seed_points(graph, 50, seed=1)
    assert a.shape == (50, 2)
    assert (a == sample_seed_points(graph, 50, seed=1)).all()
    on_main = (abs(a[:, 1]) < 1e-9) & (a[:, 0] >= 0) & (a[:, 0] <= 200)
    on_side = (abs(a[:, 0] - 100) < 1e-9) & (a[:, 1] >= 0) & (a[:, 1] <= 100)
    assert (on_main | on_side).all()


def test_empty_inputs_and_validation():
    gt = graph_from_lines(ROAD_200)
    empty = compute_topo(gt, nx.Graph())
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="ground-truth graph has no edges"):
        compute_topo(nx.Graph(), gt)
    with pytest.raises(ValueError, match="angle_tolerance_deg"):
        TopoParams(angle_tolerance_deg=120)
    with pytest.raises(ValueError, match="interval_m"):
        TopoParams(interval_m=0)


def test_spacenet_real_centerlines(spacenet_centerlines):
    # Real SpaceNet 3 Vegas centerlines (EPSG:4326 -> UTM 11N) against themselves, and
    # against a copy without its 3 longest edges (missed roads: recall drops).
    gt = read_road_graph(spacenet_centerlines)
    same = compute_topo(gt, gt)
    assert (same.precision, same.recall, same.f1) == (1.0, 1.0, 1.0)
    longest = sorted(gt.edges(data="length_m"), key=lambda e: e[2])[-3:]
    pruned = gt.copy()
    pruned.remove_edges_from((u, v) for u, v, _ in longest)
    result = compute_topo(gt, pruned)
    assert result.recall < 0.9
    assert result.f1 < 0.95
