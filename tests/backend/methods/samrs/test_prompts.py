"""SAMRS prompt modes (Table 1) and mask prompts (+1000 / -1000 at the low-res size)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from backend.methods.samrs.geometry import BoxRecord
from backend.methods.samrs.prompts import (
    MASK_INSIDE_LOGIT,
    MASK_OUTSIDE_LOGIT,
    TABLE_1,
    build_prompt_batches,
    mask_prompt,
    parse_prompt_mode,
    prompt_label,
)


def box(polygon, rotated=False, index=0) -> BoxRecord:
    return BoxRecord(index, index, "car", polygon, rotated)


@pytest.mark.parametrize("mode", list(TABLE_1))
def test_every_table_1_mode_parses(mode):
    names = parse_prompt_mode(mode)
    assert "+".join(names) == mode


def test_paper_spellings_and_errors():
    assert parse_prompt_mode("H-Box+CP") == ("cp", "hbox")
    assert parse_prompt_mode(" RH-Box-M ") == ("rhbox_m",)
    assert parse_prompt_mode("AUTO") == "auto"
    assert prompt_label(("cp", "rhbox", "rhbox_m")) == "CP+RH-Box+RH-Box-M"
    with pytest.raises(ValueError, match="two box prompts"):
        parse_prompt_mode("hbox+rhbox")
    with pytest.raises(ValueError, match="two mask prompts"):
        parse_prompt_mode("hbox_m+rbox_m")
    with pytest.raises(ValueError, match="Unknown prompt 'obox'"):
        parse_prompt_mode("obox")


def test_mask_prompt_shape_values_and_place():
    # A 1024 px image, 256 px low-res frame: 4 image px per low-res px.
    logits = mask_prompt(shapely.box(100, 200, 300, 260), (0.25, 0.25), 256)
    assert logits.shape == (256, 256) and logits.dtype == np.float32
    assert set(np.unique(logits)) == {MASK_INSIDE_LOGIT, MASK_OUTSIDE_LOGIT}
    rows, cols = np.nonzero(logits > 0)
    assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (50, 65, 25, 75)
    # SAM 2's frame is anisotropic for non-square images: x and y scale separately.
    logits = mask_prompt(shapely.box(0, 0, 512, 100), (256 / 1024, 256 / 400), 256)
    rows, cols = np.nonzero(logits > 0)
    assert (rows.max() + 1, cols.max() + 1) == (64, 128)


def test_rotated_mask_prompt_follows_the_box():
    diamond = Polygon([(512, 312), (712, 512), (512, 712), (312, 512)])
    logits = mask_prompt(diamond, (0.25, 0.25), 256)
    inside = (logits > 0).sum()
    assert inside == pytest.approx(diamond.area / 16, rel=0.05)
    assert logits[128, 128] > 0 and logits[80, 80] < 0  # centre in, corner of RH-Box out


def test_tiny_box_still_gets_a_mask_prompt():
    logits = mask_prompt(shapely.box(10, 10, 11.5, 11.5), (0.25, 0.25), 256)
    assert (logits > 0).sum() >= 1


def test_batches_auto_and_combined_modes():
    horizontal = box(shapely.box(10, 20, 50, 40), index=0)
    rotated = box(Polygon([(100, 100), (140, 120), (130, 140), (90, 120)]), True, index=1)
    (batch,) = build_prompt_batches([horizontal, rotated], "auto", (0.25, 0.25), 256)
    assert batch.labels == ["H-Box", "RH-Box"]
    np.testing.assert_allclose(batch.boxes, [[10, 20, 50, 40], [90, 100, 140, 140]])
    assert batch.points is None and batch.mask_logits is None
    (batch,) = build_prompt_batches(
        [horizontal, rotated], parse_prompt_mode("cp+rbox_m"), (0.25, 0.25), 256
    )
    assert batch.boxes is None and batch.points.shape == (2, 1, 2)
    np.testing.assert_allclose(batch.points[0, 0], [30, 30])
    np.testing.assert_allclose(batch.point_labels, [[1], [1]])
    assert batch.mask_logits.shape == (2, 1, 256, 256)
    # R-Box-M is the rotated polygon, smaller than its RH-Box.
    assert (batch.mask_logits[1] > 0).sum() < (140 - 90) * (140 - 100) / 16
