"""SAM2's Hiera trunk + FPN neck, built from the official ``sam2`` package.

One builder (and one weight loader, :func:`load_hiera_encoder_weights`) for every network
here that uses a SAM2 image encoder (Anchor-SAM's encoder, the LineGraph2Road and RoadGIE
``hiera_*`` variants), so that their ``image_encoder.*`` weights share one
layout and load into each other (e.g. LineGraph2Road starts from a trained Anchor-SAM
encoder) and from official SAM2 / SAM2.1 checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn


def build_hiera_fpn_encoder(
    embed_dim: int,
    num_heads: int,
    stages: Sequence[int],
    global_att_blocks: Sequence[int],
    window_spec: Sequence[int],
    window_pos_embed_bkg: Sequence[int],
    fpn_dim: int,
) -> nn.Module:
    """SAM2 ``ImageEncoder(Hiera, FpnNeck)`` keeping all four FPN levels.

    Args:
        embed_dim: Hiera stage-1 channels (doubled at every stage).
        num_heads: Hiera stage-1 heads.
        stages: blocks per stage (four).
        global_att_blocks: block indices with global attention.
        window_spec: window size per stage.
        window_pos_embed_bkg: background positional-embedding grid.
        fpn_dim: FPN channels.

    Returns:
        The module; ``trunk(x)`` gives stride 4, 8, 16, 32 features (``embed_dim * 2**i``
        channels), ``neck(features)`` returns ``(fpn, pos)`` with ``fpn`` the four levels at
        ``fpn_dim`` channels, stride 4 first. Input ``(B, 3, H, W)``, sides multiples of 32.

    Raises:
        ImportError: the ``sam2`` package is missing (with the install command).
    """
    try:
        from sam2.modeling.backbones.hieradet import Hiera
        from sam2.modeling.backbones.image_encoder import FpnNeck, ImageEncoder
        from sam2.modeling.position_encoding import PositionEmbeddingSine
    except ImportError as exc:
        raise ImportError(
            "this network needs the 'sam2' package: SAM2_BUILD_CUDA=0 pip install "
            "--no-build-isolation sam2==1.1.0 (or `make install`)"
        ) from exc
    trunk = Hiera(
        embed_dim=embed_dim,
        num_heads=num_heads,
        stages=tuple(stages),
        global_att_blocks=tuple(global_att_blocks),
        window_spec=tuple(window_spec),
        window_pos_embed_bkg_spatial_size=tuple(window_pos_embed_bkg),
    )
    neck = FpnNeck(
        position_encoding=PositionEmbeddingSine(num_pos_feats=fpn_dim),
        d_model=fpn_dim,
        backbone_channel_list=[embed_dim * 2**i for i in (3, 2, 1, 0)],  # deepest first
        fpn_top_down_levels=[0, 1, 2, 3],  # Anchor-SAM Eq. 2: top-down on every level
        fpn_interp_model="nearest",
    )
    return ImageEncoder(trunk=trunk, neck=neck, scalp=0)


def load_hiera_encoder_weights(
    encoder: nn.Module,
    checkpoint: str | Path | Mapping[str, torch.Tensor],
    expected_sha256: str | None = None,
) -> None:
    """Load another network's ``image_encoder.*`` (Hiera + FPN) into ``encoder``, strictly.

    Shared by the RoadGIE and LineGraph2Road ``hiera_*`` variants, whose encoders start from
    a trained Anchor-SAM file of the same Hiera (``anchor_sam_pico_1m.pt``) or an official
    SAM2 checkpoint of matching sizes.

    Args:
        encoder: the :func:`build_hiera_fpn_encoder` module to fill.
        checkpoint: a bare or fp16 state dict, a checkpoint ``{"model": ...}`` file, or an
            in-memory state dict.
        expected_sha256: digest the file must have (None: not checked).

    Raises:
        ValueError: no ``image_encoder.trunk.*`` weights, or missing / unexpected /
            mis-shaped keys (listed).
    """
    from backend.models.checkpoints import load_state_dict_file, load_state_dict_strict

    if isinstance(checkpoint, Mapping):
        full, source = dict(checkpoint), "state dict"
    else:
        full, source = load_state_dict_file(checkpoint, expected_sha256), str(checkpoint)
    prefix = "image_encoder."
    state = {
        k.removeprefix(prefix): v.float() if v.is_floating_point() else v
        for k, v in full.items()
        if k.startswith(prefix)
    }
    if not any(k.startswith("trunk.") for k in state):
        raise ValueError(
            f"{source} has no 'image_encoder.trunk.*' weights; expected an Anchor-SAM "
            "file (e.g. anchor_sam_pico_1m.pt) or a SAM2 checkpoint"
        )
    load_state_dict_strict(encoder, state, source=f"{source} (image_encoder.*)")
