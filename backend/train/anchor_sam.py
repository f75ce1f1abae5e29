"""Training, validation and export of Anchor-SAM road segmentation (paper Sec. IV-B).

Data, either:

* ``--roads ROADS``: the fixed multi-domain set of ``shared/data/roads``
  (:func:`backend.train.datasets.multi_domain_samples`: Massachusetts, Google EPFL,
  DeepGlobe, RoadNet Ottawa, SpaceNet Vegas pan with partial labels). Each crop is
  resampled from its domain's GSD to ``--model-gsd-m`` with scale jitter
  (``--scale-jitter``), strongly augmented in colour, and every batch holds the training
  domains in equal shares (:class:`~backend.train.datasets.BalancedDomainSampler`).
  Partial labels count only their road pixels in the loss. Checkpoints (``best.pt``) are
  chosen on the ``select`` split (mean-of-domains IoU at 0.5); every
  ``--export-every-min`` minutes ``last.pt`` is saved, the best checkpoint is exported
  (fp16 + card, ``OUT/export/``) and the report of :mod:`backend.train.report`
  (``select`` + held-out ``report`` split) is written next to it; or
* ``--data DIR``: dataset folders in the layouts of :mod:`backend.train.datasets`
  (Massachusetts ``images/`` + ``labels/``, DeepGlobe ``*_sat.jpg`` + ``*_mask.png``,
  GeoTIFF + vector centerlines rasterised ``--line-width-px`` wide), already at the
  model's GSD, selected by ``--train-include`` / ``--val-include``.

Pure white pixels (Massachusetts no-data) are excluded from the loss and the metrics.

Augmentation: random crops, horizontal/vertical flips, 90-degree rotations, colour jitter
(brightness, contrast, saturation). Loss: BCE + Dice (Eq. 18); with
``--skeleton-recall-weight W`` (not in the paper) plus W times the Skeleton Recall loss of
the label's tubed skeleton (Kirchhoff et al., ECCV 2024; the RoadGIE loss of
:mod:`backend.methods.roadgie.losses`, invalid pixels excluded), which penalises breaks in
thin roads that Dice barely sees (LineGraph2Road traces its graph on this mask); with
``--skeleton-precision-weight W`` (not in the paper) plus W times clDice's topological
precision loss (Shit et al., CVPR 2021), which penalises predicted branches off the labelled
roads (spurious graph edges). Optimiser:
AdamW (weight decay 1e-4) with linear warm-up and cosine annealing to 1e-6; with
``--time-limit-min`` the schedule follows the elapsed fraction of the time budget. AMP on
CUDA. ``--resume`` continues from ``OUT/last.pt`` (model, optimiser, step); ``--resume
FILE`` does the same when ``OUT/last.pt`` exists (so one command line restarts a run where
it stopped) and otherwise starts from ``FILE``: a training checkpoint (with its optimiser
state) or a weights-only file such as the shipped fp16 export (fresh optimiser, step 0).
``--grow-from FILE`` (not in the paper) starts a deeper ``--variant`` from a trained
shallower model of the same widths (e.g. ``pico`` -> ``pico_deep``): the same function at
step 0, new Hiera blocks that start as identity (:func:`grow_anchor_sam`); with ``--resume``
it applies only while ``OUT/last.pt`` does not exist yet.
Validation: precision, recall, F1 and IoU of the road class at threshold 0.5 over all
validation pixels.

Run ``python -m backend.train.anchor_sam --help``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from backend.methods.anchor_sam.model import (
    VARIANTS,
    AnchorSAM,
    bce_dice_loss,
    build_anchor_sam,
    count_parameters,
)
from backend.methods.anchor_sam.predict import predict_probability
from backend.methods.anchor_sam.views import TEST_TIME_AUGMENTATIONS
from backend.methods.roadgie.losses import prompt_excluded_skeleton_recall, tubed_skeletons
from backend.models.checkpoints import load_state_dict_file, load_state_dict_strict
from backend.train.datasets import (
    BalancedDomainSampler,
    SampleSource,
    discover_samples,
    load_multi_domain,
    random_crop_at_gsd,
    read_pair,
    split_patterns,
)
from backend.train.report import (
    anchor_sam_probability_fn,
    count_split,
    load_eval_samples,
    report_markdown,
    segmentation_report,
    summarise,
    write_report,
)


@dataclass
class TrainConfig:
    """Settings of one training run (saved into every checkpoint).

    Attributes:
        data_dirs: dataset folders.
        out_dir: run folder (``last.pt``, ``best.pt``, ``history.jsonl``).
        train_include / val_include: fnmatch patterns selecting the pairs of each split.
        variant: key of :data:`~backend.methods.anchor_sam.model.VARIANTS`.
        sam2_checkpoint: official SAM2 checkpoint for the encoder (None: random init).
        crop_px: training crop side (multiple of 32).
        line_width_px: width of rasterised vector centerlines.
        lr, min_lr, weight_decay, warmup_steps: optimiser and schedule.
        max_steps: total optimiser steps; time_limit_min stops earlier.
        val_every: steps between validations (0: once per epoch over the training pairs).
        roads_root: ``shared/data/roads`` or a pack of it
            (:func:`~backend.train.datasets.pack_road_set`) for the multi-domain set
            (then ``data_dirs``, ``train_include`` and ``val_include`` are unused).
        domains: multi-domain subset (None: all).
        model_gsd_m: metres per pixel the model is trained at (multi-domain set).
        scale_jitter: (min, max) random zoom applied on top of the GSD resampling.
        export_every_min: minutes between ``last.pt`` + fp16 export + report (multi-domain).
        export_name: file stem of the export in ``OUT/export/``.
        card_template: JSON model card whose facts the periodic export starts from.
        workers: data-loader processes building multi-domain batches (0: in the loop).
        skeleton_recall_weight: weight of the Skeleton Recall loss added to Eq. 18 (0: off).
        skeleton_precision_weight: weight of the skeleton precision loss (clDice's
            topological precision) added to Eq. 18 (0: off).
        grow_from: trained shallower model to start a fresh run from (:func:`grow_anchor_sam`);
            ignored once ``OUT/last.pt`` exists.
        domain_shares: whole-number share of each training domain in a batch (multi-domain
            set; default 1 each), see :class:`~backend.train.datasets.BalancedDomainSampler`.
    """

    data_dirs: list[str]
    out_dir: str
    train_include: list[str] = field(default_factory=lambda: ["*"])
    val_include: list[str] = field(default_factory=list)
    variant: str = "pico"
    sam2_checkpoint: str | None = None
    crop_px: int = 320
    line_width_px: float = 5.0
    batch_size: int = 4
    lr: float = 1e-3
    min_lr: float = 1e-6
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    max_steps: int = 20000
    time_limit_min: float | None = None
    val_every: int = 0
    checkpoint_every: int = 50
    log_every: int = 10
    device: str = "cpu"
    threads: int | None = None
    seed: int = 0
    roads_root: str | None = None
    domains: list[str] | None = None
    model_gsd_m: float = 1.0
    scale_jitter: tuple[float, float] = (0.7, 1.4)
    export_every_min: float = 30.0
    export_name: str = "anchor_sam_pico_1m"
    card_template: str | None = None
    workers: int = 0
    skeleton_recall_weight: float = 0.0
    skeleton_precision_weight: float = 0.0
    grow_from: str | None = None
    domain_shares: dict[str, int] = field(default_factory=dict)


# --- data ------------------------------------------------------------------------------------


@dataclass
class SegmentationSample:
    """An image in memory: (H, W, 3) uint8 RGB, (H, W) bool road label, (H, W) bool valid."""

    key: str
    image: np.ndarray
    label: np.ndarray
    valid: np.ndarray


def load_samples(sources: Sequence[SampleSource], line_width_px: float) -> list[SegmentationSample]:
    """Read every pair into memory (no-data = pure white pixels)."""
    samples = []
    for source in sources:
        image, label = read_pair(source, line_width_px)
        valid = ~np.all(image == 255, axis=2)
        samples.append(SegmentationSample(source.key, image, label, valid))
    return samples


def augment_crop(
    sample: SegmentationSample, crop_px: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random crop + flips + 90-degree rotation + colour jitter.

    Returns:
        image (3, crop, crop) float32 in 0..1, label and valid (1, crop, crop) float32.
    """
    h, w = sample.label.shape
    pad_h, pad_w = max(crop_px - h, 0), max(crop_px - w, 0)
    image, label, valid = sample.image, sample.label, sample.valid
    if pad_h or pad_w:  # small images: pad with invalid pixels
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)))
        label = np.pad(label, ((0, pad_h), (0, pad_w)))
        valid = np.pad(valid, ((0, pad_h), (0, pad_w)))
        h, w = label.shape
    y = int(rng.integers(0, h - crop_px + 1))
    x = int(rng.integers(0, w - crop_px + 1))
    window = (slice(y, y + crop_px), slice(x, x + crop_px))
    img = image[window].astype(np.float32) / 255.0
    lab, val = label[window], valid[window]
    k = int(rng.integers(0, 4))
    img, lab, val = np.rot90(img, k), np.rot90(lab, k), np.rot90(val, k)
    if rng.random() < 0.5:
        img, lab, val = img[:, ::-1], lab[:, ::-1], val[:, ::-1]
    if rng.random() < 0.5:
        img, lab, val = img[::-1], lab[::-1], val[::-1]
    # Colour jitter: brightness, contrast, saturation factors in [0.8, 1.2].
    b, c, s = rng.uniform(0.8, 1.2, size=3)
    img = img * b
    img = (img - img.mean()) * c + img.mean()
    gray = img.mean(axis=2, keepdims=True)
    img = np.clip((img - gray) * s + gray, 0.0, 1.0)
    return (
        np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32),
        np.ascontiguousarray(lab[None], dtype=np.float32),
        np.ascontiguousarray(val[None], dtype=np.float32),
    )


