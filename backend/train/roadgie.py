"""Training of the RoadGIE-style road model with simulated interaction, and its export.

Paper: ``papers/roadgie_supplementary.txt``.

* Data: image/label pairs ``images/NAME.(jpg|png|tif)`` + ``labels/NAME.png`` (Massachusetts
  layout; label 255 = road), already at the model's GSD (1 m for the shipped model). Images
  are held in memory.
* Samples: random square crops (paper: 512 px; on a CPU we use 256 px and say so in the
  model card) with augmentation (Sec. B.7): random affine (rotation, scale, translation,
  flips), brightness/contrast, variable Gaussian blur and variable Gaussian noise.
* Simulated interaction (Sec. B.4, Table 15 "Prompt Iter 5"): ``rounds`` rounds per sample;
  before each round one prompt per sample is placed in the largest error region of the
  current prediction (false negative -> positive, false positive -> negative;
  :func:`backend.methods.roadgie.simulate.next_error_prompt`), clicks or (with
  ``scribble_prob``) scribbles. The previous round's low-res logits are fed back (detached).
  With ``init_prob`` the first round starts from a synthetic imperfect prediction instead of
  nothing, so the model also learns to act as a refinement module (Sec. B.2, Table 10).
* Loss (Sec. B.1, B.5, Table 13 last row): focal + soft Dice + prompt-excluded skeleton
  recall, summed over all rounds with one backward pass at the end (Table 12 "All Steps").
* Optimiser (Table 15): Adam, lr 3e-4, cosine decay (following ``max_steps`` or the time
  limit, whichever ends first), a short linear warm-up.
* Validation: whole validation images, deterministic clicks, Dice and APLS after 1, 3 and
  5 rounds (APLS from ``backend.eval.apls`` on the geo core's skeleton graph of the
  prediction and of the label).

Run ``python -m backend.train.roadgie --help``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from backend.methods.roadgie.losses import roadgie_loss, tubed_skeleton
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
)
from backend.methods.roadgie.simulate import next_error_prompt
from backend.train.datasets import discover_samples, read_pair, split_patterns

REPORT_ROUNDS = (1, 3, 5)


# --- data ----------------------------------------------------------------------------------


def augment_batch(
    images: list[np.ndarray],
    labels: list[np.ndarray],
    crop_px: int,
    rng: np.random.Generator,
    *,
    rotate: bool = True,
    photometric: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crops with augmentation (Sec. B.7), one per image.

    Geometry: a random affine per sample (rotation in [-180, 180) degrees, scale 0.8-1.1,
    random horizontal/vertical flips, random centre) sampled with ``grid_sample``; outside
    the source image reads 0 (image) and background (label). Photometric: brightness
    +-20 %, contrast 0.8-1.2, Gaussian blur (p 0.3, sigma 0.3-1.5 px), Gaussian noise
    (p 0.3, sigma 0-8 grey levels).

    Args:
        images: ``(H, W, 3)`` uint8 arrays.
        labels: ``(H, W)`` bool arrays of the same sizes.
        crop_px: output side in pixels.
        rng: random generator.
        rotate: False keeps the axis-aligned crop (no rotation, scale 1).
        photometric: apply the photometric part.

    Returns:
        ``(image (B, 3, S, S) float 0..255, label (B, 1, S, S) float 0/1)``.
    """
    out_img, out_lab = [], []
    s = crop_px
    v, u = torch.meshgrid(
        torch.arange(s) + 0.5 - s / 2, torch.arange(s) + 0.5 - s / 2, indexing="ij"
    )
    for image, label in zip(images, labels, strict=True):
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
        both = torch.cat([src, lab], dim=1)
        warped = F.grid_sample(
            both, grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )
        img_t = warped[:, :3]
        lab_t = (warped[:, 3:] > 0.5).float()
        if photometric:
            mean = img_t.mean()
            img_t = (img_t - mean) * rng.uniform(0.8, 1.2) + mean + rng.uniform(-0.2, 0.2) * 255
            if rng.random() < 0.3:
                img_t = _gaussian_blur(img_t, rng.uniform(0.3, 1.5))
            if rng.random() < 0.3:
                img_t = img_t + torch.randn_like(img_t) * rng.uniform(0.0, 8.0)
            img_t = img_t.clamp(0, 255)
        out_img.append(img_t)
        out_lab.append(lab_t)
    return torch.cat(out_img), torch.cat(out_lab)


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
    with_loss: bool = True,
) -> tuple[torch.Tensor | None, list[dict[str, Any]]]:
    """Run ``rounds`` rounds of simulated interaction on a batch (Sec. B.4).

    Each round adds one prompt per sample in its largest error region, decodes with the
    accumulated prompt maps and the previous round's (detached) logits, and adds the round's
    loss; the losses of all rounds are averaged so one backward pass covers the whole
    trajectory (Table 12, "All Steps").

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
        with_loss: compute the loss (training); False for validation.

    Returns:
        ``(loss or None, per-round records)``; each record has ``round``, ``pred`` (``(B, H,
        W)`` bool numpy), ``prob`` (``(B, H, W)`` float32 numpy) and the loss parts.
    """
    b, _, h, w = image.shape
    feats = model.encode(image)
    gt = target[:, 0].cpu().numpy() > 0.5
    pos = np.zeros((b, h, w), np.float32)
    neg = np.zeros((b, h, w), np.float32)
    prev = init_logits
    if init_logits is not None:
        pred = (upsample_logits(init_logits, (h, w))[:, 0] > 0).cpu().numpy()
    else:
        pred = np.zeros((b, h, w), bool)
    total = None
    records = []
    for r in range(1, rounds + 1):
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
            else:
                draw_polyline(canvas, prompt.points_xy_px, SCRIBBLE_WIDTH_PX)
        pos_t = torch.from_numpy(pos)[:, None].to(image.device)
        neg_t = torch.from_numpy(neg)[:, None].to(image.device)
        low = model.decode(feats, pos_t, neg_t, prev)
        logits = upsample_logits(low, (h, w))
        record: dict[str, Any] = {"round": r}
        if with_loss:
            region = torch.clamp(pos_t + neg_t, max=1.0)
            loss, parts = roadgie_loss(logits, target, skeleton, region, weights)
            total = loss / rounds if total is None else total + loss / rounds
            record.update(parts)
        prev = low.detach()
        prob = torch.sigmoid(logits.detach())[:, 0].cpu().numpy()
        pred = prob > 0.5
        record["pred"], record["prob"] = pred, prob
        records.append(record)
    return total, records


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
) -> dict[str, Any]:
    """Dice and APLS after ``report_rounds`` rounds of deterministic simulated clicks.

    Each whole image (zero-padded to a multiple of 32) starts with no prediction; each round
    adds one click at the distance-transform maximum of the largest error component. Dice is
    per image (images with an empty label left out of the mean, as Dice is 1 or 0 there) and
    pooled over all pixels; APLS (``backend.eval.apls``, default SpaceNet parameters, graphs
    from :func:`backend.methods.roadgie.geometry.mask_to_metric_graph`) over the images
    whose label graph has a path of at least 10 m.

    Returns:
        ``{"rounds": {"1": {"dice", "dice_pooled", "apls", "n_dice", "n_apls"}, ...},
        "n_images"}``.
    """
    from backend.eval.apls import compute_apls
    from backend.methods.roadgie.geometry import mask_to_metric_graph

    was_training = model.training
    model.eval()
    per_round: dict[int, dict[str, list]] = {
        r: {"dice": [], "apls": [], "inter": [], "denom": []} for r in report_rounds
    }
    with torch.no_grad():
        for _key, image, label in samples:
            h, w = label.shape
            ph, pw = pad_to_multiple(h, w)
            img = np.zeros((ph, pw, 3), np.uint8)
            img[:h, :w] = image
            lab = np.zeros((ph, pw), bool)
            lab[:h, :w] = label
            valid = np.zeros((1, ph, pw), bool)
            valid[0, :h, :w] = True
            img_t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
            lab_t = torch.from_numpy(lab.astype(np.float32))[None, None]
            _, records = simulate_rounds(
                model, img_t, lab_t, rounds, None, valid=valid, with_loss=False
            )
            gt_graph = mask_to_metric_graph(label, gsd_m) if with_apls else None
            for rec in records:
                r = rec["round"]
                if r not in per_round:
                    continue
                pred = rec["pred"][0, :h, :w]
                acc = per_round[r]
                acc["inter"].append(float(np.sum(pred & label)))
                acc["denom"].append(float(pred.sum() + label.sum()))
                if label.any():
                    acc["dice"].append(dice_score(pred, label))
                if gt_graph is not None and gt_graph.number_of_edges():
                    try:
                        res = compute_apls(gt_graph, mask_to_metric_graph(pred, gsd_m))
                    except ValueError:  # label graph too short to score
                        continue
                    acc["apls"].append(res.apls)
    model.train(was_training)
    out: dict[str, Any] = {"n_images": len(samples), "rounds": {}}
    for r, acc in per_round.items():
        out["rounds"][str(r)] = {
            "dice": float(np.mean(acc["dice"])) if acc["dice"] else None,
            "dice_pooled": 2 * sum(acc["inter"]) / max(sum(acc["denom"]), 1.0),
            "apls": float(np.mean(acc["apls"])) if acc["apls"] else None,
            "n_dice": len(acc["dice"]),
            "n_apls": len(acc["apls"]),
        }
    return out


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
        init_prob: share of samples starting from a synthetic imperfect prediction.
        loss_weights: (focal, dice, skeleton recall).
        checkpoint_every, val_every, log_every: in steps (0 disables validation).
        seed: random seed.
        gsd_m: ground sample distance of the data (metres per pixel), for APLS.
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
    loss_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    checkpoint_every: int = 50
    val_every: int = 0
    log_every: int = 10
    seed: int = 0
    gsd_m: float = 1.0

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


