"""GPU training recipe for the day a device machine is lent (issue 10, item 6): all three
trained models in one call (Anchor-SAM, LineGraph2Road, the RoadGIE-style interactive model).

Two steps:

1. ``prepare`` (here, on CPU): packs the multi-domain road set into one file
   (:func:`backend.train.datasets.pack_road_set`; JPEG quality 75 and without the 1500 px
   Massachusetts tiles, so that pack + repository + packages stay under the device's 64 MiB
   carry limit), copies the pure-Python packages the device image lacks (``sam2`` and its
   ``hydra`` / ``omegaconf`` / ``antlr4`` / ``iopath`` / ``portalocker``) into ``.gpu/site``
   and downloads the compiled packages the graph and interactive models need there, built
   for the device's Python 3.12 (:data:`DEVICE_WHEELS`: ``shapely``, and of
   ``scikit-image`` only the subpackages ``skeletonize`` imports) into ``.gpu/wheels``.
   ``.gpu/`` is git-ignored. Measured 2026-11-30: repository 23.6 MB + ``.gpu`` 35.0 MB
   (pack 26.8, wheels 5.6, site 2.6) = 55.9 MiB of the 64 MiB carry limit.
2. ``train`` (on the device): unpacks the wheels into ``.gpu/site``, stands in for
   ``rasterio`` / ``pyproj`` where they are missing (:func:`install_import_stubs`: only
   imported at module level on these paths, never called), writes the 1 m image/label
   folder the graph and interactive trainers read (:func:`write_data_at_1m`, from the pack)
   and the LineGraph2Road targets (coupled NMS..., :func:`warm_targets`, in parallel), then
   runs the three stages one after the other, each within its share of the wall-clock
   budget ``--minutes`` (``--shares``, default 3:3:2; a stage's share covers its start-up,
   training, export and report, and a stage that overruns shortens the next ones):

   * Anchor-SAM: fine-tunes the shipped weights on the pack (domain-balanced batches built
     by data-loader workers), fp16 export, card, validation report
     (:mod:`backend.train.report`) and history;
   * LineGraph2Road ``hiera_pico``: continues the shipped model on the 1 m folder with the
     options of ``run_linegraph2road_encoders.sh`` (5 px roads, balanced domains,
     photometric, encoder lr x 0.1), fp16 export + card, and
     :func:`~backend.train.linegraph2road.graph_report` on a reduced threshold grid
     (:data:`LG2R_REPORT_T_R` x :data:`LG2R_REPORT_EDGE`; the Vegas pan recall needs
     rasterio and is left out);
   * interactive (RoadGIE-style ``hiera_pico``): continues the shipped model with the
     options of ``run_roadgie_multidomain.sh`` VARIANT=hiera_refine (6 rounds, lr 5e-4,
     encoder lr x 0.1, click consistency, strong photometric, 30 %
     refinement starts, half from the shipped Anchor-SAM's probability, computed on the
     GPU first within :data:`ANCHOR_PROB_BUDGET_FRACTION` of the stage, else synthetic
     starts), fp16 export + card, and ``evaluate`` (Dice after 1/3/5 clicks, click
     consistency) on the ``select`` and ``report`` splits.

   Everything lands flat in ``--out`` as soon as a stage ends (a call cut short still
   returns the finished models), each file well under the 16 MiB return limit, plus
   ``gpu_recipe.json`` with the planned and spent seconds of every step.

Device call (the device tool's ``run``; 8 minutes plus start-up fit one 10-minute call)::

    carry: [".gpu"]
    PYTHONPATH=.gpu/site PYTHONUNBUFFERED=1 python3 -m backend.train.gpu_recipe train \\
        --pack .gpu/roads_pack.npz --minutes 8 --out $OUT

None of this has run on a GPU yet (no device was lent to the sessions that wrote it): the
dry run (``tests/backend/train/test_gpu_recipe.py``) runs all three stages on a CPU in a
Python without rasterio / pyproj, and the seconds each step takes on the device (reports,
:data:`REPORT_RESERVE_S`; batch sizes) are estimates until ``gpu_recipe.json`` of a first
call says.
Compare the returned reports with the CPU runs' on the same reports (``python -m
backend.train.anchor_sam report``, ``python -m backend.train.linegraph2road report``,
``python -m backend.train.roadgie evaluate``, original files) before shipping any file.
The report numbers from the device are measured on the re-encoded (JPEG 75) pack.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Pure-Python packages the device image lacks (it has torch, numpy, scipy, Pillow, tqdm).
DEVICE_PACKAGES = ("sam2", "hydra", "omegaconf", "antlr4", "iopath", "portalocker")
#: Compiled packages the graph / interactive code imports, downloaded for the device's
#: Python (``pip download``): distribution name -> import name.
DEVICE_WHEELS = {"shapely": "shapely", "scikit-image": "skimage", "lazy_loader": "lazy_loader"}
DEVICE_PYTHON = "3.12"
#: Imported at module level on the training / report paths but never called there.
DEVICE_STUBS = ("rasterio", "pyproj")
REPO = Path(__file__).resolve().parents[2]
WEIGHTS = REPO / "backend" / "models" / "weights"
SHIPPED = WEIGHTS / "anchor_sam_pico_1m.pt"
LG2R_SHIPPED = WEIGHTS / "linegraph2road_hiera_pico_1m.pt"
ROADGIE_SHIPPED = WEIGHTS / "roadgie_hiera_pico_1m.pt"
MODELS = ("anchor_sam", "linegraph2road", "roadgie")
DEFAULT_SHARES = (3.0, 3.0, 2.0)
#: Reduced report grid of LineGraph2Road (the full one has 6 x 5 points); holds the
#: thresholds the shipped model's report chose (t_r 0.05, edge 0.1).
LG2R_REPORT_T_R = (0.05, 0.2)
LG2R_REPORT_EDGE = (0.1, 0.3)
#: Seconds each stage keeps for its export and report (GPU estimates; at most 30 % of the
#: stage): Anchor-SAM report, LineGraph2Road report (4 grid points on 58 select images + 2
#: on 35 report images, graph decoding and APLS on the CPU), interactive evaluation.
REPORT_RESERVE_S = {"anchor_sam": 40.0, "linegraph2road": 90.0, "roadgie": 50.0}
#: Share of the interactive stage the Anchor-SAM starting maps may take before the stage
#: falls back to synthetic starts.
ANCHOR_PROB_BUDGET_FRACTION = 0.2
DATA_NOTE = "pack of shared/data/roads (JPEG 75, no 1500 px Massachusetts tiles)"


# --- prepare (CPU) ----------------------------------------------------------------------------


def _skimage_subpackages() -> set[str]:
    """Subpackages of scikit-image that ``skeletonize`` imports (traced in a fresh Python)."""
    code = ("import sys, numpy as np; from skimage.morphology import skeletonize; "
            "skeletonize(np.zeros((8, 8), bool)); "
            "print(' '.join(m for m in sys.modules if m.startswith('skimage.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    return {m.split(".")[1] for m in out}


def fetch_device_wheels(gpu_dir: str | Path) -> dict[str, int]:
    """Download :data:`DEVICE_WHEELS` for the device's Python into ``gpu_dir/wheels``.

    Versions are those installed here. Of scikit-image only the top-level files and the
    subpackages ``skeletonize`` imports are kept (tests left out): 3 MB instead of 14 MB.

    Returns:
        ``{file name: bytes}`` of the written files.

    Raises:
        ValueError: a package is not installed here, or the download failed.
    """
    from importlib.metadata import PackageNotFoundError, version

    wheels = Path(gpu_dir) / "wheels"
    if wheels.exists():
        shutil.rmtree(wheels)
    wheels.mkdir(parents=True)
    try:
        pins = [f"{name}=={version(name)}" for name in DEVICE_WHEELS]
    except PackageNotFoundError as exc:
        raise ValueError(f"package {exc} is not installed here (run make install)") from exc
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--only-binary=:all:", "--python-version", DEVICE_PYTHON,
               "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
               "--platform", "manylinux2014_x86_64", "-d", tmp, *pins]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise ValueError(f"pip download {' '.join(pins)} failed: {done.stderr[-500:]}")
        keep = _skimage_subpackages()
        for whl in sorted(Path(tmp).glob("*.whl")):
            if not whl.name.startswith("scikit_image"):
                shutil.copy2(whl, wheels / whl.name)
                continue
            with zipfile.ZipFile(whl) as src, zipfile.ZipFile(
                    wheels / whl.name, "w", zipfile.ZIP_DEFLATED) as dst:
                for item in src.infolist():
                    parts = item.filename.split("/")
                    if parts[0] != "skimage" or "tests" in parts:
                        continue
                    if len(parts) == 2 or parts[1] in keep:
                        dst.writestr(item, src.read(item))
    return {p.name: p.stat().st_size for p in sorted(wheels.iterdir())}


def prepare(roads_root: str | Path, gpu_dir: str | Path, jpeg_quality: int = 75,
            skip_key_prefixes: tuple[str, ...] = ("1500_",),
            domains: list[str] | None = None, wheels: bool = True) -> dict[str, Any]:
    """Pack the road set and put the device's missing packages into ``gpu_dir``.

    Returns:
        ``{"pack": path, "pack_bytes", "samples", "site": path, "wheels": {name: bytes}}``.

    Raises:
        ValueError: a package of :data:`DEVICE_PACKAGES` is not installed here, or the
            wheels could not be downloaded.
    """
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
    fetched = fetch_device_wheels(gpu_dir) if wheels else {}
    pack = gpu_dir / "roads_pack.npz"
    packed = pack_road_set(roads_root, pack, domains, skip_key_prefixes, jpeg_quality)
    return {"pack": str(pack), "pack_bytes": packed["bytes"], "samples": packed["samples"],
            "site": str(site), "wheels": fetched}


# --- device start-up ----------------------------------------------------------------------


def install_device_wheels(gpu_dir: str | Path) -> list[str]:
    """Unpack ``gpu_dir/wheels/*.whl`` into ``gpu_dir/site`` for packages not importable.

    Returns:
        Names of the unpacked wheels.
    """
    gpu_dir = Path(gpu_dir)
    site = gpu_dir / "site"
    unpacked = []
    for whl in sorted((gpu_dir / "wheels").glob("*.whl")):
        module = next((m for d, m in DEVICE_WHEELS.items()
                       if whl.name.startswith(d.replace("-", "_") + "-")), None)
        if module is None or _importable(module):
            continue
        with zipfile.ZipFile(whl) as z:
            z.extractall(site)
        unpacked.append(whl.name)
    if unpacked:
        if str(site.resolve()) not in {str(Path(p).resolve()) for p in sys.path if p}:
            sys.path.insert(0, str(site))
        importlib.invalidate_caches()
    return unpacked


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class _Missing:
    """Stand-in for a name of a package that is not installed: fails when used."""

    def __init__(self, qualname: str) -> None:
        self._qualname = qualname

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ModuleNotFoundError(f"{self._qualname} was used, but its package is not "
                                  "installed on this machine (gpu_recipe import stub)")

    def __getattr__(self, name: str) -> _Missing:
        return _Missing(f"{self._qualname}.{name}")


def install_import_stubs(names: Sequence[str] = DEVICE_STUBS) -> list[str]:
    """Put stand-in modules into ``sys.modules`` for packages of ``names`` not installed.

    The device image has neither ``rasterio`` nor ``pyproj``; the LineGraph2Road and
    interactive code imports them at module level (``backend.geo``, ``backend.eval``) but
    does not call them on the training and report paths used here. Any use raises
    ``ModuleNotFoundError`` naming the call. Never used outside this recipe's ``train``.

    Returns:
        The stubbed package names.
    """
    stubbed = []
    for name in names:
        if sys.modules.get(name) is not None or _importable(name):
            continue

        def getattr_(attr: str, _prefix: str = name) -> Any:
            if attr.startswith("__"):
                raise AttributeError(attr)
            full = f"{_prefix}.{attr}"
            return sys.modules.get(full) or _Missing(full)

        for sub in ("", ".windows", ".features", ".aoi", ".database", ".crs", ".enums"):
            module = types.ModuleType(name + sub)
            module.__getattr__ = (  # type: ignore[method-assign]
                lambda attr, _prefix=name + sub: getattr_(attr, _prefix))
            module.__path__ = []  # a package, so that submodules import
            sys.modules[name + sub] = module
        stubbed.append(name)
    return stubbed


# --- data at 1 m (device side, from the pack) -----------------------------------------------

_POOL_STATE: dict[str, Any] = {}


def _write_one(index: int) -> str:
    from PIL import Image

    from backend.train.datasets import read_domain_pair_at_gsd

    sample, out = _POOL_STATE["samples"][index], _POOL_STATE["out"]
    info = sample.info
    name = f"{info.domain}__{info.split}__{info.key.replace('@', '_')}.png"
    image, label, valid = read_domain_pair_at_gsd(sample, 1.0)
    image[~valid] = 255 if info.nodata_white else 0
    Image.fromarray((label & valid).astype("uint8") * 255).save(out / "labels" / name)
    Image.fromarray(image).save(out / "images" / name, compress_level=1)
    return name


def _map(fn: Any, items: Sequence[Any], workers: int) -> list[Any]:
    """``fn`` over ``items``, in ``workers`` forked processes (one thread each) when > 1."""
    if workers <= 1 or len(items) < 2:
        return [fn(i) for i in items]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers, initializer=_one_thread) as pool:
        return pool.map(fn, items, chunksize=max(1, len(items) // (4 * workers)))


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def write_data_at_1m(pack: str | Path, out_dir: str | Path, workers: int = 1,
                     domains: list[str] | None = None,
                     max_per_split: int | None = None) -> dict[str, int]:
    """The 1 m image/label folder of the graph and interactive trainers, from a pack.

    The same files as :func:`backend.train.datasets.write_domain_set_at_gsd` at 1 m
    (``images/DOMAIN__SPLIT__KEY.png`` + ``labels/...``, partially labelled samples left
    out), written by ``workers`` processes.

    Args:
        max_per_split: keep at most this many samples per (domain, split) (dry runs).

    Returns:
        ``{"written": n, "skipped_partial": k}`` and the count per split.
    """
    from backend.train.datasets import load_pack

    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    samples, counts, skipped = [], {}, 0
    for sample in load_pack(pack, domains):
        if sample.info.partial:
            skipped += 1
            continue
        group = (sample.info.domain, sample.info.split)
        if max_per_split is not None and counts.get(group, 0) >= max_per_split:
            continue
        counts[group] = counts.get(group, 0) + 1
        samples.append(sample)
    _POOL_STATE.update(samples=samples, out=out)
    try:
        names = _map(_write_one, list(range(len(samples))), workers)
    finally:
        _POOL_STATE.clear()
    result = {"written": len(names), "skipped_partial": skipped}
    for split in ("train", "select", "report"):
        result[split] = sum(n for (_, s), n in counts.items() if s == split)
    return result


def _warm_one(job: tuple[int, int]) -> None:
    index, seed = job
    source = _POOL_STATE["sources"][index]
    _POOL_STATE["cache"].get(source, seed, _POOL_STATE["shapes"][index])


def warm_targets(data_dir: str | Path, cache_dir: str | Path, road_width_px: float = 5.0,
                 workers: int = 1) -> int:
    """Compute the LineGraph2Road targets of every image of ``data_dir`` in parallel.

    Training images get all target variants, the others (evaluation) seed 0, as the
    trainer and :func:`~backend.train.linegraph2road.evaluate_model` ask for them.

    Returns:
        Number of (image, seed) targets.
    """
    from PIL import Image

    from backend.train.datasets import discover_samples
    from backend.train.linegraph2road import TargetCache, TargetParams

    cache = TargetCache(cache_dir, TargetParams(road_width_px=road_width_px))
    sources = discover_samples(data_dir, ["*"])
    shapes = []
    for s in sources:
        with Image.open(s.image_path) as im:
            shapes.append((im.height, im.width))
    jobs = [(i, seed) for i, s in enumerate(sources)
            for seed in range(cache.params.variants if "__train__" in s.key else 1)]
    _POOL_STATE.update(sources=sources, shapes=shapes, cache=cache)
    try:
        _map(_warm_one, jobs, workers)
    finally:
        _POOL_STATE.clear()
    return len(jobs)


# --- the three stages ---------------------------------------------------------------------


def _device_name(device: str) -> str:
    import torch

    return torch.cuda.get_device_name(0) if device.startswith("cuda") else device


def _card_template(path: Path) -> dict[str, Any]:
    card = json.loads(path.with_suffix(".json").read_text())
    for stale in ("validation", "report", "sha256", "size_bytes"):
        card.pop(stale, None)
    return card


def train_on_device(
    pack: str | Path, out: str | Path, minutes: float, device: str | None = None,
    batch_size: int = 32, crop_px: int = 256, lr: float = 5e-4, workers: int = 12,
    init_weights: str | Path = SHIPPED, run_dir: str | Path | None = None,
    domains: list[str] | None = None,
) -> dict[str, Any]:
    """Fine-tune Anchor-SAM on a pack for ``minutes`` and put the results in ``out``.

    Files written to ``out`` (flat, each well under the device's 16 MiB return limit):
    ``anchor_sam_pico_1m.pt`` (fp16), ``.json`` (card), ``.report.json``, ``.report.md``,
    ``anchor_sam.history.jsonl``.

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
    shutil.copy2(run / "history.jsonl", out / "anchor_sam.history.jsonl")
    if run.parent == out:  # the checkpoints (40 MB with the optimiser) do not come back
        shutil.rmtree(run)
    card = json.loads((out / "anchor_sam_pico_1m.json").read_text())
    card.setdefault("training", {})["gpu_recipe"] = {
        "device": _device_name(device),
        "minutes_budget": minutes, "wall_time_s": round(time.monotonic() - start, 1),
        "batch_size": batch_size, "crop_px": crop_px, "lr": lr, "data": DATA_NOTE}
    (out / "anchor_sam_pico_1m.json").write_text(json.dumps(card, indent=2, sort_keys=True))
    return card


def train_linegraph2road_on_device(
    data_dir: str | Path, cache_dir: str | Path, out: str | Path, minutes: float,
    device: str = "cuda", batch_size: int = 16, lr: float = 1e-3, workers: int = 8,
    init_weights: str | Path = LG2R_SHIPPED, report_reserve_s: float = 0.0,
    t_r_grid: Sequence[float] = LG2R_REPORT_T_R,
    edge_grid: Sequence[float] = LG2R_REPORT_EDGE,
) -> dict[str, Any]:
    """Continue LineGraph2Road ``hiera_pico`` on the 1 m folder, export it and report.

    The recipe of ``run_linegraph2road_encoders.sh`` (5 px roads, domain-balanced,
    photometric, encoder lr x 0.1, warm-up 50) with ``minutes`` of training; the targets
    must be in ``cache_dir`` already (:func:`warm_targets`), else the trainer computes them
    first, outside ``minutes``. Files in ``out``: ``linegraph2road_hiera_pico_1m.pt``
    (fp16), ``.json`` (card, with the report headline), ``.report.json`` / ``.report.md``
    (:func:`~backend.train.linegraph2road.graph_report` on ``t_r_grid`` x ``edge_grid``,
    no Vegas pan part) and ``linegraph2road.history.jsonl``.

    Returns:
        The exported card.
    """
    from backend.train import linegraph2road as lg
    from backend.train.report import write_report

    out = Path(out)
    run = out / "_run_linegraph2road"
    stem = "linegraph2road_hiera_pico_1m"
    targets = lg.TargetParams(road_width_px=5.0)
    cfg = lg.TrainConfig(
        data_dir=str(data_dir), out_dir=str(run), train_include=("*__train__*",),
        cache_dir=str(cache_dir), variant="hiera_pico", batch_size=batch_size,
        max_steps=10**9, lr=lr, warmup_steps=50, encoder_lr_scale=0.1, targets=targets,
        checkpoint_every=10**9, val_every=10**9, log_every=5, graph_metrics=False,
        balance_domains=True, photometric=True, init_encoder_from=str(init_weights),
        time_limit_min=max(minutes, 0.001), device=device, num_workers=workers)
    start = time.monotonic()
    summary = lg.train(cfg)
    trained_s = time.monotonic() - start
    card = _card_template(Path(init_weights))
    card["training"] = {
        "continued_from": Path(init_weights).name, "steps": summary["step"],
        "wall_time_min": round(summary["trained_s"] / 60, 2),
        "recipe": "run_linegraph2road_encoders.sh options (road width 5 px, balanced "
                  f"domains, photometric, encoder lr x 0.1), lr {lr}, batch {batch_size}, "
                  "crop 256",
        "gpu_recipe": {"device": _device_name(device), "minutes_budget": round(minutes, 3),
                       "wall_time_s": round(trained_s, 1), "data": DATA_NOTE + ", at 1 m"}}
    exported = lg.export_fp16(run / "last.pt", out / f"{stem}.pt", card)
    t0 = time.monotonic()
    model = lg.load_model_file(out / f"{stem}.pt", "hiera_pico")
    # Thresholds are chosen with the graph the job will draw (its card's border extension).
    border = float(card.get("inference_defaults", {}).get("border_extension_px", 0.0))
    report = lg.graph_report(model, data_dir, lg.TargetCache(cache_dir, targets), None,
                             t_r_grid, edge_grid, device=device, border_extension_px=border)
    report["grid_note"] = (f"reduced grid t_r {list(t_r_grid)} x edge {list(edge_grid)} "
                           "(device time); no Vegas pan recall (needs rasterio)")
    write_report(report, out / f"{stem}.report", lg.graph_report_markdown)
    chosen = report["chosen_on_select"]
    exported["report"] = {
        "chosen_on_select": chosen,
        "report_split_apls_mean_of_domains": report["report_chosen"]["apls_mean_of_domains"],
        "report_split_apls_mean_of_domains_at_0.5": report["report_0.5"]["apls_mean_of_domains"],
        "seconds": round(time.monotonic() - t0, 1), "reserve_s": round(report_reserve_s, 1)}
    defaults = exported.setdefault("inference_defaults", {})
    # Scored and thresholded with its own road mask: the template's road mask model (and its
    # views and own-mask thresholds) would not match these thresholds.
    for key in ("road_mask_model", "road_mask_test_time_augmentation", "own_road_mask"):
        defaults.pop(key, None)
    defaults.update(
        t_r=chosen["t_r"], edge_threshold=chosen["edge_threshold"],
        note=f"own road mask; chosen on the select split over t_r {list(t_r_grid)} x edge "
             f"{list(edge_grid)}")
    (out / f"{stem}.json").write_text(json.dumps(exported, indent=2, sort_keys=True) + "\n")
    if (run / "history.jsonl").is_file():  # none when the stage had no time for a log
        shutil.copy2(run / "history.jsonl", out / "linegraph2road.history.jsonl")
    shutil.rmtree(run)
    return exported


def anchor_probabilities_on_device(
    data_dir: str | Path, cache_dir: str | Path, budget_s: float, device: str,
    anchor_weights: str | Path = SHIPPED, include: tuple[str, ...] = ("*__train__*",),
) -> bool:
    """Anchor-SAM starting maps of the interactive trainer, computed on ``device``.

    Writes ``KEY.png`` for the ``include`` images (default the training split) into the
    folder :func:`backend.train.roadgie.anchor_sam_probabilities` reads
    (:func:`~backend.train.roadgie.anchor_cache_dir`; that function computes on the CPU),
    stopping after ``budget_s`` seconds.

    Returns:
        True when every map is there.
    """
    import numpy as np
    import torch
    from PIL import Image

    from backend.methods.anchor_sam.predict import predict_probability
    from backend.train.anchor_sam import load_trained
    from backend.train.datasets import discover_samples, read_rgb_uint8
    from backend.train.roadgie import anchor_cache_dir

    start = time.monotonic()
    cache = anchor_cache_dir(cache_dir, anchor_weights)
    cache.mkdir(parents=True, exist_ok=True)
    model = load_trained(Path(anchor_weights)).to(device).eval()
    for source in discover_samples(data_dir, list(include)):
        if time.monotonic() - start > budget_s:
            return False
        path = cache / f"{source.key}.png"
        if path.is_file():
            continue
        with torch.no_grad():
            p = predict_probability(model, read_rgb_uint8(source.image_path), device,
                                    amp=device.startswith("cuda"))
        Image.fromarray(np.clip(np.rint(p * 255.0), 0, 255).astype(np.uint8)).save(path)
    return True


#: Continuation recipes of the interactive model by encoder kind: the Hiera variant's
#: (``run_roadgie_multidomain.sh`` VARIANT=hiera_refine: 6 rounds, lr 5e-4, encoder at a
#: tenth) and the strip variants' (8 rounds, lr 3e-4, one parameter group).
# Hiera: the mix of stage 2 of the shipped weights (half of the samples start from a
# prediction, 60 % of those from Anchor-SAM); strip: the strip model's 30 % / half.
ROADGIE_HIERA_RECIPE = {"rounds": 6, "lr": 5e-4, "encoder_lr_scale": 0.1,
                        "init_prob": 0.5, "anchor_share": 0.6}
ROADGIE_STRIP_RECIPE = {"rounds": 8, "lr": 3e-4, "encoder_lr_scale": 1.0,
                        "init_prob": 0.3, "anchor_share": 0.5}


def _roadgie_variant_of(weights: str | Path) -> str:
    """The RoadGIE variant whose configuration the weights load into (no card variant)."""
    from backend.methods.roadgie.model import CONFIGS
    from backend.train import roadgie as rg

    config = rg.load_weights(weights).config
    return next(name for name, c in CONFIGS.items() if c == config)


def train_roadgie_on_device(
    data_dir: str | Path, out: str | Path, minutes: float, device: str = "cuda",
    batch_size: int = 16, init_weights: str | Path = ROADGIE_SHIPPED,
    init_source: str = "mixed", anchor_weights: str | Path = SHIPPED,
    anchor_budget_s: float = 30.0, report_reserve_s: float = 0.0,
) -> dict[str, Any]:
    """Continue the interactive model on the 1 m folder, export it and evaluate it.

    The variant is the one of ``init_weights`` (its card's ``variant``, else detected from
    the weights; the shipped model is ``hiera_pico``). The recipe of
    ``run_roadgie_multidomain.sh`` (click consistency 1, strong photometric, balanced
    domains, refinement starts with ``init_source`` ``mixed``: from the Anchor-SAM
    probability, computed first within ``anchor_budget_s``, else all synthetic) for
    ``minutes`` (the Anchor-SAM maps included); a Hiera variant continues with its
    refinement recipe (6 rounds, lr 5e-4, encoder at a tenth of it, half of the samples
    start from a prediction, 60 % of those Anchor-SAM's: stage 2 of the shipped weights),
    a strip variant with 8 rounds at lr 3e-4, 30 % starts, half Anchor-SAM's. Files in
    ``out`` (named after the shipped model):
    ``roadgie_hiera_pico_1m.pt`` (fp16), ``.json`` (card), ``.report.json`` / ``.report.md``
    (:func:`backend.train.roadgie.interactive_report`: Dice after 1/3/5 clicks and click
    consistency on the ``select`` and ``report`` splits, from scratch and, when Anchor-SAM's
    maps of those images fit in ``anchor_budget_s``, from Anchor-SAM with and without the
    progressive merge) and ``roadgie.history.jsonl``.

    Returns:
        The exported card.
    """
    from backend.methods.roadgie.model import CONFIGS
    from backend.train import roadgie as rg
    from backend.train.report import write_report

    out = Path(out)
    run = out / "_run_roadgie"
    stem = ROADGIE_SHIPPED.stem
    start = time.monotonic()
    card = _card_template(Path(init_weights))
    variant = card.get("variant") or _roadgie_variant_of(init_weights)
    recipe = (ROADGIE_HIERA_RECIPE if CONFIGS[variant].encoder_kind == "sam2_hiera"
              else ROADGIE_STRIP_RECIPE)
    anchor_dir = run / "anchor_prob"
    if init_source != "synthetic":
        if not anchor_probabilities_on_device(data_dir, anchor_dir, anchor_budget_s, device,
                                              anchor_weights):
            init_source = "synthetic"
    left_min = max(minutes - (time.monotonic() - start) / 60, 0.001)
    cfg = rg.TrainConfig(
        data=str(data_dir), out_dir=str(run), train_include=("*__train__*",), val_include=(),
        variant=variant, crop_px=256, batch_size=batch_size, rounds=recipe["rounds"],
        lr=recipe["lr"], encoder_lr_scale=recipe["encoder_lr_scale"], warmup_steps=30,
        max_steps=10**9, time_limit_min=left_min, init_prob=recipe["init_prob"],
        init_source=init_source, anchor_share=recipe["anchor_share"],
        anchor_weights=str(anchor_weights),
        anchor_prob_dir=str(anchor_dir), consistency_weight=1.0, balance_domains=True,
        photometric="strong", init_weights=str(init_weights), checkpoint_every=10**9,
        val_every=0, log_every=5, device=device)
    rg.train(cfg)
    card["training"] = {
        "continued_from": Path(init_weights).name,
        "recipe": f"run_roadgie_multidomain.sh options ({recipe['rounds']} rounds, lr "
                  f"{recipe['lr']:g}, encoder lr x {recipe['encoder_lr_scale']:g}, "
                  "consistency 1, strong photometric, balanced domains, init "
                  f"{recipe['init_prob']:g} {init_source}, anchor share "
                  f"{recipe['anchor_share']:g}), variant {variant}, batch {batch_size}, crop 256",
        "gpu_recipe": {"device": _device_name(device), "minutes_budget": round(minutes, 3),
                       "wall_time_s": round(time.monotonic() - start, 1),
                       "init_source": init_source, "data": DATA_NOTE + ", at 1 m"}}
    exported = rg.export(run / "last.pt", out / f"{stem}.pt", card)
    t0 = time.monotonic()
    model = rg.load_weights(out / f"{stem}.pt", variant).to(device)
    # The Anchor-SAM start (merged rounds, the engine's refinement default) is scored too
    # when its maps of the validation images fit in the budget (GPU: seconds).
    with_anchor = init_source != "synthetic" and anchor_probabilities_on_device(
        data_dir, anchor_dir, anchor_budget_s, device, anchor_weights,
        include=("*__select__*", "*__report__*"))
    report = rg.interactive_report(model, str(data_dir),
                                   anchor_weights if with_anchor else None, anchor_dir)
    write_report(report, out / f"{stem}.report", rg.interactive_report_markdown)
    rounds = report["scratch"]["report"]["rounds"]
    exported["report"] = {
        "report_split_dice": {r: rounds.get(r, {}).get("dice") for r in ("1", "3", "5")},
        "report_split_click_consistency":
            report["scratch"]["report"]["click_consistency"]["network"],
        "seconds": round(time.monotonic() - t0, 1), "reserve_s": round(report_reserve_s, 1)}
    if with_anchor:
        merged = report["anchor"]["report"]
        exported["report"]["report_split_dice_from_anchor_sam_merged"] = {
            "start": merged.get("dice_start"),
            **{r: merged["rounds"].get(r, {}).get("dice") for r in ("1", "3", "5")}}
    (out / f"{stem}.json").write_text(json.dumps(exported, indent=2, sort_keys=True) + "\n")
    if (run / "history.jsonl").is_file():  # none when the stage had no time for a log
        shutil.copy2(run / "history.jsonl", out / "roadgie.history.jsonl")
    shutil.rmtree(run)
    return exported


# --- the whole call -------------------------------------------------------------------------


def train_all_on_device(
    pack: str | Path, out: str | Path, minutes: float, models: Sequence[str] = MODELS,
    shares: Sequence[float] = DEFAULT_SHARES, device: str | None = None,
    workers: int | None = None, gpu_dir: str | Path = ".gpu",
    domains: list[str] | None = None, max_per_split: int | None = None,
    batch_sizes: dict[str, int] | None = None, anchor_crop_px: int = 256,
) -> dict[str, Any]:
    """All three models in one call within ``minutes`` of wall-clock time.

    The budget is split by ``shares`` (one per model of :data:`MODELS`; models left out of
    ``models`` give theirs to the others). Each stage's end is fixed in advance (start of
    the call + its cumulative share), so the start-up (wheels, the 1 m folder and the
    LineGraph2Road targets: seconds with a dozen processes) comes out of the first stage
    and an overrun shortens the later stages; a stage's training gets its time left less
    its report reserve (:data:`REPORT_RESERVE_S`, at most 30 % of the stage). Reports are
    not cut: only the last one can make the call longer than ``minutes``.

    Args:
        pack: :func:`~backend.train.datasets.pack_road_set` file.
        out: results folder ($OUT).
        minutes: wall-clock budget of the three stages.
        workers: CPU processes for data loading, the 1 m folder and the targets
            (default: CPU count - 2, at least 1).
        gpu_dir: the carried ``.gpu`` folder (wheels to unpack).
        domains, max_per_split: subset of the data (dry runs).
        batch_sizes: per model (defaults: Anchor-SAM 32, LineGraph2Road 16, interactive 16).

    Returns:
        The run summary, also written to ``out/gpu_recipe.json``.
    """
    unknown = sorted(set(models) - set(MODELS))
    if unknown or len(shares) != len(MODELS):
        raise ValueError(f"models must be among {list(MODELS)} (got {unknown}) and shares "
                         f"must have {len(MODELS)} numbers (got {list(shares)})")
    t_start = time.monotonic()
    summary: dict[str, Any] = {"minutes": minutes, "models": list(models),
                               "shares": dict(zip(MODELS, shares, strict=True)), "steps": {}}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    def note(step: str, t0: float, **extra: Any) -> None:
        summary["steps"][step] = {"seconds": round(time.monotonic() - t0, 1), **extra}
        summary["elapsed_s"] = round(time.monotonic() - t_start, 1)
        (out / "gpu_recipe.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(f"gpu_recipe: {step} {json.dumps(summary['steps'][step])}", flush=True)

    t0 = time.monotonic()
    unpacked = install_device_wheels(gpu_dir)
    stubbed = install_import_stubs()
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    workers = workers or max(1, (os.cpu_count() or 1) - 2)
    batch = {"anchor_sam": 32, "linegraph2road": 16, "roadgie": 16, **(batch_sizes or {})}
    summary.update(device=_device_name(device), workers=workers, batch_sizes=batch)
    note("start_up", t0, wheels=unpacked, stubs=stubbed)
    data_dir = out / "_data_1m"
    cache_dir = out / "_targets_1m"
    if {"linegraph2road", "roadgie"} & set(models):
        t0 = time.monotonic()
        counts = write_data_at_1m(pack, data_dir, workers, domains, max_per_split)
        note("data_1m", t0, **counts)
    if "linegraph2road" in models:
        t0 = time.monotonic()
        note("targets_1m", t0, targets=warm_targets(data_dir, cache_dir, 5.0, workers))
    total_s = minutes * 60.0
    used = [m for m in MODELS if m in models]
    weight = {m: s for m, s in zip(MODELS, shares, strict=True) if m in models}
    ends, acc = {}, 0.0
    for m in used:
        acc += weight[m] / sum(weight.values()) * total_s
        ends[m] = t_start + acc
    for m in used:
        t0 = time.monotonic()
        stage_s = ends[m] - max(t0, ends[m] - weight[m] / sum(weight.values()) * total_s)
        reserve_s = min(REPORT_RESERVE_S[m], 0.3 * max(stage_s, 0.0))
        left_min = max((ends[m] - t0 - reserve_s) / 60.0, 0.001)
        try:
            if m == "anchor_sam":
                card = train_on_device(pack, out, left_min, device, batch[m], anchor_crop_px,
                                       workers=workers, domains=domains)
                result = {"report": card.get("report", {}).get("headline")}
            elif m == "linegraph2road":
                card = train_linegraph2road_on_device(
                    data_dir, cache_dir, out, left_min, device, batch[m],
                    workers=min(workers, 8), report_reserve_s=reserve_s)
                result = {"steps": card["training"]["steps"], "report": card["report"]}
            else:
                card = train_roadgie_on_device(
                    data_dir, out, left_min, device, batch[m],
                    anchor_budget_s=ANCHOR_PROB_BUDGET_FRACTION * max(stage_s, 0.0),
                    report_reserve_s=reserve_s)
                result = {"steps": card["training"]["steps"], "report": card["report"]}
        except Exception as exc:  # noqa: BLE001 - the other stages still run and return
            import traceback

            traceback.print_exc()
            result = {"error": f"{type(exc).__name__}: {exc}"}
            run_dir = out / {"anchor_sam": "_run", "linegraph2road": "_run_linegraph2road",
                             "roadgie": "_run_roadgie"}[m]
            shutil.rmtree(run_dir, ignore_errors=True)  # checkpoints over the return limit
        note(m, t0, training_minutes=round(left_min, 3), stage_end_s=round(
            ends[m] - t_start, 1), **result)
    for tmp in (data_dir, cache_dir):
        if tmp.exists():
            shutil.rmtree(tmp)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.train.gpu_recipe",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    pr = sub.add_parser("prepare", help="pack the data + device packages into .gpu/")
    pr.add_argument("--roads", default="../shared/data/roads")
    pr.add_argument("--gpu-dir", default=".gpu")
    pr.add_argument("--jpeg-quality", type=int, default=75)
    tr = sub.add_parser("train", help="fixed-budget training of the three models on the device")
    tr.add_argument("--pack", default=".gpu/roads_pack.npz")
    tr.add_argument("--gpu-dir", default=".gpu", help="carried folder (wheels)")
    tr.add_argument("--out", required=True, help="results folder ($OUT on the device)")
    tr.add_argument("--minutes", type=float, default=8.0, help="wall-clock budget of the stages")
    tr.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    tr.add_argument("--shares", default=",".join(f"{s:g}" for s in DEFAULT_SHARES),
                    help="budget shares of " + ", ".join(MODELS))
    tr.add_argument("--device", default=None, help="default: cuda when available")
    tr.add_argument("--workers", type=int, default=None, help="CPU processes (default n-2)")
    tr.add_argument("--anchor-batch-size", type=int, default=32)
    tr.add_argument("--linegraph2road-batch-size", type=int, default=16)
    tr.add_argument("--roadgie-batch-size", type=int, default=16)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        print(json.dumps(prepare(args.roads, args.gpu_dir, args.jpeg_quality), indent=2))
        return 0
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    shares = [float(s) for s in args.shares.split(",")]
    summary = train_all_on_device(
        args.pack, args.out, args.minutes, models, shares, args.device, args.workers,
        args.gpu_dir, batch_sizes={"anchor_sam": args.anchor_batch_size,
                                   "linegraph2road": args.linegraph2road_batch_size,
                                   "roadgie": args.roadgie_batch_size})
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
