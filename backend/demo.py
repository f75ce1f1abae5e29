"""``make demo``: the main job on the SpaceNet sample, written to a GeoPackage + PNG preview.

The sample comes from ``../shared/data/samples/`` when present, otherwise it is downloaded
from its public URL and checked against its sha256 before use.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import geopandas as gpd
import rasterio

from backend.eval.graph import metric_crs_for
from backend.geo.gsd import ground_sample_distance_m
from backend.geo.preview import render_preview
from backend.jobs import extract_road_graph as extract
from backend.jobs import road_mask_to_vectors as m2v
from backend.jobs import segment_roads
from backend.models.checkpoints import sha256_of_file

SAMPLE_NAME = "spacenet_vegas_rgb.tif"
# SpaceNet 3, AOI_2_Vegas img0, pan-sharpened RGB (CC BY-SA 4.0, imagery courtesy of Maxar),
# as published in the CosmiQ apls repository.
SAMPLE_URL = (
    "https://github.com/CosmiQ/apls/raw/master/apls/data/images/"
    "RGB-PanSharpen_AOI_2_Vegas_img0.tif"
)
SAMPLE_SHA256 = "b8edfac12f8760722fedd18d646d38f5fb9b65ac7140014dbf4276989d408b3f"


def find_or_download_sample(shared_data: Path | None, cache_dir: Path) -> Path:
    """The SpaceNet sample: from ``shared_data/samples`` if there, else downloaded.

    Raises:
        ValueError: the downloaded (or cached) file's sha256 does not match.
        OSError: the download failed (the message gives the URL to fetch by hand).
    """
    if shared_data is not None and (shared_data / "samples" / SAMPLE_NAME).is_file():
        return shared_data / "samples" / SAMPLE_NAME
    cached = cache_dir / SAMPLE_NAME
    if not cached.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".part")
        try:
            urllib.request.urlretrieve(SAMPLE_URL, tmp)
        except OSError as exc:
            raise OSError(
                f"Could not download the sample from {SAMPLE_URL} ({exc}). Download it by "
                f"hand to {cached}."
            ) from exc
        os.replace(tmp, cached)
    if sha256_of_file(cached) != SAMPLE_SHA256:
        raise ValueError(f"{cached} does not match the published sha256; delete it and retry.")
    return cached


def run_demo(shared_data: Path | None, out_dir: Path, device: str = "auto") -> dict[str, Path]:
    """Run the demo jobs; returns the files written.

    1. The main job: LineGraph2Road road graph of the SpaceNet sample (from ``shared_data``
       or downloaded) -> ``road_graph.gpkg`` (edges + nodes) and ``road_graph.png``.
    2. Anchor-SAM road segmentation of the same sample -> ``road_probability.tif`` (on the
       sample's grid), ``road_segments.gpkg`` (polygons, centerlines, nodes) and
       ``road_segments.png``.
    3. When ``shared_data`` has the real SpaceNet road mask: Road mask to vectors ->
       ``roads_from_mask.gpkg`` and its preview.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    sample = find_or_download_sample(shared_data, out_dir / "cache")
    gpkg = out_dir / "road_graph.gpkg"
    result = extract.run(
        extract.ExtractRoadGraphParams(
            raster_path=str(sample), output_path=str(gpkg), device=device
        ),
        _print_progress,
    )
    print(f"road graph: {result['summary']}")
    print(_coverage_line("road graph (LineGraph2Road)", sample, gpkg, extract.LAYER_EDGES))
    written["road_graph"] = gpkg
    written["road_graph_preview"] = render_preview(
        sample, gpkg, out_dir / "road_graph.png",
        line_layers=(extract.LAYER_EDGES,), point_layers=(extract.LAYER_NODES,))

    probability = out_dir / "road_probability.tif"
    gpkg = out_dir / "road_segments.gpkg"
    result = segment_roads.run(
        segment_roads.SegmentRoadsParams(
            raster_path=str(sample), probability_path=str(probability), output_path=str(gpkg),
            device=device, centerlines=True,
        ),
        _print_progress,
    )
    print(f"road segmentation (Anchor-SAM): {result['summary']}")
    print(_coverage_line("road segments (Anchor-SAM)", sample, gpkg, m2v.LAYER_CENTERLINES,
                         m2v.LAYER_POLYGONS))
    written["road_probability"] = probability
    written["road_segments"] = gpkg
    written["road_segments_preview"] = render_preview(
        sample, gpkg, out_dir / "road_segments.png",
        line_layers=(m2v.LAYER_CENTERLINES,), point_layers=(m2v.LAYER_NODES,))

    mask = None if shared_data is None else (
        shared_data / "roads" / "spacenet_vegas_pan" / "roadmask_partial.tif")
    if mask is not None and mask.is_file():
        gpkg = out_dir / "roads_from_mask.gpkg"
        m2v.run(m2v.RoadMaskToVectorsParams(raster_path=str(mask), output_path=str(gpkg)))
        print(_coverage_line("roads from the SpaceNet mask", mask, gpkg, m2v.LAYER_CENTERLINES,
                             m2v.LAYER_POLYGONS))
        written["roads_from_mask"] = gpkg
        written["roads_from_mask_preview"] = render_preview(
            mask, gpkg, out_dir / "roads_from_mask.png",
            line_layers=(m2v.LAYER_CENTERLINES,), point_layers=(m2v.LAYER_NODES,))
    return written


# Width given to graph edges to say how much of the image a road graph covers, metres.
GRAPH_ROAD_WIDTH_M = 6.0


def _coverage_line(
    name: str, raster: Path, gpkg: Path, line_layer: str, polygon_layer: str | None = None
) -> str:
    """"<name>: L km of road lines, covering P % of the image area" for one output.

    The area is the road polygons' (when the output has them), else the lines buffered to
    a road of ``GRAPH_ROAD_WIDTH_M``, measured in the local metric CRS.
    """
    with rasterio.open(raster) as ds:
        gsd_x, gsd_y = ground_sample_distance_m(ds.crs, ds.transform, ds.width, ds.height)
        image_m2 = ds.width * ds.height * gsd_x * gsd_y
    lines = gpd.read_file(gpkg, layer=line_layer, engine="pyogrio")
    if len(lines) == 0:
        return f"{name}: no road found (0 km, 0 % of the image)"
    metric = metric_crs_for(lines.crs, list(lines.geometry))
    length_km = float(lines.to_crs(metric).length.sum()) / 1000.0
    if polygon_layer is not None:
        area = gpd.read_file(gpkg, layer=polygon_layer, engine="pyogrio").to_crs(metric).area
        covered, how = float(area.sum()), "road polygons"
    else:
        buffered = lines.to_crs(metric).buffer(GRAPH_ROAD_WIDTH_M / 2).union_all()
        covered, how = float(buffered.area), f"edges as {GRAPH_ROAD_WIDTH_M:.0f} m wide roads"
    return (
        f"{name}: {length_km:.2f} km of road lines, covering {100 * covered / image_m2:.1f} % "
        f"of the image ({how})"
    )


def _print_progress(percent: float, message: str = "") -> None:
    print(f"  {percent:5.1f}% {message}", flush=True)
