"""Tests of backend.eval.apls (SpaceNet APLS) with hand-computed cases."""

from __future__ import annotations

import networkx as nx
import pytest
from shapely import affinity
from shapely.geometry import LineString

from backend.eval.apls import AplsParams, compute_apls, snap_points_onto, with_control_points
from backend.eval.graph import graph_from_lines, read_road_graph, total_length_m

from ._lines import grid_lines

ROAD_200 = [LineString([(0, 0), (200, 0)])]
T_JUNCTION = [LineString([(0, 0), (200, 0)]), LineString([(100, 0), (100, 100)])]


def test_identical_graphs_score_one():
    graph = graph_from_lines(grid_lines(3, 200.0))
    result = compute_apls(graph, graph)
    assert result.apls == 1.0
    assert result.gt_to_proposal.score == 1.0
    assert result.proposal_to_gt.score == 1.0
    assert result.gt_to_proposal.n_missing_paths == 0
    # 16 nodes + 3 control points on each of the 24 edges of 200 m.
    assert result.gt_to_proposal.n_control_nodes == 16 + 24 * 3
    assert result.gt_to_proposal.n_pairs == 88 * 87


def test_cut_edge_loses_apls():
    lines = grid_lines(3, 200.0)
    gt = graph_from_lines(lines)
    # Remove one inner street: its control points vanish and paths across it detour.
    cut = graph_from_lines([line for line in lines if line.coords[:] != [(200, 200), (200, 400)]])
    assert cut.number_of_edges() == 23
    result = compute_apls(gt, cut)
    assert result.apls < 0.98
    assert result.gt_to_proposal.n_missing_paths > 0
    assert result.proposal_to_gt.score < 1.0  # detours are longer than the true paths


def test_detour_twenty_percent_longer():
    # GT: straight A(0,0)-B(200,0), 200 m. Proposal: A-(100,h)-B with h chosen so the
    # length is 2*sqrt(100^2 + h^2) = 240 m (20 % longer). Spacing 1000 m keeps only the
    # end points A and B as control nodes (no inserted points, hand-checkable):
    #   GT->prop: pairs (A,B),(B,A): L=200, L'=240, penalty 40/200 = 0.2 -> 0.8
    #   prop->GT: L=240, L'=200, penalty 40/240 = 1/6 -> 5/6
    #   APLS = 2 * 0.8 * 5/6 / (0.8 + 5/6) = 40/49 = 0.816326...
    h = (120.0**2 - 100.0**2) ** 0.5
    proposal = graph_from_lines([LineString([(0, 0), (100, h), (200, 0)])])
    assert total_length_m(proposal) == pytest.approx(240.0)
    result = compute_apls(
        graph_from_lines(ROAD_200), proposal, AplsParams(control_point_spacing_m=1000.0)
    )
    assert result.gt_to_proposal.score == pytest.approx(0.8)
    assert result.proposal_to_gt.score == pytest.approx(5 / 6)
    assert result.apls == pytest.approx(40 / 49)


def test_proposal_missing_one_half():
    # GT 200 m straight, control nodes at x = 0, 50, 100, 150, 200 (5 nodes, 20 ordered
    # pairs). Proposal covers x in [0, 100]: GT nodes 0, 50, 100 snap, 150 and 200 do not.
    #   GT->prop: the 6 pairs among {0, 50, 100} are exact; the other 14 are missing
    #             -> 1 - 14/20 = 0.3
    #   prop->GT: proposal control nodes 0, 50, 100 all lie on the GT -> 1.0
    #   APLS = 2 * 0.3 * 1 / 1.3 = 0.461538...
    half = graph_from_lines([LineString([(0, 0), (100, 0)])])
    result = compute_apls(graph_from_lines(ROAD_200), half)
    assert result.gt_to_proposal.n_pairs == 20
    assert result.gt_to_proposal.n_missing_paths == 14
    assert result.gt_to_proposal.score == pytest.approx(0.3)
    assert result.proposal_to_gt.score == pytest.approx(1.0)
    assert result.apls == pytest.approx(0.6 / 1.3)


def test_t_junction_with_disconnected_side_road():
    # GT: main road (0,0)-(200,0), side road (100,0)-(100,100) joined at J(100,0).
    # Control nodes (50 m): (0,0) (50,0) J (150,0) (200,0) (100,50) (100,100): 7 nodes,
    # 42 ordered pairs. Proposal: same main road, side road drawn from (100,10): a 10 m gap.
    #   GT->prop: all 7 nodes snap (J onto the main road, (100,50) and (100,100) onto the
    #             side road). Pairs within {main 5} (20) and within {side 2} (2) are exact;
    #             the 20 pairs across the gap are missing -> 1 - 20/42 = 22/42.
    #   prop->GT: proposal control nodes: main 0, 50, 100, 150, 200 (5); side road 90 m
    #             -> (100,10) (100,55) (100,100) (3). All lie on the GT, and the proposal
    #             only has paths within each component (20 + 6 pairs), all exact -> 1.0
    #   APLS = 2 * (22/42) / (22/42 + 1) = 44/64 = 0.6875
    gapped = [T_JUNCTION[0], LineString([(100, 10), (100, 100)])]
    result = compute_apls(graph_from_lines(T_JUNCTION), graph_from_lines(gapped))
    assert result.gt_to_proposal.n_control_nodes == 7
    assert result.gt_to_proposal.n_pairs == 42
    assert result.gt_to_proposal.n_missing_paths == 20
    assert result.gt_to_proposal.score == pytest.approx(22 / 42)
    assert result.proposal_to_gt.n_pairs == 26
    assert result.proposal_to_gt.score == pytest.approx(1.0)
    assert result.apls == pytest.approx(0.6875)


