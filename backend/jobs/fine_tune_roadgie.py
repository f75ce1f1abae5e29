"""The interactive road model family of the ``fine_tune`` job (RoadGIE-style, issue 12).

Training command line :mod:`backend.train.roadgie`: ``--init-weights BASE.pt`` loads the base
model's weights (weights only: new optimiser, step 0) of the same variant; training runs the
simulated interaction of the base model's training (rounds, scribble and refinement-start
shares and the encoder's learning-rate factor from its card, synthetic refinement starts)
with the click-consistency loss (``--consistency-weight``, the base's or 1.0); crops are
``crop_px`` at most the chip size.
``--keep-best`` saves ``best.pt`` at each validation with the best mean Dice after 5
simulated clicks on the ``va_*`` chips (and validates once more when training ends).

The set of :mod:`backend.jobs.build_training_set` (``images/NAME.tif`` + ``labels/NAME.png``)
is read by the trainer's discovery (:func:`backend.train.datasets.discover_samples`: a
GeoTIFF with a same-stem label mask); flagged chips live under ``flagged/`` and are not seen.

Score (before and after, its ``evaluate`` command): on the ``va_*`` chips, each whole chip
starts from nothing and gets one deterministic click per round in the largest error region;
mean Dice after 1, 3 and 5 clicks (chips with roads) and the click consistency of the raw
network (share of (click, round) pairs whose clicked pixel has the click's label; the
interactive engine enforces the clicks on top of that). The family interface is described in
:mod:`backend.jobs.fine_tune`.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.models.spec import WeightsSpec

CLI_MODULE = "backend.train.roadgie"
SCORE_NAMES = {
    "dice_1": "held-out Dice after 1 click",
    "dice_3": "after 3 clicks",
    "dice_5": "after 5 clicks",
    "click_consistency": "click consistency",
}
# Click-consistency loss weight when the base model's card does not give one.
CONSISTENCY_WEIGHT = 1.0
# Card entries of the base model the new model keeps (how to feed it and read its output).
_CARRIED = ("inference_defaults", "normalisation", "input", "output", "paper", "license")


def variant(base: WeightsSpec) -> str:
    """``hiera_pico`` (the shipped model), ``strip``, ``strip_tiny``...: the card's, else the
    registry architecture's suffix."""
    card = base.model_card or {}
    return str(card.get("variant") or base.architecture.removeprefix("roadgie_"))


def _base_config(base: WeightsSpec) -> dict:
    return ((base.model_card or {}).get("training") or {}).get("config") or {}


def train_args(params, base: WeightsSpec, run_dir: Path, work: Path, device: str, lr: float):
    """The ``train`` arguments after the common ones (data, out, splits, time, steps, lr...)."""
    config = _base_config(base)
    return [
        "--init-weights",
        str(base.path()),
        "--variant",
        variant(base),
        "--keep-best",
        "--warmup-steps",
        "0",
        "--crop-px",
        str(_crop_px(params)),
        "--batch-size",
        str(params.batch_size),
        "--rounds",
        str(int(config.get("rounds", 5))),
        "--scribble-prob",
        str(float(config.get("scribble_prob", 0.3))),
        "--init-prob",
        str(float(config.get("init_prob", 0.25))),
        "--consistency-weight",
        str(float(config.get("consistency_weight", CONSISTENCY_WEIGHT))),
        # the base's encoder learning-rate factor (Hiera variants: 0.1; strip variants
        # have one parameter group and ignore it)
        "--encoder-lr-scale",
        str(float(config.get("encoder_lr_scale", 1.0))),
    ]


def _crop_px(params) -> int:
    """``crop_px``, at most the chips' side rounded down to a multiple of 32 (min 64)."""
    manifest = json.loads((Path(params.dataset_dir) / "manifest.json").read_text())
    chip_px = int(manifest.get("chip_px") or params.crop_px)
    return max(64, min(params.crop_px, chip_px // 32 * 32))


def score(cli, weights: Path, dataset_dir: str, base: WeightsSpec, work: Path, device: str):
    """``{"dice_1", "dice_3", "dice_5", "click_consistency", "apls_5", "n_dice"}`` of
    ``weights`` on the held-out chips (Dice None when no held-out chip has a road)."""
    output = work / f"score_{weights.stem}.json"
    manifest = json.loads((Path(dataset_dir) / "manifest.json").read_text())
    cli(
        "evaluate",
        "--weights",
        str(weights),
        "--data",
        dataset_dir,
        "--include",
        "va_*",
        "--gsd-m",
        str(float(manifest.get("gsd_m") or base.gsd_m or 1.0)),
        "--device",
        device,
        "--output",
        str(output),
    )
    result = json.loads(output.read_text())
    rounds = result["rounds"]
    scores = {f"dice_{r}": _maybe(rounds.get(str(r), {}).get("dice")) for r in (1, 3, 5)}
    scores["click_consistency"] = _maybe(result["click_consistency"]["network"])
    scores["apls_5"] = _maybe(rounds.get("5", {}).get("apls"))
    scores["n_dice"] = int(rounds.get("5", {}).get("n_dice", 0))
    return scores


def _maybe(value) -> float | None:
    return None if value is None else float(value)


def progress_text(history: list[dict]) -> tuple[float, str]:
    """``(minutes trained, "step N, loss L, held-out Dice after 5 clicks D")``."""
    losses = [h for h in history if "loss" in h]
    vals = [h for h in history if "val" in h]
    elapsed = losses[-1]["elapsed_s"] / 60 if losses else 0.0
    if not losses:
        return elapsed, "starting"
    text = f"step {losses[-1]['step']}, loss {losses[-1]['loss']:.3f}"
    if vals:
        dice = vals[-1]["val"]["rounds"].get("5", {}).get("dice")
        if dice is not None:
            text += f", held-out Dice after 5 clicks {dice:.3f}"
    return elapsed, text


def chosen_step(history: list[dict]) -> int | None:
    """Step of the checkpoint ``best.pt`` holds: the last validation marked ``best``."""
    best = [h["step"] for h in history if h.get("best")]
    return int(best[-1]) if best else None


def card_facts(base: WeightsSpec) -> dict:
    """Model card entries of the new model that come from the base model: variant,
    ``inference_defaults`` (threshold, click radius, largest model image...),
    normalisation, input/output description, paper and license."""
    card = base.model_card or {}
    facts = {"variant": variant(base)}
    for key in _CARRIED:
        if key in card:
            facts[key] = card[key]
    return facts


def validation_card(before: dict, after: dict) -> dict:
    out = {f"held_out_{k}_{when}": m[k] for k in SCORE_NAMES for when, m in
           (("before", before), ("after", after))}  # fmt: skip
    out.update(
        {
            "held_out_apls_5_before": before.get("apls_5"),
            "held_out_apls_5_after": after.get("apls_5"),
            "clicks": "deterministic simulated clicks, one per round at the centre of the "
            "largest error region, from no prediction; Dice per chip with roads, mean",
            "click_consistency": "raw network: share of (click, round) pairs whose clicked "
            "pixel has the click's label (the engine enforces the clicks on top)",
            "split": "va_* chips of the training set (a stripe by area)",
            "n_dice": after.get("n_dice", 0),
        }
    )
    return out


def summary(before: dict, after: dict) -> dict:
    return {f"{k}_{when}": m[k] for k in SCORE_NAMES for when, m in
            (("before", before), ("after", after))}  # fmt: skip


CHECKPOINT_CHOSEN_ON = (
    "held-out va_* chips (mean Dice after 5 simulated clicks), the same chips the "
    "before/after figures are measured on: optimistic"
)
