"""Interactive engines: the RoadGIE-style road model and SAM / SAM 2.

Both work on a "model image": the encoded raster window resampled to the engine's working
resolution. Prompts arrive here already in that image's pixel frame (x = column, y = row,
corner origin; :mod:`backend.interactive.sessions` converts from raster pixels).

An engine turns an image into a payload (:meth:`encode`, cached by
:mod:`backend.interactive.cache`), a payload into a runtime embedding on its device
(:meth:`prepare`), and an embedding plus prompts plus the previous round's low-res logits
into a probability/logit map and new low-res logits (:meth:`decode`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from backend.interactive.engine_table import DEFAULT_MODELS, ENGINE_TABLE, ENGINES
from backend.methods.roadgie.merge import progressive_merge
from backend.methods.roadgie.model import (
    RoadGIEFeatures,
    load_roadgie_weights,
    pad_to_multiple,
    upsample_logits,
)
from backend.methods.roadgie.prompts import (
    Scribble,
    apply_prompt_constraint,
    enforce_prompts,
    prompt_label_map,
    rasterize_prompts,
)
from backend.models.registry import get_model, get_weights_spec
from backend.models.sam_family import ImageEmbedding, load_segmenter

# Scribbles become SAM point prompts every this many model pixels, at most this many each.
SAM_SCRIBBLE_STEP_PX = 16.0
SAM_SCRIBBLE_MAX_POINTS = 8


@dataclass
class Prompts:
    """Prompts of one predict call in the model image's pixel frame.

    Attributes:
        points_xy_px: ``(N, 2)`` float (x, y).
        point_labels: ``(N,)`` int, 1 positive, 0 negative.
        scribbles: polylines with labels.
        box_xyxy_px: ``(4,)`` float (x0, y0, x1, y1) or None.
    """

    points_xy_px: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    point_labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int64))
    scribbles: list[Scribble] = field(default_factory=list)
    box_xyxy_px: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.points_xy_px) + len(self.scribbles) + int(self.box_xyxy_px is not None)


@dataclass
class ShownRound:
    """What the user saw after a round of the road engine: the base of a progressive merge.

    Attributes:
        mask: ``(H, W)`` bool mask at the model image size.
        label_map: ``(H, W)`` int8 :func:`backend.methods.roadgie.prompts.prompt_label_map`
            of that round's prompts (all -1 for round 0).
    """

    mask: np.ndarray
    label_map: np.ndarray


@dataclass
class DecodeOutput:
    """One round's prediction on the model image.

    Attributes:
        mask: ``(H, W)`` bool at the model image size.
        low_res_logits: the engine's low-res logits of this round (fed back next round):
            road ``(1, 1, H/2, W/2)`` (padded) float16 tensor, SAM ``(1, 1, 256, 256)``
            float32 array.
        score: SAM: predicted IoU; road: mean probability inside the mask (0 if empty).
        shown: road engine: the mask and prompt label map of this round (the base of the
            next round's merge); SAM: None.
    """

    mask: np.ndarray
    low_res_logits: Any
    score: float
    shown: ShownRound | None = None


class PromptError(ValueError):
    """A prompt the engine cannot use (HTTP 400)."""


class RoadEngine:
    """RoadGIE-style road model (``backend.methods.roadgie``) at its GSD.

    Args:
        model_id: registry id (``roadgie_*``).
        device: torch device string.
        checkpoint_path: own weights (training checkpoint or exported state dict) instead of
            the registered file.
        model_dir: folder of downloaded checkpoints (unused for bundled weights).
    """

    engine_spec = ENGINE_TABLE["road"]
    name = engine_spec.name
    max_model_px = engine_spec.max_model_px

    def __init__(
        self,
        model_id: str,
        device: str = "cpu",
        checkpoint_path: str | None = None,
        model_dir: str | None = None,
    ) -> None:
        spec = get_weights_spec(model_id)
        if spec.method not in self.engine_spec.methods:
            raise ValueError(f"{model_id!r} is not a road-engine model (method {spec.method!r})")
        self.model_id = model_id
        self.device = device
        self.model_gsd_m = spec.gsd_m
        if checkpoint_path is not None:
            self.model = load_roadgie_weights(checkpoint_path).to(device)
        else:
            self.model = get_model(model_id, model_dir=model_dir, device=device)
        self.model.eval()
        card = spec.model_card or {}
        self.threshold = float(card.get("inference_defaults", {}).get("threshold", 0.5))

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        """Payload of an ``(H, W, 3)`` uint8 RGB model image: encoder features (fp16, CPU)
        of the image zero-padded to multiples of 32."""
        h, w = image.shape[:2]
        ph, pw = pad_to_multiple(h, w)
        padded = np.zeros((ph, pw, 3), np.uint8)
        padded[:h, :w] = image
        x = torch.from_numpy(padded).permute(2, 0, 1)[None].float().to(self.device)
        with torch.inference_mode():
            feats = self.model.encode(x)
        return {
            "engine": self.name,
            "model": self.model_id,
            "feats": [f.half().cpu() for f in feats.feats],
            "size_hw": [ph, pw],
            "image_hw": [h, w],
        }

    def prepare(self, payload: dict[str, Any]) -> Any:
        feats = RoadGIEFeatures(
            [f.to(self.device, torch.float32) for f in payload["feats"]], tuple(payload["size_hw"])
        )
        return {"feats": feats, "image_hw": tuple(payload["image_hw"])}

    def initial_logits(self, probability: np.ndarray) -> torch.Tensor:
        """Round-0 logits ``(1, 1, H, W)`` float16 from an ``(H, W)`` probability map in
        [0, 1] at the model image size (refinement start, RoadGIE Sec. B.2)."""
        p = np.clip(np.nan_to_num(probability, nan=0.0), 1e-3, 1 - 1e-3)
        logits = np.clip(np.log(p / (1 - p)), -6, 6).astype(np.float32)
        return torch.from_numpy(logits)[None, None].half()

    def initial_shown(self, probability: np.ndarray) -> ShownRound:
        """Round 0 as the user sees it: the ``(H, W)`` probability map (model image size,
        [0, 1]) above the model's threshold, no prompt."""
        mask = np.nan_to_num(probability, nan=0.0) >= self.threshold
        return ShownRound(mask, np.full(mask.shape, -1, np.int8))

    def decode(
        self,
        embedding: Any,
        prompts: Prompts,
        prev_logits: Any | None,
        threshold: float | None = None,
        merge_into: ShownRound | None = None,
    ) -> DecodeOutput:
        """One round (RoadGIE decoder pass) with the prompts enforced as a hard constraint.

        The network's probability is thresholded; with ``merge_into`` (the round the user
        saw before) only the changes connected to the prompts added since that round are
        taken, additions at positive prompts and removals at negative ones
        (:func:`backend.methods.roadgie.merge.progressive_merge`, FocalClick's progressive
        merge; not part of RoadGIE), the rest of the mask stays as it was. Then
        every pixel a prompt covers is set to the prompt's label
        (:func:`backend.methods.roadgie.prompts.apply_prompt_constraint`: a positive click's
        disk and a positive scribble's line are road, negative ones background; where
        prompts overlap the later click wins). This constraint is not part of RoadGIE
        either: it makes click consistency 100 % by construction, and a positive click can
        never leave an empty mask (its disk is always road). The low-res logits fed back
        next round are the network's own.

        Args:
            embedding: :meth:`prepare`'s result.
            prompts: all prompts of this round (model image pixel frame).
            prev_logits: the previous round's low-res logits, the initial logits, or None.
            threshold: probability threshold (None: the model's default).
            merge_into: ``(H, W)`` mask and label map the new round is merged into, or None
                (the whole mask is the network's).

        Raises:
            PromptError: a box prompt (the road model takes points and scribbles only,
                Sec. B.8).
            ValueError: ``merge_into`` of another size than the model image.
        """
        if prompts.box_xyxy_px is not None and not self.engine_spec.takes_boxes:
            raise PromptError(
                "box prompts are for the sam engine; the road engine takes points and scribbles"
            )
        feats = embedding["feats"]
        h, w = embedding["image_hw"]
        ph, pw = feats.size_hw
        pos, neg = rasterize_prompts(
            (ph, pw), prompts.points_xy_px, prompts.point_labels, prompts.scribbles
        )
        with torch.inference_mode():
            pos_t = torch.from_numpy(pos)[None, None].to(self.device)
            neg_t = torch.from_numpy(neg)[None, None].to(self.device)
            prev = None
            if prev_logits is not None:
                prev = prev_logits.to(self.device, torch.float32)
                if prev.shape[-2:] == (h, w) and (h, w) != (ph, pw):  # initial map: pad
                    prev = torch.nn.functional.pad(prev, (0, pw - w, 0, ph - h), value=-6.0)
            low = self.model.decode(feats, pos_t, neg_t, prev)
            prob = torch.sigmoid(upsample_logits(low, (ph, pw)))[0, 0, :h, :w].cpu().numpy()
        t = self.threshold if threshold is None else float(threshold)
        label_map = prompt_label_map(
            (h, w), prompts.points_xy_px, prompts.point_labels, prompts.scribbles
        )
        network_mask = prob >= min(t, 1.0)
        prob, mask = apply_prompt_constraint(prob, label_map, t)
        if merge_into is not None:
            if merge_into.mask.shape != (h, w):
                raise ValueError(
                    f"merge_into has shape {merge_into.mask.shape}, the model image {(h, w)}"
                )
            merged = progressive_merge(
                merge_into.mask, network_mask, label_map, merge_into.label_map
            )
            mask = enforce_prompts(merged, label_map)
        score = float(prob[mask].mean()) if mask.any() else 0.0
        return DecodeOutput(mask, low.half().cpu(), score, ShownRound(mask, label_map))


class SamEngine:
    """SAM / SAM 2 through ``backend.models.sam_family.load_segmenter``.

    Args:
        model_id: registry id of a SAM-family model.
        device: torch device string.
        checkpoint_path: official checkpoint file (or fine-tuned weights in that format).
        model_dir: folder of downloaded checkpoints.
    """

    engine_spec = ENGINE_TABLE["sam"]
    name = engine_spec.name
    max_model_px = engine_spec.max_model_px
    model_gsd_m = None

    def __init__(
        self,
        model_id: str,
        device: str = "cpu",
        checkpoint_path: str | None = None,
        model_dir: str | None = None,
    ) -> None:
        self.model_id = model_id
        self.device = device
        self.segmenter = load_segmenter(
            model_id, device=device, checkpoint_path=checkpoint_path, model_dir=model_dir
        )

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        emb = self.segmenter.encode(image)
        feats = emb.features
        return {
            "engine": self.name,
            "model": emb.model,
            "image_hw": list(emb.image_hw),
            "input_hw": list(emb.input_hw),
            "low_res_per_px": list(emb.low_res_per_px),
            "image_embed": feats["image_embed"].detach().cpu(),
            "high_res_feats": [f.detach().cpu() for f in feats.get("high_res_feats", [])],
        }

    def prepare(self, payload: dict[str, Any]) -> Any:
        features: dict[str, Any] = {"image_embed": payload["image_embed"].to(self.device)}
        if payload["high_res_feats"]:
            features["high_res_feats"] = [f.to(self.device) for f in payload["high_res_feats"]]
        return ImageEmbedding(
            model=payload["model"],
            image_hw=tuple(payload["image_hw"]),
            features=features,
            input_hw=tuple(payload["input_hw"]),
            low_res_per_px=tuple(payload["low_res_per_px"]),
        )

    def decode(
        self,
        embedding: Any,
        prompts: Prompts,
        prev_logits: Any | None,
        threshold: float | None = None,
    ) -> DecodeOutput:
        """One SAM decoder call; scribbles become points sampled along them.

        Raises:
            PromptError: no point, scribble or box.
        """
        pts = [np.asarray(prompts.points_xy_px, np.float64).reshape(-1, 2)]
        labels = [np.asarray(prompts.point_labels, np.int64).reshape(-1)]
        for s in prompts.scribbles:
            sampled = sample_polyline(s.points_xy_px, SAM_SCRIBBLE_STEP_PX, SAM_SCRIBBLE_MAX_POINTS)
            pts.append(sampled)
            labels.append(np.full(len(sampled), s.label, np.int64))
        points = np.concatenate(pts)
        point_labels = np.concatenate(labels)
        if len(points) == 0 and prompts.box_xyxy_px is None:
            raise PromptError("the sam engine needs at least one point, scribble or box")
        kwargs: dict[str, Any] = {}
        if len(points):
            kwargs["points"] = points[None].astype(np.float32)
            kwargs["point_labels"] = point_labels[None]
        if prompts.box_xyxy_px is not None:
            kwargs["boxes"] = np.asarray(prompts.box_xyxy_px, np.float32).reshape(1, 4)
        if prev_logits is not None:
            kwargs["mask_logits"] = np.asarray(prev_logits, np.float32).reshape(1, 1, 256, 256)
        # An ambiguous single click: let SAM choose among its three masks (SAM's advice).
        multimask = len(points) == 1 and prompts.box_xyxy_px is None and prev_logits is None
        result = self.segmenter.decode(embedding, multimask=multimask, **kwargs)
        return DecodeOutput(result.masks[0], result.low_res_logits[:1], float(result.iou[0]))


def sample_polyline(points_xy_px: np.ndarray, step_px: float, max_points: int) -> np.ndarray:
    """Points evenly spaced along a polyline (ends included), at most ``max_points``.

    Args:
        points_xy_px: ``(M, 2)`` vertices.
        step_px: wanted spacing in pixels.
        max_points: upper bound on the number of points (>= 1).

    Returns:
        ``(K, 2)`` float array, 1 <= K <= max_points.
    """
    pts = np.asarray(points_xy_px, np.float64).reshape(-1, 2)
    if len(pts) == 1:
        return pts
    seg = np.hypot(*np.diff(pts, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    k = int(min(max_points, max(2, np.floor(total / step_px) + 1)))
    if total == 0:
        return pts[:1]
    at = np.linspace(0.0, total, k)
    return np.column_stack([np.interp(at, cum, pts[:, 0]), np.interp(at, cum, pts[:, 1])])


_ENGINES: OrderedDict[tuple, Any] = OrderedDict()
_ENGINES_LOCK = threading.Lock()
_MAX_LOADED = 3


def get_engine(
    engine: str,
    model: str | None,
    device: str = "cpu",
    checkpoint_path: str | None = None,
    model_dir: str | None = None,
) -> RoadEngine | SamEngine:
    """A loaded engine, reused across sessions (at most 3 kept loaded, LRU).

    Raises:
        ValueError: unknown engine or model, weights not installed (message says how to
            install them), or a checkpoint that does not fit.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    model = model or DEFAULT_MODELS[engine]
    key = (engine, model, device, checkpoint_path, model_dir)
    with _ENGINES_LOCK:
        if key in _ENGINES:
            _ENGINES.move_to_end(key)
            return _ENGINES[key]
    cls = {c.name: c for c in (RoadEngine, SamEngine)}[engine]
    instance = cls(model, device=device, checkpoint_path=checkpoint_path, model_dir=model_dir)
    with _ENGINES_LOCK:
        _ENGINES[key] = instance
        while len(_ENGINES) > _MAX_LOADED:
            _ENGINES.popitem(last=False)
    return instance
