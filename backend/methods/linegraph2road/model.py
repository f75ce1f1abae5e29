"""LineGraph2Road network: SAM ViT encoder, prompt-free mask decoder, line-graph transformer.

Paper: "LineGraph2Road" (``shared/papers/linegraph2road.txt``), Sec. 3.1-3.4 and App. B.

Frames and units used throughout:

* images are ``(B, 3, H, W)`` float tensors, RGB, already normalised with
  :attr:`LineGraph2RoadConfig.pixel_mean` / ``pixel_std`` (0..255 scale, SAM's values);
* vertex positions are ``(N, 2)`` float tensors of ``(x, y)`` pixel coordinates in the
  image (window) frame: ``x`` along columns, ``y`` along rows, origin at the upper-left
  corner of the upper-left pixel, so pixel (row r, col c) has its centre at
  ``(c + 0.5, r + 0.5)`` (the frame of ``nms.py`` and ``backend/geo/raster.py``);
* the feature map ``F`` is ``(B, D_feature, H/16, W/16)`` and covers the same extent as the
  image, so point ``(x, y)`` sits at feature-cell coordinates ``(x / 16, y / 16)`` in the
  same corner-origin convention.

The predictor (windows, thresholds, NMS, stitching) is in ``predictor.py``. Inference
code only: nothing here imports training code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from backend.models.checkpoints import load_state_dict_file, load_state_dict_strict
from backend.models.hiera import build_hiera_fpn_encoder, load_hiera_encoder_weights

MASK_NAMES: tuple[str, str, str] = ("keypoint", "road", "overpass")
"""Channel order of the mask decoder output (Sec. 3.2)."""

PATCH_SIZE_PX = 16
SAM_PIXEL_MEAN = (123.675, 116.28, 103.53)
SAM_PIXEL_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class LineGraph2RoadConfig:
    """Architecture of one LineGraph2Road variant.

    Attributes:
        variant: name, e.g. ``"vit_b"`` or ``"vit_tiny"``.
        input_size_px: side of the square training crop / inference window in pixels; the
            absolute position embedding is sized for it (other multiples of 16 work through
            interpolation).
        encoder_embed_dim, encoder_depth, encoder_num_heads: ViT width, depth, heads.
        encoder_window_size: window attention size in tokens (0 = global everywhere).
        encoder_global_attn_indexes: blocks that use global attention.
        encoder_out_chans: channels of the SAM neck (256 in SAM).
        feature_dim: D_feature after the projection (128, Sec. 4.3).
        decoder_dims: channels after each x2 transposed-conv stage of the mask decoder
            (four stages: 1/16 -> 1/1).
        n_sampled: feature samples per candidate edge (N_sampled = 4, App. B).
        edge_mlp_hidden: hidden width of the edge-feature MLP.
        gt_layers, gt_heads, gt_hidden, gt_dropout, gt_ff_dim: Graph Transformer (Sec. 3.4:
            3 layers, 4 heads, hidden 128, dropout 0.1; feed-forward width not given in the
            paper, 2 x hidden here).
        pixel_mean, pixel_std: RGB normalisation on the 0..255 scale.
        encoder_kind: ``"sam_vit"`` (the paper's SAM ViT, ``encoder_*`` fields) or
            ``"sam2_hiera"`` (not in the paper: SAM2's Hiera + FPN, ``hiera_*`` fields, the
            encoder layout of Anchor-SAM so that a trained road-segmentation encoder can
            start it; issue 10, item 3). The Hiera feature map at 1/16 is the stride-16
            FPN level concatenated with the stride-8 and stride-4 levels folded into
            channels (pixel unshuffle), so the 1/16 grid keeps the thin-road detail.
        hiera_embed_dim, hiera_num_heads, hiera_stages, hiera_global_att_blocks,
            hiera_window_spec, hiera_window_pos_embed_bkg, hiera_fpn_dim: the Hiera + FPN
            (as ``AnchorSAMConfig``; the defaults are Anchor-SAM ``pico``).
        mask_high_res_features: ``sam2_hiera`` only, not in the paper: the mask decoder also
            adds the stride-8 and stride-4 FPN levels after its first two up-sampling
            stages, through 1x1 projections that start at zero (SAM2's high-resolution
            features in its mask decoder, ``use_high_res_features_in_sam``). Without them
            every road pixel is decoded from the 1/16 grid alone (issue 10: the shipped
            small model's road mask was its weak part).
        edge_high_res_samples: needs ``mask_high_res_features``, not in the paper: points per
            candidate edge also sampled from the stride-4 FPN level and appended to the
            edge feature of App. B (0 = the paper's N_sampled points of F only). A 16 px
            edge spans one or two cells of the 1/16 grid, too coarse to see whether a road
            joins its ends.
    """

    variant: str
    input_size_px: int
    encoder_embed_dim: int
    encoder_depth: int
    encoder_num_heads: int
    encoder_window_size: int
    encoder_global_attn_indexes: tuple[int, ...]
    encoder_out_chans: int = 256
    feature_dim: int = 128
    decoder_dims: tuple[int, int, int, int] = (128, 64, 32, 32)
    n_sampled: int = 4
    edge_mlp_hidden: int = 256
    gt_layers: int = 3
    gt_heads: int = 4
    gt_hidden: int = 128
    gt_dropout: float = 0.1
    gt_ff_dim: int = 256
    pixel_mean: tuple[float, float, float] = SAM_PIXEL_MEAN
    pixel_std: tuple[float, float, float] = SAM_PIXEL_STD
    encoder_kind: str = "sam_vit"
    hiera_embed_dim: int = 32
    hiera_num_heads: int = 1
    hiera_stages: tuple[int, int, int, int] = (1, 1, 3, 1)
    hiera_global_att_blocks: tuple[int, ...] = (4,)
    hiera_window_spec: tuple[int, int, int, int] = (8, 4, 14, 7)
    hiera_window_pos_embed_bkg: tuple[int, int] = (7, 7)
    hiera_fpn_dim: int = 64
    mask_high_res_features: bool = False
    edge_high_res_samples: int = 0

    @property
    def input_multiple_px(self) -> int:
        """Image sides must be multiples of this (ViT patch 16; Hiera's deepest stride 32)."""
        return 32 if self.encoder_kind == "sam2_hiera" else PATCH_SIZE_PX

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineGraph2RoadConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: unknown fields (named).
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown LineGraph2Road config fields: {', '.join(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


_HIERA_PICO = LineGraph2RoadConfig(
    variant="hiera_pico",
    input_size_px=256,
    encoder_embed_dim=0,
    encoder_depth=0,
    encoder_num_heads=0,
    encoder_window_size=0,
    encoder_global_attn_indexes=(),
    encoder_kind="sam2_hiera",
    decoder_dims=(96, 64, 32, 16),
)

CONFIGS: dict[str, LineGraph2RoadConfig] = {
    # The paper's encoder: SAM ViT-B (Sec. 3.2), 512 px crops (Sec. 4.3). Block layout as in
    # SAM so that the official checkpoint loads.
    "vit_b": LineGraph2RoadConfig(
        variant="vit_b",
        input_size_px=512,
        encoder_embed_dim=768,
        encoder_depth=12,
        encoder_num_heads=12,
        encoder_window_size=14,
        encoder_global_attn_indexes=(2, 5, 8, 11),
    ),
    # The model we ship: small enough to train on a CPU in under an hour and to ship as a
    # <= 15 MB fp16 file. 256 px crops give a 16 x 16 token grid; 8 x 8 windows with two
    # global blocks keep SAM's local/global layout.
    "vit_tiny": LineGraph2RoadConfig(
        variant="vit_tiny",
        input_size_px=256,
        encoder_embed_dim=192,
        encoder_depth=6,
        encoder_num_heads=6,
        encoder_window_size=8,
        encoder_global_attn_indexes=(2, 5),
        encoder_out_chans=128,
        decoder_dims=(96, 64, 32, 16),
    ),
    # Not in the paper: the encoder of the shipped Anchor-SAM pico (Hiera + FPN, 1 m), so a
    # road-trained encoder starts the graph model (issue 10, item 3).
    "hiera_pico": _HIERA_PICO,
    # hiera_pico with SAM2's high-resolution features in the mask decoder; starts from
    # hiera_pico weights with the new projections at zero (the same network at step 0).
    "hiera_pico_hr": replace(_HIERA_PICO, variant="hiera_pico_hr", mask_high_res_features=True),
    # hiera_pico_hr whose edges also read 8 points of the stride-4 level; starts from
    # hiera_pico_hr (or hiera_pico) weights with the new edge-MLP inputs at zero.
    "hiera_pico_hr_edge": replace(
        _HIERA_PICO,
        variant="hiera_pico_hr_edge",
        mask_high_res_features=True,
        edge_high_res_samples=8,
    ),
}


class ImageFeatures(NamedTuple):
    """What :meth:`LineGraph2Road.encode` gives for a batch of images.

    Attributes:
        grid: ``(B, D_feature, H/16, W/16)``, the feature map F of Sec. 3.2 (masks and
            edge features are read from it).
        high_res: ``(stride 4, stride 8)`` FPN levels ``(B, hiera_fpn_dim, H/4, W/4)`` and
            ``(B, hiera_fpn_dim, H/8, W/8)`` for the mask decoder when the config has
            ``mask_high_res_features``; None otherwise.
    """

    grid: torch.Tensor
    high_res: tuple[torch.Tensor, torch.Tensor] | None = None


def _import_image_encoder() -> type:
    try:
        from segment_anything.modeling import ImageEncoderViT
    except ImportError as exc:
        raise ImportError(
            "LineGraph2Road needs the 'segment-anything' package for its image encoder: "
            "pip install segment-anything==1.0 (or `make install`)"
        ) from exc
    return ImageEncoderViT


def _build_sam_vit(config: LineGraph2RoadConfig) -> nn.Module:
    """segment-anything's ``ImageEncoderViT`` (SAM's block layout, so official weights load)."""
    image_encoder_vit = _import_image_encoder()
    return image_encoder_vit(
        img_size=config.input_size_px,
        patch_size=PATCH_SIZE_PX,
        embed_dim=config.encoder_embed_dim,
        depth=config.encoder_depth,
        num_heads=config.encoder_num_heads,
        mlp_ratio=4.0,
        out_chans=config.encoder_out_chans,
        qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        use_abs_pos=True,
        use_rel_pos=True,
        window_size=config.encoder_window_size,
        global_attn_indexes=config.encoder_global_attn_indexes,
    )


def _import_transformer_conv() -> type:
    try:
        from torch_geometric.nn import TransformerConv
    except ImportError as exc:
        raise ImportError(
            "LineGraph2Road needs 'torch_geometric' for its Graph Transformer: "
            "pip install torch_geometric (or `make install`)"
        ) from exc
    return TransformerConv


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of a ``(B, C, H, W)`` tensor."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class MaskDecoder(nn.Module):
    """Prompt-free mask decoder (Sec. 3.2): feature map -> three mask logits at full size.

    Four transposed-conv stages (kernel 2, stride 2) each double the resolution, 1/16 -> 1/1,
    as in SAM's output upscaling; a 3x3 conv after the third stage (1/2 resolution) mixes
    neighbouring pixels, and a 1x1 head gives one logit map per mask in :data:`MASK_NAMES`
    order. Normalisation and the 3x3 conv stay off the full-resolution stage, which would
    otherwise cost as much as the whole small encoder on a CPU.
    """

    def __init__(
        self,
        in_dim: int,
        dims: Sequence[int],
        n_masks: int = len(MASK_NAMES),
        high_res_dim: int | None = None,
    ) -> None:
        super().__init__()
        if len(dims) != 4:
            raise ValueError(f"decoder_dims needs 4 stage widths (1/16 -> 1/1), got {dims}")
        layers: list[nn.Module] = []
        prev = in_dim
        for i, dim in enumerate(dims):
            layers.append(nn.ConvTranspose2d(prev, dim, kernel_size=2, stride=2))
            if i < 3:
                layers.append(LayerNorm2d(dim))
            layers.append(nn.GELU())
            if i == 2:
                layers += [nn.Conv2d(dim, dim, kernel_size=3, padding=1), nn.GELU()]
            prev = dim
        self.up = nn.Sequential(*layers)
        self.head = nn.Conv2d(prev, n_masks, kernel_size=1)
        self.high_res_proj: nn.ModuleList | None = None
        if high_res_dim is not None:
            # Stride 8 joins after the first stage, stride 4 after the second (SAM2's
            # conv_s1 / conv_s0); zero weights: an earlier decoder's output at step 0.
            self.high_res_proj = nn.ModuleList(
                nn.Conv2d(high_res_dim, dim, kernel_size=1) for dim in dims[:2]
            )
            for proj in self.high_res_proj:
                nn.init.zeros_(proj.weight)
                nn.init.zeros_(proj.bias)

    def forward(
        self,
        features: torch.Tensor,
        high_res: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Args: features ``(B, D, h, w)``; high_res ``(stride 4, stride 8)`` levels, needed
        exactly when the decoder was built with ``high_res_dim``. Returns logits
        ``(B, 3, 16 h, 16 w)``.

        Raises:
            ValueError: high-resolution levels given to a decoder without projections, or
                missing for one with them.
        """
        if (high_res is None) != (self.high_res_proj is None):
            raise ValueError(
                "this mask decoder "
                + ("needs" if high_res is None else "takes no")
                + " high-resolution features; build the model from its own config"
            )
        if high_res is None or self.high_res_proj is None:
            return self.head(self.up(features))
        skips = [high_res[1], high_res[0]]  # in decoding order: stride 8, then stride 4
        x, stage = features, 0
        for layer in self.up:
            x = layer(x)
            if isinstance(layer, nn.ConvTranspose2d) and stage < len(skips):
                x = x + self.high_res_proj[stage](skips[stage])
                stage += 1
        return self.head(x)


def sample_edge_points(
    features: torch.Tensor,
    p0_xy_px: torch.Tensor,
    p1_xy_px: torch.Tensor,
    image_size_hw_px: tuple[int, int],
    n_sampled: int,
) -> torch.Tensor:
    """Bilinear samples of one feature map along segments (App. B, Fig. 6).

    Args:
        features: ``(C, h, w)`` feature map covering the whole image.
        p0_xy_px, p1_xy_px: ``(E, 2)`` first and second endpoints, ``(x, y)`` pixels.
        image_size_hw_px: ``(H, W)`` of the image the features were computed from.
        n_sampled: points per segment, evenly spaced, both endpoints included.

    Returns:
        ``(E, n_sampled * C)``: the samples concatenated from the first endpoint to the second.
    """
    n_edges = p0_xy_px.shape[0]
    channels = features.shape[0]
    if n_edges == 0:
        return features.new_zeros((0, n_sampled * channels))
    t = torch.linspace(0.0, 1.0, n_sampled, device=features.device, dtype=p0_xy_px.dtype)
    pts = p0_xy_px[:, None, :] + t[None, :, None] * (p1_xy_px - p0_xy_px)[:, None, :]
    height, width = image_size_hw_px
    scale = torch.tensor([width, height], device=pts.device, dtype=pts.dtype)
    # align_corners=False: -1/+1 are the outer corners of the image, i.e. x = 0 and x = W in
    # the corner-origin pixel frame.
    grid = (pts / scale) * 2.0 - 1.0
    sampled = F.grid_sample(
        features[None],
        grid.reshape(1, n_edges * n_sampled, 1, 2).to(features.dtype),
        mode="bilinear",
        padding_mode="border",
        align_corners=False,
    )  # (1, C, E * n, 1)
    return sampled[0, :, :, 0].t().reshape(n_edges, n_sampled * channels)


class GraphTransformerLayer(nn.Module):
    """One Graph Transformer layer on the line graph (Sec. 3.4, Eq. 1-3).

    Multi-head attention over line-graph neighbours (PyG ``TransformerConv``, heads
    concatenated, no root weight: the residual of Eq. 3 carries the node itself), then
    ``H = LN(X + DO(Attn(X)))`` and ``X' = LN(H + DO(W2 ReLU(W1 H)))``.
    """

    def __init__(self, dim: int, heads: int, dropout: float, ff_dim: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"hidden size {dim} must be divisible by the head count {heads}")
        transformer_conv = _import_transformer_conv()
        self.attn = transformer_conv(dim, dim // heads, heads=heads, concat=True, root_weight=False)
        self.norm1 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff_dim), nn.ReLU(), nn.Linear(ff_dim, dim))
        self.norm2 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, line_edge_index: torch.Tensor) -> torch.Tensor:
        """Args: x ``(E, D)``; line_edge_index ``(2, L)`` (source, target). Returns ``(E, D)``."""
        h = self.norm1(x + self.drop(self.attn(x, line_edge_index)))
        return self.norm2(h + self.drop(self.ff(h)))


@dataclass
class CandidateGraphBatch:
    """Candidate edges of several images, concatenated with index offsets.

    Attributes:
        vertices_xy_px: ``(N, 2)`` float, ``(x, y)`` pixels in each vertex's own image.
        vertex_batch: ``(N,)`` long, image index of each vertex.
        edge_index: ``(2, E)`` long, candidate edges (PyG layout, as ``candidates.py``
            returns them): column e holds the (first, second) vertex of edge e, indices into
            ``vertices_xy_px``; features are sampled from the first endpoint to the second.
        line_edge_index: ``(2, L)`` long, line-graph adjacency over the candidate edges (two
            are neighbours when they share a vertex, ``candidates.line_graph``); both
            directions must be present.
        edge_labels: optional ``(E,)`` float, 1 where the endpoints are directly connected in
            the ground truth.
    """

    vertices_xy_px: torch.Tensor
    vertex_batch: torch.Tensor
    edge_index: torch.Tensor
    line_edge_index: torch.Tensor
    edge_labels: torch.Tensor | None = None
    edge_counts: list[int] = field(default_factory=list)

    @classmethod
    def from_graphs(
        cls,
        graphs: Sequence[Mapping[str, Any]],
        device: torch.device | str = "cpu",
    ) -> CandidateGraphBatch:
        """Concatenate per-image graphs, offsetting vertex and edge indices.

        Args:
            graphs: one mapping per image with ``vertices_xy_px`` ``(N_i, 2)``, ``edge_index``
                ``(2, E_i)``, ``line_edge_index`` ``(2, L_i)`` and optionally ``edge_labels``
                ``(E_i,)`` (numpy arrays or tensors).
            device: where to put the tensors.

        Raises:
            ValueError: an index points outside its image's vertices / edges.
        """
        verts, vbatch, edges, lines, labels, counts = [], [], [], [], [], []
        n_off = e_off = 0
        has_labels = all(g.get("edge_labels") is not None for g in graphs)
        for b, g in enumerate(graphs):
            v = torch.as_tensor(g["vertices_xy_px"], dtype=torch.float32).reshape(-1, 2)
            e = torch.as_tensor(g["edge_index"], dtype=torch.long).reshape(2, -1)
            le = torch.as_tensor(g["line_edge_index"], dtype=torch.long).reshape(2, -1)
            if e.numel() and (e.min() < 0 or e.max() >= len(v)):
                raise ValueError(f"graph {b}: edge endpoints outside its {len(v)} vertices")
            if le.numel() and (le.min() < 0 or le.max() >= e.shape[1]):
                raise ValueError(f"graph {b}: line_edge_index outside its {e.shape[1]} edges")
            verts.append(v)
            vbatch.append(torch.full((len(v),), b, dtype=torch.long))
            edges.append(e + n_off)
            lines.append(le + e_off)
            if has_labels:
                labels.append(torch.as_tensor(g["edge_labels"], dtype=torch.float32).reshape(-1))
            counts.append(e.shape[1])
            n_off += len(v)
            e_off += e.shape[1]
        return cls(
            vertices_xy_px=torch.cat(verts).to(device),
            vertex_batch=torch.cat(vbatch).to(device),
            edge_index=torch.cat(edges, dim=1).to(device),
            line_edge_index=torch.cat(lines, dim=1).to(device),
            edge_labels=torch.cat(labels).to(device) if has_labels else None,
            edge_counts=counts,
        )


class LineGraph2Road(nn.Module):
    """The LineGraph2Road network (Sec. 3.1, Fig. 2).

    ``encode`` -> feature map (Sec. 3.2), ``decode_masks`` -> keypoint/road/overpass logits
    (Sec. 3.2), ``edge_logits`` -> connectedness logit per candidate edge (Sec. 3.4, App. B).
    Coupled NMS and candidate generation (Sec. 3.3) are not learned and live in ``nms.py``
    and ``candidates.py``.
    """

    def __init__(self, config: LineGraph2RoadConfig) -> None:
        super().__init__()
        self.config = config
        if config.encoder_kind == "sam2_hiera":
            self.image_encoder = build_hiera_fpn_encoder(
                config.hiera_embed_dim, config.hiera_num_heads, config.hiera_stages,
                config.hiera_global_att_blocks, config.hiera_window_spec,
                config.hiera_window_pos_embed_bkg, config.hiera_fpn_dim,
            )
            encoder_out_chans = config.hiera_fpn_dim * (1 + 4 + 16)  # strides 16, 8, 4
        elif config.encoder_kind == "sam_vit":
            self.image_encoder = _build_sam_vit(config)
            encoder_out_chans = config.encoder_out_chans
        else:
            raise ValueError(
                f"unknown encoder_kind {config.encoder_kind!r}; 'sam_vit' or 'sam2_hiera'"
            )
        # Projection to D_feature = 128 (Sec. 4.3) on top of the encoder's neck.
        self.feature_proj = nn.Sequential(
            nn.Conv2d(encoder_out_chans, config.feature_dim, kernel_size=1),
            LayerNorm2d(config.feature_dim),
        )
        if config.mask_high_res_features and config.encoder_kind != "sam2_hiera":
            raise ValueError("mask_high_res_features needs encoder_kind 'sam2_hiera'")
        self.mask_decoder = MaskDecoder(
            config.feature_dim,
            config.decoder_dims,
            high_res_dim=config.hiera_fpn_dim if config.mask_high_res_features else None,
        )
        if config.edge_high_res_samples and not config.mask_high_res_features:
            raise ValueError("edge_high_res_samples needs mask_high_res_features")
        edge_in = config.n_sampled * config.feature_dim
        edge_in += config.edge_high_res_samples * config.hiera_fpn_dim
        self.edge_mlp = nn.Sequential(
            nn.Linear(edge_in, config.edge_mlp_hidden),
            nn.ReLU(),
            nn.Linear(config.edge_mlp_hidden, config.gt_hidden),
        )
        self.graph_layers = nn.ModuleList(
            GraphTransformerLayer(
                config.gt_hidden, config.gt_heads, config.gt_dropout, config.gt_ff_dim
            )
            for _ in range(config.gt_layers)
        )
        self.edge_head = nn.Linear(config.gt_hidden, 1)
        self.register_buffer(
            "pixel_mean", torch.tensor(config.pixel_mean).view(1, 3, 1, 1), persistent=False
        )
        self.register_buffer(
            "pixel_std", torch.tensor(config.pixel_std).view(1, 3, 1, 1), persistent=False
        )

    # -- image side ----------------------------------------------------------------------

    def normalize(self, images_0_255: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB on the 0..255 scale -> normalised model input."""
        return (images_0_255 - self.pixel_mean) / self.pixel_std

    def encode(self, images: torch.Tensor) -> ImageFeatures:
        """Image encoder + projection (Sec. 3.2).

        Args:
            images: ``(B, 3, H, W)`` normalised RGB; H and W multiples of
                :attr:`LineGraph2RoadConfig.input_multiple_px` (16 ViT, 32 Hiera).

        Returns:
            :class:`ImageFeatures`: the ``(B, D_feature, H/16, W/16)`` feature map, and the
            stride-4 / stride-8 FPN levels when the config has ``mask_high_res_features``.

        Raises:
            ValueError: H or W not a multiple of the encoder's input multiple.
        """
        height, width = images.shape[-2:]
        multiple = self.config.input_multiple_px
        if height % multiple or width % multiple:
            raise ValueError(
                f"image size {height}x{width} px is not a multiple of {multiple}; pad it"
            )
        if self.config.encoder_kind == "sam2_hiera":
            fpn, _ = self.image_encoder.neck(self.image_encoder.trunk(images))
            neck = torch.cat(
                [fpn[2], F.pixel_unshuffle(fpn[1], 2), F.pixel_unshuffle(fpn[0], 4)], dim=1
            )
            high_res = (fpn[0], fpn[1]) if self.config.mask_high_res_features else None
            return ImageFeatures(self.feature_proj(neck), high_res)
        enc = self.image_encoder
        x = enc.patch_embed(images)  # (B, h, w, C)
        if enc.pos_embed is not None:
            pos = enc.pos_embed
            if pos.shape[1:3] != x.shape[1:3]:
                # Windows of another size than the training crop: resize the embedding.
                pos = F.interpolate(
                    pos.permute(0, 3, 1, 2), size=x.shape[1:3], mode="bicubic", align_corners=False
                ).permute(0, 2, 3, 1)
            x = x + pos
        for block in enc.blocks:
            x = block(x)
        return ImageFeatures(self.feature_proj(enc.neck(x.permute(0, 3, 1, 2))))

    def decode_masks(self, features: ImageFeatures) -> torch.Tensor:
        """Mask logits ``(B, 3, H, W)`` (channels in :data:`MASK_NAMES` order, Sec. 3.2)."""
        return self.mask_decoder(features.grid, features.high_res)

    # -- graph side ----------------------------------------------------------------------

    def edge_logits(
        self,
        features: ImageFeatures,
        graph: CandidateGraphBatch,
        image_size_hw_px: tuple[int, int],
    ) -> torch.Tensor:
        """Connectedness logit per candidate edge (Sec. 3.4, App. B).

        Args:
            features: from :meth:`encode`; edges read its ``(B, D, H/16, W/16)`` grid, and
                its stride-4 level when the config has ``edge_high_res_samples``.
            graph: candidate edges of the B images.
            image_size_hw_px: ``(H, W)`` of the encoded images.

        Returns:
            ``(E,)`` logits in the column order of ``graph.edge_index`` (sigmoid gives B-hat).
        """
        grid = features.grid
        first, second = graph.edge_index
        if first.numel() == 0:
            return grid.new_zeros((0,))
        edge_batch = graph.vertex_batch[first]
        p0 = graph.vertices_xy_px[first]
        p1 = graph.vertices_xy_px[second]
        n_fine = self.config.edge_high_res_samples
        fine = features.high_res[0] if n_fine and features.high_res is not None else None
        width = self.config.n_sampled * grid.shape[1]
        if fine is not None:
            width += n_fine * fine.shape[1]
        feats = grid.new_zeros((first.numel(), width))
        for b in range(grid.shape[0]):
            sel = edge_batch == b
            if sel.any():
                parts = [
                    sample_edge_points(
                        grid[b], p0[sel], p1[sel], image_size_hw_px, self.config.n_sampled
                    )
                ]
                if fine is not None:  # after the paper's samples: zero inputs start it
                    parts.append(
                        sample_edge_points(fine[b], p0[sel], p1[sel], image_size_hw_px, n_fine)
                    )
                feats[sel] = torch.cat(parts, dim=1).to(feats.dtype)
        x = self.edge_mlp(feats)
        for layer in self.graph_layers:
            x = layer(x, graph.line_edge_index)
        return self.edge_head(x).squeeze(-1)

    def forward(
        self, images: torch.Tensor, graph: CandidateGraphBatch | None = None
    ) -> dict[str, torch.Tensor]:
        """Training forward pass.

        Args:
            images: ``(B, 3, H, W)`` normalised RGB.
            graph: candidate edges; None skips the graph head.

        Returns:
            ``{"mask_logits": (B, 3, H, W), "edge_logits": (E,)}`` (edge logits only with
            a graph).
        """
        features = self.encode(images)
        out = {"mask_logits": self.decode_masks(features)}
        if graph is not None:
            out["edge_logits"] = self.edge_logits(features, graph, tuple(images.shape[-2:]))
        return out

    # -- weights -------------------------------------------------------------------------

    def load_weights_of_base_variant(
        self, state: Mapping[str, torch.Tensor], source: str = "weights"
    ) -> None:
        """Load a LineGraph2Road state dict of this variant or of the one it extends.

        ``hiera_pico_hr`` / ``hiera_pico_hr_edge`` start from ``hiera_pico`` (or ``_hr``)
        weights: the decoder's high-resolution projections keep their zero initialisation,
        and the edge MLP's stride-4 inputs, appended after the paper's samples in
        :meth:`edge_logits`, get zero columns. At step 0 the network is the file's.

        Raises:
            ValueError: missing / unexpected / mis-shaped keys beyond those two (listed).
        """
        weights = {k: v.float() for k, v in state.items()}
        own = self.state_dict()
        for name, value in own.items():
            if name.startswith("mask_decoder.high_res_proj.") and name not in weights:
                weights[name] = value
        first = weights.get("edge_mlp.0.weight")
        wanted = own["edge_mlp.0.weight"].shape
        if first is not None and first.shape[0] == wanted[0] and first.shape[1] < wanted[1]:
            extra = first.new_zeros((wanted[0], wanted[1] - first.shape[1]))
            weights["edge_mlp.0.weight"] = torch.cat([first, extra], dim=1)
        load_state_dict_strict(self, weights, source=source)

    def load_sam_encoder(
        self,
        checkpoint: str | Path | Mapping[str, torch.Tensor],
        expected_sha256: str | None = None,
    ) -> None:
        """Initialise the image encoder from an official SAM checkpoint (Sec. 3.2).

        Only the ``image_encoder.*`` entries are used, and they must match the encoder
        exactly (strict). ``pos_embed`` (64 x 64 tokens for SAM's 1024 px) is resized
        bicubically to this model's token grid and global-attention ``rel_pos_h/w`` tables
        linearly, when the input size differs from 1024 px.

        Args:
            checkpoint: path of ``sam_vit_b_01ec64.pth`` (or a loaded state dict).
            expected_sha256: verify the file first (see ``registry.SAM_VIT_B``).

        Raises:
            ValueError: no ``image_encoder.*`` keys, missing/unexpected keys (listed), or a
                shape that cannot be resized (a different ViT width).
        """
        if isinstance(checkpoint, Mapping):
            full, source = dict(checkpoint), "SAM state dict"
        else:
            full, source = load_state_dict_file(checkpoint, expected_sha256), str(checkpoint)
        prefix = "image_encoder."
        state = {k.removeprefix(prefix): v for k, v in full.items() if k.startswith(prefix)}
        if not state:
            raise ValueError(
                f"{source} has no 'image_encoder.*' weights; expected an official SAM "
                "checkpoint such as sam_vit_b_01ec64.pth"
            )
        target = self.image_encoder.state_dict()
        for key, value in list(state.items()):
            want = target.get(key)
            if want is None or want.shape == value.shape or value.ndim != want.ndim:
                continue  # strict loading below reports these
            if key == "pos_embed" and value.shape[-1] == want.shape[-1]:
                state[key] = F.interpolate(
                    value.permute(0, 3, 1, 2).float(),
                    size=want.shape[1:3],
                    mode="bicubic",
                    align_corners=False,
                ).permute(0, 2, 3, 1)
            elif key.endswith(("rel_pos_h", "rel_pos_w")) and value.shape[1] == want.shape[1]:
                state[key] = F.interpolate(
                    value.t()[None].float(), size=want.shape[0], mode="linear", align_corners=False
                )[0].t()
        load_state_dict_strict(self.image_encoder, state, source=f"{source} (image_encoder.*)")

    def load_hiera_encoder(
        self,
        checkpoint: str | Path | Mapping[str, torch.Tensor],
        expected_sha256: str | None = None,
    ) -> None:
        """Initialise a ``sam2_hiera`` encoder from another network's ``image_encoder.*``.

        Meant for a trained Anchor-SAM file of the same Hiera (``anchor_sam_pico_1m.pt`` for
        ``hiera_pico``), or an official SAM2 / SAM2.1 checkpoint (``{"model": ...}``) when
        the Hiera sizes match. Strict: every encoder weight must be present and fit.

        Raises:
            ValueError: not a Hiera variant, no ``image_encoder.*`` weights, or missing /
                unexpected / mis-shaped keys (listed).
        """
        if self.config.encoder_kind != "sam2_hiera":
            raise ValueError(
                f"variant {self.config.variant} has a {self.config.encoder_kind} encoder; "
                "Hiera weights only start a 'sam2_hiera' variant such as hiera_pico"
            )
        load_hiera_encoder_weights(self.image_encoder, checkpoint, expected_sha256)


def build_linegraph2road(
    variant: str | LineGraph2RoadConfig = "vit_tiny",
    sam_checkpoint: str | Path | None = None,
    sam_sha256: str | None = None,
) -> LineGraph2Road:
    """Build a LineGraph2Road network.

    Args:
        variant: a key of :data:`CONFIGS` (``"vit_b"``, ``"vit_tiny"``) or a config.
        sam_checkpoint: optional official SAM checkpoint to initialise the encoder from
            (only sensible for ``"vit_b"``).
        sam_sha256: digest to verify ``sam_checkpoint`` against.

    Raises:
        ValueError: unknown variant (lists the choices) or a checkpoint that does not fit.
    """
    if isinstance(variant, LineGraph2RoadConfig):
        config = variant
    elif variant in CONFIGS:
        config = CONFIGS[variant]
    else:
        raise ValueError(
            f"unknown LineGraph2Road variant {variant!r}; choose one of: "
            f"{', '.join(sorted(CONFIGS))}"
        )
    model = LineGraph2Road(config)
    if sam_checkpoint is not None:
        model.load_sam_encoder(sam_checkpoint, sam_sha256)
    return model


def count_parameters(model: nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in model.parameters())


def fp16_size_mb(model: nn.Module) -> float:
    """Size of the parameters stored as fp16, in MB (10^6 bytes)."""
    return 2 * count_parameters(model) / 1e6