@pytest.mark.parametrize(
    ("shift_m", "expected_min", "expected_max"), [(2.0, 0.97, 1.0), (10.0, 0.0, 0.0)]
)
def test_shifted_proposal(shift_m, expected_min, expected_max):
    # Shift the T junction diagonally by (d, d): distance d*sqrt(2) = 2.8 m (< 4 m buffer)
    # keeps every control node matched with nearly equal paths (corner effects at the
    # junction only); 14.1 m (> 4 m) leaves nothing within reach -> GT->prop = 0 -> APLS 0.
    gt = graph_from_lines(T_JUNCTION)
    shifted = graph_from_lines([affinity.translate(line, shift_m, shift_m) for line in T_JUNCTION])
    result = compute_apls(gt, shifted)
    assert expected_min <= result.apls <= expected_max


def test_straight_road_shifted_within_buffer_scores_exactly_one():
    # Perpendicular shift of 3 m: every control node projects at the same arc position.
    shifted = graph_from_lines([affinity.translate(ROAD_200[0], 0, 3.0)])
    assert compute_apls(graph_from_lines(ROAD_200), shifted).apls == pytest.approx(1.0)


def test_source_sampling_is_seeded_and_capped():
    graph = graph_from_lines(grid_lines(3, 200.0))
    cut = graph_from_lines(grid_lines(3, 200.0)[1:])
    params = AplsParams(max_sources=10, seed=3)
    first = compute_apls(graph, cut, params)
    again = compute_apls(graph, cut, params)
    assert first == again
    assert first.gt_to_proposal.n_sources == 10
    assert compute_apls(graph, graph, params).apls == 1.0


def test_empty_inputs():
    gt = graph_from_lines(ROAD_200)
    result = compute_apls(gt, nx.Graph())
    assert result.apls == 0.0
    assert result.gt_to_proposal.n_missing_paths == result.gt_to_proposal.n_pairs == 20
    with pytest.raises(ValueError, match="ground truth has no pair"):
        compute_apls(nx.Graph(), gt)


def test_param_validation_and_frames():
    with pytest.raises(ValueError, match="control_point_spacing_m"):
        AplsParams(control_point_spacing_m=0)
    with pytest.raises(ValueError, match="max_sources"):
        AplsParams(max_sources=0)
    a = graph_from_lines(ROAD_200, crs="EPSG:32611")
    b = graph_from_lines(ROAD_200, crs="EPSG:32612")
    with pytest.raises(ValueError, match="different frames"):
        compute_apls(a, b)


def test_control_points_and_snapping_keep_lengths():
    graph = graph_from_lines(T_JUNCTION)
    dense = with_control_points(graph, 30.0)
    assert total_length_m(dense) == pytest.approx(total_length_m(graph))
    assert max(length for _, _, length in dense.edges(data="length_m")) <= 30.0
    snapped, nodes = snap_points_onto(graph, [(30, 1), (100, 3), (160, 20)], 4.0)
    assert total_length_m(snapped) == pytest.approx(total_length_m(graph))
    assert nodes[2] == -1  # 20 m away from every road
    assert snapped.nodes[nodes[0]]["xy"] == pytest.approx((30.0, 0.0))


def test_spacenet_real_centerlines(spacenet_centerlines):
    # Real SpaceNet 3 Vegas centerlines (EPSG:4326 -> UTM 11N) against themselves, and
    # against a copy without its 3 longest edges.
    gt = read_road_graph(spacenet_centerlines)
    assert compute_apls(gt, gt).apls == pytest.approx(1.0)
    longest = sorted(gt.edges(data="length_m"), key=lambda e: e[2])[-3:]
    pruned = gt.copy()
    pruned.remove_edges_from((u, v) for u, v, _ in longest)
    result = compute_apls(gt, pruned)
    assert result.apls < 0.9
    assert result.gt_to_proposal.n_missing_paths > 0


def test_hand_built_graph_with_any_node_ids_and_no_geometry():
    # Straight edges from node positions; string ids are fine.
    graph = nx.Graph()
    graph.add_node("a", xy=(0.0, 0.0))
    graph.add_node("junction", xy=(100.0, 0.0))
    graph.add_node((2, 0), xy=(200.0, 0.0))
    graph.add_edge("a", "junction", length_m=100.0)
    graph.add_edge("junction", (2, 0), length_m=100.0)
    assert compute_apls(graph, graph).apls == 1.0
    assert compute_apls(graph, graph_from_lines(ROAD_200)).apls == pytest.approx(1.0)
