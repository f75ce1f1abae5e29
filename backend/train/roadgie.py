"""Training of the RoadGIE-style road model with simulated interaction, and its export.

Paper: ``papers/roadgie_supplementary.txt``.

* Data: image/label pairs ``images/NAME.(jpg|png|tif)`` + ``labels/NAME.png`` (Massachusetts
  layout; label 255 = road), already at the model's GSD (1 m for the shipped model). Images
  are held in memory. The multi-domain set at 1 m
  (:func:`backend.train.datasets.write_domain_set_at_gsd`, names ``DOMAIN__SPLIT__KEY``) is
  used with ``--train-include '*__train__*' --val-include '*__select__*'``;
  ``--balance-domains`` gives each domain the same share of the batches and
  ``--photometric strong`` adds the colour/texture augmentation of the other trainers.
* Samples: random square crops (paper: 512 px; on a CPU we use 256 px and say so in the
  model card) with augmentation (Sec. B.7): random affine (rotation, scale, translation,
  flips), brightness/contrast, variable Gaussian blur and variable Gaussian noise.
* Simulated interaction (Sec. B.4, Table 15 "Prompt Iter 5"): ``rounds`` rounds per sample;
  before each round one prompt per sample is placed in the largest error region of the
  current prediction (false negative -> positive, false positive -> negative;
  :func:`backend.methods.roadgie.simulate.next_error_prompt`), clicks or (with
  ``scribble_prob``) scribbles. The previous round's low-res logits are fed back (detached).
  With ``init_prob`` the first round starts from an imperfect prediction instead of
  nothing, so the model also learns to act as a refinement module (Sec. B.2, Table 10): a
  synthetic one (perturbed label) and/or, with ``--init-source anchor_sam|mixed``, the
  shipped Anchor-SAM's probability of the image (computed once per image and cached,
  cropped with the image's affine), which is what the "start from another model's
  probability raster" path of the plugin feeds in.
* Loss (Sec. B.1, B.5, Table 13 last row): focal + soft Dice + prompt-excluded skeleton
  recall, summed over all rounds with one backward pass at the end (Table 12 "All Steps");
  plus (not in the paper, issue 10 item 4) a click-consistency BCE at the pixels of every
  prompt given so far (``--consistency-weight``), so a positive click's pixel ends up road
  and a negative one's background. The road engine also enforces this at inference.
* Optimiser (Table 15): Adam, lr 3e-4, cosine decay (following ``max_steps`` or the time
  limit, whichever ends first), a short linear warm-up.
* Hiera variant (not in the paper, issue 10): ``--variant hiera_pico`` has SAM2's Hiera + FPN
  as its image encoder; ``--init-encoder-from backend/models/weights/anchor_sam_pico_1m.pt``
  starts it from the trained Anchor-SAM encoder, ``--encoder-lr-scale`` scales its
  learning rate.
* Validation: whole validation images, deterministic clicks, Dice and APLS after 1, 3 and
  5 rounds (APLS from ``backend.eval.apls`` on the geo core's skeleton graph of the
  prediction and of the label), per domain, with click consistency (raw network and with
  the engine's prompt constraint) and whether mean Dice never falls from round to round.
  With ``--keep-best`` each validation whose mean Dice after 5 clicks beats the earlier ones
  saves ``best.pt`` (and training ends with a validation), as the ``fine_tune`` job uses it.
* Device: ``--device cpu|cuda|mps`` for ``train`` and ``evaluate`` (default cpu).

Run ``python -m backend.train.roadgie --help``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from backend.methods.anchor_sam.views import TEST_TIME_AUGMENTATIONS
from backend.methods.roadgie.losses import roadgie_loss, tubed_skeletons
from backend.methods.roadgie.merge import progressive_merge
from backend.methods.roadgie.model import (
    CONFIGS,
    RoadGIE,
    build_roadgie,
    count_parameters,
    load_roadgie_weights,
    pad_to_multiple,
    upsample_logits,
)
from backend.methods.roadgie.prompts import (
    CLICK_RADIUS_PX,
    SCRIBBLE_WIDTH_PX,
    draw_disk,
    draw_polyline,
    enforce_prompts,
)
from backend.methods.roadgie.simulate import next_error_prompt
from backend.train.datasets import (
    balanced_domain_weights,
    discover_samples,
    domain_of,
    read_pair,
    split_patterns,
)
from backend.train.report import write_report

REPORT_ROUNDS = (1, 3, 5)
#: Rounds of every evaluation (validation during training, export card, ``evaluate``),
#: whatever number of rounds the model was trained with, so figures stay comparable.
EVAL_ROUNDS = 5
#: Sources of the refinement start (``TrainConfig.init_source``).
INIT_SOURCES = ("synthetic", "anchor_sam", "mixed")


# --- data ----------------------------------------------------------------------------------


PHOTOMETRIC_MODES = ("none", "mild", "strong", "both")


def augment_batch(
    images: list[np.ndarray],
    labels: list[np.ndarray],
    crop_px: int,
    rng: np.random.Generator,
    *,
    rotate: bool = True,
    photometric: bool | str = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crops with augmentation (Sec. B.7), one per image.

    Geometry: a random affine per sample (rotation in [-180, 180) degrees, scale 0.8-1.1,
    random horizontal/vertical flips, random centre) sampled with ``grid_sample``; outside
    the source image reads 0 (image) and background (label). Photometric ``"mild"`` (True):
    brightness +-20 %, contrast 0.8-1.2, Gaussian blur (p 0.3, sigma 0.3-1.5 px), Gaussian
    noise (p 0.3, sigma 0-8 grey levels); ``"strong"``:
    :func:`backend.train.datasets.photometric_augment` (levels, hue, saturation, grey,
    gamma, blur, noise: other sensors and renderings); ``"both"``: strong then mild;
    ``"none"`` (False): no change.

    Args:
        images: ``(H, W, 3)`` uint8 arrays.
        labels: ``(H, W)`` bool arrays of the same sizes.
        crop_px: output side in pixels.
        rng: random generator.
        rotate: False keeps the axis-aligned crop (no rotation, scale 1).
        photometric: one of :data:`PHOTOMETRIC_MODES`, or True (mild) / False (none).

    Returns:
        ``(image (B, 3, S, S) float 0..255, label (B, 1, S, S) float 0/1)``.
    """
    image, label, _ = augment_batch_with_maps(
        images, labels, crop_px, rng, rotate=rotate, photometric=photometric
    )
    return image, label