def train(cfg: TrainConfig, resume: bool = False) -> dict[str, Any]:
    """Train (or resume) the road model; see the module docstring.

    Args:
        cfg: the run configuration.
        resume: continue from ``out_dir/last.pt`` (weights, optimiser, step, elapsed time);
            ``max_steps`` and ``time_limit_min`` of ``cfg`` win.

    Returns:
        ``{"step", "stop_reason", "elapsed_s", "val"}``.

    Raises:
        ValueError: resume without a checkpoint, or an unusable dataset.
    """
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "last.pt"
    model = build_roadgie(cfg.variant)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, elapsed_s = 0, 0.0
    if resume:
        if not ckpt_path.is_file():
            raise ValueError(f"cannot resume: {ckpt_path} does not exist; start without --resume")
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        saved = TrainConfig.from_dict(state["config"])
        saved.max_steps, saved.time_limit_min = cfg.max_steps, cfg.time_limit_min
        cfg = saved
        model = build_roadgie(cfg.variant)
        model.load_state_dict(state["model"])
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        opt.load_state_dict(state["optimizer"])
        step, elapsed_s = int(state["step"]), float(state["elapsed_s"])
    train_sources = discover_samples(cfg.data, cfg.train_include)
    val_sources = discover_samples(cfg.data, cfg.val_include) if cfg.val_include else []
    train_data = [read_pair(s) for s in train_sources]
    val_data = [(s.key, *read_pair(s)) for s in val_sources]
    print(
        f"roadgie {cfg.variant}: {count_parameters(model)} parameters, {len(train_data)} "
        f"training / {len(val_data)} validation images, crop {cfg.crop_px}, batch "
        f"{cfg.batch_size}, rounds {cfg.rounds}, steps {step} -> {cfg.max_steps}, "
        f"threads {torch.get_num_threads()}",
        flush=True,
    )
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
            g["lr"] = cfg.lr * lr_factor(step, cfg.warmup_steps, cfg.max_steps, frac)
        idx = rng.integers(0, len(train_data), size=cfg.batch_size)
        image, target = augment_batch(
            [train_data[i][0] for i in idx], [train_data[i][1] for i in idx], cfg.crop_px, rng
        )
        gt_np = target[:, 0].numpy() > 0.5
        skeleton = torch.from_numpy(
            np.stack([tubed_skeleton(g) for g in gt_np]).astype(np.float32)
        )[:, None]
        init = None
        if rng.random() < cfg.init_prob:
            init = torch.from_numpy(
                np.stack([synthetic_initial_prediction(g, rng) for g in gt_np])
            )[:, None]
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
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        running["loss"] = running.get("loss", 0.0) + float(loss.detach())
        for rec in records:
            for k in ("focal", "dice", "skeleton_recall"):
                running[k] = running.get(k, 0.0) + rec[k] / len(records)
        running["dice_last_round"] = running.get("dice_last_round", 0.0) + float(
            np.mean([dice_score(p, g) for p, g in zip(records[-1]["pred"], gt_np, strict=True)])
        )
        n_running += 1
        elapsed_s = time.monotonic() - t_start
        if step % cfg.log_every == 0:
            rec = {k: v / n_running for k, v in running.items()}
            rec.update(step=step, lr=opt.param_groups[0]["lr"], elapsed_s=round(elapsed_s, 1))
            log(rec)
            print(
                f"step {step} loss {rec['loss']:.4f} focal {rec['focal']:.4f} dice "
                f"{rec['dice']:.4f} skel {rec['skeleton_recall']:.4f} train-dice@{cfg.rounds} "
                f"{rec['dice_last_round']:.3f} lr {rec['lr']:.2e} {elapsed_s / 60:.1f} min",
                flush=True,
            )
            running, n_running = {}, 0
        if step % cfg.checkpoint_every == 0:
            checkpoint()
        if cfg.val_every and val_data and step % cfg.val_every == 0:
            val_result = evaluate(model, val_data, cfg.rounds, gsd_m=cfg.gsd_m)
            log({"step": step, "val": val_result})
            print(f"val step {step}: {json.dumps(val_result['rounds'])}", flush=True)
    checkpoint()
    history.close()
    print(f"stopped at step {step} ({stop_reason}), {elapsed_s / 60:.1f} min", flush=True)
    return {"step": step, "stop_reason": stop_reason, "elapsed_s": elapsed_s, "val": val_result}


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
        training={
            **card.get("training", {}),
            "steps": int(state["step"]),
            "wall_time_min": round(float(state["elapsed_s"]) / 60, 1),
            "config": cfg.to_dict(),
        },
    )
    if val_samples:
        card["validation"] = {
            **card.get("validation", {}),
            **evaluate(model, val_samples, cfg.rounds, gsd_m=cfg.gsd_m),
        }
    output.with_suffix(".json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return card


# --- command line -------------------------------------------------------------------------



def _validation_samples(data: str, include: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(key, image, label)`` of the pairs in ``data`` matching comma-separated ``include``."""
    return [(s.key, *read_pair(s)) for s in discover_samples(data, split_patterns(include))]


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
    tr.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    tr.add_argument("--val-every", type=int, default=d.val_every)
    tr.add_argument("--log-every", type=int, default=d.log_every)
    tr.add_argument("--seed", type=int, default=d.seed)
    tr.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    tr.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    ev = sub.add_parser("evaluate", help="Dice/APLS after 1, 3, 5 simulated rounds")
    ev.add_argument("--weights", required=True, help="last.pt or exported .pt")
    ev.add_argument("--data", required=True)
    ev.add_argument("--include", default="te_*")
    ev.add_argument("--threads", type=int, default=None)
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
            checkpoint_every=args.checkpoint_every,
            val_every=args.val_every,
            log_every=args.log_every,
            seed=args.seed,
        )
        result = train(cfg, resume=args.resume)
        print(json.dumps({k: v for k, v in result.items() if k != "val"}))
        return 0
    if args.command == "evaluate":
        model = load_weights(args.weights)
        samples = _validation_samples(args.data, args.include)
        print(json.dumps(evaluate(model, samples), indent=2))
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
