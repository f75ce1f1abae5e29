"""Benchmark: tiler (blended sliding windows) and vectorizer on synthetic road masks.

    python bench/bench_tiler_vectorizer.py [--sizes 5000 20000] [--work-dir /tmp/bench]

For each size it writes a synthetic uint8 road-mask GeoTIFF (EPSG:32633, 0.5 m; a road grid
every 400 px plus diagonals, written block by block), then runs in a fresh process each:

- blend: read every 1024 px window (overlap 128), identity "model", blend, write a float32
  GeoTIFF (the tiler the segmentation methods use);
- vectorize: the "Road mask to vectors" job (polygons, centerlines, nodes -> GeoPackage).

Prints wall time, peak RSS (the child's own ru_maxrss) and time per megapixel.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, json, resource
sys.path.insert(0, {repo!r})
import numpy as np, rasterio
from rasterio.windows import Window
from backend.geo.gdal_config import configure_gdal
from backend.geo.windows import blend_tiles
configure_gdal()
what, src, out = {what!r}, {src!r}, {out!r}
if what == "blend":
    with rasterio.open(src) as ds:
        profile = dict(ds.profile, dtype="float32", count=1, nodata=None, tiled=True,
                       blockxsize=512, blockysize=512, compress="deflate")
        with rasterio.open(out, "w", **profile) as dst:
            def predict(t):
                return ds.read(1, window=t.window).astype(np.float32)[None] / 255.0
            def write_block(col_off, row_off, block):
                dst.write(block[0], 1, window=Window(col_off, row_off, block.shape[2],
                                                     block.shape[1]))
            blend_tiles(ds.width, ds.height, 1024, 128, 1, predict, write_block)
    summary = {{}}
else:
    from backend.jobs.road_mask_to_vectors import RoadMaskToVectorsParams, run
    summary = run(RoadMaskToVectorsParams(raster_path=src, output_path=out))["summary"]
summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps(summary))
"""


def make_mask(path: Path, size_px: int, block_px: int = 2048) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = dict(driver="GTiff", width=size_px, height=size_px, count=1, dtype="uint8",
                   crs="EPSG:32633", transform=from_origin(500000, 5000000, 0.5, 0.5),
                   tiled=True, blockxsize=512, blockysize=512, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        for y0 in range(0, size_px, block_px):
            for x0 in range(0, size_px, block_px):
                h, w = min(block_px, size_px - y0), min(block_px, size_px - x0)
                rows, cols = np.mgrid[y0 : y0 + h, x0 : x0 + w]
                road = ((rows % 400) < 8) | ((cols % 400) < 8)
                road |= (np.abs((rows - cols) % 1600) < 6) | (np.abs((rows + cols) % 2000) < 6)
                dst.write((road * 255).astype(np.uint8), 1, window=Window(x0, y0, w, h))


def run_child(what: str, src: Path, out: Path) -> tuple[float, float, str]:
    code = CHILD.format(repo=str(REPO), what=what, src=str(src), out=str(out))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, summary.pop("peak_rss_mb"), json.dumps(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--stages", nargs="+", default=["blend", "vectorize"],
                        choices=["blend", "vectorize"])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/roadextract-bench"))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    print(f"{'size':>7} {'stage':>10} {'wall_s':>8} {'s/Mpx':>7} {'peak_rss_MB':>12}  summary")
    for size in sorted(args.sizes):
        src = args.work_dir / f"mask_{size}.tif"
        if not src.exists():
            make_mask(src, size)
        mpx = size * size / 1e6
        for what in args.stages:
            suffix = ".tif" if what == "blend" else ".gpkg"
            out = args.work_dir / f"out_{what}_{size}{suffix}"
            out.unlink(missing_ok=True)
            wall, peak, summary = run_child(what, src, out)
            print(f"{size:>7} {what:>10} {wall:>8.1f} {wall / mpx:>7.3f} {peak:>12.0f}  {summary}",
                  flush=True)


if __name__ == "__main__":
    main()
