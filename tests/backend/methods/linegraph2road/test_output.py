"""output_graph: the graph the job writes and the report scores."""

import numpy as np
import pytest

from backend.methods.linegraph2road.output import output_graph


def test_collinear_edges_are_chained_and_dead_ends_reach_the_border():
    # A(10, 20) - B(50, 20) - C(90, 20) on one line, with an extra A-C edge over B, in a
    # 100 x 40 px image: A is 10 px from the left border, C 10 px from the right.
    points = np.array([[10.0, 20.0], [50.0, 20.0], [90.0, 20.0]])
    written = output_graph(
        points, [[0, 1, 0], [1, 2, 2]], [0.9, 0.8, 0.7], collinear_tolerance_px=4.0,
        width_px=100.0, height_px=40.0, border_extension_px=24.0,
    )  # fmt: skip
    assert written.points_xy_px.tolist() == [
        [10.0, 20.0],
        [50.0, 20.0],
        [90.0, 20.0],
        [0.0, 20.0],
        [100.0, 20.0],
    ]
    pairs = sorted(tuple(sorted(e)) for e in written.edge_index.T.tolist())
    assert pairs == [(0, 1), (0, 3), (1, 2), (2, 4)]
    assert written.source_vertex.tolist() == [0, 1, 2, 0, 2]


def test_rejected_border_vertices_are_dropped_and_the_rest_renumbered():
    points = np.array([[10.0, 20.0], [90.0, 20.0]])
    written = output_graph(
        points, [[0], [1]], [0.6], collinear_tolerance_px=4.0, width_px=100.0,
        height_px=40.0, border_extension_px=24.0,
        keep_border_vertex=lambda xy: xy[:, 0] > 50,  # the data ends left of x = 50
    )  # fmt: skip
    assert written.points_xy_px.tolist() == [[10.0, 20.0], [90.0, 20.0], [100.0, 20.0]]
    assert written.edge_index.tolist() == [[0, 1], [1, 2]]
    assert written.edge_prob.tolist() == [0.6, 0.6]
    assert written.source_vertex.tolist() == [0, 1, 1]


def test_no_extension_without_a_distance_and_an_error_without_an_extent():
    points = np.array([[10.0, 20.0], [90.0, 20.0]])
    plain = output_graph(points, [[0], [1]], [0.6], collinear_tolerance_px=4.0)
    assert plain.points_xy_px.shape == (2, 2) and plain.source_vertex.tolist() == [0, 1]
    with pytest.raises(ValueError, match="image extent"):
        output_graph(
            points, [[0], [1]], [0.6], collinear_tolerance_px=4.0, border_extension_px=24.0
        )