def augment_batch_with_maps(
    images: list[np.ndarray],
    labels: list[np.ndarray],
    crop_px: int,
    rng: np.random.Generator,
    maps: Sequence[np.ndarray | None] | None = None,
    *,
    rotate: bool = True,
    photometric: bool | str = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """:func:`augment_batch` that also crops per-image maps with the same affine.

    Args:
        images, labels, crop_px, rng, rotate, photometric: see :func:`augment_batch`.
        maps: one ``(H, W)`` map per image (uint8 0..255 or float 0..1, e.g. another
            model's road probability), resampled bilinearly with the image's affine
            (outside the image: 0), or None per image / for all.

    Returns:
        ``(image, label, maps (B, 1, S, S) float 0..1 or None)``; a sample whose map is
        None gets a map of NaN.
    """
    mode = photometric if isinstance(photometric, str) else ("mild" if photometric else "none")
    if mode not in PHOTOMETRIC_MODES:
        raise ValueError(f"photometric must be one of {PHOTOMETRIC_MODES}, got {photometric!r}")
    if mode in ("strong", "both"):
        from backend.train.datasets import photometric_augment
    out_img, out_lab, out_map = [], [], []
    s = crop_px
    v, u = torch.meshgrid(
        torch.arange(s) + 0.5 - s / 2, torch.arange(s) + 0.5 - s / 2, indexing="ij"
    )
    for k, (image, label) in enumerate(zip(images, labels, strict=True)):
        extra = None if maps is None else maps[k]
        h, w = label.shape
        theta = rng.uniform(-math.pi, math.pi) if rotate else 0.0
        scale = rng.uniform(0.8, 1.1) if rotate else 1.0
        fx = -1.0 if rng.random() < 0.5 else 1.0
        fy = -1.0 if rng.random() < 0.5 else 1.0
        half = 0.5 * s * scale * (abs(math.cos(theta)) + abs(math.sin(theta)))
        cx = rng.uniform(min(half, w / 2), max(w - half, w / 2))
        cy = rng.uniform(min(half, h / 2), max(h - half, h / 2))
        ct, st = math.cos(theta), math.sin(theta)
        xs = cx + scale * (ct * fx * u - st * fy * v)
        ys = cy + scale * (st * fx * u + ct * fy * v)
        grid = torch.stack([xs / w * 2 - 1, ys / h * 2 - 1], dim=-1)[None].float()
        src = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float()
        lab = torch.from_numpy(label.astype(np.float32))[None, None]
        planes = [src, lab]
        if extra is not None:
            m = torch.from_numpy(np.asarray(extra, np.float32))[None, None]
            planes.append(m / 255.0 if np.asarray(extra).dtype == np.uint8 else m)
        warped = F.grid_sample(
            torch.cat(planes, dim=1),
            grid,
            mode="bilinear",
            padding_mode="zeros",
            align_corners=False,
        )
        img_t = warped[:, :3]
        lab_t = (warped[:, 3:4] > 0.5).float()
        out_map.append(warped[:, 4:5] if extra is not None else torch.full_like(lab_t, np.nan))
        if mode in ("strong", "both"):
            arr = img_t[0].permute(1, 2, 0).numpy() / 255.0
            img_t = torch.from_numpy(photometric_augment(arr, rng) * 255.0).permute(2, 0, 1)[None]
        if mode in ("mild", "both"):
            mean = img_t.mean()
            img_t = (img_t - mean) * rng.uniform(0.8, 1.2) + mean + rng.uniform(-0.2, 0.2) * 255
            if rng.random() < 0.3:
                img_t = _gaussian_blur(img_t, rng.uniform(0.3, 1.5))
            if rng.random() < 0.3:
                img_t = img_t + torch.randn_like(img_t) * rng.uniform(0.0, 8.0)
            img_t = img_t.clamp(0, 255)
        out_img.append(img_t)
        out_lab.append(lab_t)
    return torch.cat(out_img), torch.cat(out_lab), None if maps is None else torch.cat(out_map)


def probability_to_logits(prob: np.ndarray | torch.Tensor) -> np.ndarray:
    """Road probability (0..1) -> logits clipped to [-6, 6] (as the engine's
    ``initial_logits``), float32 numpy of the same shape."""
    p = np.clip(np.nan_to_num(np.asarray(prob, np.float32), nan=0.0), 1e-3, 1 - 1e-3)
    return np.clip(np.log(p / (1 - p)), -6, 6).astype(np.float32)


def anchor_cache_dir(
    cache_dir: str | os.PathLike[str],
    anchor_weights: str | os.PathLike[str],
    test_time_augmentation: int = 1,
) -> Path:
    """The folder of one Anchor-SAM's cached maps: ``cache_dir/anchor_<sha256[:12]>`` of the
    weights file (``_views<N>`` appended for N > 1 test-time views), so maps of other
    weights (a newly shipped Anchor-SAM) or other views are never reused."""
    from backend.models.checkpoints import sha256_of_file

    name = f"anchor_{sha256_of_file(anchor_weights)[:12]}"
    if test_time_augmentation > 1:
        name += f"_views{test_time_augmentation}"
    return Path(cache_dir) / name


def anchor_sam_probabilities(
    sources: Sequence[Any],
    images: Sequence[np.ndarray] | None,
    cache_dir: str | os.PathLike[str],
    anchor_weights: str | os.PathLike[str],
    log_every: int = 10,
    test_time_augmentation: int = 1,
) -> list[np.ndarray]:
    """Anchor-SAM's road probability of every training image, computed once and cached.

    The starting prediction of the refinement path (RoadGIE Sec. B.2: "start from another
    model's probability raster"): the shipped Anchor-SAM (or ``anchor_weights``) run on the
    whole image, which is already at the model GSD, saved as ``KEY.png`` (uint8,
    probability * 255) in :func:`anchor_cache_dir` of ``cache_dir`` and the weights. Existing
    files are reused, so a rerun or a resume is cheap; files are written to a temporary name
    and renamed.

    Args:
        sources: :class:`backend.train.datasets.SampleSource` of the images.
        images: their ``(H, W, 3)`` uint8 RGB arrays (None: read from ``sources``).
        cache_dir: folder of the cached maps (a subfolder per weights file).
        anchor_weights: Anchor-SAM weights (exported ``.pt`` with its card, or a checkpoint).
        log_every: print progress every this many computed images.
        test_time_augmentation: views averaged (``predict_probability``); the road engine's
            start uses the Anchor-SAM card's (``segment_roads.model_test_time_augmentation``).

    Returns:
        One ``(H, W)`` uint8 map (probability * 255) per source.
    """
    from PIL import Image

    from backend.train.datasets import read_rgb_uint8

    cache = anchor_cache_dir(cache_dir, anchor_weights, test_time_augmentation)
    cache.mkdir(parents=True, exist_ok=True)
    model = None
    out: list[np.ndarray] = []
    computed = 0
    t0 = time.monotonic()
    for k, source in enumerate(sources):
        path = cache / f"{source.key}.png"
        image = images[k] if images is not None else read_rgb_uint8(source.image_path)
        if path.is_file():
            with Image.open(path) as im:
                prob = np.asarray(im.convert("L"))
            if prob.shape == image.shape[:2]:
                out.append(prob)
                continue
        if model is None:
            from backend.methods.anchor_sam.predict import predict_probability
            from backend.train.anchor_sam import load_trained

            model = load_trained(Path(anchor_weights))
        with torch.no_grad():
            p = predict_probability(
                model, image, "cpu", test_time_augmentation=test_time_augmentation
            )
        prob = np.clip(np.rint(p * 255.0), 0, 255).astype(np.uint8)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.png")  # one per process
        Image.fromarray(prob).save(tmp)
        os.replace(tmp, path)
        out.append(prob)
        computed += 1
        if log_every and computed % log_every == 0:
            print(
                f"anchor-sam probabilities: {k + 1}/{len(sources)} "
                f"({computed} computed, {(time.monotonic() - t0) / 60:.1f} min)",
                flush=True,
            )
    return out


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(
        F.pad(x, (radius, radius, 0, 0), mode="reflect"),
        k.view(1, 1, 1, -1).repeat(c, 1, 1, 1),
        groups=c,
    )
    return F.conv2d(
        F.pad(x, (0, 0, radius, radius), mode="reflect"),
        k.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
        groups=c,
    )


def synthetic_initial_prediction(label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An imperfect road prediction made from a label, as another model's output would be.

    The label is blurred, random stretches are erased (missed roads, broken connections)
    and random false strokes and blobs are added, then turned into logits.

    Args:
        label: ``(H, W)`` bool.
        rng: random generator.

    Returns:
        ``(H, W)`` float32 logits clipped to [-6, 6].
    """
    from scipy import ndimage

    h, w = label.shape
    prob = ndimage.gaussian_filter(label.astype(np.float32), rng.uniform(0.5, 2.0))
    for _ in range(int(rng.integers(1, 6))):  # misses
        rh, rw = rng.integers(10, 60, size=2)
        y0, x0 = rng.integers(0, max(h - rh, 1)), rng.integers(0, max(w - rw, 1))
        prob[y0 : y0 + rh, x0 : x0 + rw] *= rng.uniform(0.0, 0.4)
    false = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(0, 5))):  # false positives: strokes and blobs
        if rng.random() < 0.6:
            pts = rng.uniform(0, [w, h], size=(2, 2))
            draw_polyline(false, pts, rng.uniform(3, 9))
        else:
            draw_disk(false, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(4, 15))
    prob = np.maximum(prob * rng.uniform(0.6, 1.0), false * rng.uniform(0.55, 0.95))
    prob = np.clip(prob, 1e-3, 1 - 1e-3)
    return np.clip(np.log(prob / (1 - prob)), -6, 6).astype(np.float32)


# --- simulated interaction ------------------------------------------------------------------


def simulate_rounds(
    model: RoadGIE,
    image: torch.Tensor,
    target: torch.Tensor,
    rounds: int,
    rng: np.random.Generator | None,
    *,
    skeleton: torch.Tensor | None = None,
    init_logits: torch.Tensor | None = None,
    valid: np.ndarray | None = None,
    scribble_prob: float = 0.0,
    random_position: bool = False,
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    consistency_weight: float = 0.0,
    with_loss: bool = True,
    merge: bool = False,
) -> tuple[torch.Tensor | None, list[dict[str, Any]]]:
    """Run ``rounds`` rounds of simulated interaction on a batch (Sec. B.4).

    Each round adds one prompt per sample in its largest error region, decodes with the
    accumulated prompt maps and the previous round's (detached) logits, and adds the round's
    loss; the losses of all rounds are averaged so one backward pass covers the whole
    trajectory (Table 12, "All Steps").

    Click consistency (not in the paper; issue 10, item 4): with ``consistency_weight`` > 0
    each round's loss also has ``consistency_weight * BCE`` of the logits at the pixels of
    every prompt given so far (positive prompt pixels target 1, negative ones 0; pixels
    covered by both left out), so the network learns to honour all earlier clicks, not only
    the newest.

    Args:
        model: the network (train or eval mode is the caller's choice).
        image: ``(B, 3, H, W)`` float 0..255, H and W multiples of 32.
        target: ``(B, 1, H, W)`` 0/1 ground truth.
        rounds: number of rounds.
        rng: random generator for prompt placement; None = deterministic clicks.
        skeleton: ``(B, 1, H, W)`` tubed skeleton of ``target`` (needed with ``with_loss``).
        init_logits: ``(B, 1, h, w)`` starting logits (refinement), or None.
        valid: ``(B, H, W)`` bool, where prompts may be placed (None: everywhere).
        scribble_prob: probability of a scribble instead of a click.
        random_position: randomise the click position inside the error region.
        weights: loss weights (focal, dice, skeleton recall).
        consistency_weight: weight of the click-consistency BCE (0: off, as in the paper).
        with_loss: compute the loss (training); False for validation.
        merge: the mask a round shows is the previous one updated only by the changes
            connected to that round's new prompt (additions to a positive one, removals to
            a negative one: :func:`backend.methods.roadgie.merge.progressive_merge`), as the
            road engine with ``merge``; round 1 from scratch shows the whole prediction. The
            next prompt goes into the largest error of the shown mask; the logits fed back
            are the network's own.

    Returns:
        ``(loss or None, per-round records)``; each record has ``round``, ``pred`` (``(B, H,
        W)`` bool numpy), ``prob`` (``(B, H, W)`` float32 numpy), ``clicks`` (all clicks so
        far: ``(sample, label, x, y)`` tuples, pixel frame), ``label_map`` (``(B, H, W)``
        int8 map of :func:`backend.methods.roadgie.prompts.prompt_label_map` of all prompts
        so far, later prompts winning) and the loss parts (``consistency`` among them).
    """
    b, _, h, w = image.shape
    feats = model.encode(image)
    gt = target[:, 0].cpu().numpy() > 0.5
    pos = np.zeros((b, h, w), np.float32)
    neg = np.zeros((b, h, w), np.float32)
    label_map = np.full((b, h, w), -1, np.int8)
    clicks: list[tuple[int, int, float, float]] = []
    prev = init_logits
    if init_logits is not None:
        pred = (upsample_logits(init_logits, (h, w))[:, 0] > 0).cpu().numpy()
    else:
        pred = np.zeros((b, h, w), bool)
    total = None
    records = []
    for r in range(1, rounds + 1):
        label_map_before = label_map.copy()
        for i in range(b):
            prompt = next_error_prompt(
                pred[i],
                gt[i],
                rng,
                valid=None if valid is None else valid[i],
                scribble_prob=scribble_prob,
                random_position=random_position,
            )
            if prompt is None:
                continue
            canvas = pos[i] if prompt.label == 1 else neg[i]
            if prompt.is_click:
                x, y = prompt.points_xy_px[0]
                draw_disk(canvas, float(x), float(y), CLICK_RADIUS_PX)
                draw_disk(label_map[i], float(x), float(y), CLICK_RADIUS_PX, prompt.label)
                clicks.append((i, int(prompt.label), float(x), float(y)))
            else:
                draw_polyline(canvas, prompt.points_xy_px, SCRIBBLE_WIDTH_PX)
                draw_polyline(label_map[i], prompt.points_xy_px, SCRIBBLE_WIDTH_PX, prompt.label)
        pos_t = torch.from_numpy(pos)[:, None].to(image.device)
        neg_t = torch.from_numpy(neg)[:, None].to(image.device)
        low = model.decode(feats, pos_t, neg_t, prev)
        logits = upsample_logits(low, (h, w))
        record: dict[str, Any] = {"round": r}
        if with_loss:
            region = torch.clamp(pos_t + neg_t, max=1.0)
            loss, parts = roadgie_loss(logits, target, skeleton, region, weights)
            consistency = click_consistency_loss(logits, pos_t, neg_t)
            parts["consistency"] = float(consistency.detach())
            if consistency_weight > 0:
                loss = loss + consistency_weight * consistency
            total = loss / rounds if total is None else total + loss / rounds
            record.update(parts)
        prev = low.detach()
        prob = torch.sigmoid(logits.detach())[:, 0].cpu().numpy()
        if merge and (r > 1 or init_logits is not None):
            pred = np.stack(
                [
                    progressive_merge(pred[i], prob[i] > 0.5, label_map[i], label_map_before[i])
                    for i in range(b)
                ]
            )
        else:
            pred = prob > 0.5
        record["pred"], record["prob"] = pred, prob
        record["clicks"], record["label_map"] = list(clicks), label_map.copy()
        records.append(record)
    return total, records


def click_consistency_loss(
    logits: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor
) -> torch.Tensor:
    """Mean BCE of ``logits`` at prompt pixels: target 1 on ``pos``, 0 on ``neg``.

    Args:
        logits: ``(B, 1, H, W)`` road logits.
        pos, neg: ``(B, 1, H, W)`` 0/1 prompt maps (all prompts so far); pixels in both are
            left out.

    Returns:
        Scalar (0 when there is no prompt pixel).
    """
    p, n = pos > 0.5, neg > 0.5
    region = (p ^ n).to(logits.dtype)
    count = region.sum()
    if float(count) == 0:
        return logits.sum() * 0.0
    bce = F.binary_cross_entropy_with_logits(logits, p.to(logits.dtype), reduction="none")
    return (bce * region).sum() / count


# --- validation -----------------------------------------------------------------------------


def dice_score(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice of two bool masks (1.0 when both are empty)."""
    inter = float(np.sum(pred & gt))
    denom = float(pred.sum() + gt.sum())
    return 1.0 if denom == 0 else 2.0 * inter / denom


def evaluate(
    model: RoadGIE,
    samples: Sequence[tuple[str, np.ndarray, np.ndarray]],
    rounds: int = 5,
    report_rounds: Sequence[int] = REPORT_ROUNDS,
    gsd_m: float = 1.0,
    with_apls: bool = True,
    initial_probs: Sequence[np.ndarray] | None = None,
    merge: bool | None = None,
) -> dict[str, Any]:
    """Dice and APLS after ``report_rounds`` rounds of deterministic simulated clicks.

    Each whole image (zero-padded to a multiple of 32) starts with no prediction, or with
    ``initial_probs`` (the refinement workflow: Anchor-SAM's probability raster as the
    starting logits, as the road engine's ``initial_probability_raster``); each round
    adds one click at the distance-transform maximum of the largest error component of the
    network's prediction. Dice is per image (images with an empty label left out of the
    mean, as Dice is 1 or 0 there) and pooled over all pixels; APLS (``backend.eval.apls``,
    default SpaceNet parameters, graphs from
    :func:`backend.methods.roadgie.geometry.mask_to_metric_graph`) over the images whose
    label graph has a path of at least 10 m.

    On the same trajectory (issue 10, item 4):

    * ``dice_guaranteed``: Dice of the mask the road engine returns, i.e. with the prompts
      enforced (:func:`backend.methods.roadgie.prompts.enforce_prompts`);
    * ``click_consistency``: the fraction of (click, round) pairs, every click checked in
      its own round and in every later one, whose clicked pixel has the click's label in
      that round's mask, for the raw network (``network``) and with the prompts enforced
      (``guaranteed``, 1.0 by construction unless two clicks share a pixel);
    * ``dice_by_round``: mean per-image Dice after each round 1..``rounds`` and
      ``dice_non_decreasing``: whether it never falls from one round to the next;
    * ``domains``: the same figures per domain (name part before ``__``, see
      :func:`domain_of`);
    * ``dice_start``: with ``initial_probs``, the mean Dice of the starting mask
      (probability > 0.5, as the engine reads it) before any click.

    Args:
        model: the network.
        samples: ``(key, image (H, W, 3) uint8, label (H, W) bool)`` at the model GSD.
        rounds: simulated rounds per image.
        report_rounds: rounds whose Dice/APLS are summarised.
        gsd_m: metres per pixel (APLS).
        with_apls: also score APLS (slower).
        initial_probs: one ``(H, W)`` road probability (0..1) per sample, or None.
        merge: progressive merge of each round into the shown mask (see
            :func:`simulate_rounds`); Dice, APLS and consistency are then of that mask.
            None: as the road engine's default, on exactly when ``initial_probs`` is given.

    Returns:
        ``{"rounds": {"1": {"dice", "dice_pooled", "dice_guaranteed", "apls", "n_dice",
        "n_apls"}, ...}, "n_images", "dice_by_round", "dice_by_round_guaranteed",
        "dice_non_decreasing", "click_consistency": {"network", "guaranteed", "n_checks"},
        "domains": {domain: {same keys}}}``.
    """
    from backend.eval.apls import compute_apls
    from backend.methods.roadgie.geometry import mask_to_metric_graph

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    acc: dict[str, dict[str, Any]] = {}
    if merge is None:
        merge = initial_probs is not None

    def new_acc() -> dict[str, Any]:
        return {
            "n_images": 0,
            "rounds": {
                r: {"dice": [], "dice_g": [], "apls": [], "inter": [], "denom": []}
                for r in range(1, rounds + 1)
            },
            "dice_start": [],
            "checks": [0, 0, 0],  # (n, consistent raw, consistent guaranteed)
        }

    with torch.no_grad():
        for index, (key, image, label) in enumerate(samples):
            h, w = label.shape
            ph, pw = pad_to_multiple(h, w)
            img = np.zeros((ph, pw, 3), np.uint8)
            img[:h, :w] = image
            lab = np.zeros((ph, pw), bool)
            lab[:h, :w] = label
            valid = np.zeros((1, ph, pw), bool)
            valid[0, :h, :w] = True
            img_t = torch.from_numpy(img).permute(2, 0, 1)[None].float().to(device)
            lab_t = torch.from_numpy(lab.astype(np.float32))[None, None].to(device)
            init_logits = None
            if initial_probs is not None:
                start = np.zeros((ph, pw), np.float32)
                start[:h, :w] = initial_probs[index]
                init_logits = torch.from_numpy(probability_to_logits(start))[None, None]
                init_logits = init_logits.to(device)
                if label.any():
                    for group in {"all", domain_of(key)}:
                        acc.setdefault(group, new_acc())["dice_start"].append(
                            dice_score(initial_probs[index] > 0.5, label)
                        )
            _, records = simulate_rounds(
                model,
                img_t,
                lab_t,
                rounds,
                None,
                valid=valid,
                init_logits=init_logits,
                with_loss=False,
                merge=merge,
            )
            gt_graph = mask_to_metric_graph(label, gsd_m) if with_apls else None
            for group in {"all", domain_of(key)}:
                acc.setdefault(group, new_acc())["n_images"] += 1
            for rec in records:
                r = rec["round"]
                pred = rec["pred"][0, :h, :w]
                pred_g = enforce_prompts(pred, rec["label_map"][0, :h, :w])
                checks = [0, 0, 0]
                for _i, click_label, x, y in rec["clicks"]:
                    cx, cy = int(np.floor(x)), int(np.floor(y))
                    checks[0] += 1
                    checks[1] += int(pred[cy, cx] == bool(click_label))
                    checks[2] += int(pred_g[cy, cx] == bool(click_label))
                apls = None
                if r in report_rounds and gt_graph is not None and gt_graph.number_of_edges():
                    try:
                        apls = compute_apls(gt_graph, mask_to_metric_graph(pred, gsd_m)).apls
                    except ValueError:  # label graph too short to score
                        apls = None
                for group in {"all", domain_of(key)}:
                    a = acc[group]
                    row = a["rounds"][r]
                    row["inter"].append(float(np.sum(pred & label)))
                    row["denom"].append(float(pred.sum() + label.sum()))
                    if label.any():
                        row["dice"].append(dice_score(pred, label))
                        row["dice_g"].append(dice_score(pred_g, label))
                    if apls is not None:
                        row["apls"].append(apls)
                    a["checks"] = [u + v for u, v in zip(a["checks"], checks, strict=True)]
    model.train(was_training)

    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    def summary(a: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"n_images": a["n_images"], "rounds": {}}
        for r in report_rounds:
            if r not in a["rounds"]:
                continue
            row = a["rounds"][r]
            out["rounds"][str(r)] = {
                "dice": mean(row["dice"]),
                "dice_pooled": 2 * sum(row["inter"]) / max(sum(row["denom"]), 1.0),
                "dice_guaranteed": mean(row["dice_g"]),
                "apls": mean(row["apls"]),
                "n_dice": len(row["dice"]),
                "n_apls": len(row["apls"]),
            }
        by_round = [mean(a["rounds"][r]["dice"]) for r in range(1, rounds + 1)]
        out["dice_by_round"] = by_round
        out["dice_by_round_guaranteed"] = [
            mean(a["rounds"][r]["dice_g"]) for r in range(1, rounds + 1)
        ]
        known = [d for d in by_round if d is not None]
        out["dice_non_decreasing"] = bool(
            all(b >= a_ for a_, b in zip(known[:-1], known[1:], strict=True))
        )
        if a["dice_start"]:
            out["dice_start"] = mean(a["dice_start"])
        n, raw, guaranteed = a["checks"]
        out["click_consistency"] = {
            "network": raw / n if n else None,
            "guaranteed": guaranteed / n if n else None,
            "n_checks": n,
        }
        return out

    result = summary(acc["all"]) if "all" in acc else summary(new_acc())
    result["n_images"] = len(samples)
    result["merge"] = merge
    result["domains"] = {d: summary(a) for d, a in sorted(acc.items()) if d != "all"}
    return result


def mean_of_domains_dice(result: dict[str, Any], at_round: str = "5") -> float | None:
    """Mean over domains of the per-image Dice after ``at_round`` clicks (each domain weighs
    the same, as the LineGraph2Road and Anchor-SAM reports' headline figures)."""
    values = [d["rounds"].get(at_round, {}).get("dice") for d in result.get("domains", {}).values()]
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def interactive_report(
    model: RoadGIE,
    data: str,
    anchor_weights: str | os.PathLike[str] | None = None,
    anchor_prob_dir: str | os.PathLike[str] | None = None,
    splits: Sequence[str] = ("select", "report"),
    gsd_m: float = 1.0,
    anchor_test_time_augmentation: int = 1,
) -> dict[str, Any]:
    """The interactive part of the validation report (issue 10, item 2).

    For each split of the multi-domain folder (``DOMAIN__SPLIT__KEY`` names) and each start,
    :func:`evaluate` with 5 deterministic clicks: ``scratch`` (no prediction at first) and,
    with ``anchor_weights``, ``anchor`` (the refinement workflow: Anchor-SAM's probability as
    the starting logits, each round progressively merged as the road engine does by
    default) and ``anchor_no_merge`` (the same start, each round replacing the whole mask).
    Nothing is tuned on either split (the interactive model has no
    threshold); ``select`` is the split checkpoints are chosen on, ``report`` the one quoted.

    Args:
        model: the network.
        data: folder written by :func:`backend.train.datasets.write_domain_set_at_gsd`.
        anchor_weights: Anchor-SAM weights for the ``anchor`` start, or None (scratch only).
        anchor_prob_dir: cache of the Anchor-SAM maps (None: a temporary folder).
        splits: split names.
        gsd_m: metres per pixel (APLS).
        anchor_test_time_augmentation: views Anchor-SAM averages for the start (the road
            engine uses the Anchor-SAM card's).

    Returns:
        ``{start: {split: evaluate() result + "dice5_mean_of_domains"}}``.

    Raises:
        ValueError: a split has no image (it names the folder and the pattern).
    """
    report: dict[str, Any] = {}
    starts = ["scratch"] + (["anchor", "anchor_no_merge"] if anchor_weights else [])
    with tempfile.TemporaryDirectory() as scratch_dir:
        for split in splits:
            include = f"*__{split}__*"
            samples = _validation_samples(data, include)
            anchor_start = None  # Anchor-SAM's maps of this split, read once for both starts
            if anchor_weights:
                maps = anchor_sam_probabilities(
                    discover_samples(data, split_patterns(include)),
                    [image for _, image, _ in samples],
                    anchor_prob_dir or scratch_dir,
                    str(anchor_weights),
                    log_every=0,
                    test_time_augmentation=anchor_test_time_augmentation,
                )
                anchor_start = [m.astype(np.float32) / 255.0 for m in maps]
            for start in starts:
                initial = anchor_start if start.startswith("anchor") else None
                merge = start == "anchor"
                result = evaluate(
                    model, samples, EVAL_ROUNDS, gsd_m=gsd_m, initial_probs=initial, merge=merge
                )
                result["dice5_mean_of_domains"] = mean_of_domains_dice(result)
                report.setdefault(start, {})[split] = result
    return report


def interactive_report_for_card(report: dict[str, Any]) -> dict[str, Any]:
    """The model card's ``validation`` entries of :func:`interactive_report`: per start and
    split, ``all`` and each domain reduced to Dice by round (4 decimals), APLS@5, the
    non-decreasing flag, click consistency and image count, plus the mean-of-domains Dice@5.
    """

    def compact(m: dict[str, Any]) -> dict[str, Any]:
        def r4(v: float | None) -> float | None:
            return None if v is None else round(float(v), 4)

        out = {
            "n_images": m["n_images"],
            "dice_by_round": [r4(d) for d in m["dice_by_round"]],
            "dice_non_decreasing": m["dice_non_decreasing"],
            "apls_at_5": r4(m["rounds"].get("5", {}).get("apls")),
            "click_consistency_network": r4(m["click_consistency"]["network"]),
            "click_consistency_guaranteed": r4(m["click_consistency"]["guaranteed"]),
        }
        if "dice_start" in m:
            out["dice_start"] = r4(m["dice_start"])
        return out

    return {
        start: {
            split: {
                "all": compact(part),
                "domains": {d: compact(m) for d, m in part["domains"].items()},
                "dice5_mean_of_domains": round(float(part["dice5_mean_of_domains"]), 4),
                **({"merge": part["merge"]} if "merge" in part else {}),
            }
            for split, part in parts.items()
        }
        for start, parts in report.items()
    }


def interactive_report_markdown(report: dict[str, Any]) -> str:
    """Markdown table of :func:`interactive_report`."""
    lines = [
        "# Interactive model (RoadGIE-style) validation report",
        "",
        "Deterministic simulated clicks on whole images at 1 m (`roadgie evaluate`): each "
        "click at the centre of the largest error region. Start `scratch`: no prediction "
        "before the first click; `anchor`: Anchor-SAM's probability as the starting logits "
        "(the refinement workflow), each round progressively merged (only changes connected "
        "to the new click are taken, the road engine's default for this start); "
        "`anchor_no_merge`: the same start, each round replacing the whole mask. "
        "Dice per image, mean over images; click consistency: "
        "clicked pixels with the click's label in the network's own mask, every click "
        "checked in its round and all later ones. Checkpoints are chosen on `select`.",
        "",
        "| start | split | domain | images | Dice start | Dice@1 | Dice@3 | Dice@5 | "
        "APLS@5 | non-decreasing | click consistency (network) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(value: Any) -> str:
        return "-" if value is None else f"{value:.3f}"

    for start, parts in report.items():
        for split, part in parts.items():
            rows = [("all", part), *sorted(part["domains"].items())]
            for domain, m in rows:
                rounds = m["rounds"]
                lines.append(
                    f"| {start} | {split} | {domain} | {m['n_images']} | "
                    f"{cell(m.get('dice_start'))} | "
                    + " | ".join(cell(rounds.get(r, {}).get("dice")) for r in ("1", "3", "5"))
                    + f" | {cell(rounds.get('5', {}).get('apls'))} | "
                    f"{'yes' if m['dice_non_decreasing'] else 'no'} | "
                    f"{cell(m['click_consistency']['network'])} |"
                )
            if part.get("dice5_mean_of_domains") is not None:
                lines.append(
                    f"| {start} | {split} | mean of domains | | | | | "
                    f"{cell(part['dice5_mean_of_domains'])} | | | |"
                )
    return "\n".join(lines) + "\n"


# --- training loop --------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Everything a run needs; stored in each checkpoint so ``--resume`` continues it.

    Attributes:
        data: dataset folder (images/ + labels/).
        out_dir: run folder: ``last.pt``, ``history.jsonl``, ``val_*.json``.
        train_include, val_include: name patterns of the training / validation images.
        variant: model variant (:data:`backend.methods.roadgie.model.CONFIGS`).
        crop_px: training crop side (paper 512; 256 on CPU).
        batch_size: crops per step (paper 8).
        rounds: simulated interaction rounds per sample (paper 5).
        lr: Adam learning rate (paper 3e-4).
        warmup_steps: linear warm-up steps.
        max_steps: last step; the cosine decay reaches 0 there (or at the time limit).
        time_limit_min: stop after this many minutes of training in total (resumes
            included), with a checkpoint; the cosine decay follows it too.
        scribble_prob: share of simulated prompts that are scribbles.
        init_prob: share of batches starting from an imperfect prediction (refinement).
        init_source: where that prediction comes from: ``"synthetic"`` (a perturbed label,
            :func:`synthetic_initial_prediction`), ``"anchor_sam"`` (the Anchor-SAM
            probability of the image, :func:`anchor_sam_probabilities`, cropped with the
            image's affine) or ``"mixed"`` (each sample one of the two, ``anchor_share``
            of them Anchor-SAM).
        anchor_share: with ``"mixed"``, share of samples started from Anchor-SAM.
        anchor_weights: Anchor-SAM weights for ``anchor_sam`` / ``mixed``.
        anchor_prob_dir: cache folder of the Anchor-SAM probabilities (default
            ``out_dir/anchor_prob``).
        loss_weights: (focal, dice, skeleton recall).
        consistency_weight: weight of the click-consistency BCE (:func:`simulate_rounds`).
        balance_domains: draw images so every domain (name part before ``__``) has the same
            share of the batches (:func:`balanced_domain_weights`); else area-uniform over
            images as before (uniform per image).
        photometric: photometric augmentation, one of :data:`PHOTOMETRIC_MODES`.
        init_weights: start from these weights (exported ``.pt`` or a checkpoint; weights
            only, new optimiser and step 0); ignored on resume.
        init_encoder_from: an Anchor-SAM ``.pt`` (or SAM2 checkpoint) whose
            ``image_encoder.*`` Hiera + FPN weights start the encoder of a ``sam2_hiera``
            variant (``hiera_pico``; not in the paper, issue 10), after ``init_weights``;
            ignored on resume. ValueError for a strip variant or keys that do not fit.
        encoder_lr_scale: learning-rate factor of the ``image_encoder.*`` parameters
            (``sam2_hiera`` variants only; the strip variants have one parameter group).
        checkpoint_every, val_every, log_every: in steps (0 disables validation).
        seed: random seed.
        gsd_m: ground sample distance of the data (metres per pixel), for APLS.
        keep_best: save ``best.pt`` at every validation whose mean Dice after
            :data:`EVAL_ROUNDS` clicks is the best so far (history rows ``"best": true``
            with the ``score``), and validate once more at the end of training.
        device: torch device (``cpu``, ``cuda``, ``mps``).
    """

    data: str
    out_dir: str
    train_include: tuple[str, ...] = ("tr_*", "va_*")
    val_include: tuple[str, ...] = ("te_*",)
    variant: str = "strip"
    crop_px: int = 256
    batch_size: int = 4
    rounds: int = 5
    lr: float = 3e-4
    warmup_steps: int = 30
    max_steps: int = 3000
    time_limit_min: float | None = None
    scribble_prob: float = 0.3
    init_prob: float = 0.25
    init_source: str = "synthetic"
    anchor_share: float = 0.5
    anchor_weights: str = "backend/models/weights/anchor_sam_pico_1m.pt"
    anchor_prob_dir: str | None = None
    loss_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    consistency_weight: float = 1.0
    balance_domains: bool = False
    photometric: str = "mild"
    init_weights: str | None = None
    init_encoder_from: str | None = None
    encoder_lr_scale: float = 1.0
    checkpoint_every: int = 50
    val_every: int = 0
    log_every: int = 10
    seed: int = 0
    gsd_m: float = 1.0
    keep_best: bool = False
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def lr_factor(step: int, warmup_steps: int, max_steps: int, time_fraction: float = 0.0) -> float:
    """Linear warm-up then cosine decay to 0 over the larger of step and time progress."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    frac = max((step - warmup_steps) / max(max_steps - warmup_steps, 1), time_fraction)
    return 0.5 * (1.0 + math.cos(math.pi * min(frac, 1.0)))


def make_optimizer(model: RoadGIE, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam; with an ``image_encoder`` (``sam2_hiera`` variants) two parameter groups, the
    encoder's at ``lr * encoder_lr_scale`` (each group's ``lr_scale`` is applied by the
    schedule). Strip variants keep one group, so their older checkpoints still resume."""
    encoder = [p for n, p in model.named_parameters() if n.startswith("image_encoder.")]
    if not encoder:
        return torch.optim.Adam([{"params": list(model.parameters()), "lr_scale": 1.0}], lr=cfg.lr)
    rest = [p for n, p in model.named_parameters() if not n.startswith("image_encoder.")]
    return torch.optim.Adam(
        [
            {"params": encoder, "lr_scale": cfg.encoder_lr_scale},
            {"params": rest, "lr_scale": 1.0},
        ],
        lr=cfg.lr,
    )


def train(cfg: TrainConfig, resume: bool = False) -> dict[str, Any]:
    """Train (or resume) the road model; see the module docstring.

    Args:
        cfg: the run configuration.
        resume: continue from ``out_dir/last.pt`` (weights, optimiser, step, elapsed time);
            ``max_steps`` and ``time_limit_min`` of ``cfg`` win.

    Returns:
        ``{"step", "stop_reason", "elapsed_s", "val"}``.

    Raises:
        ValueError: resume without a checkpoint, an unusable dataset, or
            ``init_encoder_from`` with a strip variant or weights that do not fit.
    """
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "last.pt"
    if cfg.init_source not in INIT_SOURCES:
        raise ValueError(f"init_source must be one of {INIT_SOURCES}, got {cfg.init_source!r}")
    if cfg.photometric not in PHOTOMETRIC_MODES:
        raise ValueError(f"photometric must be one of {PHOTOMETRIC_MODES}, got {cfg.photometric!r}")
    device = torch.device(cfg.device)
    model = build_roadgie(cfg.variant)
    if cfg.init_weights and not resume:
        model.load_state_dict(load_roadgie_weights(cfg.init_weights, cfg.variant).state_dict())
    if cfg.init_encoder_from and not resume:
        if CONFIGS[cfg.variant].encoder_kind != "sam2_hiera":
            raise ValueError(
                f"--init-encoder-from needs a Hiera variant (e.g. hiera_pico); {cfg.variant!r} "
                f"has a {CONFIGS[cfg.variant].encoder_kind!r} encoder"
            )
        model.load_hiera_encoder(cfg.init_encoder_from)
    model.to(device)
    opt = make_optimizer(model, cfg)
    step, elapsed_s = 0, 0.0
    if resume:
        if not ckpt_path.is_file():
            raise ValueError(f"cannot resume: {ckpt_path} does not exist; start without --resume")
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        saved = TrainConfig.from_dict(state["config"])
        saved.max_steps, saved.time_limit_min = cfg.max_steps, cfg.time_limit_min
        saved.device, saved.keep_best = cfg.device, cfg.keep_best
        cfg = saved
        model = build_roadgie(cfg.variant)
        model.load_state_dict(state["model"])
        model.to(device)
        opt = make_optimizer(model, cfg)
        opt.load_state_dict(state["optimizer"])
        step, elapsed_s = int(state["step"]), float(state["elapsed_s"])
    train_sources = discover_samples(cfg.data, cfg.train_include)
    val_sources = discover_samples(cfg.data, cfg.val_include) if cfg.val_include else []
    train_data = [read_pair(s) for s in train_sources]
    val_data = [(s.key, *read_pair(s)) for s in val_sources]
    keys = [s.key for s in train_sources]
    if cfg.balance_domains:
        draw_p = balanced_domain_weights(keys, [float(lab.size) for _, lab in train_data])
    else:
        draw_p = np.full(len(train_data), 1.0 / len(train_data))
    anchor_probs: list[np.ndarray] | None = None
    if cfg.init_source != "synthetic" and cfg.init_prob > 0:
        anchor_probs = anchor_sam_probabilities(
            train_sources,
            [img for img, _ in train_data],
            cfg.anchor_prob_dir or out / "anchor_prob",
            cfg.anchor_weights,
        )
    anchor_share = {"synthetic": 0.0, "anchor_sam": 1.0, "mixed": cfg.anchor_share}[cfg.init_source]
    shares = {
        d: float(draw_p[[domain_of(k) == d for k in keys]].sum())
        for d in set(domain_of(k) for k in keys)
    }
    print(
        f"roadgie {cfg.variant}: {count_parameters(model)} parameters, {len(train_data)} "
        f"training / {len(val_data)} validation images, crop {cfg.crop_px}, batch "
        f"{cfg.batch_size}, rounds {cfg.rounds}, steps {step} -> {cfg.max_steps}, "
        f"threads {torch.get_num_threads()}, domain shares "
        + ", ".join(f"{d} {v:.2f}" for d, v in sorted(shares.items()))
        + f", init {cfg.init_source} (p {cfg.init_prob}), photometric {cfg.photometric}, "
        f"consistency weight {cfg.consistency_weight}"
        + (f", from {cfg.init_weights}" if cfg.init_weights and not resume else "")
        + (
            f", encoder from {cfg.init_encoder_from}"
            if cfg.init_encoder_from and not resume
            else ""
        )
        + (f", encoder lr x{cfg.encoder_lr_scale}" if cfg.encoder_lr_scale != 1.0 else ""),
        flush=True,
    )
    best_score = _best_score_so_far(out / "history.jsonl")
    history = (out / "history.jsonl").open("a")

    def log(record: dict[str, Any]) -> None:
        history.write(json.dumps(record) + "\n")
        history.flush()

    def checkpoint() -> None:
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "step": step,
                "elapsed_s": elapsed_s,
                "config": cfg.to_dict(),
            },
            tmp,
        )
        os.replace(tmp, ckpt_path)

    def validate() -> dict[str, Any]:
        """Validate, log, and with ``keep_best`` save ``best.pt`` on a new best score."""
        nonlocal best_score
        result = evaluate(model, val_data, EVAL_ROUNDS, gsd_m=cfg.gsd_m)
        record: dict[str, Any] = {"step": step, "val": result}
        score = result["rounds"].get(str(EVAL_ROUNDS), {}).get("dice")
        if cfg.keep_best and score is not None and (best_score is None or score > best_score):
            best_score = float(score)
            tmp = out / "best.tmp"
            torch.save(
                {
                    "model": model.state_dict(),
                    "step": step,
                    "elapsed_s": elapsed_s,
                    "config": cfg.to_dict(),
                },
                tmp,
            )
            os.replace(tmp, out / "best.pt")
            record.update(best=True, score=best_score)
        log(record)
        print(f"val step {step}: {json.dumps(result['rounds'])}", flush=True)
        return result

    limit_s = cfg.time_limit_min * 60 if cfg.time_limit_min is not None else None
    stop_reason = "max_steps"
    model.train()
    running: dict[str, float] = {}
    n_running = 0
    t_start = time.monotonic() - elapsed_s
    val_result = None
    while step < cfg.max_steps:
        elapsed_s = time.monotonic() - t_start
        if limit_s is not None and elapsed_s >= limit_s:
            stop_reason = "time_limit"
            break
        rng = np.random.default_rng([cfg.seed, step])
        frac = elapsed_s / limit_s if limit_s else 0.0
        for g in opt.param_groups:
            g["lr"] = (
                cfg.lr
                * g.get("lr_scale", 1.0)
                * lr_factor(step, cfg.warmup_steps, cfg.max_steps, frac)
            )
        idx = rng.choice(len(train_data), size=cfg.batch_size, p=draw_p)
        image, target, anchor_crop = augment_batch_with_maps(
            [train_data[i][0] for i in idx],
            [train_data[i][1] for i in idx],
            cfg.crop_px,
            rng,
            None if anchor_probs is None else [anchor_probs[i] for i in idx],
            photometric=cfg.photometric,
        )
        gt_np = target[:, 0].numpy() > 0.5
        skeleton = tubed_skeletons(target)
        init = None
        image, target, skeleton = image.to(device), target.to(device), skeleton.to(device)
        if rng.random() < cfg.init_prob:
            starts = []
            for j, g in enumerate(gt_np):
                if anchor_crop is not None and rng.random() < anchor_share:
                    starts.append(probability_to_logits(anchor_crop[j, 0].numpy()))
                else:
                    starts.append(synthetic_initial_prediction(g, rng))
            init = torch.from_numpy(np.stack(starts))[:, None].to(device)
        loss, records = simulate_rounds(
            model,
            image,
            target,
            cfg.rounds,
            rng,
            skeleton=skeleton,
            init_logits=init,
            scribble_prob=cfg.scribble_prob,
            random_position=True,
            weights=cfg.loss_weights,
            consistency_weight=cfg.consistency_weight,
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        running["loss"] = running.get("loss", 0.0) + float(loss.detach())
        for rec in records:
            for k in ("focal", "dice", "skeleton_recall", "consistency"):
                running[k] = running.get(k, 0.0) + rec[k] / len(records)
        running["dice_last_round"] = running.get("dice_last_round", 0.0) + float(
            np.mean([dice_score(p, g) for p, g in zip(records[-1]["pred"], gt_np, strict=True)])
        )
        n_running += 1
        elapsed_s = time.monotonic() - t_start
        if step % cfg.log_every == 0:
            rec = {k: v / n_running for k, v in running.items()}
            rec.update(step=step, lr=opt.param_groups[-1]["lr"], elapsed_s=round(elapsed_s, 1))
            log(rec)
            print(
                f"step {step} loss {rec['loss']:.4f} focal {rec['focal']:.4f} dice "
                f"{rec['dice']:.4f} skel {rec['skeleton_recall']:.4f} cons "
                f"{rec['consistency']:.4f} train-dice@{cfg.rounds} "
                f"{rec['dice_last_round']:.3f} lr {rec['lr']:.2e} {elapsed_s / 60:.1f} min",
                flush=True,
            )
            running, n_running = {}, 0
        if step % cfg.checkpoint_every == 0:
            checkpoint()
        if cfg.val_every and val_data and step % cfg.val_every == 0:
            val_result = validate()
    validated_last = bool(cfg.val_every) and step % cfg.val_every == 0
    if cfg.keep_best and val_data and step > 0 and not validated_last:
        val_result = validate()  # the last steps count too
    checkpoint()
    history.close()
    print(f"stopped at step {step} ({stop_reason}), {elapsed_s / 60:.1f} min", flush=True)
    return {"step": step, "stop_reason": stop_reason, "elapsed_s": elapsed_s, "val": val_result}


def _best_score_so_far(history_path: Path) -> float | None:
    """The best validation score (``--keep-best``) of an earlier run in the same folder."""
    if not history_path.is_file():
        return None
    scores = []
    for line in history_path.read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("best") and row.get("score") is not None:
            scores.append(float(row["score"]))
    return max(scores) if scores else None


# --- export ---------------------------------------------------------------------------------


def load_weights(path: str | os.PathLike[str], variant: str | None = None) -> RoadGIE:
    """See :func:`backend.methods.roadgie.model.load_roadgie_weights`."""
    return load_roadgie_weights(str(path), variant)


def export(
    checkpoint: str | os.PathLike[str],
    output: str | os.PathLike[str],
    card: dict[str, Any],
    val_samples: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
) -> dict[str, Any]:
    """Write fp16 weights and a JSON model card next to them (``output`` with ``.json``).

    The validation figures of the card are computed on the exported (fp16-rounded) weights.

    Returns:
        The card as written.
    """
    from backend.models.checkpoints import sha256_of_file

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    cfg = TrainConfig.from_dict(state["config"])
    half = {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()}
    output = Path(output)
    tmp = output.with_suffix(".tmp")
    torch.save(half, tmp)
    os.replace(tmp, output)
    model = load_weights(output, cfg.variant)
    card = dict(card)
    card.update(
        file_name=output.name,
        sha256=sha256_of_file(output),
        size_bytes=output.stat().st_size,
        parameters=count_parameters(model),
        variant=cfg.variant,
        architecture=CONFIGS[cfg.variant].to_dict(),
        training={  # the card's own training facts (e.g. the fine_tune job's) win
            "steps": int(state["step"]),
            "wall_time_min": round(float(state["elapsed_s"]) / 60, 1),
            **card.get("training", {}),
            "config": cfg.to_dict(),
        },
    )
    if val_samples:
        card["validation"] = {
            **card.get("validation", {}),
            **evaluate(model, val_samples, EVAL_ROUNDS, gsd_m=cfg.gsd_m),
        }
    output.with_suffix(".json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return card


# --- command line -------------------------------------------------------------------------


def _validation_samples(data: str, include: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(key, image, label)`` of the pairs in ``data`` matching comma-separated ``include``."""
    return [(s.key, *read_pair(s)) for s in discover_samples(data, split_patterns(include))]


def _add_anchor_views_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--anchor-test-time-augmentation",
        type=int,
        choices=TEST_TIME_AUGMENTATIONS,
        default=1,
        help="views Anchor-SAM averages for --anchor-start (the road engine starts from the "
        "number its card's inference_defaults.test_time_augmentation names)",
    )


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig(data="", out_dir="")
    parser = argparse.ArgumentParser(
        prog="python -m backend.train.roadgie",
        description="Train / evaluate / export the RoadGIE-style interactive road model.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train or resume")
    tr.add_argument("--data", required=True, help="folder with images/ and labels/")
    tr.add_argument("--out", required=True, help="run folder (last.pt, history.jsonl)")
    tr.add_argument("--train-include", default=",".join(d.train_include))
    tr.add_argument("--val-include", default=",".join(d.val_include))
    tr.add_argument("--variant", default=d.variant, choices=sorted(CONFIGS))
    tr.add_argument("--crop-px", type=int, default=d.crop_px)
    tr.add_argument("--batch-size", type=int, default=d.batch_size)
    tr.add_argument("--rounds", type=int, default=d.rounds)
    tr.add_argument("--lr", type=float, default=d.lr)
    tr.add_argument("--warmup-steps", type=int, default=d.warmup_steps)
    tr.add_argument("--max-steps", type=int, default=d.max_steps)
    tr.add_argument("--time-limit-min", type=float, default=None)
    tr.add_argument("--scribble-prob", type=float, default=d.scribble_prob)
    tr.add_argument("--init-prob", type=float, default=d.init_prob)
    tr.add_argument(
        "--init-source",
        default=d.init_source,
        choices=INIT_SOURCES,
        help="refinement start: perturbed label, Anchor-SAM probability, or both (mixed)",
    )
    tr.add_argument("--anchor-share", type=float, default=d.anchor_share)
    tr.add_argument("--anchor-weights", default=d.anchor_weights)
    tr.add_argument(
        "--anchor-prob-dir", default=None, help="cache of Anchor-SAM maps (OUT/anchor_prob)"
    )
    tr.add_argument("--consistency-weight", type=float, default=d.consistency_weight)
    tr.add_argument(
        "--balance-domains",
        action="store_true",
        help="equal share of each domain (name part before __) per batch",
    )
    tr.add_argument("--photometric", default=d.photometric, choices=PHOTOMETRIC_MODES)
    tr.add_argument(
        "--init-weights", default=None, help="start from these weights (not with --resume)"
    )
    tr.add_argument(
        "--init-encoder-from",
        default=None,
        help="Anchor-SAM .pt whose image_encoder (Hiera + FPN) starts the encoder of a "
        "Hiera variant (hiera_pico); not with --resume",
    )
    tr.add_argument(
        "--encoder-lr-scale",
        type=float,
        default=d.encoder_lr_scale,
        help="learning-rate factor of the Hiera encoder (hiera_pico only)",
    )
    tr.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    tr.add_argument("--val-every", type=int, default=d.val_every)
    tr.add_argument("--log-every", type=int, default=d.log_every)
    tr.add_argument("--seed", type=int, default=d.seed)
    tr.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    tr.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    tr.add_argument(
        "--keep-best",
        action="store_true",
        help="save OUT/best.pt at each validation with the best mean Dice after 5 clicks "
        "(and validate at the end)",
    )
    tr.add_argument("--device", default=d.device, help="torch device: cpu, cuda, mps")
    ev = sub.add_parser("evaluate", help="Dice/APLS after 1, 3, 5 simulated rounds")
    ev.add_argument("--weights", required=True, help="last.pt or exported .pt")
    ev.add_argument("--data", required=True)
    ev.add_argument("--include", default="te_*")
    ev.add_argument("--rounds", type=int, default=EVAL_ROUNDS)
    ev.add_argument("--output", default=None, help="also write the result to this JSON file")
    ev.add_argument("--gsd-m", type=float, default=1.0, help="metres per pixel (APLS)")
    ev.add_argument("--device", default="cpu", help="torch device: cpu, cuda, mps")
    ev.add_argument("--threads", type=int, default=None)
    ev.add_argument(
        "--anchor-start",
        default=None,
        metavar="WEIGHTS",
        help="start every image from this Anchor-SAM's probability (the refinement "
        "workflow) instead of from nothing",
    )
    ev.add_argument(
        "--anchor-prob-dir",
        default=None,
        help="cache of the Anchor-SAM maps for --anchor-start (default: none kept)",
    )
    _add_anchor_views_argument(ev)
    ev.add_argument(
        "--merge",
        choices=("auto", "on", "off"),
        default="auto",
        help="progressive merge of each round (auto: on with --anchor-start, as the road "
        "engine's default)",
    )
    rp = sub.add_parser(
        "report",
        help="validation report: Dice after 1/3/5 clicks and click consistency per domain, "
        "select and report splits, from scratch and from Anchor-SAM (STEM.json + STEM.md)",
    )
    rp.add_argument("--weights", required=True, help="last.pt, best.pt or exported .pt")
    rp.add_argument("--data", required=True, help="folder from write_domain_set_at_gsd")
    rp.add_argument(
        "--output",
        required=True,
        help="path stem: writes STEM.json, STEM.md and STEM.card.json (the card's entries)",
    )
    rp.add_argument(
        "--anchor-start", default=None, metavar="WEIGHTS", help="also start from Anchor-SAM"
    )
    rp.add_argument("--anchor-prob-dir", default=None, help="cache of the Anchor-SAM maps")
    _add_anchor_views_argument(rp)
    rp.add_argument("--threads", type=int, default=None)
    pa = sub.add_parser(
        "precompute-anchor", help="cache Anchor-SAM probabilities of the training images"
    )
    pa.add_argument("--data", required=True)
    pa.add_argument("--include", default="tr_*,va_*")
    pa.add_argument("--anchor-weights", default=d.anchor_weights)
    pa.add_argument(
        "--out-dir", required=True, help="cache folder (the trainer's --anchor-prob-dir)"
    )
    pa.add_argument("--threads", type=int, default=None)
    ex = sub.add_parser("export", help="fp16 weights + JSON model card")
    ex.add_argument("--checkpoint", required=True)
    ex.add_argument("--output", required=True, help=".pt to write (card: same name .json)")
    ex.add_argument("--card", required=True, help="JSON file with the card's fixed facts")
    ex.add_argument("--data", default=None, help="validation data folder")
    ex.add_argument("--include", default="te_*")
    ex.add_argument("--threads", type=int, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.command == "train":
        cfg = TrainConfig(
            data=args.data,
            out_dir=args.out,
            train_include=split_patterns(args.train_include),
            val_include=split_patterns(args.val_include),
            variant=args.variant,
            crop_px=args.crop_px,
            batch_size=args.batch_size,
            rounds=args.rounds,
            lr=args.lr,
            warmup_steps=args.warmup_steps,
            max_steps=args.max_steps,
            time_limit_min=args.time_limit_min,
            scribble_prob=args.scribble_prob,
            init_prob=args.init_prob,
            init_source=args.init_source,
            anchor_share=args.anchor_share,
            anchor_weights=args.anchor_weights,
            anchor_prob_dir=args.anchor_prob_dir,
            consistency_weight=args.consistency_weight,
            balance_domains=args.balance_domains,
            photometric=args.photometric,
            init_weights=args.init_weights,
            init_encoder_from=args.init_encoder_from,
            encoder_lr_scale=args.encoder_lr_scale,
            checkpoint_every=args.checkpoint_every,
            val_every=args.val_every,
            log_every=args.log_every,
            seed=args.seed,
            keep_best=args.keep_best,
            device=args.device,
        )
        result = train(cfg, resume=args.resume)
        print(json.dumps({k: v for k, v in result.items() if k != "val"}))
        return 0
    if args.command == "evaluate":
        model = load_weights(args.weights).to(args.device)
        samples = _validation_samples(args.data, args.include)
        initial = None
        if args.anchor_start:
            sources = discover_samples(args.data, split_patterns(args.include))
            with tempfile.TemporaryDirectory() as scratch:
                maps = anchor_sam_probabilities(
                    sources,
                    [image for _, image, _ in samples],
                    args.anchor_prob_dir or scratch,
                    args.anchor_start,
                    log_every=0,
                    test_time_augmentation=args.anchor_test_time_augmentation,
                )
            initial = [m.astype(np.float32) / 255.0 for m in maps]
        merge = {"auto": None, "on": True, "off": False}[args.merge]
        result = evaluate(
            model, samples, args.rounds, gsd_m=args.gsd_m, initial_probs=initial, merge=merge
        )
        if args.anchor_start:
            result["start"] = f"Anchor-SAM probability ({args.anchor_start})"
        text = json.dumps(result, indent=2)
        if args.output:
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            Path(args.output).write_text(text + "\n")
        print(text)
        return 0
    if args.command == "report":
        model = load_weights(args.weights)
        report = interactive_report(
            model,
            args.data,
            args.anchor_start,
            args.anchor_prob_dir,
            anchor_test_time_augmentation=args.anchor_test_time_augmentation,
        )
        write_report(report, args.output, interactive_report_markdown)
        # the model card's "validation" entries, ready to paste (interactive_report_for_card)
        card_entries = json.dumps(interactive_report_for_card(report), indent=2, sort_keys=True)
        Path(f"{args.output}.card.json").write_text(card_entries + "\n")
        print(interactive_report_markdown(report))
        return 0
    if args.command == "precompute-anchor":
        sources = discover_samples(args.data, split_patterns(args.include))
        anchor_sam_probabilities(sources, None, args.out_dir, args.anchor_weights, log_every=1)
        print(json.dumps({"images": len(sources), "out_dir": args.out_dir}))
        return 0
    card = json.loads(Path(args.card).read_text())
    samples = []
    if args.data:
        samples = _validation_samples(args.data, args.include)
    card = export(args.checkpoint, args.output, card, samples)
    print(json.dumps(card.get("validation", {}), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
