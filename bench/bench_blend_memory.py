"""Peak memory of tile blending against the raster width (issue 15: memory bounded by the
tile, not by the area).

Each width runs in a fresh process with the backend's GDAL settings: a synthetic
predictor (no model) over a raster ``width x 1024`` px in 512 px tiles with 64 px overlap,
blocks written to a GeoTIFF on disk, as segment_roads does. Prints the peak RSS per width
next to what one full-width blending strip would need.

    .venv/bin/python bench/bench_blend_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
import numpy as np, rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window
from backend.geo.gdal_config import configure_gdal
from backend.geo.windows import blend_tiles
configure_gdal()  # as the server and the CLI do: GDAL's block cache capped at 256 MB
width, height, out = {width}, 1024, {out!r}
profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32",
               crs="EPSG:32633", transform=from_origin(500000, 5000000, 1, 1), tiled=True,
               blockxsize=512, blockysize=512, compress="deflate")
start = time.perf_counter()
with rasterio.open(out, "w", **profile) as dst:
    def predict(t):
        return np.full((1, t.height, t.width), 0.5, np.float32)
    def write_block(col_off, row_off, block):
        dst.write(block[0], 1, window=Window(col_off, row_off, block.shape[2], block.shape[1]))
    blend_tiles(width, height, 512, 64, 1, predict, write_block)
print(json.dumps({{"width_px": width, "seconds": round(time.perf_counter() - start, 1),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'width px':>10} {'strip would be (MB)':>20} {'peak RSS (MB)':>14} {'s':>6}")
        for width in (8_192, 32_768, 131_072, 262_144):
            out = str(Path(tmp) / f"w{width}.tif")
            code = CHILD.format(repo=str(REPO), width=width, out=out)
            line = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout.strip().splitlines()[-1]
            row = json.loads(line)
            # What one full-width strip (values + weights, 512 rows, float32) would need.
            strip_mb = 2 * 512 * width * 4 / 2**20
            print(f"{width:>10} {strip_mb:>20.0f} {row['peak_rss_mb']:>14.0f} "
                  f"{row['seconds']:>6.1f}")


if __name__ == "__main__":
    main()
