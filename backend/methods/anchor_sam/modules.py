"""Anchor-SAM's own modules: DMB, DBCIM (skip connections), MDCP (bottleneck), decoder stage.

Section and equation numbers refer to papers/anchor_sam.txt (Li et al., TGRS 2026).
Tensors are (B, C, H, W) feature maps in the image's pixel frame at the level's stride.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.swin_transformer import SwinTransformerBlock

from backend.methods.anchor_sam.deformable import DCNv3, StripDeformableConv
from backend.methods.anchor_sam.dysample import DySample


class DMB(nn.Module):
    """Depthwise mixing block, Eq. 5: Conv1x1(c) . DWConv(k x k) . Conv1x1(c / r).

    Args:
        channels: c, input and output channels.
        kernel_size: k of the depthwise convolution (1 or 3 in the DBCIM).
        ratio: channel compression ratio r.
    """

    def __init__(self, channels: int, kernel_size: int, ratio: int = 4) -> None:
        super().__init__()
        hidden = max(channels // ratio, 1)
        self.body = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.Conv2d(hidden, hidden, kernel_size, padding=kernel_size // 2, groups=hidden),
            nn.Conv2d(hidden, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, c, H, W) -> (B, c, H, W)."""
        return self.body(x)


class DBCIM(nn.Module):
    """Deformable Bayesian Conditional Interaction Module, Sec. III-C, Eq. 6-10.

    prior = DWConv5x5(GELU(Conv1x1(F)))                                  (6)
    M     = DSCN_x(feat=prior, guide=prior)                              (7)
    MAP   = prior + rho(sigmoid(DMB1x1(prior)) * DMB3x3^2(M)), rho=DMB1x1  (8)
    Y     = DSCN_y(feat=M, guide=MAP)                                    (9)
    F~    = Conv1x1(Y) * Conv1x1(F)                                      (10)

    Args:
        channels: C of the FPN level (256 in the paper).
        strip_length: taps of DSCN_x / DSCN_y.
        group_channels: channels per deformable group.
        ratio: DMB compression ratio r.
    """

    def __init__(
        self, channels: int, strip_length: int = 9, group_channels: int = 16, ratio: int = 4
    ) -> None:
        super().__init__()
        self.prior = nn.Sequential(
            nn.Conv2d(channels, channels, 1),
            nn.GELU(),
            nn.Conv2d(channels, channels, 5, padding=2, groups=channels),
        )
        self.dscn_x = StripDeformableConv(channels, "x", strip_length, group_channels)
        self.prior_gate = DMB(channels, 1, ratio)
        self.likelihood = nn.Sequential(DMB(channels, 3, ratio), DMB(channels, 3, ratio))
        self.belief_projection = DMB(channels, 1, ratio)
        self.dscn_y = StripDeformableConv(channels, "y", strip_length, group_channels)
        self.content = nn.Conv2d(channels, channels, 1)
        self.recalibration = nn.Conv2d(channels, channels, 1)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        """F_i (B, C, H, W) -> refined skip feature F~_i (B, C, H, W)."""
        prior = self.prior(f)
        evidence = self.dscn_x(prior, prior)
        gate = torch.sigmoid(self.prior_gate(prior))
        posterior = prior + self.belief_projection(gate * self.likelihood(evidence))
        y = self.dscn_y(evidence, posterior)
        return self.content(y) * self.recalibration(f)


