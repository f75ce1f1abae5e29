"""extend_dead_ends_to_border: roads that run off the image reach its border."""

import numpy as np
import pytest

from backend.methods.linegraph2road.borders import extend_dead_ends_to_border


def test_a_road_stopping_short_of_the_border_is_continued_to_it():
    # A(10, 50) - B(40, 50) - C(90, 50) in a 100 x 80 image: C is 10 px from the right
    # border, A 10 px from the left one; both are continued straight on.
    points = np.array([[10, 50], [40, 50], [90, 50]], float)
    out = extend_dead_ends_to_border(points, [[0, 1], [1, 2]], [0.7, 0.4], 100, 80, 24)
    assert out.points_xy_px[3:].tolist() == [[0.0, 50.0], [100.0, 50.0]]
    assert out.edge_index[:, 2:].tolist() == [[0, 2], [3, 4]]
    assert out.edge_prob[2:].tolist() == [0.7, 0.4]  # the dead end's own edge probability
    assert out.source_vertex.tolist() == [0, 2]


def test_diagonal_end_meets_the_border_where_its_ray_does():
    # Heading down-right at 45 degrees from (80, 40): the ray meets x = 100 at y = 60
    # (28 px away) before y = 80.
    points = np.array([[70, 30], [80, 40]], float)
    out = extend_dead_ends_to_border(points, [[0], [1]], [1.0], 100, 80, 30)
    np.testing.assert_allclose(out.points_xy_px[2:], [[100.0, 60.0]])
    # (70, 30) heads up-left: its ray meets y = 0 after 42 px (> 30), though x = 100 is near.
    assert out.source_vertex.tolist() == [1]


def test_far_pointing_away_on_the_border_and_junction_ends_are_left_alone():
    points = np.array(
        [[50, 40], [70, 40],  # dead end (70, 40) 30 px from the border: too far for 24
         [50, 40 - 20], [50, 40 + 20],  # junction (50, 40) of degree 3
         [0, 10], [20, 10]],  # (0, 10) already on the border; (20, 10) heads inwards
        float,
    )  # fmt: skip
    edges = [[0, 0, 0, 4], [1, 2, 3, 5]]
    out = extend_dead_ends_to_border(points, edges, np.ones(4), 100, 80, 24)
    # Only (50, 20) -> y = 0 (20 px) and (50, 60) -> y = 80 (20 px) are continued.
    assert out.source_vertex.tolist() == [2, 3]
    np.testing.assert_allclose(out.points_xy_px[6:], [[50.0, 0.0], [50.0, 80.0]])


def test_off_and_empty_inputs_change_nothing():
    points = np.array([[10, 50], [90, 50]], float)
    off = extend_dead_ends_to_border(points, [[0], [1]], [1.0], 100, 80, 0)
    assert len(off.points_xy_px) == 2 and off.source_vertex.size == 0
    empty = extend_dead_ends_to_border(np.zeros((0, 2)), np.zeros((2, 0)), [], 100, 80, 24)
    assert empty.edge_index.shape == (2, 0)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="edge probabilities"):
        extend_dead_ends_to_border(np.zeros((2, 2)), [[0], [1]], [0.5, 0.5], 100, 80, 24)
    with pytest.raises(ValueError, match="empty image extent"):
        extend_dead_ends_to_border(np.zeros((2, 2)), [[0], [1]], [0.5], 0, 80, 24)
