"""Benchmark: Anchor-SAM inference throughput, peak memory, and validation quality.

    python bench/bench_anchor_sam.py [--device cpu|cuda] [--variants shipped T] [--repeats 2]
                                     [--skip-quality] [--threads N]

Throughput: 1024 x 1024 tiles through the network (tiles per second) and the ground area
that is per minute at the model's GSD (km^2 / min): the shipped model runs at 1 m (one tile
= 1.05 km^2); Anchor-SAM-T (random weights, timing only) is counted at DeepGlobe's 0.5 m
(0.26 km^2 per tile). The paper: T at 18.61 FPS at 1024 x 1024 on an RTX 4090.

Peak memory: each variant runs in its own subprocess; its peak resident memory (CPU) or
peak CUDA allocation (GPU) is printed.

End to end: the ``segment_roads`` job on the SpaceNet Vegas sample (probability GeoTIFF +
polygons), wall time and km^2 / min of image area, once per number of test-time views
(``--views``, default 1, 4 and 8; the shipped card's default is 4).

Quality: precision / recall / F1 / IoU of the shipped model on its validation split
(massachusetts_400 ``va_*`` and ``te_*``, threshold 0.5, white no-data excluded).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backend.methods.anchor_sam.views import TEST_TIME_AUGMENTATIONS  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
TILE_PX = 1024
VARIANT_GSD_M = {"shipped": 1.0, "T": 0.5, "S": 0.5, "B": 0.5, "L": 0.5}


def _child(variant: str, device: str, repeats: int, threads: int | None) -> dict:
    """Run in a subprocess: time ``repeats`` forward passes of one 1024 px tile."""
    import resource

    import torch

    if threads:
        torch.set_num_threads(threads)
    from backend.methods.anchor_sam.model import build_anchor_sam, count_parameters
    from backend.models.registry import get_model

    if variant == "shipped":
        model = get_model("anchor_sam_pico_1m", device=device)
    else:
        model = build_anchor_sam(variant).to(device).eval()
    x = torch.rand(1, 3, TILE_PX, TILE_PX, device=device)
    use_amp = device.startswith("cuda")
    times = []
    with torch.no_grad(), torch.autocast("cuda", enabled=use_amp):
        model(model.normalize(x))  # warm-up
        for _ in range(repeats):
            if use_amp:
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(model.normalize(x))
            if use_amp:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    peak_mb = (
        torch.cuda.max_memory_allocated() / 2**20
        if use_amp
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {
        "variant": variant, "device": device, "parameters_m": count_parameters(model) / 1e6,
        "seconds_per_tile": min(times), "peak_mb": peak_mb, "threads": torch.get_num_threads(),
    }


def throughput(variants: list[str], device: str, repeats: int, threads: int | None) -> None:
    print(f"\nNetwork throughput, {TILE_PX} x {TILE_PX} tiles, device {device}")
    print("variant   params(M)  s/tile  tiles/s  GSD(m)  km2/min  peak memory (MB)")
    for variant in variants:
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); "
            "from bench.bench_anchor_sam import _child; "
            "print(json.dumps(_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), "
            "int(sys.argv[5]) or None)))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(REPO), variant, device, str(repeats),
             str(threads or 0)],
            capture_output=True, text=True, cwd=REPO,
        )
        if done.returncode != 0:
            print(f"{variant}: failed\n{done.stderr[-2000:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        gsd = VARIANT_GSD_M[variant]
        tile_km2 = (TILE_PX * gsd / 1000.0) ** 2
        tiles_s = 1.0 / row["seconds_per_tile"]
        print(
            f"{variant:8s} {row['parameters_m']:9.2f} {row['seconds_per_tile']:7.2f} "
            f"{tiles_s:8.3f} {gsd:7.1f} {tiles_s * 60 * tile_km2:8.2f} {row['peak_mb']:12.0f}"
            f"   ({row['threads']} threads)"
        )


def end_to_end(device: str, views: list[int]) -> None:
    from backend.geo.raster import open_raster, raster_info
    from backend.jobs.segment_roads import SegmentRoadsParams, run

    sample = SHARED / "samples" / "spacenet_vegas_rgb.tif"
    if not sample.is_file():
        print("\nEnd to end: skipped (no SpaceNet sample)")
        return
    import tempfile

    with open_raster(sample) as ds:
        info = raster_info(ds)
        area_km2 = ds.width * ds.height * info.gsd_m[0] * info.gsd_m[1] / 1e6
    for n_views in views:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = run(SegmentRoadsParams(
                raster_path=str(sample), probability_path=f"{tmp}/p.tif",
                output_path=f"{tmp}/r.gpkg", device=device, centerlines=True,
                test_time_augmentation=n_views,
            ))
            seconds = time.perf_counter() - start
        print(
            f"\nEnd to end segment_roads on the Vegas sample ({area_km2:.3f} km2 at 0.3 m, run "
            f"at 1 m, {result['summary']['n_tiles']} tile(s), with centerlines, {n_views} "
            f"test-time view(s)): {seconds:.1f} s, {area_km2 / seconds * 60:.2f} km2/min"
        )


def quality(device: str) -> None:
    from backend.models.registry import get_model
    from backend.train.anchor_sam import discover_samples, evaluate, load_samples

    folder = SHARED / "roads" / "massachusetts_400"
    if not folder.is_dir():
        print("\nQuality: skipped (no massachusetts_400)")
        return
    samples = load_samples(discover_samples(folder, ["va_*", "te_*"]), 5.0)
    model = get_model("anchor_sam_pico_1m", device=device)
    metrics = evaluate(model, samples, device, thresholds=(0.3, 0.4, 0.5))
    print(f"\nShipped model on its validation split ({len(samples)} crops, 1 m):")
    print("threshold  precision  recall     F1    IoU")
    for t, m in metrics.items():
        print(f"{t:>9s} {m['precision']:10.3f} {m['recall']:7.3f} {m['f1']:6.3f} {m['iou']:6.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variants", nargs="+", default=["shipped", "T"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--views", nargs="+", type=int, default=[1, 4, 8],
                        choices=TEST_TIME_AUGMENTATIONS,
                        help="test-time views of the end-to-end runs")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    throughput(args.variants, args.device, args.repeats, args.threads)
    end_to_end(args.device, args.views)
    if not args.skip_quality:
        quality(args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
