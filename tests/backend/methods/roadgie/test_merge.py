"""Progressive merge (FocalClick Sec. 3.4) of the road engine's rounds (issue 10, item 4)."""

import numpy as np
import pytest

from backend.methods.roadgie.merge import progressive_merge


def _two_roads():
    mask = np.zeros((40, 40), bool)
    mask[5:8, :] = True  # road A, along row 6
    mask[30:33, :] = True  # road B, along row 31
    return mask


def test_only_the_change_that_meets_the_new_prompt_is_taken():
    previous = _two_roads()
    proposed = np.zeros_like(previous)  # the network dropped both roads ...
    proposed[18:21, 10:30] = True  # ... and found a new one in between
    click = np.zeros_like(previous)
    click[5:8, 19:22] = True  # a negative click on road A
    merged = progressive_merge(previous, proposed, click)
    assert not merged[5:8].any()  # A removed: its change touches the click
    assert merged[30:33].all()  # B kept: its change does not
    assert not merged[18:21].any()  # the far-away addition is not taken either


def test_an_addition_connected_to_a_positive_click_is_taken_whole():
    previous = _two_roads()
    proposed = previous.copy()
    proposed[8:30, 20:23] = True  # a street joining A and B
    proposed[15:18, 0:5] = True  # a separate blob elsewhere
    click = np.zeros_like(previous)
    click[24:27, 20:23] = True
    merged = progressive_merge(previous, proposed, click)
    assert merged[8:30, 20:23].all() and not merged[15:18, 0:5].any()
    assert np.array_equal(merged & ~proposed, np.zeros_like(merged))


def test_no_new_prompt_keeps_the_previous_mask_and_inputs_are_not_changed():
    previous = _two_roads()
    proposed = ~previous
    before = previous.copy()
    merged = progressive_merge(previous, proposed, np.zeros_like(previous))
    assert np.array_equal(merged, previous) and merged is not previous
    assert np.array_equal(previous, before)


def test_maps_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        progressive_merge(np.zeros((4, 4), bool), np.zeros((4, 5), bool), np.zeros((4, 4), bool))
