"""Road probability of image tiles with a trained Anchor-SAM model."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from backend.methods.anchor_sam.model import AnchorSAM
from backend.methods.anchor_sam.views import TEST_TIME_AUGMENTATIONS


def pad_to_multiple(images: torch.Tensor, multiple: int = 32) -> tuple[torch.Tensor, int, int]:
    """Reflect-pad (B, C, H, W) at the bottom/right to multiples of ``multiple``.

    Returns:
        The padded tensor and the original H and W.
    """
    h, w = images.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        images = F.pad(images, (0, pw, 0, ph), mode=mode)
    return images, h, w


def dihedral_transform(images: torch.Tensor, index: int, inverse: bool = False) -> torch.Tensor:
    """One of the 8 symmetries of the square on the last two axes of ``(..., H, W)``.

    Order: identity, mirror left-right, mirror top-bottom, rotation by 180 degrees (the
    first 4 keep H and W), then each of those followed by a transpose (the transpose, two
    quarter turns, the anti-transpose). With ``inverse``, the transform that undoes
    ``index``.

    Raises:
        ValueError: ``index`` not in 0..7.
    """
    if not 0 <= index < 8:
        raise ValueError(f"dihedral transform index must be 0..7, got {index}")
    flip_h, flip_w, transpose = (
        (False, False, False), (False, True, False), (True, False, False), (True, True, False),
        (False, False, True), (True, False, True), (False, True, True), (True, True, True),
    )[index]  # fmt: skip
    # Forwards the flips come first, then the transpose; the inverse undoes them in reverse.
    if inverse and transpose:
        images = images.transpose(-2, -1)
    dims = [d for d, on in ((-2, flip_h), (-1, flip_w)) if on]
    if dims:
        images = images.flip(dims)
    if transpose and not inverse:
        images = images.transpose(-2, -1)
    return images


@torch.no_grad()
def predict_probability(
    model: AnchorSAM,
    tiles_uint8: np.ndarray,
    device: str | torch.device = "cpu",
    amp: bool = False,
    test_time_augmentation: int = 1,
) -> np.ndarray:
    """Road probability per pixel.

    Args:
        model: network in eval mode on ``device``.
        tiles_uint8: (H, W, 3) or (B, H, W, 3) uint8 RGB tiles at the model's GSD.
        device: torch device of the model.
        amp: run in fp16/bf16 autocast (CUDA only).
        test_time_augmentation: number of :func:`dihedral_transform` views whose
            probabilities are averaged (1: the image only; 2: and its mirror; 4: the flips;
            8: all symmetries). Not in the Anchor-SAM paper: road masks are the same in
            every orientation, and averaging views raised the shipped model's select-split
            IoU (model card). Costs that many forward passes.

    Returns:
        float32 probabilities in [0, 1], (H, W) or (B, H, W) like the input.

    Raises:
        ValueError: ``test_time_augmentation`` not in :data:`TEST_TIME_AUGMENTATIONS`.
    """
    if test_time_augmentation not in TEST_TIME_AUGMENTATIONS:
        raise ValueError(
            f"test_time_augmentation must be one of {TEST_TIME_AUGMENTATIONS}, "
            f"got {test_time_augmentation!r}"
        )
    single = tiles_uint8.ndim == 3
    batch = tiles_uint8[None] if single else tiles_uint8
    x = torch.from_numpy(np.array(batch, dtype=np.uint8)).to(device).permute(0, 3, 1, 2)
    x = model.normalize(x.float() / 255.0)
    use_amp = amp and torch.device(device).type == "cuda"
    total = None
    for index in range(test_time_augmentation):
        view, h, w = pad_to_multiple(dihedral_transform(x, index))
        with torch.autocast(device_type="cuda", enabled=use_amp):
            logits = model(view)
        prob = dihedral_transform(torch.sigmoid(logits.float())[:, 0, :h, :w], index, True)
        total = prob if total is None else total + prob
    prob = (total / test_time_augmentation).cpu().numpy()
    return prob[0] if single else prob
