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


def deeper_block_positions(
    shallow_stages: Sequence[int], deep_stages: Sequence[int]
) -> dict[int, int]:
    """Block index in a shallower Hiera -> index of the same block in a deeper one.

    Within each stage the shallow blocks keep their order and spread evenly over the deeper
    stage, the first staying first (it pools and widens at a stage change); the new blocks
    sit between them. E.g. stages (1, 1, 3, 1) -> (1, 2, 6, 2): {0: 0, 1: 1, 2: 3, 3: 5,
    4: 7, 5: 9}.

    Raises:
        ValueError: a different number of stages, or a stage with fewer blocks.
    """
    if len(shallow_stages) != len(deep_stages) or any(
        n_deep < n_shallow for n_shallow, n_deep in zip(shallow_stages, deep_stages, strict=True)
    ):
        raise ValueError(
            f"Hiera stages {tuple(deep_stages)} are not a deepening of {tuple(shallow_stages)}"
            ": every stage needs at least as many blocks"
        )
    positions, shallow_start, deep_start = {}, 0, 0
    for n_shallow, n_deep in zip(shallow_stages, deep_stages, strict=True):
        for j in range(n_shallow):
            positions[shallow_start + j] = deep_start + (j * n_deep) // n_shallow
        shallow_start, deep_start = shallow_start + n_shallow, deep_start + n_deep
    return positions


def _hiera_stages(trunk: nn.Module) -> list[int]:
    """Blocks per stage of a SAM2 ``Hiera`` (from its ``stage_ends``)."""
    ends = [-1, *trunk.stage_ends]
    return [b - a for a, b in zip(ends, ends[1:], strict=False)]


def grow_hiera_trunk(deep_trunk: nn.Module, shallow_trunk: nn.Module) -> list[int]:
    """Copy a trained Hiera trunk into a deeper one that computes the same features.

    Function-preserving depth growth (Net2DeeperNet, Chen et al. 2016, with the identity
    made by zeroed residual branches): every shallow block goes to its
    :func:`deeper_block_positions` place; each new block keeps its random weights except the
    attention output projection and the last MLP layer, set to zero, so that block adds
    nothing (x + 0 + 0) until training moves them. Patch and positional embeddings are
    copied. Not in the Anchor-SAM paper: a way to add capacity to a CPU-trained model
    without starting over.

    Args:
        deep_trunk: SAM2 ``Hiera`` (modified in place).
        shallow_trunk: trained SAM2 ``Hiera`` with the same widths and no more blocks in any
            stage.

    Returns:
        Indices of the new (identity-initialised) blocks in ``deep_trunk``.

    Raises:
        ValueError: stages that are not a deepening, or a block that would change between
            windowed and global attention (or window size).
    """
    positions = deeper_block_positions(_hiera_stages(shallow_trunk), _hiera_stages(deep_trunk))
    for old, new in positions.items():
        if shallow_trunk.blocks[old].window_size != deep_trunk.blocks[new].window_size:
            raise ValueError(
                f"Hiera block {old} (window {shallow_trunk.blocks[old].window_size}) lands on "
                f"block {new} (window {deep_trunk.blocks[new].window_size}) of the deeper "
                "trunk: its global_att_blocks must keep the shallow model's global blocks"
            )
    with torch.no_grad():
        for name in ("patch_embed", "pos_embed", "pos_embed_window"):
            source, target = getattr(shallow_trunk, name), getattr(deep_trunk, name)
            if isinstance(target, nn.Module):
                target.load_state_dict(source.state_dict())
            else:
                target.copy_(source)
        for old, new in positions.items():
            deep_trunk.blocks[new].load_state_dict(shallow_trunk.blocks[old].state_dict())
        added = sorted(set(range(len(deep_trunk.blocks))) - set(positions.values()))
        for index in added:
            block = deep_trunk.blocks[index]
            for layer in (block.attn.proj, block.mlp.layers[-1]):
                layer.weight.zero_()
                layer.bias.zero_()
    return added
