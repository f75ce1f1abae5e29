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

Frames: tensors are ``(B, C, H, W)``; H, W in model pixels at the model's GSD. ``H`` and ``W``
must be multiples of 32 (:func:`pad_to_multiple`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from backend.models.checkpoints import load_state_dict_strict

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
    """

    stem_dim: int = 16
    dims: tuple[int, int, int, int] = (48, 96, 192, 256)
    depths: tuple[int, int, int, int] = (2, 2, 4, 2)
    decoder_dims: tuple[int, int, int, int] = (96, 64, 32, 16)
    strip_px: int = 11
    mlp_ratio: float = 4.0
    prompt_dim: int = 8

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> RoadGIEConfig:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


CONFIGS: dict[str, RoadGIEConfig] = {
    "strip": RoadGIEConfig(),
    "strip_tiny": RoadGIEConfig(
        stem_dim=8, dims=(16, 24, 32, 48), depths=(1, 1, 1, 1), decoder_dims=(32, 24, 16, 8)
    ),
}


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
        # --- image encoder: stride 2 stem, then 4 stages of strip blocks
        self.stem = nn.Sequential(
            _conv_bn_act(3, cfg.stem_dim, 2), _conv_bn_act(cfg.stem_dim, cfg.stem_dim)
        )
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
            :class:`RoadGIEFeatures` (strides 2..32).

        Raises:
            ValueError: wrong shape.
        """
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"image must be (B, 3, H, W), got {tuple(image.shape)}")
        h, w = image.shape[-2:]
        if h % STRIDE or w % STRIDE:
            raise ValueError(f"H and W must be multiples of {STRIDE}, got {h} x {w}")
        x = (image - self.pixel_mean) / self.pixel_std
        x = self.stem(x)
        feats = [x]
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return RoadGIEFeatures(feats, (int(h), int(w)))

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

    Raises:
        ValueError: unknown variant or keys that do not fit.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "model" in state and "config" in state:
        variant = variant or state["config"].get("variant", "strip")
        state = state["model"]
    model = build_roadgie(variant or "strip")
    load_state_dict_strict(
        model,
        {k: v.float() if v.is_floating_point() else v for k, v in state.items()},
        source=str(path),
    )
    return model.eval()
