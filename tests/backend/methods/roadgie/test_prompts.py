"""Prompt maps: clicks as disks, scribbles as lines, in the corner-origin pixel frame."""

import numpy as np
import pytest

from backend.methods.roadgie.prompts import Scribble, draw_disk, rasterize_prompts


def test_click_disk_is_the_pixels_whose_centres_are_within_the_radius():
    pos, neg = rasterize_prompts((32, 32), [[10.5, 12.5]], [1], click_radius_px=2.0)
    assert not neg.any()
    ys, xs = np.nonzero(pos)
    # centre pixel (10, 12); centres within 2 px: the 13-pixel "diamond plus" disk
    assert len(ys) == 13
    d2 = (xs + 0.5 - 10.5) ** 2 + (ys + 0.5 - 12.5) ** 2
    assert d2.max() <= 4.0
    assert pos[12, 10] == 1 and pos[12, 12] == 1 and pos[14, 10] == 1 and pos[13, 12] == 0


def test_click_frame_x_is_column_y_is_row():
    pos, _ = rasterize_prompts((20, 30), [[25.2, 3.7]], [1], click_radius_px=0.0)
    assert np.argwhere(pos).tolist() == [[3, 25]]


def test_negative_click_and_clipping_at_the_border():
    pos, neg = rasterize_prompts((16, 16), [[0.0, 0.0]], [0], click_radius_px=3.0)
    assert not pos.any()
    assert neg[0, 0] == 1 and neg.sum() > 0
    # nothing written outside; a point outside the map draws nothing
    pos2, _ = rasterize_prompts((16, 16), [[-10.0, 5.0]], [1], click_radius_px=3.0)
    assert not pos2.any()


def test_scribble_covers_its_line_with_the_given_width():
    line = Scribble(np.array([[2.5, 8.5], [20.5, 8.5]]), 1)
    pos, neg = rasterize_prompts((16, 24), scribbles=[line], scribble_width_px=3.0)
    assert not neg.any()
    assert pos[8, 2:21].all()  # the row of the line
    assert pos[7, 5] == 1 and pos[9, 5] == 1  # 1.5 px either side
    assert pos[6, 10] == 0 and pos[10, 10] == 0
    assert pos[8, 22] == 0  # not past the end (beyond half the width)


def test_diagonal_scribble_and_negative_label():
    line = Scribble(np.array([[1.5, 1.5], [10.5, 10.5]]), 0)
    pos, neg = rasterize_prompts((12, 12), scribbles=[line], scribble_width_px=1.0)
    assert not pos.any()
    assert all(neg[i, i] == 1 for i in range(1, 11))
    assert neg[1, 10] == 0


def test_bad_labels_raise():
    with pytest.raises(ValueError, match="0 or 1"):
        rasterize_prompts((8, 8), [[1, 1]], [2])
    with pytest.raises(ValueError, match="labels"):
        rasterize_prompts((8, 8), [[1, 1], [2, 2]], [1])
    with pytest.raises(ValueError, match="0 or 1"):
        rasterize_prompts((8, 8), scribbles=[Scribble(np.array([[1, 1], [2, 2]]), -1)])


def test_draw_disk_marks_the_holding_pixel_for_tiny_radius():
    canvas = np.zeros((5, 5), np.float32)
    draw_disk(canvas, 3.9, 1.1, 0.1)
    assert np.argwhere(canvas).tolist() == [[1, 3]]
