"""Deformable operators of Anchor-SAM in plain PyTorch (no compiled extension).

One sampling core, :func:`deformable_aggregate`, serves every deformable layer of the model:

- :class:`DCNv3` (Wang et al., InternImage; Anchor-SAM Sec. III-D Eq. 11 and the decoder's
  DCN of Eq. 17): a square K = k x k kernel, channels split into groups, each group with its
  own offsets and softmax-normalised sampling weights.
- :class:`StripDeformableConv` (DSCN_x / DSCN_y of the DBCIM, Sec. III-C Eq. 7 and 9): a 1-D
  strip kernel along x or y whose offsets and weights are predicted from a separate
  ``guide`` tensor.

The core computes, for every output position p0, group g and kernel point k,

    y_g(p0) = sum_k m_gk(p0) * x_g(p0 + d * p_k + delta_gk(p0))

with bilinear interpolation and zeros outside the image (DCNv3 Eq. 3). With zero offsets and
weights m_gk constant over positions it is a dilated depthwise convolution, which the tests
check against ``torch.nn.functional.conv2d``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def square_kernel_points(kernel_size: int) -> torch.Tensor:
    """Kernel points of a k x k kernel, row-major, centred on 0.

    Returns:
        (k*k, 2) float tensor of (dx, dy) in pixels at dilation 1.
    """
    r = torch.arange(kernel_size, dtype=torch.float32) - (kernel_size - 1) / 2
    dy, dx = torch.meshgrid(r, r, indexing="ij")
    return torch.stack([dx.reshape(-1), dy.reshape(-1)], dim=1)


def strip_kernel_points(length: int, axis: str) -> torch.Tensor:
    """Kernel points of a 1-D strip of ``length`` taps along ``axis`` ("x" or "y").

    Returns:
        (length, 2) float tensor of (dx, dy) in pixels at dilation 1.

    Raises:
        ValueError: for an axis other than "x" or "y".
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    t = torch.arange(length, dtype=torch.float32) - (length - 1) / 2
    zeros = torch.zeros_like(t)
    return torch.stack([t, zeros] if axis == "x" else [zeros, t], dim=1)


def deformable_aggregate(
    x: torch.Tensor,
    offsets: torch.Tensor,
    weights: torch.Tensor,
    kernel_points: torch.Tensor,
    dilation: int = 1,
) -> torch.Tensor:
    """Group-wise deformable sampling and weighted sum (the DCNv3 core, Eq. 3 of DCNv3).

    Args:
        x: (B, C, H, W) input, C divisible by the number of groups G.
        offsets: (B, G, K, 2, H, W) sampling offsets (dx, dy) in input pixels, added to
            ``dilation * kernel_points``.
        weights: (B, G, K, H, W) sampling weights (already normalised by the caller).
        kernel_points: (K, 2) kernel point coordinates (dx, dy) at dilation 1.
        dilation: spacing of the kernel points in pixels.

    Returns:
        (B, C, H, W) aggregated features; positions sampled outside the image contribute 0.
    """
    b, c, h, w = x.shape
    _, g, k, _, _, _ = offsets.shape
    cg = c // g
    dtype = x.dtype
    base_y, base_x = torch.meshgrid(
        torch.arange(h, device=x.device, dtype=dtype),
        torch.arange(w, device=x.device, dtype=dtype),
        indexing="ij",
    )
    kp = kernel_points.to(device=x.device, dtype=dtype) * dilation  # (K, 2)
    # Absolute sampling positions in pixels: (B, G, K, H, W).
    px = base_x + kp[:, 0].view(1, 1, k, 1, 1) + offsets[:, :, :, 0]
    py = base_y + kp[:, 1].view(1, 1, k, 1, 1) + offsets[:, :, :, 1]
    # grid_sample's normalised frame with align_corners=False: pixel centre i at (2i+1)/n - 1.
    grid = torch.stack([(2 * px + 1) / w - 1, (2 * py + 1) / h - 1], dim=-1)
    grid = grid.reshape(b * g, k * h, w, 2)
    sampled = F.grid_sample(
        x.reshape(b * g, cg, h, w), grid, mode="bilinear", padding_mode="zeros",
        align_corners=False,
    )  # (B*G, Cg, K*H, W)
    sampled = sampled.view(b, g, cg, k, h, w)
    out = (sampled * weights.unsqueeze(2)).sum(dim=3)
    return out.reshape(b, c, h, w)


