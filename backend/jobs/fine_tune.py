"""The ``fine_tune`` job: adapt a shipped road model to the user's area.

Input is a folder of :mod:`backend.jobs.build_training_set` (``tr_*`` training chips and
``va_*`` chips of a held-out stripe). The job

1. scores the base model on the held-out chips (the family's scores),
2. trains from the base model's weights for a time budget (the model family's own
   training command line, run as a child process so a cancel can stop it at once),
3. exports the best checkpoint (chosen on the held-out chips) in fp16 with a model card
   into the user's model folder (:func:`backend.models.spec.user_models_dir`), where the
   registry lists it for every algorithm, the CLI and the interactive dock,
4. scores the new model on the same chips, so the user sees whether it helped.

A cancel while training stops it and keeps the best checkpoint so far (steps 3 and 4 still
run); a cancel before training leaves nothing.

Families (:data:`FAMILIES`, one module each, keyed by the registry method):
:mod:`~backend.jobs.fine_tune_anchor_sam` (segmentation: road IoU),
:mod:`~backend.jobs.fine_tune_linegraph2road` (graphs: road-mask F1, APLS, TOPO F1) and
:mod:`~backend.jobs.fine_tune_roadgie` (the interactive road model: Dice after 1, 3 and 5
simulated clicks, click consistency; the new model is offered by the interactive road
engine). A family module has ``CLI_MODULE`` (its training command line, with ``train``, ``evaluate``
and ``export``), ``SCORE_NAMES`` (score key -> words for the log), ``train_args``,
``score``, ``progress_text``, ``chosen_step``, ``card_facts``, ``validation_card``,
``summary`` and ``CHECKPOINT_CHOSEN_ON``. Other methods (SAM) are refused with a message.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from backend.geo.outputs import JobOutputs
from backend.jobs import fine_tune_anchor_sam, fine_tune_linegraph2road, fine_tune_roadgie
from backend.models.registry import get_weights_spec, list_models
from backend.models.spec import user_models_dir
from backend.runtime.device import resolve_device
from backend.runtime.progress import JobCancelled, Progress, no_progress

LEARNING_RATES = {"gentle": 1e-4, "normal": 3e-4, "strong": 1e-3}
_NAME = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
# Seconds between looks at the training run's history (progress, cancel).
_POLL_S = 1.0
# Registry method -> the module that fine-tunes that family (module docstring).
FAMILIES = {
    "anchor_sam": fine_tune_anchor_sam,
    "linegraph2road": fine_tune_linegraph2road,
    "roadgie": fine_tune_roadgie,
}
# A training set's GSD may differ from the base model's by this share at most.
_GSD_TOLERANCE = 0.25


class FineTuneParams(BaseModel):
    """Parameters of ``fine_tune`` (see the module docstring)."""

    dataset_dir: str = Field(description="Folder written by build_training_set.")
    base_model: str = Field("anchor_sam_pico_1m", description="Registered model to start from.")
    model_name: str = Field(description="Id of the new model (a-z, 0-9, _; 3-64 chars).")
    time_limit_min: float = Field(10.0, gt=0, le=24 * 60, description="Training time (min).")
    max_steps: int = Field(100_000, ge=1, description="Stop after this many steps at most.")
    learning_rate: Literal["gentle", "normal", "strong"] = Field(
        "normal", description="gentle 1e-4, normal 3e-4, strong 1e-3."
    )
    device: str = Field("auto", description="auto, cpu, cuda or mps.")
    crop_px: int = Field(
        256,
        ge=64,
        le=1024,
        description="Training crop (px, multiple of 32; Anchor-SAM and the interactive road "
        "model, at most the chip size there; LineGraph2Road crops are its window size).",
    )
    batch_size: int = Field(4, ge=1, le=64, description="Crops per step.")


def validate(params: FineTuneParams) -> None:
    """Fail before any work: a training folder with both splits, a base model of a wired
    family whose weights are installed, a free and valid model name, a device.

    Raises:
        ValueError: naming the problem and what to do.
    """
    folder = Path(params.dataset_dir)
    if not (folder / "manifest.json").is_file():
        raise ValueError(
            f"{folder} is not a training set (no manifest.json); build one with "
            "build_training_set ('Build road training set') first."
        )
    manifest = json.loads((folder / "manifest.json").read_text())
    chips = [c for c in manifest.get("chips", []) if not c.get("flagged")]
    splits = {c.get("split") for c in chips}
    if not {"tr", "va"} <= splits:
        raise ValueError(
            f"{folder} needs training (tr_) and held-out (va_) chips; it has "
            f"{sorted(s for s in splits if s)}. Use a larger area or validation_fraction."
        )
    spec = get_weights_spec(params.base_model)
    if spec.method not in FAMILIES:
        raise ValueError(
            f"Fine-tuning {spec.method} models ({params.base_model}) is not available yet; "
            "choose an Anchor-SAM (segmentation), LineGraph2Road (road graph) or interactive "
            "road (RoadGIE-style) model."
        )
    if not spec.path().is_file():
        raise ValueError(f"The weights of {params.base_model} are not installed.")
    gsd_m = manifest.get("gsd_m")
    if gsd_m and spec.gsd_m and abs(float(gsd_m) / spec.gsd_m - 1.0) > _GSD_TOLERANCE:
        raise ValueError(
            f"The training set's chips are at {float(gsd_m):g} m per pixel, {params.base_model} "
            f"works at {spec.gsd_m:g} m: build the set again with a ground sample distance "
            f"of {spec.gsd_m:g} m."
        )
    if not _NAME.match(params.model_name):
        raise ValueError(
            f"model_name {params.model_name!r}: use 3-64 characters a-z, 0-9 and _, "
            "starting with a letter."
        )
    if (
        params.model_name in list_models()
        or (user_models_dir() / f"{params.model_name}.pt").exists()
    ):
        raise ValueError(f"A model named {params.model_name!r} exists; choose another name.")
    if params.crop_px % 32:
        raise ValueError(f"crop_px must be a multiple of 32, got {params.crop_px}.")
    resolve_device(params.device)


def run(params: FineTuneParams, report: Progress = no_progress) -> dict:
    """Fine-tune (see the module docstring).

    Returns:
        ``{"outputs": {"weights", "card"}, "summary": {model, base_model, steps,
        checkpoint_step (the step of the exported weights), minutes, stopped_early,
        method, device, and the family's scores before and after: iou_before / iou_after
        (Anchor-SAM); road_f1_, apls_, topo_f1_ before / after (LineGraph2Road; APLS and
        TOPO None when no held-out road could be scored); dice_1_, dice_3_, dice_5_,
        click_consistency_ before / after (interactive road model; Dice None when no
        held-out chip has a road)}}``.

    Raises:
        ValueError: bad input (nothing written).
        JobCancelled: cancelled before training started (nothing written).
        RuntimeError: the training process failed (its last output lines in the message).
    """
    validate(params)
    base = get_weights_spec(params.base_model)
    family = FAMILIES[base.method]
    device = resolve_device(params.device)
    with tempfile.TemporaryDirectory(prefix="roadextract-finetune-") as work_dir:
        work = Path(work_dir)
        cli = _cli_of(family)
        report(1.0, f"Scoring {params.base_model} on the held-out chips")
        before = family.score(cli, base.path(), params.dataset_dir, base, work, device)
        report(5.0, f"{params.base_model}: {_scores_text(family, before)}; training on {device}")
        run_dir = work / "run"
        started = time.monotonic()
        stopped_early = _train(params, family, base, run_dir, work, device, report)
        minutes = (time.monotonic() - started) / 60
        checkpoint = run_dir / "best.pt" if (run_dir / "best.pt").is_file() else run_dir / "last.pt"
        history = _history(run_dir)
        steps = max((h.get("step", 0) for h in history), default=0)
        # The step of the exported weights: best.pt's, else the last step (last.pt).
        chosen = family.chosen_step(history) if checkpoint.name == "best.pt" else None
        chosen = steps if chosen is None else chosen
        exported = work / f"{params.model_name}.pt"
        card = _card(params, family, base, (steps, chosen), minutes, device, stopped_early)
        card_path = work / "card.json"
        card_path.write_text(json.dumps(card))
        cli(
            "export",
            "--checkpoint",
            str(checkpoint),
            "--output",
            str(exported),
            "--card",
            str(card_path),
        )
        # After a cancel the job goes on quietly (report would raise JobCancelled).
        (no_progress if stopped_early else report)(
            95.0, f"Scoring {params.model_name} on the held-out chips"
        )
        after = family.score(cli, exported, params.dataset_dir, base, work, device)
        written = json.loads(exported.with_suffix(".json").read_text())
        written["validation"] = family.validation_card(before, after)
        target = user_models_dir()
        target.mkdir(parents=True, exist_ok=True)
        with JobOutputs() as outputs:
            tmp = outputs.stage_file(target / exported.name, _same_size(exported.stat().st_size))
            tmp.write_bytes(exported.read_bytes())
            outputs.stage_json(target / f"{params.model_name}.json", written)
            # After a cancel the job still publishes what training gave (the best so far).
            outputs.publish(no_progress if stopped_early else report)
    return {
        "outputs": {
            "weights": str(target / exported.name),
            "card": str(target / f"{params.model_name}.json"),
        },
        "summary": {
            "model": params.model_name,
            "base_model": params.base_model,
            "steps": steps,
            "checkpoint_step": chosen,
            "minutes": round(minutes, 2),
            "stopped_early": stopped_early,
            "method": base.method,
            **family.summary(before, after),
            "device": device,
        },
    }


def _train(params, family, base, run_dir: Path, work: Path, device: str, report) -> bool:
    """Run the family's training CLI; returns True when a cancel stopped it early."""
    lr = LEARNING_RATES[params.learning_rate]
    args = [
        "train",
        "--data",
        params.dataset_dir,
        "--out",
        str(run_dir),
        "--train-include",
        "tr_*",
        "--val-include",
        "va_*",
        "--time-limit-min",
        str(params.time_limit_min),
        "--max-steps",
        str(params.max_steps),
        "--lr",
        str(lr),
        "--device",
        device,
        "--val-every",
        "20",
        "--checkpoint-every",
        "20",
        "--log-every",
        "5",
        *family.train_args(params, base, run_dir, work, device, lr),
    ]
    log = run_dir.parent / "train.log"
    with log.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", family.CLI_MODULE, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=_repo_root(),
        )
        try:
            while child.poll() is None:
                time.sleep(_POLL_S)
                _report_training(family, run_dir, params.time_limit_min, report)
        except JobCancelled:
            child.terminate()
            child.wait(timeout=60)
            if not any((run_dir / f).is_file() for f in ("best.pt", "last.pt")):
                raise
            return True
    if child.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-8:])
        raise RuntimeError(f"Training failed (exit code {child.returncode}):\n{tail}")
    return False


