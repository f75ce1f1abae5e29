"""Sliding windows (Appendix G) and stitching per-window graphs (Sec. 3.6)."""

from __future__ import annotations

import numpy as np
import pytest

from backend.methods.linegraph2road.stitching import (
    WindowGraph,
    stitch_window_graphs,
    window_origins,
)


def test_window_origins_paper_5x5_on_2048():
    origins = window_origins(2048, 2048, 512, 128)
    assert origins.shape == (25, 2)
    xs = np.unique(origins[:, 0])
    assert xs.tolist() == [0, 384, 768, 1152, 1536]
    assert origins[:5, 1].tolist() == [0] * 5  # row-major: x varies fastest
    assert window_origins(2048, 2048, 512, 65).shape == (25, 2)  # overlap just above d_nei


@pytest.mark.parametrize(("h", "w"), [(1000, 1300), (513, 700), (4000, 1111)])
def test_window_origins_cover_with_overlap(h, w):
    origins = window_origins(h, w, 512, 100)
    for axis, length in ((0, w), (1, h)):
        starts = np.unique(origins[:, axis])
        assert starts[0] == 0 and starts[-1] == length - 512
        assert np.all(np.diff(starts) <= 512 - 100)  # overlap >= 100 px


def test_window_origins_small_image_and_errors():
    assert window_origins(300, 400, 512, 128).tolist() == [[0, 0]]
    with pytest.raises(ValueError, match="d_nei"):
        window_origins(2048, 2048, 512, 64)
    with pytest.raises(ValueError, match="smaller than window_px"):
        window_origins(2048, 2048, 100, 100, d_nei_px=64)
    with pytest.raises(ValueError, match="positive"):
        window_origins(0, 10)


def test_same_edge_in_two_windows_is_one_averaged_edge():
    # Window A sees vertices 0..2, window B sees the same two right-hand vertices (1 px off,
    # different NMS result) plus one more. Edge (20,10)-(60,10) is predicted by both.
    win_a = WindowGraph(
        points_xy_px=np.array([[0.0, 10.0], [20.0, 10.0], [60.0, 10.0]]),
        edge_index=np.array([[0, 1], [1, 2]]),
        edge_prob=np.array([0.9, 0.8]),
        is_keypoint=np.array([True, False, False]),
    )
    win_b = WindowGraph(
        points_xy_px=np.array([[21.0, 10.0], [60.0, 11.0], [100.0, 10.0]]),
        edge_index=np.array([[0, 1], [1, 2]]),
        edge_prob=np.array([0.4, 0.7]),
    )
    out = stitch_window_graphs([win_a, win_b], merge_radius_px=4.0, edge_threshold=0.5)
    assert out.points_xy_px.shape == (4, 2)  # 6 window vertices, 2 pairs merged
    pts = [tuple(p) for p in out.points_xy_px.tolist()]
    assert len(set(pts)) == 4
    assert pts[0] == (0.0, 10.0) and out.is_keypoint.tolist() == [True, False, False, False]
    assert out.vertex_window_count.tolist() == [1, 2, 2, 1]

    def prob_of(a, b, edges, probs):
        i, j = sorted((pts.index(a), pts.index(b)))
        hit = np.flatnonzero((edges[0] == i) & (edges[1] == j))
        return probs[hit]

    shared = prob_of((20.0, 10.0), (60.0, 10.0), out.candidate_edge_index, out.candidate_edge_prob)
    assert shared.tolist() == pytest.approx([0.6])  # mean of 0.8 and 0.4: one edge
    assert out.candidate_edge_index.shape[1] == 3
    assert out.candidate_edge_window_count.tolist().count(2) == 1
    # Thresholding keeps the averaged 0.6 and the single-window 0.9 and 0.7 edges.
    assert out.edge_index.shape[1] == 3 and np.all(out.edge_index[0] < out.edge_index[1])
    strict = stitch_window_graphs([win_a, win_b], edge_threshold=0.65)
    assert strict.edge_index.shape[1] == 2


def test_shared_global_vertices_merge_exactly_and_same_window_never_merges():
    pts = np.array([[0.0, 0.0], [2.0, 0.0], [50.0, 0.0]])  # 0 and 1 are 2 px apart
    win_a = WindowGraph(pts, np.array([[0, 0], [1, 2]]), np.array([0.9, 0.3]))  # (0,1), (0,2)
    win_b = WindowGraph(pts.copy(), np.array([[1, 1], [2, 0]]), np.array([0.5, 0.5]))
    out = stitch_window_graphs([win_a, win_b], merge_radius_px=4.0)
    assert out.points_xy_px.shape == (3, 2)  # identical vertices merged, close ones not
    assert out.vertex_window_count.tolist() == [2, 2, 2]
    probs = dict(
        zip(map(tuple, out.candidate_edge_index.T.tolist()), out.candidate_edge_prob, strict=True)
    )
    assert probs == pytest.approx({(0, 1): 0.7, (0, 2): 0.3, (1, 2): 0.5})


def test_drop_isolated_vertices_and_validation():
    win = WindowGraph(np.array([[0.0, 0.0], [10.0, 0.0], [99.0, 0.0]]), np.array([[0], [1]]),
                      np.array([0.8]))  # fmt: skip
    out = stitch_window_graphs([win], drop_isolated_vertices=True)
    assert out.points_xy_px.shape == (2, 2) and out.edge_index.tolist() == [[0], [1]]
    with pytest.raises(ValueError, match="edge_prob"):
        stitch_window_graphs([WindowGraph(np.zeros((2, 2)), np.array([[0], [1]]), np.array([1.5]))])
    with pytest.raises(ValueError, match="outside"):
        stitch_window_graphs([WindowGraph(np.zeros((2, 2)), np.array([[0], [2]]), np.array([0.5]))])
    empty = stitch_window_graphs([])
    assert empty.points_xy_px.shape == (0, 2) and empty.edge_index.shape == (2, 0)
