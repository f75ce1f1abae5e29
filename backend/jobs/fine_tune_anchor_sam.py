"""The Anchor-SAM family of the ``fine_tune`` job (road segmentation, issue 12).

Training command line :mod:`backend.train.anchor_sam` (``--resume BASE.pt`` starts from the
base model's weights with a fresh optimiser; ``best.pt`` is the checkpoint with the best
held-out road IoU at 0.5). Score: road IoU at 0.5 on the ``va_*`` chips (its ``evaluate``
command). The family interface is described in :mod:`backend.jobs.fine_tune`.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.models.spec import WeightsSpec

CLI_MODULE = "backend.train.anchor_sam"
SCORE_NAMES = {"iou": "held-out road IoU"}


def train_args(params, base: WeightsSpec, run_dir: Path, work: Path, device: str, lr: float):
    """The ``train`` arguments after the common ones (data, out, splits, time, steps, lr...)."""
    return [
        "--resume",
        str(base.path()),
        "--warmup-steps",
        "0",
        "--crop-px",
        str(params.crop_px),
        "--batch-size",
        str(params.batch_size),
        "--variant",
        variant(base),
    ]


def variant(base: WeightsSpec) -> str:
    return str((base.model_card or {}).get("variant", "pico"))


def score(cli, weights: Path, dataset_dir: str, base: WeightsSpec, work: Path, device: str):
    """``{"iou": road IoU at 0.5}`` of ``weights`` on the held-out chips."""
    result = cli(
        "evaluate",
        "--weights",
        str(weights),
        "--data",
        dataset_dir,
        "--include",
        "va_*",
        "--thresholds",
        "0.5",
        "--device",
        device,
    )
    return {"iou": float(json.loads(result[result.index("{") :])["0.5"]["iou"])}


def progress_text(history: list[dict]) -> tuple[float, str]:
    """``(minutes trained, "step N, loss L, held-out IoU I")`` of the run's history."""
    losses = [h for h in history if "loss" in h]
    vals = [h for h in history if "val" in h]
    elapsed = losses[-1]["elapsed_s"] / 60 if losses else 0.0
    text = f"step {losses[-1]['step']}, loss {losses[-1]['loss']:.3f}" if losses else "starting"
    if vals:
        text += f", held-out IoU {vals[-1]['val']['iou']:.3f}"
    return elapsed, text


def chosen_step(history: list[dict]) -> int | None:
    """Step of the checkpoint ``best.pt`` holds: the first validation with the best IoU."""
    vals = [h for h in history if "val" in h]
    if not vals:
        return None
    best = max(h["val"]["iou"] for h in vals)
    return int(next(h["step"] for h in vals if h["val"]["iou"] == best))


def card_facts(base: WeightsSpec) -> dict:
    """Model card entries of the new model that come from the base model."""
    # No inference_defaults: the base model's threshold was chosen for the base weights.
    return {"variant": variant(base)}


def validation_card(before: dict, after: dict) -> dict:
    return {
        "held_out_iou_before": before["iou"],
        "held_out_iou_after": after["iou"],
        "threshold": 0.5,
        "split": "va_* chips of the training set (a stripe by area)",
    }


def summary(before: dict, after: dict) -> dict:
    return {"iou_before": before["iou"], "iou_after": after["iou"]}


CHECKPOINT_CHOSEN_ON = (
    "held-out va_* chips (IoU at 0.5), the same chips the before/after figures are "
    "measured on: optimistic"
)
