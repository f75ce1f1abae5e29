"""GPU training recipe for the day a device machine is lent (issue 10, item 6): Anchor-SAM.

Two steps:

1. ``prepare`` (here, on CPU): packs the multi-domain road set into one file
   (:func:`backend.train.datasets.pack_road_set`; JPEG quality 75 and without the 1500 px
   Massachusetts tiles, so that pack + repository + packages stay under the device's 64 MiB
   carry limit) and copies the pure-Python packages the device image lacks (``sam2`` and
   its ``hydra`` / ``omegaconf`` / ``antlr4`` / ``iopath`` / ``portalocker``) into
   ``.gpu/site``. ``.gpu/`` is git-ignored.
2. ``train`` (on the device): fine-tunes from the shipped weights for a fixed wall-clock
   budget (the schedule anneals over that budget), with data-loader workers building the
   domain-balanced batches, then writes the fp16 export, its card, the validation report
   (JSON + markdown, :mod:`backend.train.report`) and the history under ``--out``.

Device call (the device tool's ``run``; 9 minutes of training fit one 10-minute call)::

    carry: [".gpu"]
    PYTHONPATH=.gpu/site PYTHONUNBUFFERED=1 python3 -m backend.train.gpu_recipe train \\
        --pack .gpu/roads_pack.npz --minutes 8 --out $OUT

Compare the returned ``anchor_sam_pico_1m.report.json`` with the CPU run's on the same
report (``python -m backend.train.anchor_sam report``, original files) before shipping either.
The report numbers from the device are measured on the re-encoded (JPEG 75) pack.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

#: Pure-Python packages the device image lacks (it has torch, numpy, scipy, Pillow, tqdm).
DEVICE_PACKAGES = ("sam2", "hydra", "omegaconf", "antlr4", "iopath", "portalocker")
REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "backend" / "models" / "weights" / "anchor_sam_pico_1m.pt"


def prepare(roads_root: str | Path, gpu_dir: str | Path, jpeg_quality: int = 75,
            skip_key_prefixes: tuple[str, ...] = ("1500_",),
            domains: list[str] | None = None) -> dict[str, Any]:
    """Pack the road set and copy the device's missing packages into ``gpu_dir``.

    Returns:
        ``{"pack": path, "pack_bytes", "samples", "site": path}``.

    Raises:
        ValueError: a package of :data:`DEVICE_PACKAGES` is not installed here.
    """
    import importlib.util

    from backend.train.datasets import pack_road_set

    gpu_dir = Path(gpu_dir)
    site = gpu_dir / "site"
    site.mkdir(parents=True, exist_ok=True)
    for name in DEVICE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"package {name} is not installed here (run make install)")
        source = Path(next(iter(spec.submodule_search_locations)))
        target = site / name
        if target.exists():
            shutil.rmtree(target)
        # Compiled extensions of this Python would not load there (other version): skip.
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(
            "__pycache__", "*.so", "*.pyd"))
    pack = gpu_dir / "roads_pack.npz"
    packed = pack_road_set(roads_root, pack, domains, skip_key_prefixes, jpeg_quality)
    return {"pack": str(pack), "pack_bytes": packed["bytes"], "samples": packed["samples"],
            "site": str(site)}


def train_on_device(
    pack: str | Path, out: str | Path, minutes: float, device: str | None = None,
    batch_size: int = 32, crop_px: int = 256, lr: float = 5e-4, workers: int = 12,
    init_weights: str | Path = SHIPPED, run_dir: str | Path | None = None,
    domains: list[str] | None = None,
) -> dict[str, Any]:
    """Fine-tune Anchor-SAM on a pack for ``minutes`` and put the results in ``out``.

    Files written to ``out`` (flat, each well under the device's 16 MiB return limit):
    ``anchor_sam_pico_1m.pt`` (fp16), ``.json`` (card), ``.report.json``, ``.report.md``,
    ``history.jsonl``.

    Returns:
        The exported card (with its report headline).
    """
    import torch

    from backend.train.anchor_sam import TrainConfig, train

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    run = Path(run_dir) if run_dir else Path(out) / "_run"
    cfg = TrainConfig(
        data_dirs=[], out_dir=str(run), roads_root=str(pack), domains=domains,
        crop_px=crop_px, batch_size=batch_size, lr=lr, warmup_steps=50,
        max_steps=10**9, time_limit_min=minutes, val_every=100, checkpoint_every=500,
        log_every=20, device=device, workers=workers, export_every_min=10**6,
        card_template=str(Path(init_weights).with_suffix(".json")),
    )
    start = time.monotonic()
    train(cfg, resume=str(init_weights))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("anchor_sam_pico_1m.pt", "anchor_sam_pico_1m.json",
                 "anchor_sam_pico_1m.report.json", "anchor_sam_pico_1m.report.md"):
        shutil.copy2(run / "export" / name, out / name)
    shutil.copy2(run / "history.jsonl", out / "history.jsonl")
    if run.parent == out:  # the checkpoints (40 MB with the optimiser) do not come back
        shutil.rmtree(run)
    card = json.loads((out / "anchor_sam_pico_1m.json").read_text())
    card.setdefault("training", {})["gpu_recipe"] = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else device,
        "minutes_budget": minutes, "wall_time_s": round(time.monotonic() - start, 1),
        "batch_size": batch_size, "crop_px": crop_px, "lr": lr,
        "data": "pack of shared/data/roads (JPEG 75, no 1500 px Massachusetts tiles)"}
    (out / "anchor_sam_pico_1m.json").write_text(json.dumps(card, indent=2, sort_keys=True))
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.train.gpu_recipe",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    pr = sub.add_parser("prepare", help="pack the data + device packages into .gpu/")
    pr.add_argument("--roads", default="../shared/data/roads")
    pr.add_argument("--gpu-dir", default=".gpu")
    pr.add_argument("--jpeg-quality", type=int, default=75)
    tr = sub.add_parser("train", help="fixed-budget training on the device")
    tr.add_argument("--pack", default=".gpu/roads_pack.npz")
    tr.add_argument("--out", required=True, help="results folder ($OUT on the device)")
    tr.add_argument("--minutes", type=float, default=8.0, help="training budget")
    tr.add_argument("--device", default=None, help="default: cuda when available")
    tr.add_argument("--batch-size", type=int, default=32)
    tr.add_argument("--crop-px", type=int, default=256)
    tr.add_argument("--lr", type=float, default=5e-4)
    tr.add_argument("--workers", type=int, default=12)
    tr.add_argument("--init-weights", default=str(SHIPPED))
    args = parser.parse_args(argv)
    if args.command == "prepare":
        print(json.dumps(prepare(args.roads, args.gpu_dir, args.jpeg_quality), indent=2))
    else:
        card = train_on_device(args.pack, args.out, args.minutes, args.device,
                               args.batch_size, args.crop_px, args.lr, args.workers,
                               args.init_weights)
        print(json.dumps(card.get("report", {}), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
