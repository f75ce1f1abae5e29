"""Benchmark: interactive click-to-preview latency after encoding, and memory over many clicks.

    python bench/bench_interactive.py [--engines road sam] [--clicks 100] [--memory-clicks 1000]

Issue #6 targets (this CPU): median and p95 click-to-preview latency under 150 ms for the road
model and for the SAM ViT-B decoder, memory flat over 1000 clicks.

"Click-to-preview" = one ``Session.predict`` call as ``POST /interactive/{id}/predict`` runs it
(prompt conversion and rasterisation, the decoder with the previous round's logits, the mask
-> GeoJSON polygons in the raster CRS), without HTTP. Each click adds one prompt to the list
and feeds back the previous round, the way the map tool sends them; after 8 prompts the list
starts over (a new object). Clicks are alternately positive and negative at seeded random
positions inside the window.

Engines:

- ``road``: the shipped ``roadgie_hiera_pico_1m`` on a 512 x 512 m window (512 x 512 model px at
  1 m) of a real Massachusetts 1500 tile written as a GeoTIFF (synthetic road grid without
  ../shared/data); then the same window started from the shipped Anchor-SAM
  (``initial_model``), whose rounds are progressively merged.
- ``sam``: the official SAM ViT-B architecture (segment-anything) with random weights (timing
  only; the official file is used when installed), through ``backend.models.sam_family``, on
  a 1024 x 1024 window.

Memory: resident set size (``/proc/self/status`` VmRSS) before and after ``--memory-clicks``
clicks on the road engine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared" / "data" / "roads" / "massachusetts_1500" / "images"


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux), else the peak from ``resource``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_test_raster(path: Path, size_px: int) -> str:
    """A (size, size) RGB GeoTIFF at 1 m in EPSG:26919; returns where the pixels came from."""
    import rasterio
    from rasterio.transform import from_origin

    tiles = sorted(SHARED.glob("*.jpg")) if SHARED.is_dir() else []
    if tiles:
        from PIL import Image

        image = np.asarray(Image.open(tiles[0]).convert("RGB"))[:size_px, :size_px]
        source = f"Massachusetts 1500 tile {tiles[0].name}"
    else:
        rows, cols = np.mgrid[0:size_px, 0:size_px]
        road = ((rows % 150) < 7) | ((cols % 150) < 7)
        image = np.where(road[..., None], 200, 70).astype(np.uint8).repeat(3, axis=2)
        source = "synthetic road grid"
    h, w = image.shape[:2]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=3,
        dtype="uint8",
        crs="EPSG:26919",
        transform=from_origin(330000.0, 4690000.0, 1.0, 1.0),
    ) as dst:
        dst.write(image.transpose(2, 0, 1))
    return source


def open_session(raster: Path, engine: str, window_px: list[int], **kw):
    from backend.interactive.sessions import get_store
    from backend.jobs.interactive_encode import InteractiveEncodeParams, run

    t0 = time.perf_counter()
    result = run(
        InteractiveEncodeParams(raster_path=str(raster), engine=engine, window_px=window_px, **kw)
    )
    encode_s = time.perf_counter() - t0
    return get_store().get(result["summary"]["session_id"]), encode_s


def click_requests(session, n: int, seed: int = 0, per_object: int = 8):
    """``n`` predict requests: prompt lists growing one click at a time (restart every
    ``per_object``), alternating labels, each feeding back the previous round."""
    rng = np.random.default_rng(seed)
    c0, r0, w, h = session.window_px
    prompts: list[dict] = []
    for i in range(n):
        if i % per_object == 0:
            prompts = []
        x = c0 + rng.uniform(0.05, 0.95) * w
        y = r0 + rng.uniform(0.05, 0.95) * h
        prompts.append({"x": float(x), "y": float(y), "label": 1 if i % 2 == 0 else 0})
        yield {"points": list(prompts), "previous_round": None if len(prompts) == 1 else -1}


def time_clicks(session, n: int) -> np.ndarray:
    """Milliseconds of ``n`` predict calls."""
    times = []
    last_round = None
    for request in click_requests(session, n):
        if request["previous_round"] == -1:
            request["previous_round"] = last_round
        t0 = time.perf_counter()
        out = session.predict(request)
        times.append((time.perf_counter() - t0) * 1000.0)
        last_round = out["round"]
    return np.asarray(times)


def report(name: str, times_ms: np.ndarray, target_ms: float = 150.0) -> None:
    med, p95 = np.median(times_ms), np.percentile(times_ms, 95)
    verdict = "meets" if p95 < target_ms else "misses"
    print(
        f"{name:34s} median {med:7.1f} ms   p95 {p95:7.1f} ms   max {times_ms.max():7.1f} ms  "
        f"({len(times_ms)} clicks; {verdict} the {target_ms:.0f} ms target at p95)"
    )


def bench_road(raster: Path, clicks: int, memory_clicks: int) -> None:
    from backend.models.registry import get_weights_spec

    spec = get_weights_spec("roadgie_hiera_pico_1m")
    weights = "trained" if spec.path().is_file() else "MISSING"
    session, encode_s = open_session(raster, "road", [200, 200, 512, 512])
    print(
        f"road: roadgie_hiera_pico_1m ({weights} weights), window {session.window_px} raster px "
        f"-> {session.model_hw[1]} x {session.model_hw[0]} model px; encode {encode_s:.2f} s"
    )
    time_clicks(session, 5)  # warm-up
    report("road click-to-preview", time_clicks(session, clicks))
    # decoder only, for reference
    from backend.interactive.engines import Prompts

    dec = []
    for _ in range(clicks):
        p = Prompts(np.array([[100.0, 100.0]]), np.array([1]))
        t0 = time.perf_counter()
        session.engine.decode(session.embedding, p, None)
        dec.append((time.perf_counter() - t0) * 1000.0)
    report("road decoder only", np.asarray(dec))
    # the refinement workflow: Anchor-SAM on the view is round 0, every round merges into
    # the previous mask (progressive merge)
    started, start_s = open_session(
        raster, "road", [200, 200, 512, 512], initial_model="anchor_sam_pico_1m"
    )
    print(
        f"road from Anchor-SAM: encode + Anchor-SAM start {start_s:.2f} s "
        f"(the embedding comes from the cache: the difference is the start)"
    )
    time_clicks(started, 5)  # warm-up
    report("road click-to-preview, merged", time_clicks(started, clicks))
    if memory_clicks:
        import gc

        gc.collect()
        start = rss_mb()
        marks = []
        step = max(memory_clicks // 4, 1)
        for done in range(0, memory_clicks, step):
            time_clicks(session, min(step, memory_clicks - done))
            gc.collect()
            marks.append(f"{rss_mb():.1f}")
        end = rss_mb()
        print(
            f"road memory over {memory_clicks} clicks: RSS start {start:.1f} MiB, end "
            f"{end:.1f} MiB (delta {end - start:+.1f} MiB); after each {step} clicks: "
            f"{', '.join(marks)} MiB (a session keeps its last 32 rounds)"
        )


def bench_sam(raster: Path, clicks: int) -> None:
    import torch

    from backend.models.registry import get_weights_spec

    spec = get_weights_spec("sam_vit_b")
    kw: dict = {}
    tmp = None
    if spec.path().is_file():
        label = "official weights"
    else:
        from segment_anything import sam_model_registry

        torch.manual_seed(0)
        tmp = tempfile.NamedTemporaryFile(suffix=".pth", delete=False)
        tmp.close()
        torch.save(sam_model_registry["vit_b"]().state_dict(), tmp.name)
        kw["checkpoint_path"] = tmp.name
        label = "random weights, official architecture"
    try:
        session, encode_s = open_session(raster, "sam", [0, 0, 1024, 1024], model="sam_vit_b", **kw)
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    print(
        f"sam: sam_vit_b ({label}), window {session.window_px} -> {session.model_hw[1]} x "
        f"{session.model_hw[0]} px; encode {encode_s:.2f} s"
    )
    time_clicks(session, 5)
    report("sam vit_b click-to-preview", time_clicks(session, clicks))
    from backend.interactive.engines import Prompts

    dec, geo, n_polys = [], [], []
    rng = np.random.default_rng(1)
    for _ in range(clicks):
        p = Prompts(rng.uniform(50, 970, size=(2, 2)), np.array([1, 0]))
        t0 = time.perf_counter()
        out = session.engine.decode(session.embedding, p, None)
        t1 = time.perf_counter()
        geometry, _ = session.mask_geometry(out.mask)
        geo.append((time.perf_counter() - t1) * 1000.0)
        dec.append((t1 - t0) * 1000.0)
        n_polys.append(len(geometry["coordinates"]))
    report("sam vit_b decoder + mask upsampling", np.asarray(dec))
    report("sam vit_b mask -> polygons", np.asarray(geo))
    print(
        f"  (median {np.median(n_polys):.0f} polygons per mask: random weights give noisy "
        "masks, a worst case for polygonising)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", nargs="+", default=["road", "sam"], choices=["road", "sam"])
    parser.add_argument("--clicks", type=int, default=100)
    parser.add_argument("--memory-clicks", type=int, default=1000)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("ROADEXTRACT_EMBEDDING_CACHE_DIR", str(Path(tmp) / "cache"))
        raster = Path(tmp) / "view.tif"
        source = write_test_raster(raster, 1500)
        print(
            f"image: {source}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"{os.cpu_count()} CPUs"
        )
        if "road" in args.engines:
            bench_road(raster, args.clicks, args.memory_clicks)
        if "sam" in args.engines:
            bench_sam(raster, args.clicks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
