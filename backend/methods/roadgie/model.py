"""RoadGIE-style interactive road segmentation network (``papers/roadgie_supplementary.txt``).

A lightweight encoder-decoder (about 4 M parameters, Sec. B.3 / Table 11: 3.7 M) built from
strip convolutions for elongated structures (our reading of the paper's DAM module, Sec. B.3:
"strip convolutions are highly effective ... directly inspired the design of our DAM module").

Inputs (Sec. B.8): the RGB image, a positive prompt map, a negative prompt map (clicks as small
disks, scribbles as lines; :mod:`backend.methods.roadgie.prompts`) and the logits of the
previous prediction.

Split for interactive latency on a CPU: the image goes through the encoder once
(:meth:`RoadGIE.encode`, cached per view); each click only runs :meth:`RoadGIE.decode`, which
injects the three prompt channels into the cached multi-scale features at every decoder scale
(strides 32, 16, 8, 4, 2) and decodes with strip-convolution blocks. The paper concatenates
the prompts with the image at the input (early fusion); late fusion is our deviation so that
a click costs a decoder pass only (issue #6 latency target).

Encoder variants (``RoadGIEConfig.encoder_kind``): ``"strip"`` (the paper-style strip-conv
encoder above; variants ``strip``, ``strip_tiny``) and ``"sam2_hiera"`` (variant
``hiera_pico``). The Hiera variant is NOT in the RoadGIE paper: it is our deviation (issue 10)
that replaces the strip encoder by SAM2's Hiera + FPN (:func:`backend.models.hiera.
build_hiera_fpn_encoder`) of the same size as the shipped Anchor-SAM pico, so that it can be
initialised from Anchor-SAM's multi-domain-trained ``image_encoder.*`` weights
(:meth:`RoadGIE.load_hiera_encoder`), as LineGraph2Road's ``hiera_pico`` is. A small conv
stem trained from scratch gives its stride-2 feature; the FPN gives strides 4..32. The prompt
encoder, decoder and the encode/decode split are the same for every variant.

Frames: tensors are ``(B, C, H, W)``; H, W in model pixels at the model's GSD. ``H`` and ``W``
must be multiples of 32 (:func:`pad_to_multiple`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from backend.models.checkpoints import load_state_dict_strict
from backend.models.hiera import build_hiera_fpn_encoder, load_hiera_encoder_weights

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
STRIDE = 32


@dataclass(frozen=True)
class RoadGIEConfig:
    """Architecture hyper-parameters.

    Attributes:
        stem_dim: channels of the stride-2 stem (kept as the finest skip feature).
        dims: encoder channels at strides 4, 8, 16, 32.
        depths: strip blocks per encoder stage.
        decoder_dims: decoder channels at strides 16, 8, 4, 2 (stride 32 uses ``dims[-1]``
            projected to ``decoder_dims[0]``).
        strip_px: length of the strip kernels (1 x k and k x 1) in pixels of each stage.
        mlp_ratio: hidden width of the encoder blocks' MLP relative to their channels.
        prompt_dim: channels of the prompt encoder's first layer.
        encoder_kind: ``"strip"`` (strip-conv stages, ``dims`` / ``depths``) or
            ``"sam2_hiera"`` (not in the paper, issue 10: the stem, then SAM2's Hiera + FPN
            for strides 4..32; ``dims`` must all equal ``hiera_fpn_dim``, ``depths`` unused).
        hiera_embed_dim, hiera_num_heads, hiera_stages, hiera_global_att_blocks,
            hiera_window_spec, hiera_window_pos_embed_bkg, hiera_fpn_dim: the Hiera + FPN
            (``sam2_hiera`` only); the defaults are the Anchor-SAM pico's
            (``backend/models/weights/anchor_sam_pico_1m.json`` architecture), so its
            ``image_encoder.*`` weights fit strictly.
    """

    stem_dim: int = 16
    dims: tuple[int, int, int, int] = (48, 96, 192, 256)
    depths: tuple[int, int, int, int] = (2, 2, 4, 2)
    decoder_dims: tuple[int, int, int, int] = (96, 64, 32, 16)
    strip_px: int = 11
    mlp_ratio: float = 4.0
    prompt_dim: int = 8
    encoder_kind: str = "strip"
    hiera_embed_dim: int = 32
    hiera_num_heads: int = 1
    hiera_stages: tuple[int, int, int, int] = (1, 1, 3, 1)
    hiera_global_att_blocks: tuple[int, ...] = (4,)
    hiera_window_spec: tuple[int, int, int, int] = (8, 4, 14, 7)
    hiera_window_pos_embed_bkg: tuple[int, int] = (7, 7)
    hiera_fpn_dim: int = 64

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> RoadGIEConfig:
        """Config from :meth:`to_dict` output; fields a dict lacks (older cards and
        checkpoints, e.g. without ``encoder_kind``) keep their defaults.

        Raises:
            TypeError: unknown fields.
        """
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


CONFIGS: dict[str, RoadGIEConfig] = {
    "strip": RoadGIEConfig(),
    "strip_tiny": RoadGIEConfig(
        stem_dim=8, dims=(16, 24, 32, 48), depths=(1, 1, 1, 1), decoder_dims=(32, 24, 16, 8)
    ),
    # Not in the paper (issue 10): Anchor-SAM pico's Hiera + FPN (64 channels at every level)
    "hiera_pico": RoadGIEConfig(
        stem_dim=16, dims=(64, 64, 64, 64), depths=(0, 0, 0, 0), encoder_kind="sam2_hiera"
    ),
}
ENCODER_KINDS = ("strip", "sam2_hiera")


@dataclass
class RoadGIEFeatures:
    """Cached image features of one view (the "embedding" of the interactive session).

    Attributes:
        feats: encoder features at strides 2, 4, 8, 16, 32, each ``(B, C_s, H/s, W/s)``.
        size_hw: ``(H, W)`` of the (padded) model input in model pixels.
    """

    feats: list[torch.Tensor] = field(default_factory=list)
    size_hw: tuple[int, int] = (0, 0)

    def to(self, device: str | torch.device, dtype: torch.dtype | None = None) -> RoadGIEFeatures:
        return RoadGIEFeatures([f.to(device=device, dtype=dtype) for f in self.feats], self.size_hw)

    def nbytes(self) -> int:
        return sum(f.numel() * f.element_size() for f in self.feats)


class StripAttention(nn.Module):
    """Direction-aware strip attention (DAM reading of Sec. B.3).

    ``a = dw5x5(x)``; ``attn = pw(a + dw_1xk(a) + dw_kx1(a) + dw_kx1(dw_1xk(a)))``; output
    ``x * attn``. The horizontal and vertical strips reach ``k`` pixels along rows and
    columns (roads' long axis) at the cost of ``2k`` weights per channel; their composition
    covers a ``k x k`` box.
    """

    def __init__(self, dim: int, strip_px: int) -> None:
        super().__init__()
        pad = strip_px // 2
        self.square = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.horizontal = nn.Conv2d(dim, dim, (1, strip_px), padding=(0, pad), groups=dim)
        self.vertical = nn.Conv2d(dim, dim, (strip_px, 1), padding=(pad, 0), groups=dim)
        self.cross_v = nn.Conv2d(dim, dim, (strip_px, 1), padding=(pad, 0), groups=dim)
        self.mix = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.square(x)
        h = self.horizontal(a)
        attn = a + h + self.vertical(a) + self.cross_v(h)
        return x * self.mix(attn)


class StripBlock(nn.Module):
    """Pre-norm residual block: strip attention, then (optionally) a pointwise MLP."""

    def __init__(self, dim: int, strip_px: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(dim)
        self.proj_in = nn.Conv2d(dim, dim, 1)
        self.attn = StripAttention(dim, strip_px)
        self.proj_out = nn.Conv2d(dim, dim, 1)
        hidden = int(dim * mlp_ratio)
        self.mlp = None
        if hidden > 0:
            self.norm2 = nn.BatchNorm2d(dim)
            self.mlp = nn.Sequential(
                nn.Conv2d(dim, hidden, 1), nn.GELU(), nn.Conv2d(hidden, dim, 1)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.proj_out(self.attn(F.gelu(self.proj_in(self.norm1(x)))))
        if self.mlp is not None:
            x = x + self.mlp(self.norm2(x))
        return x


def _conv_bn_act(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.GELU(),
    )


class RoadGIE(nn.Module):
    """The road model: image encoder, prompt encoder and prompt-conditioned decoder.

    ``forward(image, pos, neg, prev_logits)`` = ``decode(encode(image), pos, neg, prev)``.
    """

    def __init__(self, config: RoadGIEConfig | None = None) -> None:
        super().__init__()
        cfg = config or RoadGIEConfig()
        self.config = cfg
        self.register_buffer("pixel_mean", torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(PIXEL_STD).view(1, 3, 1, 1), False)
        if cfg.encoder_kind not in ENCODER_KINDS:
            raise ValueError(
                f"unknown encoder_kind {cfg.encoder_kind!r}; choose one of {ENCODER_KINDS}"
            )
        # --- image encoder: stride 2 stem, then 4 stages of strip blocks or Hiera + FPN
        self.stem = nn.Sequential(
            _conv_bn_act(3, cfg.stem_dim, 2), _conv_bn_act(cfg.stem_dim, cfg.stem_dim)
        )
        if cfg.encoder_kind == "sam2_hiera":
            if any(d != cfg.hiera_fpn_dim for d in cfg.dims):
                raise ValueError(
                    f"a sam2_hiera encoder gives {cfg.hiera_fpn_dim} channels at every stride; "
                    f"dims must be {(cfg.hiera_fpn_dim,) * 4}, got {cfg.dims}"
                )
            self.image_encoder = build_hiera_fpn_encoder(
                cfg.hiera_embed_dim,
                cfg.hiera_num_heads,
                cfg.hiera_stages,
                cfg.hiera_global_att_blocks,
                cfg.hiera_window_spec,
                cfg.hiera_window_pos_embed_bkg,
                cfg.hiera_fpn_dim,
            )
        else:
            stages, cin = [], cfg.stem_dim
            for dim, depth in zip(cfg.dims, cfg.depths, strict=True):
                blocks = [_conv_bn_act(cin, dim, 2)]
                blocks += [StripBlock(dim, cfg.strip_px, cfg.mlp_ratio) for _ in range(depth)]
                stages.append(nn.Sequential(*blocks))
                cin = dim
            self.stages = nn.ModuleList(stages)
        # --- prompt encoder: (pos, neg, prev) at stride 2, then strided convs to 4..32
        enc_dims = (cfg.stem_dim, *cfg.dims)  # strides 2, 4, 8, 16, 32
        self.prompt_in = nn.Sequential(nn.Conv2d(3, cfg.prompt_dim, 3, padding=1), nn.GELU())
        prompt_down, pin = [], cfg.prompt_dim
        pdims = [cfg.prompt_dim * m for m in (1, 2, 4, 4, 4)]
        for pd in pdims[1:]:
            prompt_down.append(nn.Sequential(nn.Conv2d(pin, pd, 3, stride=2, padding=1), nn.GELU()))
            pin = pd
        self.prompt_down = nn.ModuleList(prompt_down)
        # --- decoder, coarse to fine: strides 32, 16, 8, 4, 2
        dec_dims = (cfg.decoder_dims[0], *cfg.decoder_dims)  # at strides 32, 16, 8, 4, 2
        self.inject = nn.ModuleList(
            nn.Conv2d(enc + pd, dd, 1)
            for enc, pd, dd in zip(reversed(enc_dims), reversed(pdims), dec_dims, strict=True)
        )
        self.lateral = nn.ModuleList(
            nn.Conv2d(dec_dims[i], dec_dims[i + 1], 1) for i in range(len(dec_dims) - 1)
        )
        self.dec_blocks = nn.ModuleList(
            StripBlock(dd, cfg.strip_px, 2.0 if i < 2 else 0.0) for i, dd in enumerate(dec_dims)
        )
        self.head = nn.Conv2d(dec_dims[-1], 1, 1)

    # ------------------------------------------------------------------ encoder
    def encode(self, image: torch.Tensor) -> RoadGIEFeatures:
        """Image features of a batch.

        Args:
            image: ``(B, 3, H, W)`` float RGB in 0..255, H and W multiples of 32.

        Returns:
            :class:`RoadGIEFeatures` (strides 2..32; channels ``(stem_dim, *dims)``). With a
            ``sam2_hiera`` encoder the stride 4..32 features are the FPN levels.

        Raises:
            ValueError: wrong shape.
        """
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"image must be (B, 3, H, W), got {tuple(image.shape)}")
        h, w = image.shape[-2:]
        if h % STRIDE or w % STRIDE:
            raise ValueError(f"H and W must be multiples of {STRIDE}, got {h} x {w}")
        x = (image - self.pixel_mean) / self.pixel_std
        if self.config.encoder_kind == "sam2_hiera":
            fpn, _ = self.image_encoder.neck(self.image_encoder.trunk(x))  # stride 4 first
            return RoadGIEFeatures([self.stem(x), *fpn], (int(h), int(w)))
        x = self.stem(x)
        feats = [x]
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return RoadGIEFeatures(feats, (int(h), int(w)))

    def load_hiera_encoder(
        self,
        checkpoint: str | Path | Mapping[str, torch.Tensor],
        expected_sha256: str | None = None,
    ) -> None:
        """Initialise a ``sam2_hiera`` encoder from another network's ``image_encoder.*``.

        Meant for a trained Anchor-SAM file of the same Hiera (``anchor_sam_pico_1m.pt`` for
        ``hiera_pico``; a bare or fp16 state dict, or a checkpoint ``{"model": ...}``).
        Strict: every Hiera + FPN weight must be present and fit; the stem, prompt encoder
        and decoder are left as they are.

        Raises:
            ValueError: not a Hiera variant, no ``image_encoder.trunk.*`` weights, or
                missing / unexpected / mis-shaped keys (listed).
        """
        if self.config.encoder_kind != "sam2_hiera":
            raise ValueError(
                f"this RoadGIE has a {self.config.encoder_kind!r} encoder; Anchor-SAM / SAM2 "
                "Hiera weights only start a 'sam2_hiera' variant such as hiera_pico"
            )
        load_hiera_encoder_weights(self.image_encoder, checkpoint, expected_sha256)

    # ------------------------------------------------------------------ decoder
    def decode(
        self,
        features: RoadGIEFeatures,
        pos_map: torch.Tensor,
        neg_map: torch.Tensor,
        prev_logits: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Prompt-conditioned road logits.

        Args:
            features: from :meth:`encode` (same batch size, or batch 1 broadcast).
            pos_map: ``(B, 1, H, W)`` positive prompt map in [0, 1] at model resolution.
            neg_map: ``(B, 1, H, W)`` negative prompt map in [0, 1].
            prev_logits: ``(B, 1, h, w)`` logits of the previous round at any resolution
                (resized to stride 2), or None for the first round (zeros).

        Returns:
            ``(B, 1, H/2, W/2)`` road logits at stride 2 (the "low-res logits" fed back as
            ``prev_logits``); :func:`upsample_logits` gives full resolution.
        """
        h, w = features.size_hw
        hs, ws = h // 2, w // 2
        b = pos_map.shape[0]
        pos = (
            F.adaptive_max_pool2d(pos_map, (hs, ws)) if pos_map.shape[-2:] != (hs, ws) else pos_map
        )
        neg = (
            F.adaptive_max_pool2d(neg_map, (hs, ws)) if neg_map.shape[-2:] != (hs, ws) else neg_map
        )
        if prev_logits is None:
            prev = pos.new_zeros((b, 1, hs, ws))
        else:
            prev = prev_logits
            if prev.shape[-2:] != (hs, ws):
                prev = F.interpolate(prev, size=(hs, ws), mode="bilinear", align_corners=False)
            prev = torch.tanh(prev / 4.0)  # bounded, sign-preserving
        p = self.prompt_in(torch.cat([pos, neg, prev], dim=1))
        prompts = [p]
        for down in self.prompt_down:
            p = down(p)
            prompts.append(p)
        x = None
        for i in range(5):
            level = 4 - i  # 32, 16, 8, 4, 2
            feat = features.feats[level]
            if feat.shape[0] != b:
                feat = feat.expand(b, -1, -1, -1)
            y = self.inject[i](torch.cat([feat.to(p.dtype), prompts[level]], dim=1))
            if x is not None:
                x = F.interpolate(
                    self.lateral[i - 1](x), size=y.shape[-2:], mode="bilinear", align_corners=False
                )
                y = y + x
            x = self.dec_blocks[i](y)
        return self.head(x)

    def forward(
        self,
        image: torch.Tensor,
        pos_map: torch.Tensor,
        neg_map: torch.Tensor,
        prev_logits: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Full-resolution logits ``(B, 1, H, W)`` (see :meth:`encode`, :meth:`decode`)."""
        low = self.decode(self.encode(image), pos_map, neg_map, prev_logits)
        return upsample_logits(low, image.shape[-2:])


def upsample_logits(logits: torch.Tensor, size_hw: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of ``(B, 1, h, w)`` logits to ``size_hw``."""
    return F.interpolate(logits, size=tuple(size_hw), mode="bilinear", align_corners=False)


def pad_to_multiple(h: int, w: int, multiple: int = STRIDE) -> tuple[int, int]:
    """Smallest ``(H, W) >= (h, w)`` that are multiples of ``multiple``."""
    return -(-h // multiple) * multiple, -(-w // multiple) * multiple


def build_roadgie(variant: str = "strip") -> RoadGIE:
    """A randomly initialised :class:`RoadGIE` of a named variant.

    Raises:
        ValueError: unknown variant (lists the choices).
    """
    if variant not in CONFIGS:
        raise ValueError(f"unknown RoadGIE variant {variant!r}; choose one of: {sorted(CONFIGS)}")
    return RoadGIE(CONFIGS[variant])


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (trainable or not, buffers excluded)."""
    return sum(p.numel() for p in model.parameters())


def load_roadgie_weights(path: str, variant: str | None = None) -> RoadGIE:
    """A model from a training checkpoint (``{"model", "config", ...}``) or an exported
    (fp16) state dict, in eval mode on the CPU.

    Loading is strict: ``weights_only=True``; missing or unexpected keys raise ValueError
    naming them (``backend.models.checkpoints.load_state_dict_strict``).

    The variant: ``variant`` if given, else the checkpoint's ``config["variant"]``, else (a
    bare exported state dict) ``"strip"``, or for one holding ``image_encoder.*`` weights the
    first ``sam2_hiera`` variant whose parameter shapes fit (:func:`_hiera_variant_of`).

    Raises:
        ValueError: unknown variant or keys that do not fit.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "model" in state and "config" in state:
        variant = variant or state["config"].get("variant", "strip")
        state = state["model"]
    if variant is None and any(k.startswith("image_encoder.") for k in state):
        variant = _hiera_variant_of(state)
    model = build_roadgie(variant or "strip")
    load_state_dict_strict(
        model,
        {k: v.float() if v.is_floating_point() else v for k, v in state.items()},
        source=str(path),
    )
    return model.eval()


def _hiera_variant_of(state: Mapping[str, torch.Tensor]) -> str:
    """The first ``sam2_hiera`` variant whose state-dict keys and shapes equal ``state``'s
    (a bare exported file has no config); the first such variant when none fits (its strict
    load then names the mismatches)."""
    names = [n for n, c in CONFIGS.items() if c.encoder_kind == "sam2_hiera"]
    for name in names:
        target = build_roadgie(name).state_dict()
        if target.keys() == state.keys() and all(target[k].shape == state[k].shape for k in target):
            return name
    return names[0]