def make_batch(
    samples: Sequence[SegmentationSample], batch_size: int, crop_px: int, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A random batch: images (B, 3, S, S) 0..1, labels and valid masks (B, 1, S, S)."""
    picks = rng.integers(0, len(samples), size=batch_size)
    parts = [augment_crop(samples[int(i)], crop_px, rng) for i in picks]
    return tuple(torch.from_numpy(np.stack(p)) for p in zip(*parts, strict=True))  # type: ignore[return-value]


def make_domain_batch(
    sampler: BalancedDomainSampler, batch_size: int, crop_px: int, model_gsd_m: float,
    scale_jitter: tuple[float, float], rng: np.random.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A domain-balanced batch of the multi-domain set: images (B, 3, S, S) in 0..1, labels
    and valid masks (B, 1, S, S) at ``model_gsd_m`` (see
    :func:`~backend.train.datasets.random_crop_at_gsd`)."""
    parts = [random_crop_at_gsd(s, crop_px, model_gsd_m, rng, scale_jitter)
             for s in sampler.draw(batch_size)]
    return tuple(torch.from_numpy(np.stack(p)) for p in zip(*parts, strict=True))  # type: ignore[return-value]


class DomainBatches(torch.utils.data.IterableDataset):
    """Endless domain-balanced batches (:func:`make_domain_batch`) for a DataLoader with
    ``batch_size=None``; each worker draws with its own seed."""

    def __init__(self, samples: Sequence[Any], cfg: TrainConfig, seed: int) -> None:
        self.samples, self.cfg, self.seed = samples, cfg, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info else 0])
        sampler = BalancedDomainSampler(self.samples, self.cfg.model_gsd_m, rng,
                                        self.cfg.domain_shares)
        while True:
            yield make_domain_batch(sampler, self.cfg.batch_size, self.cfg.crop_px,
                                    self.cfg.model_gsd_m, self.cfg.scale_jitter, rng)