def _report_training(family, run_dir: Path, limit_min: float, report: Progress) -> None:
    elapsed_min, text = family.progress_text(_history(run_dir))
    report(5.0 + 85.0 * min(1.0, elapsed_min / limit_min), text)


def _scores_text(family, scores: dict) -> str:
    """``"held-out road IoU 0.412"`` or ``"road-mask F1 0.5, APLS 0.2, TOPO F1 -"``."""
    return ", ".join(
        f"{words} {'-' if scores.get(key) is None else f'{scores[key]:.3f}'}"
        for key, words in family.SCORE_NAMES.items()
    )


def _history(run_dir: Path) -> list[dict]:
    path = run_dir / "history.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a line being written
    return rows


def _cli_of(family):
    """``cli(*args) -> stdout`` running the family's training command line."""

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", family.CLI_MODULE, *args],
            capture_output=True,
            text=True,
            cwd=_repo_root(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
        return done.stdout

    return cli


def _card(params, family, base, steps_chosen, minutes, device: str, stopped_early: bool) -> dict:
    steps, chosen = steps_chosen
    return {
        "id": params.model_name,
        "method": base.method,
        "registry_architecture": base.architecture,
        "base_model": base.id,
        "gsd_m": base.gsd_m,
        "bands": list(base.bands),
        **family.card_facts(base),
        "description": f"{base.id} fine-tuned on {Path(params.dataset_dir).name}",
        "training": {
            "data": str(Path(params.dataset_dir).resolve()),
            "steps": steps,
            "checkpoint_step": chosen,
            "wall_time_min": round(minutes, 2),
            "device": device,
            "learning_rate": LEARNING_RATES[params.learning_rate],
            "stopped_early_by_cancel": stopped_early,
            "checkpoint_chosen_on": family.CHECKPOINT_CHOSEN_ON,
        },
    }


def _same_size(size: int):
    def check(tmp: Path) -> None:
        if tmp.stat().st_size != size:
            raise OSError(f"{tmp.stat().st_size} bytes written of {size}")

    return check


def _repo_root() -> str:
    """The folder holding the ``backend`` package (the child processes import it)."""
    return str(Path(__file__).resolve().parents[2])
