"""Benchmark: "Road mask to vectors" in-process vs on a Dask LocalCluster of 1 and 2 workers.

    python bench/bench_distributed.py [--shared-data ../shared/data] [--work-dir /tmp/bench_dist]
        [--cols 9] [--tile-size-px 2048] [--modes inproc local:1 local:2]

Input: the 51 Massachusetts Roads 1500 x 1500 label tiles (real OpenStreetMap road masks,
0/1, 1 m) placed on a grid of ``--cols`` columns by a GDAL VRT with a metric georeference
(EPSG:26986, 1 m; the tiles are not neighbours on the ground, only pixels matter here):
9 columns give 13 500 x 9 000 px = 121.5 Mpx. Each mode runs in a fresh process; the
LocalCluster is the one ``--scheduler local:N`` starts (N processes, 1 thread each), started
before the clock (its start-up is printed apart). Prints wall time split into the block phase
(to the reduction's first report), the reduction and the write; the speed-up; peak RSS of the
client and of each worker (their own ru_maxrss); seconds per block; and whether the three
GeoPackages are equal (same features, geometry equal within 1e-6 map units).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from backend.geo.gdal_config import configure_gdal
from backend.jobs.road_mask_to_vectors import RoadMaskToVectorsParams, run
configure_gdal()
mode, vrt, out, tile = {mode!r}, {vrt!r}, {out!r}, {tile!r}
marks = {{}}
def report(percent, message=""):
    for key, prefix in (("reduce", "Merging polygons"), ("write", "Writing")):
        if message.startswith(prefix) and key not in marks:
            marks[key] = time.perf_counter()
params = dict(raster_path=vrt, output_path=out, tile_size_px=tile, output_mode="replace")
workers_rss = []
startup = 0.0
if mode == "inproc":
    t0 = time.perf_counter()
    result = run(RoadMaskToVectorsParams(**params), report)
    t1 = time.perf_counter()
else:
    from backend.distributed.cluster import connect
    from backend.distributed.runners import register_runners
    register_runners()
    s0 = time.perf_counter()
    with connect(mode) as conn:
        startup = time.perf_counter() - s0
        address = conn.client.scheduler.address
        t0 = time.perf_counter()
        result = run(RoadMaskToVectorsParams(scheduler=address, **params), report)
        t1 = time.perf_counter()
        def peak_kib():
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        workers_rss = sorted(v / 1024 for v in conn.client.run(peak_kib).values())
summary = result["summary"]
print(json.dumps(dict(
    mode=mode, wall_s=t1 - t0, startup_s=startup,
    blocks_s=marks["reduce"] - t0, reduce_s=marks["write"] - marks["reduce"],
    write_s=t1 - marks["write"],
    client_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    workers_rss_mb=workers_rss,
    blocks=summary.get("blocks"), n_polygons=summary["n_polygons"],
    n_edges=summary["n_edges"], n_nodes=summary["n_nodes"])))
"""


def build_mosaic(labels: list[Path], cols: int, vrt: Path) -> tuple[int, int]:
    """Write a VRT placing the 1500 x 1500 label PNGs on a ``cols``-wide grid; its size."""
    tile = 1500
    rows = -(-len(labels) // cols)
    width, height = cols * tile, rows * tile
    sources = []
    for i, png in enumerate(labels):
        x, y = (i % cols) * tile, (i // cols) * tile
        sources.append(
            f"""    <SimpleSource>
      <SourceFilename relativeToVRT="0">{png.resolve()}</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="{tile}" ySize="{tile}"/>
      <DstRect xOff="{x}" yOff="{y}" xSize="{tile}" ySize="{tile}"/>
    </SimpleSource>"""
        )
    # EPSG:26986 (NAD83 / Massachusetts Mainland, metres), 1 m pixels.
    from pyproj import CRS

    wkt = CRS.from_epsg(26986).to_wkt()
    vrt.write_text(
        f"""<VRTDataset rasterXSize="{width}" rasterYSize="{height}">
  <SRS>{wkt.replace("<", "&lt;").replace('"', "&quot;")}</SRS>
  <GeoTransform>200000, 1, 0, 950000, 0, -1</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1">
{chr(10).join(sources)}
  </VRTRasterBand>
</VRTDataset>
"""
    )
    return width, height


def same_output(path_a: Path, path_b: Path) -> bool:
    import geopandas as gpd
    import numpy as np
    import shapely

    for layer in ("road_polygons", "road_centerlines", "road_nodes"):
        a, b = gpd.read_file(path_a, layer=layer), gpd.read_file(path_b, layer=layer)
        if len(a) != len(b) or list(a.columns) != list(b.columns):
            return False
        for column in a.columns.drop("geometry"):
            if not np.allclose(a[column], b[column], rtol=0, atol=1e-9):
                return False
        if not shapely.equals_exact(a.geometry.values, b.geometry.values, 1e-6).all():
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared/data")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/bench_distributed"))
    parser.add_argument("--cols", type=int, default=9)
    parser.add_argument("--tile-size-px", type=int, default=2048)
    parser.add_argument("--modes", nargs="+", default=["inproc", "local:1", "local:2"])
    args = parser.parse_args()
    labels = sorted((args.shared_data / "roads/massachusetts_1500/labels").glob("*.png"))
    if not labels:
        print(f"no label tiles under {args.shared_data}/roads/massachusetts_1500", file=sys.stderr)
        return 1
    args.work_dir.mkdir(parents=True, exist_ok=True)
    vrt = args.work_dir / "massachusetts_mosaic.vrt"
    width, height = build_mosaic(labels, args.cols, vrt)
    print(f"mosaic: {len(labels)} tiles, {width} x {height} px = {width * height / 1e6:.1f} Mpx")
    results, outputs = [], []
    for mode in args.modes:
        out = args.work_dir / f"roads_{mode.replace(':', '')}.gpkg"
        code = CHILD.format(
            repo=str(REPO), mode=mode, vrt=str(vrt), out=str(out), tile=args.tile_size_px
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO
        )
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        outputs.append(out)
    n_blocks = -(-width // args.tile_size_px) * -(-height // args.tile_size_px)
    base = results[0]["wall_s"]
    print(
        f"{'mode':<8} {'wall s':>7} {'speed-up':>8} {'blocks s':>8} {'reduce s':>8} "
        f"{'write s':>7} {'s/block':>7} {'start s':>7} {'client MB':>9}  workers peak MB"
    )
    for r in results:
        n_workers = max(1, len(r["workers_rss_mb"]))
        per_block = r["blocks_s"] * n_workers / n_blocks
        print(
            f"{r['mode']:<8} {r['wall_s']:7.1f} {base / r['wall_s']:8.2f} {r['blocks_s']:8.1f} "
            f"{r['reduce_s']:8.1f} {r['write_s']:7.1f} {per_block:7.2f} {r['startup_s']:7.1f} "
            f"{r['client_rss_mb']:9.0f}  {', '.join(f'{m:.0f}' for m in r['workers_rss_mb'])}"
        )
    r = results[0]
    print(
        f"features: {r['n_polygons']} polygons, {r['n_edges']} edges, {r['n_nodes']} nodes; "
        f"{n_blocks} blocks of {args.tile_size_px} px"
    )
    for mode, out in zip(args.modes[1:], outputs[1:], strict=True):
        print(f"output {mode} == {args.modes[0]}: {same_output(outputs[0], out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