# --- metrics ---------------------------------------------------------------------------------


def segmentation_metrics(counts: dict[str, int]) -> dict[str, float]:
    """Precision, recall, F1 and IoU of the road class from pixel counts tp / fp / fn."""
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    iou = tp / (tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "iou": iou}


def evaluate(
    model: AnchorSAM, samples: Sequence[SegmentationSample], device: str = "cpu",
    thresholds: Sequence[float] = (0.5,),
) -> dict[str, dict[str, float]]:
    """Whole-image validation: metrics per threshold over all valid pixels of ``samples``.

    Returns:
        ``{"0.5": {"precision", "recall", "f1", "iou", "tp", "fp", "fn"}, ...}``.
    """
    model.eval()
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in thresholds}
    for sample in samples:
        prob = predict_probability(model, sample.image, device)
        for t in thresholds:
            pred = (prob >= t) & sample.valid
            truth = sample.label & sample.valid
            counts[t]["tp"] += int((pred & truth).sum())
            counts[t]["fp"] += int((pred & ~truth).sum())
            counts[t]["fn"] += int((~pred & truth).sum())
    return {f"{t:g}": {**segmentation_metrics(c), **c} for t, c in counts.items()}


# --- training --------------------------------------------------------------------------------


def skeleton_recall_loss(
    logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor
) -> torch.Tensor:
    """Skeleton Recall loss of a batch: ``1 - recall`` of the labels' tubed skeletons
    (:func:`~backend.methods.roadgie.losses.tubed_skeleton`, 3 px wide) by the predicted
    probability, invalid pixels excluded.

    Args:
        logits: ``(B, 1, S, S)`` road logits.
        labels, valid: ``(B, 1, S, S)`` 0/1 floats (road label, pixels that count).

    Returns:
        Scalar tensor, mean over the batch (crops without road contribute 0).
    """
    skeleton = tubed_skeletons(labels * valid).to(logits.device)
    return prompt_excluded_skeleton_recall(logits, skeleton, 1.0 - valid)


