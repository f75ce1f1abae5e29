"""Chip planning: every box whole inside exactly one chip, large boxes resampled."""

from __future__ import annotations

import numpy as np
import pytest

from backend.methods.samrs.chips import plan_chips


def _inside(chip, box, context):
    col0, row0, col1, row1 = chip.bounds_px
    return col0 <= box[0] and row0 <= box[1] and box[2] <= col1 and box[3] <= row1


def test_every_box_in_one_chip_with_context():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 4000, (500, 2))
    boxes = np.hstack([xy, xy + rng.uniform(4, 150, (500, 2))])
    boxes[:, 2:] = np.minimum(boxes[:, 2:], 4096)
    chips = plan_chips(boxes, 4096, 4096, chip_px=1024, context_px=32)
    members = np.concatenate([c.members for c in chips])
    assert sorted(members.tolist()) == list(range(500))
    for chip in chips:
        assert chip.width == chip.height == 1024 and not chip.resampled
        assert 0 <= chip.col_off <= 4096 - 1024 and 0 <= chip.row_off <= 4096 - 1024
        for i in chip.members:
            assert _inside(chip, boxes[i], 32)
            b = boxes[i]
            # context is kept where the raster allows
            assert b[0] - chip.col_off >= min(32, np.floor(b[0])) - 1e-9
    # Far fewer encodings than boxes.
    assert len(chips) < 60


def test_border_boxes_and_small_raster():
    boxes = np.array([[1000.0, 10, 1060, 50], [0, 0, 5, 5], [1140, 1000, 1147, 1023]])
    chips = plan_chips(boxes, 1147, 1023, 1024, 32)
    for chip in chips:
        assert chip.bounds_px[2] <= 1147 and chip.bounds_px[3] <= 1023
        for i in chip.members:
            assert _inside(chip, boxes[i], 32)
    small = plan_chips(np.array([[10.0, 10, 20, 20]]), 300, 200, 1024, 32)
    assert len(small) == 1 and small[0].bounds_px == (0, 0, 300, 200)


def test_box_larger_than_a_chip_gets_a_resampled_chip():
    boxes = np.array([[100.0, 200, 2100, 900], [50, 50, 80, 80]])
    chips = plan_chips(boxes, 5000, 5000, 1024, 32)
    big = [c for c in chips if c.resampled]
    assert len(big) == 1 and big[0].members == (0,)
    chip = big[0]
    assert _inside(chip, boxes[0], 0)
    assert max(chip.out_width, chip.out_height) == 1024
    assert chip.scale[0] == pytest.approx(chip.scale[1], rel=0.01) and chip.scale[0] < 0.5


def test_chip_frame_round_trip():
    import shapely

    chips = plan_chips(np.array([[100.0, 200, 3100, 900]]), 5000, 5000, 1024, 32)
    g = shapely.box(100, 200, 3100, 900)
    back = chips[0].to_raster_px(chips[0].to_chip_px(g))
    assert back.equals_exact(g, 1e-6)
