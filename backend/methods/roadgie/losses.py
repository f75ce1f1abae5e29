"""Training loss of the road model: focal + soft Dice + prompt-excluded skeleton recall.

RoadGIE Sec. B.1 and B.5 (Table 13, last row: weights 1, 1 and prompt weight 0): the
skeleton recall term (Kirchhoff et al. 2024, "Skeleton Recall Loss", the paper's [17]) is
set to zero inside the prompt regions so the model learns to recover roads from context,
not from the prompts.

All maps are ``(B, 1, H, W)`` tensors at the same resolution.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage.morphology import skeletonize


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Binary focal loss (Lin et al. 2017) ``-(1 - p_t)^gamma log p_t``, mean over pixels."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = torch.exp(-bce)
    return ((1.0 - p_t) ** gamma * bce).mean()


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """``1 - (2 sum(p t) + eps) / (sum p + sum t + eps)`` per image, mean over the batch."""
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    dice = (2.0 * (p * t).sum(1) + eps) / (p.sum(1) + t.sum(1) + eps)
    return (1.0 - dice).mean()


def tubed_skeleton(mask: np.ndarray, dilate_px: int = 1) -> np.ndarray:
    """Skeleton of a ``(H, W)`` bool mask dilated by ``dilate_px`` (the "tubed" skeleton of
    the Skeleton Recall Loss), bool ``(H, W)``."""
    skel = skeletonize(np.asarray(mask, bool))
    if dilate_px > 0 and skel.any():
        skel = ndimage.binary_dilation(skel, np.ones((3, 3), bool), iterations=dilate_px)
    return skel & np.asarray(mask, bool) if dilate_px > 0 else skel


def tubed_skeletons(target: torch.Tensor) -> torch.Tensor:
    """:func:`tubed_skeleton` of every mask of a ``(B, 1, H, W)`` 0/1 target (road where
    > 0.5), as a float 0/1 ``(B, 1, H, W)`` CPU tensor."""
    masks = target[:, 0].detach().cpu().numpy() > 0.5
    skeletons = np.stack([tubed_skeleton(m) for m in masks]).astype(np.float32)
    return torch.from_numpy(skeletons)[:, None]


def prompt_excluded_skeleton_recall(
    logits: torch.Tensor,
    skeleton: torch.Tensor,
    prompt_region: torch.Tensor,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Prompt-excluded skeleton recall loss (RoadGIE Sec. B.1, B.5).

    ``1 - sum(p * s * (1 - q)) / sum(s * (1 - q))`` per image, where ``s`` is the tubed
    skeleton of the ground truth and ``q`` the prompt region (0/1): the loss and its gradient
    are zero inside prompt regions. Images with no skeleton outside the prompts contribute 0.

    Args:
        logits: ``(B, 1, H, W)`` road logits.
        skeleton: ``(B, 1, H, W)`` 0/1 tubed skeleton of the ground truth.
        prompt_region: ``(B, 1, H, W)`` 0/1 union of positive and negative prompt maps.

    Returns:
        Scalar, mean over the batch.
    """
    keep = skeleton * (1.0 - prompt_region)
    denom = keep.flatten(1).sum(1)
    recall = (torch.sigmoid(logits) * keep).flatten(1).sum(1) / (denom + eps)
    has = (denom > 0).to(logits.dtype)
    return ((1.0 - recall) * has).sum() / logits.shape[0]


def roadgie_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    skeleton: torch.Tensor,
    prompt_region: torch.Tensor,
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum focal + soft Dice + prompt-excluded skeleton recall (Table 13 row 5).

    Args:
        logits, target, skeleton, prompt_region: ``(B, 1, H, W)``; target, skeleton and
            prompt region are 0/1 floats.
        weights: (focal, dice, skeleton recall).

    Returns:
        ``(loss, parts)`` with the three unweighted parts as floats.
    """
    lf = focal_loss(logits, target)
    ld = soft_dice_loss(logits, target)
    ls = prompt_excluded_skeleton_recall(logits, skeleton, prompt_region)
    total = weights[0] * lf + weights[1] * ld + weights[2] * ls
    return total, {
        "focal": float(lf.detach()),
        "dice": float(ld.detach()),
        "skeleton_recall": float(ls.detach()),
    }
