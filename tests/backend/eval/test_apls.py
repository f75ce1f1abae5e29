"""Tests of backend.eval.apls (SpaceNet APLS): official reference values and hand-computed
cases.

The reference cases in ``../shared/data/apls_reference`` were scored by the untouched
CosmiQ ``apls`` 0.1.0 package; its README gives the tolerance and the conventions.
"""

from __future__ import annotations

import json

import networkx as nx
import pytest
from pyproj import CRS
from shapely.geometry import LineString

from backend.eval.apls import (
    DEFINITION,
    AplsParams,
    compute_apls,
    compute_apls_from_lines,
    insert_control_points,
)
from backend.eval.graph import graph_from_lines, project_lines, read_lines, read_road_graph
from backend.eval.spacenet_graph import spacenet_graph_from_lines

from ._lines import grid_lines
from .conftest import SHARED_DATA

REFERENCE = SHARED_DATA / "apls_reference"
UTM_11N = CRS.from_epsg(32611)

ROAD_200 = [LineString([(0, 0), (200, 0)])]
# Main road with a vertex at the junction J(100, 0): SpaceNet joins lines only there.
T_JUNCTION = [LineString([(0, 0), (100, 0), (200, 0)]), LineString([(100, 0), (100, 100)])]


def _reference_cases() -> list[dict]:
    path = REFERENCE / "cases.json"
    return json.loads(path.read_text())["cases"] if path.is_file() else []


def _score_case(case: dict, params: AplsParams | None = None):
    gt_lines, gt_crs = read_lines(REFERENCE / case["gt_file"])
    try:
        prop_lines, prop_crs = read_lines(REFERENCE / case["proposal_file"])
        prop_lines = project_lines(prop_lines, prop_crs, UTM_11N)
    except ValueError as err:  # the empty FeatureCollection
        assert "no line features" in str(err)
        prop_lines = []
    return compute_apls_from_lines(project_lines(gt_lines, gt_crs, UTM_11N), prop_lines, params)


@pytest.fixture
def reference_cases() -> list[dict]:
    cases = _reference_cases()
    if not cases:
        pytest.skip(f"APLS reference cases not found in {REFERENCE} (../shared/data)")
    return cases


@pytest.mark.parametrize("name", [c["name"] for c in _reference_cases()] or ["(no data)"])
def test_agrees_with_official_apls(name, reference_cases):
    tolerance = json.loads((REFERENCE / "cases.json").read_text())["tolerance_abs"]
    case = next(c for c in reference_cases if c["name"] == name)
    result = _score_case(case)
    assert result.apls == pytest.approx(case["apls"], abs=tolerance)
    assert result.gt_to_proposal.score == pytest.approx(case["gt_to_prop"], abs=tolerance)
    assert result.proposal_to_gt.score == pytest.approx(case["prop_to_gt"], abs=tolerance)
    # The graph build and control points match the official counts exactly.
    assert result.proposal_graph["n_nodes"] == case["prop_graph"]["nodes"]
    assert result.proposal_graph["n_edges"] == case["prop_graph"]["edges"]
    assert result.gt_to_proposal.n_control_points == case["n_control_points_gt"]
    assert result.proposal_to_gt.n_control_points == case["n_control_points_prop"]
    assert result.gt_to_proposal.n_snapped == case["n_gt_cp_snapped"]
    assert result.proposal_to_gt.n_snapped == case["n_prop_cp_snapped"]
    if case["apls"] in (0.0, 1.0):
        assert result.apls == case["apls"]
    assert result.definition == DEFINITION


def test_a_broken_convention_fails_the_reference(reference_cases):
    """Each SpaceNet convention is needed: switching one off moves a case past 0.005."""
    by_name = {c["name"]: c for c in reference_cases}
    e2 = by_name["e2_split_and_duplicate"]
    keep_one = _score_case(e2, AplsParams(remove_repeated_edges=False))
    assert abs(keep_one.apls - e2["apls"]) > 0.03

    # Control points every 50 m on every edge: the reference README quotes what the
    # official code gives with these settings (b2 0.888, c3 0.328, d 0.546, e2 0.888).
    every_50m = AplsParams(linestring_delta_m=50.0, is_curved_eps=-1.0)
    quoted = {"b2_one_line_removed": 0.888, "c3_shift_6m_east": 0.328, "d_spurious_added": 0.546}
    for name, official_with_50m in quoted.items():
        result = _score_case(by_name[name], every_50m)
        assert result.apls == pytest.approx(official_with_50m, abs=0.002)
        assert abs(result.apls - by_name[name]["apls"]) > 0.05
        assert "linestring_delta_m=50.0" in result.definition


