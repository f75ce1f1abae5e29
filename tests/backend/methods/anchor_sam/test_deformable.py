"""Deformable operators against direct references (Anchor-SAM Eq. 7, 9, 11, 17)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from backend.methods.anchor_sam.deformable import (
    DCNv3,
    StripDeformableConv,
    deformable_aggregate,
    square_kernel_points,
    strip_kernel_points,
)
from backend.methods.anchor_sam.dysample import DySample


def _bilinear(image: np.ndarray, x: float, y: float) -> float:
    """Bilinear value of a (H, W) image at pixel-centre coordinates, zeros outside."""
    h, w = image.shape
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    total = 0.0
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                total += wy * wx * image[yy, xx]
    return total


def _reference(x, offsets, weights, points, dilation):
    """Direct loop over batch, group, channel, position and kernel point."""
    b, c, h, w = x.shape
    g, k = offsets.shape[1], offsets.shape[2]
    cg = c // g
    out = np.zeros((b, c, h, w))
    for bi in range(b):
        for gi in range(g):
            for ci in range(gi * cg, (gi + 1) * cg):
                for yy in range(h):
                    for xx in range(w):
                        for ki in range(k):
                            sx = xx + dilation * points[ki, 0] + offsets[bi, gi, ki, 0, yy, xx]
                            sy = yy + dilation * points[ki, 1] + offsets[bi, gi, ki, 1, yy, xx]
                            out[bi, ci, yy, xx] += weights[bi, gi, ki, yy, xx] * _bilinear(
                                x[bi, ci], sx, sy
                            )
    return out


@pytest.mark.parametrize("dilation", [1, 2])
def test_aggregate_matches_direct_bilinear_reference(dilation):
    rng = np.random.default_rng(0)
    b, c, h, w, g = 1, 4, 5, 6, 2
    points = square_kernel_points(3)
    x = rng.normal(size=(b, c, h, w))
    offsets = rng.normal(scale=1.5, size=(b, g, 9, 2, h, w))
    weights = rng.random(size=(b, g, 9, h, w))
    got = deformable_aggregate(
        torch.tensor(x), torch.tensor(offsets), torch.tensor(weights), points, dilation
    )
    want = _reference(x, offsets, weights, points.numpy(), dilation)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-9)


@pytest.mark.parametrize("dilation", [1, 3, 5, 7])
def test_zero_offsets_reduce_to_dilated_depthwise_convolution(dilation):
    torch.manual_seed(0)
    b, c, h, w, g = 2, 8, 17, 19, 4
    x = torch.randn(b, c, h, w, dtype=torch.float64)
    kernel = torch.rand(g, 9, dtype=torch.float64)  # one 3x3 kernel per group
    offsets = torch.zeros(b, g, 9, 2, h, w, dtype=torch.float64)
    weights = kernel.view(1, g, 9, 1, 1).expand(b, g, 9, h, w)
    got = deformable_aggregate(x, offsets, weights, square_kernel_points(3), dilation)
    conv_weight = kernel.repeat_interleave(c // g, dim=0).view(c, 1, 3, 3)
    want = F.conv2d(x, conv_weight, padding=dilation, dilation=dilation, groups=c)
    torch.testing.assert_close(got, want)


def test_strip_kernels_lie_on_one_axis():
    x_points = strip_kernel_points(5, "x")
    y_points = strip_kernel_points(5, "y")
    assert x_points[:, 1].abs().max() == 0 and x_points[:, 0].tolist() == [-2, -1, 0, 1, 2]
    assert y_points[:, 0].abs().max() == 0 and y_points[:, 1].tolist() == [-2, -1, 0, 1, 2]
    with pytest.raises(ValueError, match="axis"):
        strip_kernel_points(5, "z")


def test_fresh_strip_conv_is_a_horizontal_average_between_projections():
    torch.manual_seed(0)
    layer = StripDeformableConv(16, "x", length=5, group_channels=8).double()
    feat = torch.randn(1, 16, 7, 9, dtype=torch.float64)
    guide = torch.randn(1, 16, 7, 9, dtype=torch.float64)
    value = layer.input_proj(feat)
    box = torch.full((16, 1, 1, 5), 1 / 5, dtype=torch.float64)
    want = layer.output_proj(F.conv2d(value, box, padding=(0, 2), groups=16))
    torch.testing.assert_close(layer(feat, guide), want)


def test_dcnv3_shapes_and_gradients_reach_offsets():
    torch.manual_seed(0)
    layer = DCNv3(32, 16, kernel_size=3, dilation=3, group_channels=8)
    x = torch.randn(2, 32, 12, 10, requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 16, 12, 10)
    y.square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # Zero-initialised offset/mask layers still receive gradients (they can learn).
    assert layer.offset.weight.grad.abs().sum() > 0
    assert layer.mask.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="multiple of group_channels"):
        DCNv3(30, group_channels=8)


def test_dysample_with_zero_offsets_is_bilinear_upsampling():
    torch.manual_seed(0)
    up = DySample(8, scale=2, groups=4).double()
    torch.nn.init.zeros_(up.offset.weight)
    x = torch.randn(2, 8, 5, 7, dtype=torch.float64)
    want = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up(x), want)
    fresh = DySample(8, scale=2, groups=4)
    assert fresh(x.float()).shape == (2, 8, 10, 14)
