"""One promptable segmenter over the SAM family: segment-anything ViT-B/L/H, SAM 2 and SAM 2.1.

Both official packages are used as they are: ``segment_anything.sam_model_registry`` builds
the v1 models, the ``sam2`` package builds SAM 2 / 2.1 from its hydra configs; the registry
(:mod:`backend.models.registry`) declares the checkpoint files and loads them strictly.
This module only adds one image/prompt API on top, so callers (SAMRS box-to-mask, the
interactive tool) never depend on which generation runs:

    segmenter = load_segmenter("sam2.1_hiera_t", device="cpu", checkpoint_path="x.pt")
    embedding = segmenter.encode(image_rgb)            # (H, W, 3) uint8, any size
    result = segmenter.decode(embedding, boxes=boxes_xyxy_px)
    result.masks  # (N, H, W) bool, result.iou (N,), result.low_res_logits (N, 1, 256, 256)

Frames: prompts are in pixels of the encoded image, (x, y) = (column, row), origin at the
upper-left corner of the upper-left pixel (so the centre of pixel (c, r) is (c + .5, r + .5)).
Internally each generation maps them to its model input exactly as its official predictor
does: v1 resizes the longest side to 1024 and pads bottom/right
(``ResizeLongestSide``), v2 resizes both sides to 1024 (``SAM2Transforms``).

The low-resolution mask frame (the decoder's 256 x 256 logits, also the frame of mask
prompts) covers the padded model input; :attr:`ImageEmbedding.low_res_per_px` gives its
scale: low-res pixel coordinate = image pixel coordinate * scale (per axis).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from backend.models.registry import (
    SAM_V1_METHOD,
    SAM_V2_METHOD,
    get_model,
    get_weights_spec,
    sam_family_models,
)

# Side of the decoder's low-resolution mask logits (4x the 64 x 64 image embedding).
LOW_RES_MASK_PX = 256


@dataclass
class ImageEmbedding:
    """The encoder output of one image, reusable for any number of decoder calls.

    Attributes:
        model: registry id of the model that made it (decoding with another raises).
        image_hw: (height, width) of the encoded image in pixels.
        features: the model's image features (torch tensors on the model's device):
            ``{"image_embed": (1, 256, 64, 64)}`` plus, for SAM 2, ``"high_res_feats"``
            (two maps at 256 and 128 px).
        input_hw: (height, width) of the resized image inside the padded model input
            (v1: longest side = input size; v2: input size x input size).
        low_res_per_px: (sx, sy) low-resolution mask pixels per image pixel.
    """

    model: str
    image_hw: tuple[int, int]
    features: dict[str, Any] = field(repr=False)
    input_hw: tuple[int, int]
    low_res_per_px: tuple[float, float]


@dataclass
class DecodeResult:
    """Masks predicted for N prompts on one image.

    Attributes:
        masks: (N, H, W) bool, the masks at the encoded image's size (logit > 0).
        low_res_logits: (N, 1, 256, 256) float32 logits in the low-resolution frame; can be
            passed back as ``mask_logits`` of a later call (clamped to +-32 for SAM 2, as
            its predictor does).
        iou: (N,) float32, the decoder's predicted IoU of each mask.
    """

    masks: np.ndarray
    low_res_logits: np.ndarray
    iou: np.ndarray


class PromptableSegmenter:
    """A SAM-family model with an encode-once, decode-many API (DESIGN convention 3).

    Build with :func:`load_segmenter`. Subclasses implement one generation.

    Attributes:
        model_id: registry id, e.g. ``"sam_vit_b"``.
        image_size: side of the square model input in pixels (1024 for every official
            checkpoint); images of other sizes are resized/padded internally.
        device: torch device string the model runs on.
    """

    mask_threshold: float = 0.0

    def __init__(self, model_id: str, module: torch.nn.Module, device: str, image_size: int):
        self.model_id = model_id
        self.module = module
        self.device = device
        self.image_size = int(image_size)

    # -- public API ------------------------------------------------------------------------

    def encode(self, image: np.ndarray) -> ImageEmbedding:
        """Run the image encoder once.

        Args:
            image: (H, W, 3) uint8 RGB array, any size (resized to the model input inside).

        Returns:
            The :class:`ImageEmbedding` to pass to :meth:`decode`.

        Raises:
            ValueError: not an (H, W, 3) uint8 array, or an empty image.
        """
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"encode() takes an (H, W, 3) uint8 RGB array, got {image.dtype} {image.shape}"
            )
        if image.shape[0] < 1 or image.shape[1] < 1:
            raise ValueError(f"encode() got an empty image {image.shape}")
        with torch.inference_mode():
            return self._encode(np.ascontiguousarray(image))

    def decode(
        self,
        embedding: ImageEmbedding,
        *,
        points: np.ndarray | None = None,
        point_labels: np.ndarray | None = None,
        boxes: np.ndarray | None = None,
        mask_logits: np.ndarray | None = None,
        multimask: bool = False,
    ) -> DecodeResult:
        """Predict one mask per prompt set, all N in one batched decoder call.

        Args:
            embedding: from :meth:`encode` of this segmenter.
            points: (N, P, 2) float (x, y) image pixel coordinates, or None.
            point_labels: (N, P) int, 1 = foreground, 0 = background; required with points.
            boxes: (N, 4) float (x0, y0, x1, y1) image pixel coordinates, or None.
            mask_logits: (N, 1, 256, 256) float logits in the low-resolution frame (see
                :attr:`ImageEmbedding.low_res_per_px`), or None.
            multimask: ask for the three-mask output and keep the one with the highest
                predicted IoU (SAM's answer to ambiguous single clicks); False gives the
                single-mask output (SAMRS Sec. 2.3 prompts).

        Returns:
            :class:`DecodeResult` with masks at the image size.

        Raises:
            ValueError: no prompt at all, inconsistent N, wrong shapes, or an embedding made
                by another model.
        """
        with torch.inference_mode():
            low_res, iou = self._decode_tensors(
                embedding, points, point_labels, boxes, mask_logits, multimask
            )
            masks = self._upscale_full(embedding, low_res) > self.mask_threshold
            return DecodeResult(
                masks=masks[:, 0].cpu().numpy(),
                low_res_logits=self._clamp_low_res(low_res).float().cpu().numpy(),
                iou=iou.float().cpu().numpy(),
            )

    def decode_low_res(
        self,
        embedding: ImageEmbedding,
        *,
        points: np.ndarray | None = None,
        point_labels: np.ndarray | None = None,
        boxes: np.ndarray | None = None,
        mask_logits: np.ndarray | None = None,
        multimask: bool = False,
    ) -> tuple[torch.Tensor, np.ndarray]:
        """:meth:`decode` without the full-size masks, for many prompts on large images.

        Returns:
            ``(low_res_logits, iou)``: (N, 1, 256, 256) float32 tensor on the model's device
            (unclamped) and (N,) float32 array. Turn logits into masks of image windows with
            :meth:`logits_in_windows`.
        """
        with torch.inference_mode():
            low_res, iou = self._decode_tensors(
                embedding, points, point_labels, boxes, mask_logits, multimask
            )
            return low_res.float(), iou.float().cpu().numpy()

    def logits_in_windows(
        self, embedding: ImageEmbedding, low_res_logits: torch.Tensor, windows_px: np.ndarray
    ) -> list[np.ndarray]:
        """Upsample low-resolution logits exactly as :meth:`decode` does, but only inside
        given image windows (memory and time scale with the windows, not the image).

        The official bilinear resizes (``align_corners=False``) are separable, so a window of
        their output only needs the matching rows and columns of their input: v1 resizes
        256 -> 1024, crops the unpadded part, resizes to the image; SAM 2 resizes 256 -> the
        image directly.

        Args:
            embedding: the embedding the logits were decoded from.
            low_res_logits: (N, 1, 256, 256) from :meth:`decode_low_res`.
            windows_px: (N, 4) int (col0, row0, col1, row1) image pixel windows, end-exclusive,
                inside the image.

        Returns:
            N float32 arrays of shape (row1 - row0, col1 - col0); mask = logits > 0.

        Raises:
            ValueError: not one window per mask, or a window outside the image.
        """
        windows = np.asarray(windows_px, dtype=np.int64).reshape(-1, 4)
        if len(windows) != low_res_logits.shape[0]:
            raise ValueError(
                f"{len(windows)} windows for {low_res_logits.shape[0]} masks; give one each"
            )
        h, w = embedding.image_hw
        out = []
        with torch.inference_mode():
            for k, (c0, r0, c1, r1) in enumerate(windows.tolist()):
                if not (0 <= c0 <= c1 <= w and 0 <= r0 <= r1 <= h):
                    raise ValueError(f"window {(c0, r0, c1, r1)} is not inside the image {w}x{h}")
                if c1 == c0 or r1 == r0:
                    out.append(np.zeros((r1 - r0, c1 - c0), np.float32))
                    continue
                low_res_2d = low_res_logits[k, 0].float()
                logits = self._window_logits(embedding, low_res_2d, (c0, r0, c1, r1))
                out.append(logits.cpu().numpy())
        return out

    def _window_logits(self, embedding, low_res_2d, window):
        """(rows, cols) logits of one window, as the full upsampling would give them."""
        raise NotImplementedError

    # -- generation-specific parts ---------------------------------------------------------

    def _encode(self, image: np.ndarray) -> ImageEmbedding:
        raise NotImplementedError

    def _prompt_embeddings(self, embedding, coords, labels, boxes, masks):
        raise NotImplementedError

    def _run_decoder(self, embedding, sparse, dense, multimask: bool, batched: bool):
        raise NotImplementedError

    def _upscale_full(self, embedding: ImageEmbedding, low_res):
        raise NotImplementedError

    def _to_input_frame(self, embedding: ImageEmbedding, xy):
        """(..., 2) image pixel coordinates -> model input pixel coordinates (tensor)."""
        raise NotImplementedError

    def _clamp_low_res(self, low_res):
        return low_res

    # -- shared decoding -------------------------------------------------------------------

    def _decode_tensors(self, embedding, points, point_labels, boxes, mask_logits, multimask):
        if embedding.model != self.model_id:
            raise ValueError(
                f"this embedding was made by {embedding.model!r}; encode the image with "
                f"{self.model_id!r} first"
            )
        n = _prompt_count(points, point_labels, boxes, mask_logits)
        dev = self.device
        coords = labels = box_t = mask_t = None
        if points is not None:
            coords = self._to_input_frame(
                embedding, torch.as_tensor(np.asarray(points, np.float32), device=dev)
            )
            labels = torch.as_tensor(np.asarray(point_labels), dtype=torch.int, device=dev)
        if boxes is not None:
            corners = np.asarray(boxes, np.float32).reshape(n, 2, 2)
            box_t = self._to_input_frame(embedding, torch.as_tensor(corners, device=dev))
        if mask_logits is not None:
            mask_t = torch.as_tensor(np.asarray(mask_logits, np.float32), device=dev)
        sparse, dense = self._prompt_embeddings(embedding, coords, labels, box_t, mask_t)
        low_res, iou = self._run_decoder(embedding, sparse, dense, multimask, batched=n > 1)
        if multimask and low_res.shape[1] > 1:
            best = torch.argmax(iou, dim=1)
            rows = torch.arange(n, device=low_res.device)
            low_res, iou = low_res[rows, best][:, None], iou[rows, best]
        else:
            low_res, iou = low_res[:, :1], iou[:, 0]
        return low_res, iou


def _source_coords(out_start: int, out_stop: int, in_size: int, out_size: int, torch_mod, device):
    """Source coordinates of output pixels ``out_start..out_stop-1`` of a bilinear resize
    ``in_size -> out_size`` with ``align_corners=False`` (clamped as PyTorch clamps them)."""
    idx = torch_mod.arange(out_start, out_stop, device=device, dtype=torch_mod.float64)
    src = (idx + 0.5) * (in_size / out_size) - 0.5
    return src.clamp(0, in_size - 1)


def _resample(grid, src_rows, src_cols):
    """Separable bilinear sampling of a 2-D tensor at (clamped) fractional rows and columns.

    Args:
        grid: (h, w) tensor.
        src_rows: (R,) float64 row coordinates within [0, h - 1].
        src_cols: (C,) float64 column coordinates within [0, w - 1].

    Returns:
        (R, C) float32 tensor.
    """
    h, w = grid.shape
    y0 = src_rows.floor().long()
    y1 = (y0 + 1).clamp(max=h - 1)
    wy = (src_rows - y0).float()[:, None]
    rows = grid[y0] * (1 - wy) + grid[y1] * wy
    x0 = src_cols.floor().long()
    x1 = (x0 + 1).clamp(max=w - 1)
    wx = (src_cols - x0).float()[None, :]
    return rows[:, x0] * (1 - wx) + rows[:, x1] * wx


def _prompt_count(points, point_labels, boxes, mask_logits) -> int:
    """N of a prompt batch; raises ValueError on missing or inconsistent prompts."""
    counts = {}
    if points is not None:
        pts = np.asarray(points)
        if pts.ndim != 3 or pts.shape[2] != 2:
            raise ValueError(f"points must be (N, P, 2) (x, y) pixels, got {pts.shape}")
        if point_labels is None:
            raise ValueError("point_labels (N, P) of 1 (foreground) / 0 (background) needed")
        labels = np.asarray(point_labels)
        if labels.shape != pts.shape[:2]:
            raise ValueError(f"point_labels must be {pts.shape[:2]}, got {labels.shape}")
        counts["points"] = pts.shape[0]
    if boxes is not None:
        bxs = np.asarray(boxes)
        if bxs.ndim != 2 or bxs.shape[1] != 4:
            raise ValueError(f"boxes must be (N, 4) (x0, y0, x1, y1) pixels, got {bxs.shape}")
        counts["boxes"] = bxs.shape[0]
    if mask_logits is not None:
        masks = np.asarray(mask_logits)
        if masks.ndim != 4 or masks.shape[1:] != (1, LOW_RES_MASK_PX, LOW_RES_MASK_PX):
            raise ValueError(
                f"mask_logits must be (N, 1, {LOW_RES_MASK_PX}, {LOW_RES_MASK_PX}), "
                f"got {masks.shape}"
            )
        counts["mask_logits"] = masks.shape[0]
    if not counts:
        raise ValueError("give at least one prompt: points, boxes or mask_logits")
    if len(set(counts.values())) != 1:
        raise ValueError(f"prompts disagree on N: {counts}")
    n = next(iter(counts.values()))
    if n < 1:
        raise ValueError("no prompts (N = 0)")
    return n


class _SamV1Segmenter(PromptableSegmenter):
    """segment-anything v1 (``segment_anything.modeling.Sam``)."""

    def __init__(self, model_id: str, module, device: str):
        # Each generation's package only on its own path: one may be installed without the other.
        from segment_anything.utils.transforms import ResizeLongestSide

        super().__init__(model_id, module, device, module.image_encoder.img_size)
        self.mask_threshold = float(module.mask_threshold)
        self._resize = ResizeLongestSide(self.image_size)

    def _encode(self, image: np.ndarray) -> ImageEmbedding:
        h, w = image.shape[:2]
        resized = self._resize.apply_image(image)
        tensor = torch.as_tensor(resized, device=self.device).permute(2, 0, 1)[None]
        input_hw = (int(tensor.shape[-2]), int(tensor.shape[-1]))
        features = self.module.image_encoder(self.module.preprocess(tensor))
        scale = self.image_size / max(h, w) * LOW_RES_MASK_PX / self.image_size
        return ImageEmbedding(
            model=self.model_id,
            image_hw=(h, w),
            features={"image_embed": features},
            input_hw=input_hw,
            low_res_per_px=(scale, scale),
        )

    def _to_input_frame(self, embedding, xy):
        h, w = embedding.image_hw
        return xy * (self.image_size / max(h, w))

    def _prompt_embeddings(self, embedding, coords, labels, boxes, masks):
        points = (coords, labels) if coords is not None else None
        box_xyxy = boxes.reshape(-1, 4) if boxes is not None else None
        return self.module.prompt_encoder(points=points, boxes=box_xyxy, masks=masks)

    def _run_decoder(self, embedding, sparse, dense, multimask, batched):
        return self.module.mask_decoder(
            image_embeddings=embedding.features["image_embed"],
            image_pe=self.module.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
        )

    def _upscale_full(self, embedding, low_res):
        return self.module.postprocess_masks(low_res, embedding.input_hw, embedding.image_hw)

    def _window_logits(self, embedding, low_res_2d, window):
        c0, r0, c1, r1 = window
        (h, w), (h_in, w_in) = embedding.image_hw, embedding.input_hw
        side, dev = self.image_size, low_res_2d.device
        # Stage 2 (crop of the 1024 map -> image): the 1024-frame coordinates needed.
        sy = _source_coords(r0, r1, h_in, h, torch, dev)
        sx = _source_coords(c0, c1, w_in, w, torch, dev)
        iy0, ix0 = int(sy.min().floor()), int(sx.min().floor())
        iy1 = min(int(sy.max().floor()) + 1, h_in - 1)
        ix1 = min(int(sx.max().floor()) + 1, w_in - 1)
        # Stage 1 (256 -> 1024) only on those rows and columns.
        size = low_res_2d.shape[-1]
        mid = _resample(
            low_res_2d,
            _source_coords(iy0, iy1 + 1, size, side, torch, dev),
            _source_coords(ix0, ix1 + 1, size, side, torch, dev),
        )
        return _resample(mid, sy - iy0, sx - ix0)


class _SamV2Segmenter(PromptableSegmenter):
    """SAM 2 / 2.1 (``sam2.modeling.sam2_base.SAM2Base``), image mode as in
    ``SAM2ImagePredictor``."""

    def __init__(self, model_id: str, module, device: str):
        # Each generation's package only on its own path: one may be installed without the other.
        from sam2.utils.transforms import SAM2Transforms

        super().__init__(model_id, module, device, module.image_size)
        self._transforms = SAM2Transforms(resolution=self.image_size, mask_threshold=0.0)
        side = self.image_size
        # Backbone feature sizes (stride 4, 8, 16), as the official image predictor sets them.
        self._feat_sizes = [(side // 4, side // 4), (side // 8, side // 8), (side // 16,) * 2]

    def _encode(self, image: np.ndarray) -> ImageEmbedding:
        h, w = image.shape[:2]
        tensor = self._transforms(image)[None].to(self.device)
        backbone_out = self.module.forward_image(tensor)
        _, vision_feats, _, _ = self.module._prepare_backbone_features(backbone_out)
        if self.module.directly_add_no_mem_embed:
            vision_feats[-1] = vision_feats[-1] + self.module.no_mem_embed
        feats = [
            feat.permute(1, 2, 0).reshape(1, -1, *size)
            for feat, size in zip(vision_feats[::-1], self._feat_sizes[::-1], strict=True)
        ][::-1]
        return ImageEmbedding(
            model=self.model_id,
            image_hw=(h, w),
            features={"image_embed": feats[-1], "high_res_feats": feats[:-1]},
            input_hw=(self.image_size, self.image_size),
            low_res_per_px=(LOW_RES_MASK_PX / w, LOW_RES_MASK_PX / h),
        )

    def _to_input_frame(self, embedding, xy):
        h, w = embedding.image_hw
        scale = torch.tensor([self.image_size / w, self.image_size / h], device=xy.device)
        return xy * scale

    def _prompt_embeddings(self, embedding, coords, labels, boxes, masks):
        concat = None
        if boxes is not None:
            # Boxes enter SAM 2's prompt encoder as two corner points labelled 2 and 3.
            box_labels = torch.tensor([[2, 3]], dtype=torch.int, device=boxes.device)
            concat = (boxes, box_labels.repeat(boxes.shape[0], 1))
        if coords is not None:
            if concat is None:
                concat = (coords, labels)
            else:
                concat = (torch.cat([concat[0], coords], 1), torch.cat([concat[1], labels], 1))
        return self.module.sam_prompt_encoder(points=concat, boxes=None, masks=masks)

    def _run_decoder(self, embedding, sparse, dense, multimask, batched):
        low_res, iou, _, _ = self.module.sam_mask_decoder(
            image_embeddings=embedding.features["image_embed"],
            image_pe=self.module.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
            repeat_image=batched,
            high_res_features=embedding.features["high_res_feats"],
        )
        return low_res, iou

    def _upscale_full(self, embedding, low_res):
        return F.interpolate(
            low_res.float(), embedding.image_hw, mode="bilinear", align_corners=False
        )

    def _window_logits(self, embedding, low_res_2d, window):
        c0, r0, c1, r1 = window
        h, w = embedding.image_hw
        size, dev = low_res_2d.shape[-1], low_res_2d.device
        return _resample(
            low_res_2d,
            _source_coords(r0, r1, size, h, torch, dev),
            _source_coords(c0, c1, size, w, torch, dev),
        )

    def _clamp_low_res(self, low_res):
        return low_res.clamp(-32.0, 32.0)


def load_segmenter(
    model: str,
    device: str = "cpu",
    checkpoint_path: str | os.PathLike[str] | None = None,
    *,
    model_dir: str | os.PathLike[str] | None = None,
) -> PromptableSegmenter:
    """Build a SAM-family model with its weights and wrap it as a segmenter.

    Args:
        model: registry id: ``sam_vit_b``, ``sam_vit_l``, ``sam_vit_h``,
            ``sam2_hiera_{t,s,b_plus,l}``, ``sam2.1_hiera_{t,s,b_plus,l}``.
        device: torch device string (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
        checkpoint_path: a checkpoint file in the official format of ``model`` (v1: a
            raw state dict; SAM 2: ``{"model": state_dict}``). It is loaded strictly but
            not checked against the official digest (fine-tuned weights are allowed).
            None: the declared official file in ``model_dir``, digest-checked.
        model_dir: folder of downloaded checkpoints (default: the registry's).

    Returns:
        A :class:`PromptableSegmenter` in eval mode on ``device``.

    Raises:
        ValueError: unknown or non-SAM model id (lists the SAM-family ids), weights not
            installed (says how to install them), digest mismatch, or a file that is not a
            checkpoint of ``model`` (names the expected model and the mismatching keys).
        ImportError: ``segment-anything`` or ``sam2`` is not installed (names the package).
    """
    spec = get_weights_spec(model)
    if spec.method not in (SAM_V1_METHOD, SAM_V2_METHOD):
        raise ValueError(
            f"{model!r} is not a SAM-family model; choose one of: {', '.join(sam_family_models())}"
        )
    source = str(checkpoint_path) if checkpoint_path is not None else str(spec.path(model_dir))
    if checkpoint_path is not None and not Path(checkpoint_path).is_file():
        raise ValueError(f"checkpoint {checkpoint_path} does not exist")
    try:
        module = get_model(
            model,
            checkpoint=checkpoint_path,
            model_dir=model_dir,
            device=device,
            verify_sha256=checkpoint_path is None,
        )
    except ValueError as exc:
        if not Path(source).is_file():
            raise  # not installed: the registry's message says how to install it
        raise ValueError(
            f"{source} is not a {model} checkpoint ({spec.description.split('.')[0]}): {exc}"
        ) from exc
    if spec.method == SAM_V1_METHOD:
        return _SamV1Segmenter(model, module, device)
    return _SamV2Segmenter(model, module, device)
