"""split_collinear_edges: collinear vertices are joined only in sequence."""

import numpy as np
import pytest

from backend.methods.linegraph2road.planar import split_collinear_edges


def _pairs(edge_index):
    return {tuple(p) for p in edge_index.T.tolist()}


def test_fully_joined_collinear_vertices_become_a_chain():
    # A(0,0) B(20,0) C(40,0) D(60,0), all 6 pairs predicted: only A-B, B-C, C-D remain and
    # the written length is the 60 px span, not 200 px (20*3 + 40*2 + 60).
    points = np.array([[0, 0], [20, 0], [40, 0], [60, 0]], float)
    edges = np.array([[0, 0, 0, 1, 1, 2], [1, 2, 3, 2, 3, 3]])
    probs = np.array([0.9, 0.6, 0.7, 0.5, 0.8, 0.4])
    out, out_prob = split_collinear_edges(points, edges, probs, tolerance_px=4.0)
    assert _pairs(out) == {(0, 1), (1, 2), (2, 3)}
    length = np.linalg.norm(points[out[0]] - points[out[1]], axis=1).sum()
    assert length == pytest.approx(60.0)
    # Each piece keeps the strongest edge that covers it: B-C lies under A-C, A-D, B-C, B-D.
    assert dict(zip(map(tuple, out.T.tolist()), out_prob.tolist(), strict=True)) == {
        (0, 1): 0.9, (1, 2): 0.8, (2, 3): 0.8,
    }  # fmt: skip


def test_nearly_collinear_within_tolerance_and_a_junction_beside_it():
    # B is 1.5 px off the A-C line (inside 4 px): A-C splits at B. E(30, 10) is 10 px off
    # the line (a side road's vertex): it does not split anything.
    points = np.array([[0, 0], [30, 1.5], [60, 0], [30, 10]], float)
    edges = np.array([[0, 0, 1, 1], [2, 1, 2, 3]])
    out, _ = split_collinear_edges(points, edges, np.ones(4), tolerance_px=4.0)
    assert _pairs(out) == {(0, 1), (1, 2), (1, 3)}


def test_overpass_vertex_does_not_join_the_crossing_road():
    # The road A-C passes over the overpass vertex O, which belongs to the crossing road
    # O-D only: the overpass head says the roads do not meet, so A-C stays whole.
    points = np.array([[0, 0], [30, 0], [60, 0], [30, 40]], float)
    edges = np.array([[0, 1], [2, 3]])
    out, _ = split_collinear_edges(
        points, edges, np.ones(2), tolerance_px=4.0, is_overpass=np.array([0, 1, 0, 0], bool)
    )
    assert _pairs(out) == {(0, 2), (1, 3)}
    joined, _ = split_collinear_edges(points, edges, np.ones(2), tolerance_px=4.0)
    assert _pairs(joined) == {(0, 1), (1, 2), (1, 3)}
    # Once O is joined to A along the road, A-O would lie on A-C: then O splits it.
    along = np.array([[0, 1, 0], [2, 3, 1]])
    out, _ = split_collinear_edges(
        points, along, np.ones(3), tolerance_px=4.0, is_overpass=np.array([0, 1, 0, 0], bool)
    )
    assert _pairs(out) == {(0, 1), (1, 2), (1, 3)}


def test_vertex_near_an_end_and_empty_input():
    # C(2, 0) lies on A-B 2 px from A: A-C runs along A-B, so A-B becomes A-C, C-B.
    points = np.array([[0, 0], [50, 0], [2, 0]], float)
    out, _ = split_collinear_edges(points, np.array([[0, 0], [1, 2]]), np.ones(2), tolerance_px=4.0)
    assert _pairs(out) == {(0, 2), (1, 2)}
    # Beyond the end (D at x = 52) it is not on the segment: nothing changes.
    points = np.array([[0, 0], [50, 0], [52, 0]], float)
    out, _ = split_collinear_edges(points, np.array([[0, 1], [1, 2]]), np.ones(2), tolerance_px=4.0)
    assert _pairs(out) == {(0, 1), (1, 2)}
    out, prob = split_collinear_edges(points, np.zeros((2, 0), int), np.zeros(0), tolerance_px=4.0)
    assert out.shape == (2, 0) and prob.shape == (0,)
    with pytest.raises(ValueError, match="edge_prob"):
        split_collinear_edges(points, np.array([[0], [1]]), np.ones(2), tolerance_px=4.0)
