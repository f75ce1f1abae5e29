"""The LineGraph2Road family of the ``fine_tune`` job (road graphs, issue 12).

Training command line :mod:`backend.train.linegraph2road`: ``--init-encoder-from BASE.pt``
loads all weights of the base model (same variant: ``vit_tiny`` or ``hiera_pico``), crops
are the variant's input size, and ``--keep-best`` saves ``best.pt`` at each validation that
scores best so far (mean of road-mask F1 and APLS on the ``va_*`` chips). Targets come from
the label masks of the set: the ground-truth graph is the skeleton of the thickened road
mask (``graph_io.graph_from_centerline_mask``), which also works for road polygons.

Score (before and after, its ``evaluate`` command): road-mask F1, APLS and TOPO F1 on the
``va_*`` chips at the base model's ``inference_defaults`` (``t_r``, ``edge_threshold``;
those validated with its own road mask when its card uses another model's), which the new
model's card carries on. The family interface is described in
:mod:`backend.jobs.fine_tune`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend.jobs.extract_road_graph import inference_defaults
from backend.models.spec import WeightsSpec

CLI_MODULE = "backend.train.linegraph2road"
SCORE_NAMES = {"road_f1": "road-mask F1", "apls": "APLS", "topo_f1": "TOPO F1"}


def variant(base: WeightsSpec) -> str:
    """``vit_tiny`` or ``hiera_pico``: the card's, else the registry architecture's suffix."""
    card = base.model_card or {}
    return str(card.get("variant") or base.architecture.removeprefix("linegraph2road_"))


def thresholds(base: WeightsSpec) -> dict:
    """``t_k``, ``t_r`` and ``edge_threshold`` the base model's card validated with its own
    road mask (else 0.5): the fine-tuned model's road mask is its own decoder's."""
    defaults = inference_defaults(base, own_road_mask=True)
    return {k: float(defaults.get(k, 0.5)) for k in ("t_k", "t_r", "edge_threshold")}


def train_args(params, base: WeightsSpec, run_dir: Path, work: Path, device: str, lr: float):
    """The ``train`` arguments after the common ones (data, out, splits, time, steps, lr...)."""
    return [
        "--init-encoder-from",
        str(base.path()),
        "--variant",
        variant(base),
        "--keep-best",
        "--warmup-steps",
        "0",
        "--batch-size",  # the trainer needs as many training chips as crops per step
        str(min(params.batch_size, _n_training_chips(params.dataset_dir))),
        "--cache-dir",
        str(work / "targets"),
        "--d-nei-px",
        str(float((base.model_card or {}).get("inference_defaults", {}).get("d_nei_px", 64.0))),
    ]


def _n_training_chips(dataset_dir: str) -> int:
    chips = json.loads((Path(dataset_dir) / "manifest.json").read_text()).get("chips", [])
    return max(1, sum(c.get("split") == "tr" and not c.get("flagged") for c in chips))


def score(cli, weights: Path, dataset_dir: str, base: WeightsSpec, work: Path, device: str):
    """``{"road_f1", "apls", "topo_f1"}`` of ``weights`` on the held-out chips (APLS and
    TOPO are None when no held-out chip has a road long enough to score)."""
    chosen = thresholds(base)
    output = work / f"score_{weights.stem}.json"
    manifest = json.loads((Path(dataset_dir) / "manifest.json").read_text())
    cli(
        "evaluate",
        "--weights",
        str(weights),
        "--variant",
        variant(base),
        "--data",
        dataset_dir,
        "--include",
        "va_*",
        "--cache-dir",
        str(work / "targets"),
        "--t-k",
        str(chosen["t_k"]),
        "--t-r",
        str(chosen["t_r"]),
        "--edge-threshold",
        str(chosen["edge_threshold"]),
        "--gsd-m",
        str(float(manifest.get("gsd_m") or base.gsd_m or 1.0)),
        "--device",
        device,
        "--output",
        str(output),
    )
    best = json.loads(output.read_text())["best"]
    return {
        "road_f1": float(best["road_mask"]["f1"]),
        "apls": _maybe(best.get("apls")),
        "topo_f1": _maybe(best.get("topo_f1")),
        "n_graph_scored": int(best.get("n_graph_scored", 0)),
    }


def _maybe(value) -> float | None:
    return None if value is None else float(value)


def progress_text(history: list[dict]) -> tuple[float, str]:
    """``(minutes trained, "step N, loss L, held-out road F1 F, APLS A")`` of the history."""
    losses = [h for h in history if "train_loss" in h]
    vals = [h for h in history if "val_loss" in h]
    elapsed = losses[-1]["trained_s"] / 60 if losses else 0.0
    if not losses:
        return elapsed, "starting"
    text = f"step {losses[-1]['step']}, loss {losses[-1]['train_loss']:.3f}"
    if vals and "val_road_f1" in vals[-1]:
        text += f", held-out road F1 {vals[-1]['val_road_f1']:.3f}"
        if "val_apls" in vals[-1]:
            text += f", APLS {vals[-1]['val_apls']:.3f}"
    elif vals:
        text += f", held-out loss {vals[-1]['val_loss']:.3f}"
    return elapsed, text


def chosen_step(history: list[dict]) -> int | None:
    """Step of the checkpoint ``best.pt`` holds: the last validation marked ``best``."""
    best = [h["val_step"] for h in history if h.get("best")]
    return int(best[-1]) if best else None


def card_facts(base: WeightsSpec) -> dict:
    """Model card entries of the new model that come from the base model: variant,
    ``inference_defaults`` (``t_r``, ``edge_threshold``... as the base validated them) and
    the window size."""
    card = base.model_card or {}
    facts: dict[str, Any] = {"variant": variant(base)}
    for key in ("window_px", "normalisation", "input"):
        if key in card:
            facts[key] = card[key]
    if "inference_defaults" in card:
        # The fine-tuned decoder's own road mask, not the base's road mask model.
        facts["inference_defaults"] = inference_defaults(base, own_road_mask=True)
    return facts


def validation_card(before: dict, after: dict) -> dict:
    out = {f"held_out_{k}_{when}": m[k] for k in SCORE_NAMES for when, m in
           (("before", before), ("after", after))}  # fmt: skip
    out.update(
        {
            "thresholds": "the base model's inference_defaults (t_r, edge_threshold)",
            "road_mask": "against the rasterised skeleton of the label masks, no relaxation",
            "split": "va_* chips of the training set (a stripe by area)",
            "n_graph_scored": after.get("n_graph_scored", 0),
        }
    )
    return out


def summary(before: dict, after: dict) -> dict:
    return {f"{k}_{when}": m[k] for k in SCORE_NAMES for when, m in
            (("before", before), ("after", after))}  # fmt: skip


CHECKPOINT_CHOSEN_ON = (
    "held-out va_* chips (mean of road-mask F1 and APLS at the training defaults), the same "
    "chips the before/after figures are measured on: optimistic"
)