def soft_skeleton(probability: torch.Tensor, iterations: int = 10) -> torch.Tensor:
    """Differentiable skeleton of a ``(B, 1, H, W)`` probability map in [0, 1] (clDice's
    soft-skeletonisation, Shit et al., CVPR 2021, Alg. 1): iterated soft erosion (min
    pooling over a 3 px cross) and soft opening; structures up to about ``2 * iterations``
    px wide are thinned to their centreline."""

    def erode(x: torch.Tensor) -> torch.Tensor:
        across = -F.max_pool2d(-x, (3, 1), 1, (1, 0))
        along = -F.max_pool2d(-x, (1, 3), 1, (0, 1))
        return torch.minimum(across, along)

    def open_(x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(erode(x), 3, 1, 1)

    skeleton = F.relu(probability - open_(probability))
    current = probability
    for _ in range(iterations):
        current = erode(current)
        delta = F.relu(current - open_(current))
        skeleton = skeleton + F.relu(delta - skeleton * delta)
    return skeleton


def skeleton_precision_loss(
    logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Skeleton precision loss of a batch: ``1 - Tprec`` of clDice (Shit et al., CVPR 2021,
    Eq. 1), the share of the prediction's soft skeleton (:func:`soft_skeleton`) that lies on
    labelled road, counted over valid pixels only. It penalises spurious road branches, which
    become spurious graph edges, more than Dice does.

    Args:
        logits: ``(B, 1, S, S)`` road logits.
        labels, valid: ``(B, 1, S, S)`` 0/1 floats (road label, pixels that count).

    Returns:
        Scalar tensor, mean over the batch (crops whose prediction has no skeleton over
        valid pixels contribute 0).
    """
    skeleton = soft_skeleton(torch.sigmoid(logits)) * valid
    total = skeleton.flatten(1).sum(1)
    precision = (skeleton * labels).flatten(1).sum(1) / (total + eps)
    has = (total > 1.0).to(logits.dtype)
    return ((1.0 - precision) * has).sum() / logits.shape[0]


def lr_factor(step: int, cfg: TrainConfig, time_fraction: float = 0.0) -> float:
    """Linear warm-up then cosine annealing to ``min_lr / lr``."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = max((step - cfg.warmup_steps) / max(cfg.max_steps - cfg.warmup_steps, 1),
                   time_fraction)
    floor = cfg.min_lr / cfg.lr
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _resume_state(
    cfg: TrainConfig, resume: bool | str, device: torch.device
) -> tuple[dict[str, Any] | None, str]:
    """Which state a run starts from (see the module docstring on ``--resume``).

    Returns:
        ``(state, description)``: a training checkpoint dict (``model``, ``optimizer``, ...),
        ``{"model": state_dict}`` for a weights-only file, or None for a fresh start.

    Raises:
        ValueError: ``resume`` names no existing file / ``OUT/last.pt`` is missing.
    """
    if not resume:
        return None, "fresh start"
    last = Path(cfg.out_dir) / "last.pt"
    if last.is_file():
        return torch.load(last, map_location=device, weights_only=False), str(last)
    if resume is True or resume == "":
        if cfg.grow_from:  # one command line starts the grown run and resumes it
            return None, "fresh start"
        raise ValueError(f"--resume: no checkpoint at {last}")
    path = Path(str(resume))
    if not path.is_file():
        raise ValueError(f"--resume: neither {last} nor {path} exists")
    raw = torch.load(path, map_location=device, weights_only=False)
    if isinstance(raw, dict) and "optimizer" in raw and "model" in raw:
        return raw, f"{path} (training checkpoint)"
    weights = {k: v.float() for k, v in load_state_dict_file(path).items()}
    return {"model": weights}, f"{path} (weights only: fresh optimiser, step 0)"


def train(cfg: TrainConfig, resume: bool | str = False) -> dict[str, Any]:
    """Train; returns the final validation metrics (empty without validation pairs).

    Args:
        cfg: settings.
        resume: False (fresh), True (``OUT/last.pt``) or a file path (``OUT/last.pt`` when it
            exists, else that training checkpoint or weights-only file).

    Raises:
        ValueError: no training pairs, a crop size that is not a multiple of 32, or a
            ``resume`` source that does not exist or does not fit the architecture.
    """
    if cfg.crop_px % 32:
        raise ValueError(f"crop_px must be a multiple of 32, got {cfg.crop_px}")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    def pairs(patterns: list[str]) -> list[SampleSource]:
        return [s for d in cfg.data_dirs for s in discover_samples(d, patterns)]

    multi = cfg.roads_root is not None
    sampler = None
    eval_samples: list[Any] = []
    if multi:
        loaded = load_multi_domain(cfg.roads_root, cfg.domains)
        train_loaded = [s for s in loaded if s.info.split == "train"]
        eval_samples = [s for s in loaded if s.info.split != "train"]
        sampler = BalancedDomainSampler(train_loaded, cfg.model_gsd_m, rng, cfg.domain_shares)
        n_train, n_val = len(train_loaded), sum(s.info.split == "select" for s in eval_samples)
        train_samples: list[SegmentationSample] = []
        val_samples: list[SegmentationSample] = []
    else:
        train_samples = load_samples(pairs(cfg.train_include), cfg.line_width_px)
        val_samples = (load_samples(pairs(cfg.val_include), cfg.line_width_px)
                       if cfg.val_include else [])
        n_train, n_val = len(train_samples), len(val_samples)
    device = torch.device(cfg.device)
    model = build_anchor_sam(cfg.variant, cfg.sam2_checkpoint).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    step, elapsed, best_iou = 0, 0.0, -1.0
    state, origin = _resume_state(cfg, resume, device)
    if state is None and cfg.grow_from:
        origin = grow_anchor_sam(model, cfg.grow_from)
    if state is not None:
        load_state_dict_strict(model, state["model"], source=origin)
        if "optimizer" in state:
            optimizer.load_state_dict(state["optimizer"])
            scaler.load_state_dict(state["scaler"])
            step, elapsed, best_iou = state["step"], state["elapsed_s"], state["best_iou"]
            rng = np.random.default_rng(cfg.seed + step)
            if sampler is not None:
                sampler.rng = rng
    steps_per_epoch = max(n_train // cfg.batch_size, 1)
    val_every = cfg.val_every or steps_per_epoch
    history = (out / "history.jsonl").open("a")
    print(
        f"Anchor-SAM-{cfg.variant}: {count_parameters(model) / 1e6:.2f} M parameters, "
        f"{n_train} training / {n_val} validation images"
        + (f" ({', '.join(f'{d} x{sampler.shares[d]}' for d in sampler.domains)} per batch)"
           if sampler else "")
        + f", start: {origin} at step {step}, device {device}",
        file=sys.stderr,
    )

    def checkpoint(path: Path) -> None:
        _save(path, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scaler": scaler.state_dict(), "step": step, "elapsed_s": elapsed,
            "best_iou": best_iou, "config": asdict(cfg),
            "architecture": model.config.to_dict(),
        })

    def validate() -> dict[str, Any]:
        """Selection metrics: mean-of-domains at 0.5 on the select split (multi-domain) or
        the pooled validation pixels (folders)."""
        if not multi:
            return evaluate(model, val_samples, cfg.device)["0.5"]
        model.eval()
        select = [s for s in eval_samples if s.info.split == "select"]
        counts = count_split(anchor_sam_probability_fn(model, cfg.device), select,
                             cfg.model_gsd_m, (0.5,))
        summary = summarise(counts, 0.5, [s.info.domain for s in select if s.info.partial])
        return {**summary["mean_of_domains"],
                "domains": {d: round(v["iou"], 4) for d, v in summary["domains"].items()}}

    def export_and_report() -> None:
        """``last.pt``, then the best checkpoint as fp16 + card + report in OUT/export."""
        checkpoint(out / "last.pt")
        source = out / "best.pt" if (out / "best.pt").is_file() else out / "last.pt"
        chosen = torch.load(source, map_location="cpu", weights_only=False)
        export_dir = out / "export"
        card = json.loads(Path(cfg.card_template).read_text()) if cfg.card_template else {}
        card.pop("validation", None)
        exported = export_fp16(source, export_dir / f"{cfg.export_name}.pt", card)
        eval_model = load_trained(export_dir / f"{cfg.export_name}.pt")
        report = segmentation_report(anchor_sam_probability_fn(eval_model), eval_samples,
                                     cfg.model_gsd_m, f"{cfg.export_name} step {chosen['step']}")
        report["checkpoint"] = {"file": str(source), "step": chosen["step"],
                                "elapsed_s": round(chosen["elapsed_s"], 1),
                                "chosen_on": "select split, mean-of-domains IoU at 0.5"}
        write_report(report, export_dir / f"{cfg.export_name}.report")
        exported["report"] = {"headline": report["headline"], "threshold": report["threshold"],
                              "threshold_chosen_on": report["threshold_chosen_on"],
                              "checkpoint": report["checkpoint"]}
        # The jobs' default threshold (segment_roads.model_threshold).
        exported["inference_defaults"] = {"threshold": report["threshold"],
                                          "chosen_on": report["threshold_chosen_on"]}
        card_path = export_dir / f"{cfg.export_name}.json"
        card_path.write_text(json.dumps(exported, indent=2, sort_keys=True) + "\n")
        history.write(json.dumps({"step": step, "export": str(source),
                                  "report": report["headline"]}) + "\n")
        history.flush()
        print(f"step {step}: exported {source.name} (step {chosen['step']}) with report "
              f"{json.dumps(report['headline'])}", file=sys.stderr)

    batches = None
    if sampler is not None and cfg.workers > 0:
        batches = iter(torch.utils.data.DataLoader(
            DomainBatches(train_loaded, cfg, cfg.seed + step), batch_size=None,
            num_workers=cfg.workers, pin_memory=device.type == "cuda", prefetch_factor=4,
            persistent_workers=True))
    metrics: dict[str, Any] = {}
    start = time.monotonic() - elapsed
    last_export = time.monotonic()
    bar = tqdm(total=cfg.max_steps, initial=step, desc="train", mininterval=30, file=sys.stderr)
    running = []
    while step < cfg.max_steps:
        elapsed = time.monotonic() - start
        limit_s = cfg.time_limit_min * 60 if cfg.time_limit_min else None
        if limit_s is not None and elapsed >= limit_s:
            break
        model.train()
        for group in optimizer.param_groups:
            group["lr"] = cfg.lr * lr_factor(step, cfg, elapsed / limit_s if limit_s else 0.0)
        if batches is not None:
            batch = next(batches)
        elif sampler is not None:
            batch = make_domain_batch(sampler, cfg.batch_size, cfg.crop_px, cfg.model_gsd_m,
                                      cfg.scale_jitter, rng)
        else:
            batch = make_batch(train_samples, cfg.batch_size, cfg.crop_px, rng)
        images, labels, valid = (t.to(device, non_blocking=True) for t in batch)
        with torch.autocast(device_type="cuda", enabled=use_amp):
            logits = model(model.normalize(images))
        loss = bce_dice_loss(logits.float(), labels, valid)
        if cfg.skeleton_recall_weight > 0:
            loss = loss + cfg.skeleton_recall_weight * skeleton_recall_loss(
                logits.float(), labels, valid)
        if cfg.skeleton_precision_weight > 0:
            loss = loss + cfg.skeleton_precision_weight * skeleton_precision_loss(
                logits.float(), labels, valid)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        step += 1
        bar.update(1)
        running.append(loss.item())
        if step % cfg.log_every == 0:
            record = {"step": step, "loss": float(np.mean(running)),
                      "lr": optimizer.param_groups[0]["lr"], "elapsed_s": round(elapsed, 1)}
            history.write(json.dumps(record) + "\n")
            history.flush()
            bar.set_postfix(loss=f"{record['loss']:.4f}")
            running = []
        if n_val and step % val_every == 0:
            metrics = validate()
            history.write(json.dumps({"step": step, "val": metrics}) + "\n")
            history.flush()
            print(f"step {step}: validation {json.dumps(metrics)}", file=sys.stderr)
            if metrics["iou"] > best_iou:
                best_iou = metrics["iou"]
                checkpoint(out / "best.pt")
        if step % cfg.checkpoint_every == 0:
            checkpoint(out / "last.pt")
        if multi and time.monotonic() - last_export >= cfg.export_every_min * 60:
            export_and_report()
            last_export = time.monotonic()
    bar.close()
    elapsed = time.monotonic() - start
    checkpoint(out / "last.pt")
    if n_val:
        metrics = validate()
        history.write(json.dumps({"step": step, "val": metrics, "final": True}) + "\n")
        if metrics["iou"] > best_iou:
            best_iou = metrics["iou"]
            checkpoint(out / "best.pt")
    if multi:
        export_and_report()
    history.close()
    return metrics


# --- export ----------------------------------------------------------------------------------


def load_trained(weights: str | Path, variant: str | None = None) -> AnchorSAM:
    """Model from a training checkpoint (its architecture) or an exported fp16 file + card.

    Raises:
        ValueError: the file does not fit the architecture.
    """
    from backend.methods.anchor_sam.model import AnchorSAMConfig

    weights = Path(weights)
    raw = torch.load(weights, map_location="cpu", weights_only=False)
    if isinstance(raw, dict) and "architecture" in raw:
        config = AnchorSAMConfig.from_dict(raw["architecture"])
    else:
        card = weights.with_suffix(".json")
        if card.is_file():
            config = AnchorSAMConfig.from_dict(json.loads(card.read_text())["architecture"])
        else:
            config = VARIANTS[variant or "pico"]
    model = build_anchor_sam(config)
    load_state_dict_strict(model, load_state_dict_file(weights), source=str(weights))
    return model.float().eval()


def grow_anchor_sam(model: AnchorSAM, shallow_weights: str | Path) -> str:
    """Initialise ``model`` from a trained Anchor-SAM with fewer Hiera blocks per stage.

    Everything but the Hiera trunk is copied as it is; the trunk grows by
    :func:`~backend.models.hiera.grow_hiera_trunk`, so ``model`` computes the shallow
    model's logits exactly until training moves the new blocks.

    Args:
        model: the deeper network (modified in place, float32).
        shallow_weights: training checkpoint or exported file (+ card) of the shallow model.

    Returns:
        A description of the start for the training log.

    Raises:
        ValueError: the two architectures differ in anything but Hiera depth and global
            blocks, or the stages are not a deepening.
    """
    from backend.models.hiera import grow_hiera_trunk

    shallow = load_trained(shallow_weights)
    depth_keys = {"variant", "stages", "global_att_blocks"}
    deep_config, shallow_config = model.config.to_dict(), shallow.config.to_dict()
    differing = sorted(k for k in deep_config
                       if k not in depth_keys and deep_config[k] != shallow_config[k])
    if differing:
        raise ValueError(
            f"--grow-from {shallow_weights}: Anchor-SAM-{shallow.config.variant} differs from "
            f"Anchor-SAM-{model.config.variant} in {', '.join(differing)}; growing only adds "
            "Hiera blocks to a model of the same widths"
        )
    added = grow_hiera_trunk(model.image_encoder.trunk, shallow.image_encoder.trunk)
    trunk = "image_encoder.trunk."
    state = {k: v for k, v in shallow.state_dict().items() if not k.startswith(trunk)}
    state.update({trunk + k: v for k, v in model.image_encoder.trunk.state_dict().items()})
    load_state_dict_strict(model, state, source=f"{shallow_weights} grown")
    return (f"{shallow_weights} grown from stages {shallow.config.stages} to "
            f"{model.config.stages} (identity blocks {added}; fresh optimiser, step 0)")


def export_fp16(checkpoint: str | Path, output: str | Path, card: dict[str, Any]) -> dict:
    """Write the fp16 state dict and its JSON model card (same name, ``.json``).

    Returns:
        The card as written (with parameters, sha256 and size added).
    """
    from backend.models.checkpoints import sha256_of_file

    model = load_trained(checkpoint)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.half() for k, v in model.state_dict().items()}, output)
    card = {
        **card,
        "architecture": model.config.to_dict(),
        "parameters": count_parameters(model),
        "file_name": output.name,
        "sha256": sha256_of_file(output),
        "size_bytes": output.stat().st_size,
    }
    output.with_suffix(".json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return card


# --- command line ----------------------------------------------------------------------------



def parse_domain_shares(text: str) -> dict[str, int]:
    """``"massachusetts=2,deepglobe=1"`` -> ``{"massachusetts": 2, "deepglobe": 1}``.

    Raises:
        ValueError: an item that is not ``DOMAIN=N`` with a whole number N.
    """
    shares = {}
    for item in split_patterns(text):
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise ValueError(f"--domain-shares item {item!r}: write DOMAIN=N with a whole "
                             f"number N, e.g. massachusetts=2")
        shares[name.strip()] = int(value)
    return shares


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig(data_dirs=[], out_dir="")
    parser = argparse.ArgumentParser(prog="python -m backend.train.anchor_sam", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train (and validate each epoch)")
    src = tr.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", action="append", help="dataset folder (repeatable)")
    src.add_argument("--roads", help="shared/data/roads: the multi-domain set with fixed splits")
    tr.add_argument("--domains", default="", help="multi-domain subset, comma-separated")
    tr.add_argument("--model-gsd-m", type=float, default=d.model_gsd_m)
    tr.add_argument("--scale-jitter", default="0.7,1.4", help="min,max random zoom")
    tr.add_argument("--domain-shares", default="", metavar="DOMAIN=N,...",
                    help="whole-number share of a domain in each batch (others 1), e.g. "
                    "massachusetts=2")
    tr.add_argument("--export-every-min", type=float, default=d.export_every_min)
    tr.add_argument("--export-name", default=d.export_name)
    tr.add_argument("--card-template", default=None, help="model card JSON to start from")
    tr.add_argument("--out", required=True, help="run folder: checkpoints and history")
    tr.add_argument("--train-include", default="*", help="comma-separated name patterns")
    tr.add_argument("--val-include", default="", help="comma-separated name patterns")
    tr.add_argument("--variant", default=d.variant, choices=list(VARIANTS))
    tr.add_argument("--sam2-checkpoint", default=None, help="official SAM2 file for the encoder")
    tr.add_argument("--crop-px", type=int, default=d.crop_px)
    tr.add_argument("--line-width-px", type=float, default=d.line_width_px)
    tr.add_argument("--batch-size", type=int, default=d.batch_size)
    tr.add_argument("--lr", type=float, default=d.lr)
    tr.add_argument("--min-lr", type=float, default=d.min_lr)
    tr.add_argument("--weight-decay", type=float, default=d.weight_decay)
    tr.add_argument("--warmup-steps", type=int, default=d.warmup_steps)
    tr.add_argument("--max-steps", type=int, default=d.max_steps)
    tr.add_argument("--time-limit-min", type=float, default=None)
    tr.add_argument("--val-every", type=int, default=d.val_every, help="0: once per epoch")
    tr.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    tr.add_argument("--log-every", type=int, default=d.log_every)
    tr.add_argument("--device", default=d.device)
    tr.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    tr.add_argument("--seed", type=int, default=d.seed)
    tr.add_argument("--skeleton-recall-weight", type=float, default=d.skeleton_recall_weight,
                    help="add this times the Skeleton Recall loss to Eq. 18 (0: off)")
    tr.add_argument("--skeleton-precision-weight", type=float,
                    default=d.skeleton_precision_weight,
                    help="add this times the skeleton precision loss (clDice Tprec) to "
                    "Eq. 18 (0: off)")
    tr.add_argument("--grow-from", default=None, metavar="FILE",
                    help="start a deeper --variant from this trained shallower model")
    tr.add_argument("--resume", nargs="?", const=True, default=False, metavar="FILE",
                    help="continue from OUT/last.pt; with FILE: OUT/last.pt if it exists, "
                    "else FILE (training checkpoint or weights-only file)")
    ev = sub.add_parser("evaluate", help="precision / recall / F1 / IoU of a model")
    ev.add_argument("--weights", required=True, help="training checkpoint or exported .pt")
    ev.add_argument("--data", required=True, action="append")
    ev.add_argument("--include", default="*")
    ev.add_argument("--thresholds", default="0.5", help="comma-separated")
    ev.add_argument("--line-width-px", type=float, default=d.line_width_px)
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--threads", type=int, default=None)
    ex = sub.add_parser("export", help="fp16 weights + model card")
    ex.add_argument("--checkpoint", required=True)
    ex.add_argument("--output", required=True, help=".pt path (card: same name, .json)")
    ex.add_argument("--card", required=True, help="JSON file with the model card facts")

    rp = sub.add_parser("report", help="the validation report (backend.train.report) of a file")
    rp.add_argument("--weights", required=True, help="training checkpoint or exported .pt")
    rp.add_argument("--roads", default="../shared/data/roads", help="shared/data/roads")
    rp.add_argument("--model-gsd-m", type=float, default=1.0)
    rp.add_argument("--out", required=True, help="output stem: STEM.json and STEM.md")
    rp.add_argument("--threads", type=int, default=None)
    rp.add_argument("--test-time-augmentation", type=int, default=1,
                    choices=TEST_TIME_AUGMENTATIONS,
                    help="views averaged per image (predict_probability)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    if args.command == "train":
        cfg = TrainConfig(
            data_dirs=args.data or [], out_dir=args.out, roads_root=args.roads,
            domains=list(split_patterns(args.domains)) or None, model_gsd_m=args.model_gsd_m,
            scale_jitter=tuple(float(v) for v in split_patterns(args.scale_jitter)),
            export_every_min=args.export_every_min, export_name=args.export_name,
            card_template=args.card_template,
            train_include=list(split_patterns(args.train_include)),
            val_include=list(split_patterns(args.val_include)), variant=args.variant,
            sam2_checkpoint=args.sam2_checkpoint, crop_px=args.crop_px,
            line_width_px=args.line_width_px, batch_size=args.batch_size, lr=args.lr,
            min_lr=args.min_lr, weight_decay=args.weight_decay, warmup_steps=args.warmup_steps,
            max_steps=args.max_steps, time_limit_min=args.time_limit_min,
            val_every=args.val_every, checkpoint_every=args.checkpoint_every,
            log_every=args.log_every, device=args.device, threads=args.threads, seed=args.seed,
            skeleton_recall_weight=args.skeleton_recall_weight,
            skeleton_precision_weight=args.skeleton_precision_weight,
            grow_from=args.grow_from, domain_shares=parse_domain_shares(args.domain_shares),
        )
        print(json.dumps(train(cfg, resume=args.resume)))
    elif args.command == "evaluate":
        model = load_trained(args.weights).to(args.device)
        sources = [s for d in args.data for s in discover_samples(d, split_patterns(args.include))]
        samples = load_samples(sources, args.line_width_px)
        thresholds = [float(t) for t in split_patterns(args.thresholds)]
        print(json.dumps(evaluate(model, samples, args.device, thresholds), indent=2))
    elif args.command == "report":
        report = segmentation_report(
            anchor_sam_probability_fn(load_trained(args.weights),
                                      test_time_augmentation=args.test_time_augmentation),
            load_eval_samples(args.roads), args.model_gsd_m, f"anchor_sam:{args.weights}"
            + (f" ({args.test_time_augmentation} test-time views)"
               if args.test_time_augmentation > 1 else ""),
        )
        json_path, md_path = write_report(report, args.out)
        print(report_markdown(report))
        print(f"written: {json_path}, {md_path}", file=sys.stderr)
    else:
        card = json.loads(Path(args.card).read_text())
        print(json.dumps(export_fp16(args.checkpoint, args.output, card), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
