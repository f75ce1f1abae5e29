"""Simulated interaction: prompts land in error regions with the right label."""

import numpy as np

from backend.methods.roadgie.simulate import error_regions, next_error_prompt


def _px(prompt):
    x, y = prompt.points_xy_px[0]
    return int(np.floor(y)), int(np.floor(x))


def test_false_negative_gets_a_positive_click_in_its_middle():
    gt = np.zeros((40, 40), bool)
    gt[10:15, 5:35] = True  # horizontal road, 5 px wide
    pred = np.zeros_like(gt)
    p = next_error_prompt(pred, gt)
    assert p.label == 1 and p.is_click and p.region_area_px == 150
    r, c = _px(p)
    assert gt[r, c] and r == 12  # on the road's middle row


def test_false_positive_gets_a_negative_click_and_the_largest_error_wins():
    gt = np.zeros((40, 40), bool)
    gt[0:3, 0:3] = True  # small miss (9 px)
    pred = np.zeros_like(gt)
    pred[20:30, 20:30] = True  # big false positive (100 px)
    p = next_error_prompt(pred, gt)
    assert p.label == 0 and p.region_area_px == 100
    r, c = _px(p)
    assert pred[r, c] and not gt[r, c]


def test_no_prompt_when_prediction_is_right_or_errors_are_tiny():
    gt = np.zeros((20, 20), bool)
    gt[5:10, 5:10] = True
    assert next_error_prompt(gt.copy(), gt) is None
    pred = gt.copy()
    pred[0, 0] = True  # 1 px error < min_area_px
    assert next_error_prompt(pred, gt, min_area_px=4) is None


def test_valid_mask_excludes_errors_outside_it():
    gt = np.zeros((20, 20), bool)
    gt[:, 15:] = True
    valid = np.ones_like(gt)
    valid[:, 12:] = False
    assert next_error_prompt(np.zeros_like(gt), gt, valid=valid) is None


def test_scribbles_and_random_positions_stay_inside_the_error_component():
    gt = np.zeros((64, 64), bool)
    gt[30:35, 4:60] = True
    gt[4:60, 40:45] = True
    pred = np.zeros_like(gt)
    rng = np.random.default_rng(0)
    n_scribbles = 0
    for _ in range(20):
        p = next_error_prompt(pred, gt, rng, scribble_prob=0.5, random_position=True)
        assert p.label == 1
        for x, y in p.points_xy_px:
            assert gt[int(y), int(x)]
        if not p.is_click:
            n_scribbles += 1
            steps = np.abs(np.diff(p.points_xy_px, axis=0)).max(axis=1)
            assert steps.max() <= 1.0  # 8-connected ordered path
    assert 3 <= n_scribbles <= 17


def test_error_regions():
    pred = np.array([[1, 0], [1, 1]], bool)
    gt = np.array([[1, 1], [0, 1]], bool)
    fn, fp = error_regions(pred, gt)
    assert fn.tolist() == [[False, True], [False, False]]
    assert fp.tolist() == [[False, False], [True, False]]
