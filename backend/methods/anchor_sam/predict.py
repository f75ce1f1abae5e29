"""Road probability of image tiles with a trained Anchor-SAM model."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from backend.methods.anchor_sam.model import AnchorSAM


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


@torch.no_grad()
def predict_probability(
    model: AnchorSAM, tiles_uint8: np.ndarray, device: str | torch.device = "cpu",
    amp: bool = False,
) -> np.ndarray:
    """Road probability per pixel.

    Args:
        model: network in eval mode on ``device``.
        tiles_uint8: (H, W, 3) or (B, H, W, 3) uint8 RGB tiles at the model's GSD.
        device: torch device of the model.
        amp: run in fp16/bf16 autocast (CUDA only).

    Returns:
        float32 probabilities in [0, 1], (H, W) or (B, H, W) like the input.
    """
    single = tiles_uint8.ndim == 3
    batch = tiles_uint8[None] if single else tiles_uint8
    x = torch.from_numpy(np.array(batch, dtype=np.uint8)).to(device).permute(0, 3, 1, 2)
    x = model.normalize(x.float() / 255.0)
    x, h, w = pad_to_multiple(x)
    use_amp = amp and torch.device(device).type == "cuda"
    with torch.autocast(device_type="cuda", enabled=use_amp):
        logits = model(x)
    prob = torch.sigmoid(logits.float())[:, 0, :h, :w].cpu().numpy()
    return prob[0] if single else prob
