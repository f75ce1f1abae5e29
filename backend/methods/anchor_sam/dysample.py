"""DySample upsampling (Liu et al., ICCV 2023), the decoder's upsampler in Anchor-SAM Eq. 17.

Point-sampling upsampler: every output pixel bilinearly samples the input at its own
position plus a learned, content-dependent offset ("LP" variant: offsets from a 1x1
convolution of the input, scaled by the static factor 0.25). With zero offsets it is
exactly bilinear upsampling with ``align_corners=False`` (tested).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DySample(nn.Module):
    """Learned point-sampling upsampler.

    Args:
        channels: C of the (B, C, H, W) input; divisible by ``groups``.
        scale: integer upsampling factor s; output is (B, C, s*H, s*W).
        groups: channel groups sharing one offset field.
    """

    def __init__(self, channels: int, scale: int = 2, groups: int = 4) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"channels {channels} is not a multiple of groups {groups}")
        self.scale = scale
        self.groups = groups
        self.offset = nn.Conv2d(channels, groups * 2 * scale * scale, 1)
        nn.init.normal_(self.offset.weight, std=1e-3)
        nn.init.zeros_(self.offset.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, s*H, s*W)."""
        b, c, h, w = x.shape
        s, g = self.scale, self.groups
        # Offsets in input pixels, one (dx, dy) per output pixel and group.
        off = (self.offset(x) * 0.25).view(b, g, 2, s, s, h, w)
        off = off.permute(0, 1, 2, 5, 3, 6, 4).reshape(b, g, 2, h * s, w * s)
        oy = (torch.arange(h * s, device=x.device, dtype=x.dtype) + 0.5) / s - 0.5
        ox = (torch.arange(w * s, device=x.device, dtype=x.dtype) + 0.5) / s - 0.5
        px = ox.view(1, 1, 1, -1) + off[:, :, 0]
        py = oy.view(1, 1, -1, 1) + off[:, :, 1]
        grid = torch.stack([(2 * px + 1) / w - 1, (2 * py + 1) / h - 1], dim=-1)
        out = F.grid_sample(
            x.reshape(b * g, c // g, h, w), grid.reshape(b * g, h * s, w * s, 2),
            mode="bilinear", padding_mode="border", align_corners=False,
        )
        return out.view(b, c, h * s, w * s)
