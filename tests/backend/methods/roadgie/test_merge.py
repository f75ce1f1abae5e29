"""Progressive merge (FocalClick Sec. 3.4, label-aware) of the road engine's rounds
(issue 10, item 4)."""

import numpy as np
import pytest

from backend.methods.roadgie.merge import progressive_merge


def _two_roads():
    mask = np.zeros((40, 40), bool)
    mask[5:8, :] = True  # road A, along row 6
    mask[30:33, :] = True  # road B, along row 31
    return mask


NO_PROMPT = np.full((40, 40), -1, np.int8)


def _prompt(label, rows, cols):
    labels = NO_PROMPT.copy()
    labels[rows, cols] = label
    return labels


def test_a_negative_click_removes_only_the_road_connected_to_it():
    previous = _two_roads()
    proposed = np.zeros_like(previous)  # the network dropped both roads ...
    proposed[18:21, 10:30] = True  # ... and found a new one in between
    click = _prompt(0, slice(5, 8), slice(19, 22))
    merged = progressive_merge(previous, proposed, click, NO_PROMPT)
    assert not merged[5:8].any()  # A removed: its removal touches the click
    assert merged[30:33].all()  # B kept: its removal does not
    assert not merged[18:21].any()  # a negative click adds nothing


def test_a_positive_click_adds_the_connected_road_and_removes_nothing():
    previous = _two_roads()
    proposed = previous.copy()
    proposed[8:30, 20:23] = True  # a street joining A and B
    proposed[15:18, 0:5] = True  # a separate blob elsewhere
    proposed[5:8, 23:40] = False  # the network also cut road A next to the street
    click = _prompt(1, slice(24, 27), slice(20, 23))
    merged = progressive_merge(previous, proposed, click, NO_PROMPT)
    assert merged[8:30, 20:23].all() and not merged[15:18, 0:5].any()
    assert merged[5:8].all() and merged[30:33].all()  # nothing removed by a positive click


def test_no_new_prompt_keeps_the_previous_mask_and_inputs_are_not_changed():
    previous = _two_roads()
    before = previous.copy()
    merged = progressive_merge(previous, ~previous, NO_PROMPT, NO_PROMPT)
    assert np.array_equal(merged, previous) and merged is not previous
    assert np.array_equal(previous, before)
    # a prompt of an earlier round is not new: it changes nothing either
    old_click = _prompt(0, slice(5, 8), slice(19, 22))
    assert np.array_equal(progressive_merge(previous, ~previous, old_click, old_click), previous)


def test_maps_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        progressive_merge(
            np.zeros((4, 4), bool),
            np.zeros((4, 5), bool),
            np.full((4, 4), -1, np.int8),
            np.full((4, 4), -1, np.int8),
        )