class DCNv3(nn.Module):
    """DCNv3 layer (InternImage): projections + grouped deformable sampling.

    Offsets and softmax weights are predicted from a depthwise-conv feature of the input, as
    in DCNv3; they are zero-initialised, so a fresh layer is a dilated uniform-average
    convolution between two linear projections.

    Args:
        in_channels: C_in of the (B, C_in, H, W) input.
        out_channels: C_out of the output (default C_in).
        kernel_size: k of the k x k kernel (K = k^2 points).
        dilation: spacing of the kernel points (Anchor-SAM MDCP uses 1, 3, 5, 7).
        group_channels: channels per group; G = C_in // group_channels.
        offset_scale: multiplier of the predicted offsets.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        kernel_size: int = 3,
        dilation: int = 1,
        group_channels: int = 16,
        offset_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if in_channels % group_channels:
            raise ValueError(
                f"in_channels {in_channels} is not a multiple of group_channels {group_channels}"
            )
        out_channels = out_channels or in_channels
        self.groups = in_channels // group_channels
        self.dilation = dilation
        self.offset_scale = offset_scale
        self.register_buffer("kernel_points", square_kernel_points(kernel_size), persistent=False)
        k = kernel_size * kernel_size
        self.k = k
        self.input_proj = nn.Conv2d(in_channels, in_channels, 1)
        self.offset_feature = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, kernel_size, padding=kernel_size // 2,
                      groups=in_channels),
            nn.GroupNorm(1, in_channels),
            nn.GELU(),
        )
        self.offset = nn.Conv2d(in_channels, self.groups * k * 2, 1)
        self.mask = nn.Conv2d(in_channels, self.groups * k, 1)
        self.output_proj = nn.Conv2d(in_channels, out_channels, 1)
        for layer in (self.offset, self.mask):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, H, W)."""
        b, _, h, w = x.shape
        value = self.input_proj(x)
        feat = self.offset_feature(x)
        offsets = self.offset(feat).view(b, self.groups, self.k, 2, h, w) * self.offset_scale
        weights = self.mask(feat).view(b, self.groups, self.k, h, w).softmax(dim=2)
        out = deformable_aggregate(value, offsets, weights, self.kernel_points, self.dilation)
        return self.output_proj(out)


class StripDeformableConv(nn.Module):
    """DSCN_x / DSCN_y of the DBCIM (Anchor-SAM Sec. III-C, Eq. 7 and 9).

    A strip of ``length`` taps along ``axis``; the taps' offsets and softmax weights are
    predicted from ``guide`` (the prior for DSCN_x, the MAP posterior for DSCN_y), the
    values are sampled from ``feat``. Offsets start at zero, so a fresh layer averages
    along the strip.

    Args:
        channels: C of ``feat`` and ``guide`` (B, C, H, W).
        axis: "x" (horizontal strip) or "y" (vertical strip).
        length: taps in the strip.
        group_channels: channels per group.
    """

    def __init__(self, channels: int, axis: str, length: int = 9, group_channels: int = 16):
        super().__init__()
        if channels % group_channels:
            raise ValueError(
                f"channels {channels} is not a multiple of group_channels {group_channels}"
            )
        self.axis = axis
        self.groups = channels // group_channels
        self.k = length
        self.register_buffer("kernel_points", strip_kernel_points(length, axis), persistent=False)
        self.input_proj = nn.Conv2d(channels, channels, 1)
        self.guide_feature = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, groups=channels),
            nn.GroupNorm(1, channels),
            nn.GELU(),
        )
        self.offset = nn.Conv2d(channels, self.groups * length * 2, 1)
        self.mask = nn.Conv2d(channels, self.groups * length, 1)
        self.output_proj = nn.Conv2d(channels, channels, 1)
        for layer in (self.offset, self.mask):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, feat: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        """feat, guide (B, C, H, W) -> (B, C, H, W)."""
        b, _, h, w = feat.shape
        g = self.guide_feature(guide)
        offsets = self.offset(g).view(b, self.groups, self.k, 2, h, w)
        weights = self.mask(g).view(b, self.groups, self.k, h, w).softmax(dim=2)
        out = deformable_aggregate(self.input_proj(feat), offsets, weights, self.kernel_points)
        return self.output_proj(out)