def test_detour_twenty_percent_longer():
    # GT: straight A(0,0)-B(200,0). Proposal A-(100,h)-B, 2*sqrt(100^2 + h^2) = 240 m.
    # linestring_delta_m = 1000 keeps control points at A and B only (240 < 750):
    #   GT->prop: (A,B), (B,A): L = 200, L' = 240, diff 40/200 = 0.2 -> 0.8
    #   prop->GT: L = 240, L' = 200, diff 40/240 = 1/6 -> 5/6
    #   APLS = 2 * 0.8 * 5/6 / (0.8 + 5/6) = 40/49
    h = (120.0**2 - 100.0**2) ** 0.5
    proposal = graph_from_lines([LineString([(0, 0), (100, h), (200, 0)])])
    result = compute_apls(
        graph_from_lines(ROAD_200), proposal, AplsParams(linestring_delta_m=1000.0)
    )
    assert result.gt_to_proposal.score == pytest.approx(0.8)
    assert result.proposal_to_gt.score == pytest.approx(5 / 6)
    assert result.apls == pytest.approx(40 / 49)


def test_half_the_road_scores_zero():
    # GT straight 200 m: control points at its two ends only (a straight edge gets none).
    # Proposal (0,0)-(100,0): GT end B(200,0) is 100 m away, so it has no counterpart.
    #   GT->prop: (A,B): B missing -> 1; (B,A): B missing -> 1 -> score 0
    #   prop->GT: A and P(100,0) both lie on the GT, path 100 m both ways -> 1
    #   APLS = 0 (one direction is 0)
    result = compute_apls_from_lines(ROAD_200, [LineString([(0, 0), (100, 0)])])
    assert result.gt_to_proposal.n_control_points == 2
    assert result.gt_to_proposal.n_pairs == 2
    assert result.gt_to_proposal.score == 0.0
    assert result.proposal_to_gt.score == pytest.approx(1.0)
    assert result.apls == 0.0


def test_t_junction_with_disconnected_side_road():
    # GT: A(0,0) - J(100,0) - B(200,0) and J - T(100,100): 4 control points (all edges
    # straight), 12 ordered pairs. Proposal: same main road (J merged: degree 2) and a side
    # road from S0(100,10) to T: a 10 m gap at the junction.
    #   GT->prop: A, B, T land on proposal nodes, J cuts the main road at 100 m. The 6
    #             pairs within {A, J, B} are exact; the 6 pairs between T and them have
    #             no path -> 1 - 6/12 = 0.5
    #   prop->GT: control points A, B, S0, T all lie on the GT; the proposal only has the
    #             paths A<->B (200 m) and S0<->T (90 m), both exact -> 1.0
    #   APLS = 2 * 0.5 * 1 / 1.5 = 2/3
    gapped = [T_JUNCTION[0], LineString([(100, 10), (100, 100)])]
    result = compute_apls_from_lines(T_JUNCTION, gapped)
    assert result.proposal_graph["n_nodes"] == 4 and result.proposal_graph["n_edges"] == 2
    assert result.gt_to_proposal.n_control_points == 4
    assert result.gt_to_proposal.n_pairs == 12
    assert result.gt_to_proposal.n_missing_paths == 6
    assert result.gt_to_proposal.score == pytest.approx(0.5)
    assert result.proposal_to_gt.n_pairs == 4
    assert result.proposal_to_gt.score == pytest.approx(1.0)
    assert result.apls == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("corner_m", "expected_points"),
    [
        # L-shaped 300 m edge: (300 - 212.1) / 300 = 0.29 >= 0.12, L > 200:
        # linspace(0, 300, len(arange(0, 300, 200)) + 1 = 3)[1:-1] = [150] -> 1 point.
        (150.0, 2 + 1),
        # 500 m: linspace(0, 500, 4)[1:-1] = [166.7, 333.3] -> 2 points.
        (250.0, 2 + 2),
        # 160 m (>= 150 and <= 200): one point at L / 2.
        (80.0, 2 + 1),
        # 140 m: shorter than 0.75 * 200 -> none.
        (70.0, 2),
    ],
)
def test_control_points_only_on_long_curved_edges(corner_m, expected_points):
    corner = [LineString([(0, 0), (corner_m, 0), (corner_m, corner_m)])]
    result = compute_apls_from_lines(corner, corner)
    assert result.gt_to_proposal.n_control_points == expected_points
    assert result.apls == 1.0
    # A straight road gets none, however long.
    straight = [LineString([(0, 0), (1000, 0)])]
    assert compute_apls_from_lines(straight, straight).gt_to_proposal.n_control_points == 2