class ConvFFN(nn.Module):
    """Bottleneck convolution of the Spatial Cue Activator (Eq. 12):
    Conv1x1(c -> c/r), GELU, DWConv3x3, GELU, Conv1x1(c/r -> c)."""

    def __init__(self, channels: int, ratio: int = 4) -> None:
        super().__init__()
        hidden = max(channels // ratio, 1)
        self.body = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.GELU(),
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden),
            nn.GELU(),
            nn.Conv2d(hidden, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class MDCP(nn.Module):
    """Multiscale Deformable Context Perceiver, Sec. III-D, Eq. 11-16.

    branch_j = DCN_j(E_4), dilations 1, 3, 5, 7                         (11)
    W_sca    = sigmoid(ConvFFN(Cat(branch_j)))                          (12)
    F_sca    = sum_j Split_j(W_sca) * branch_j                          (13)
    v_global = AvgPool(Swin(Cat(branch_j)))                             (14)
    F_grr    = sum_j Split_j(sigmoid(MLP(v_global))) * branch_j         (15)
    F_mdcp   = F_sca + F_grr                                            (16)

    Each branch maps the C_4 backbone channels to ``branch_channels`` so that Cat(branch_j)
    has 4 * branch_channels channels (the Swin block runs at that width).

    Args:
        in_channels: C_4 of the deepest Hiera stage E_4.
        branch_channels: output channels of each DCN branch, and of F_mdcp.
        dilations: one DCNv3 branch per dilation.
        group_channels: channels per DCNv3 group.
        swin_heads: heads of the Swin block.
        swin_window: window size of the Swin block (E_4 is 1/32 of the input: 32 x 32 at 1024).
    """

    def __init__(
        self,
        in_channels: int,
        branch_channels: int,
        dilations: tuple[int, ...] = (1, 3, 5, 7),
        group_channels: int = 16,
        swin_heads: int = 8,
        swin_window: int = 8,
        ffn_ratio: int = 4,
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            DCNv3(in_channels, branch_channels, 3, d, group_channels) for d in dilations
        )
        cat = branch_channels * len(dilations)
        self.sca = ConvFFN(cat, ffn_ratio)
        self.swin = SwinTransformerBlock(
            cat, swin_heads, [swin_window, swin_window], [0, 0], mlp_ratio=4.0
        )
        self.mlp = nn.Sequential(
            nn.Linear(cat, cat // ffn_ratio), nn.GELU(), nn.Linear(cat // ffn_ratio, cat)
        )
        self.n_branches = len(dilations)

    def forward(self, e4: torch.Tensor) -> torch.Tensor:
        """E_4 (B, C_4, H/32, W/32) -> F_mdcp (B, branch_channels, H/32, W/32)."""
        branches = [branch(e4) for branch in self.branches]
        stacked = torch.stack(branches, dim=1)  # (B, J, c, h, w)
        cat = torch.cat(branches, dim=1)
        b, j, c = stacked.shape[:3]
        w_sca = torch.sigmoid(self.sca(cat)).view(b, j, c, *cat.shape[2:])
        f_sca = (w_sca * stacked).sum(dim=1)
        v_global = self.swin(cat.permute(0, 2, 3, 1)).mean(dim=(1, 2))  # (B, J*c)
        w_grr = torch.sigmoid(self.mlp(v_global)).view(b, j, c, 1, 1)
        f_grr = (w_grr * stacked).sum(dim=1)
        return f_sca + f_grr


class DecoderStage(nn.Module):
    """One decoder stage, Eq. 17: D_i = DySample(DCN(Cat(D_{i+1}, F~_i))).

    The DCN is a DCNv3 layer followed by GroupNorm and GELU.

    Args:
        in_channels: channels of D_{i+1} plus those of F~_i.
        out_channels: channels of D_i.
        group_channels: channels per DCNv3 group.
        upsample_groups: DySample groups.
    """

    def __init__(
        self, in_channels: int, out_channels: int, group_channels: int = 16,
        upsample_groups: int = 4,
    ) -> None:
        super().__init__()
        self.dcn = DCNv3(in_channels, out_channels, 3, 1, group_channels)
        self.norm = nn.GroupNorm(1, out_channels)
        self.act = nn.GELU()
        self.upsample = DySample(out_channels, 2, upsample_groups)

    def forward(self, deeper: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        """D_{i+1}, F~_i (B, *, h, w) -> D_i (B, out_channels, 2h, 2w)."""
        x = self.dcn(torch.cat([deeper, skip], dim=1))
        return self.upsample(self.act(self.norm(x)))
