"""Loss: focal + soft Dice + prompt-excluded skeleton recall (RoadGIE Sec. B.1, B.5)."""

import numpy as np
import torch

from backend.methods.roadgie.losses import (
    focal_loss,
    prompt_excluded_skeleton_recall,
    roadgie_loss,
    soft_dice_loss,
    tubed_skeleton,
)


def _road():
    gt = np.zeros((32, 32), bool)
    gt[14:19, 2:30] = True
    return gt


def test_tubed_skeleton_is_a_thin_band_inside_the_road():
    gt = _road()
    skel = tubed_skeleton(gt, dilate_px=1)
    assert skel.any() and not (skel & ~gt).any()
    assert skel[:, 16].sum() == 3  # 1 px skeleton dilated by 1


def test_skeleton_recall_is_zero_with_its_gradient_inside_prompt_regions():
    gt = _road()
    skel = torch.from_numpy(tubed_skeleton(gt).astype(np.float32))[None, None]
    prompt = torch.zeros_like(skel)
    prompt[..., :, 0:16] = 1.0  # left half covered by prompts
    logits = torch.zeros_like(skel, requires_grad=True)
    loss = prompt_excluded_skeleton_recall(logits, skel, prompt)
    loss.backward()
    assert loss.item() > 0.4  # p = 0.5 everywhere: recall 0.5
    assert torch.all(logits.grad[..., :, 0:16] == 0)
    assert torch.any(logits.grad[..., :, 16:] != 0)
    # confident on the skeleton outside the prompts: no loss, whatever happens inside
    good = torch.where(skel > 0, 10.0, -10.0)
    good[..., :, 0:16] = -10.0
    assert prompt_excluded_skeleton_recall(good, skel, prompt).item() < 1e-3
    # everything covered by prompts: the term vanishes
    assert prompt_excluded_skeleton_recall(logits, skel, torch.ones_like(skel)).item() == 0.0


def test_focal_and_dice_prefer_the_right_answer():
    gt = torch.from_numpy(_road().astype(np.float32))[None, None]
    good = gt * 16 - 8
    bad = -good
    assert focal_loss(good, gt) < focal_loss(bad, gt)
    assert soft_dice_loss(good, gt) < 0.05 < soft_dice_loss(bad, gt)
    assert focal_loss(good, gt) < torch.nn.functional.binary_cross_entropy_with_logits(good, gt)


def test_total_is_weighted_sum_of_parts():
    gt = torch.from_numpy(_road().astype(np.float32))[None, None]
    skel = torch.from_numpy(tubed_skeleton(_road()).astype(np.float32))[None, None]
    logits = torch.randn_like(gt)
    total, parts = roadgie_loss(logits, gt, skel, torch.zeros_like(gt), (1.0, 2.0, 0.5))
    expected = parts["focal"] + 2 * parts["dice"] + 0.5 * parts["skeleton_recall"]
    assert abs(total.item() - expected) < 1e-5