def test_repeated_edge_loses_both_copies():
    # Proposal = GT plus its second half drawn again. Both copies of the repeated 100 m
    # go (SpaceNet), which leaves the proposal as the first half only -> GT->prop = 0.
    gt = [LineString([(0, 0), (100, 0), (200, 0)])]
    proposal = [*gt, LineString([(100, 0), (200, 0)])]
    result = compute_apls_from_lines(gt, proposal)
    assert result.proposal_graph["length_m"] == pytest.approx(100.0)
    assert result.apls == 0.0
    keep_one = compute_apls_from_lines(gt, proposal, AplsParams(remove_repeated_edges=False))
    assert keep_one.apls == pytest.approx(1.0)
    assert keep_one.definition == f"{DEFINITION}, except remove_repeated_edges=False"


def test_tiny_isolated_pieces_are_dropped():
    # A 3 m fragment far from every road: SpaceNet drops components shorter than 5 m.
    fragment = LineString([(500, 500), (503, 500)])
    result = compute_apls_from_lines(T_JUNCTION, [*T_JUNCTION, fragment])
    assert result.apls == 1.0
    kept = compute_apls_from_lines(
        T_JUNCTION, [*T_JUNCTION, fragment], AplsParams(min_subgraph_length_m=0.0)
    )
    # Its two control points have no counterpart: 2 missed pairs out of 12 + 2.
    assert kept.proposal_to_gt.score == pytest.approx(1 - 2 / 14)


def test_point_landing_on_a_renamed_node_takes_its_name():
    graph = spacenet_graph_from_lines([LineString([(0, 0), (100, 0)])])
    points = [(100, (-1.0, 0.0)), (101, (-2.0, 1.0)), (102, (50.0, 3.0)), (103, (50.0, -2.0))]
    out, present = insert_control_points(graph, points, max_distance_m=4.0)
    # 100 renames node (0,0), then 101 lands there too and takes the name over; 103
    # lands on the node 102 inserted at x = 50 and renames it.
    assert present == {101, 103}
    assert set(out.nodes) == {101, 103, 1}
    assert nx.shortest_path_length(out, 101, 1, weight="length_m") == pytest.approx(100.0)
    out, present = insert_control_points(graph, points, max_distance_m=4.0, allow_renaming=False)
    assert present == {100, 101, 102, 103}
    assert nx.shortest_path_length(out, 100, 103, weight="length_m") == pytest.approx(50.0)


def test_empty_proposal_scores_zero_with_a_note():
    gt = graph_from_lines(T_JUNCTION)
    result = compute_apls(gt, nx.Graph())
    assert result.apls == 0.0
    assert "empty proposal" in result.note
    assert result.gt_to_proposal.n_missing_paths == result.gt_to_proposal.n_pairs == 12
    with pytest.raises(ValueError, match="ground truth has no road"):
        compute_apls(nx.Graph(), gt)


def test_large_graph_route_samples_control_points():
    grid = graph_from_lines(grid_lines(4, 200.0))  # 25 nodes
    cut = graph_from_lines(grid_lines(4, 200.0)[1:])
    params = AplsParams(max_nodes_for_midpoints=20, max_control_nodes=10, seed=3)
    first = compute_apls(grid, cut, params)
    assert first == compute_apls(grid, cut, params)
    assert first.gt_to_proposal.n_control_points == 10
    assert compute_apls(grid, grid, params).apls == 1.0


def test_param_validation_and_frames():
    with pytest.raises(ValueError, match="linestring_delta_m"):
        AplsParams(linestring_delta_m=0)
    with pytest.raises(ValueError, match="max_control_nodes"):
        AplsParams(max_control_nodes=0)
    assert AplsParams().differences_from_spacenet() == {}
    assert AplsParams(snap_buffer_m=6.0, seed=9).differences_from_spacenet() == {
        "snap_buffer_m": 6.0
    }
    a = graph_from_lines(ROAD_200, crs="EPSG:32611")
    b = graph_from_lines(ROAD_200, crs="EPSG:32612")
    with pytest.raises(ValueError, match="different frames"):
        compute_apls(a, b)


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
