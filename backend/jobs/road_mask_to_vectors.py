"""Road mask (or probability) raster -> road polygons and a centerline graph.

The classic segmentation-to-graph post-processing: threshold, polygonise (holes kept),
skeletonise, trace the skeleton into a graph with nodes at junctions and ends, prune short
dangling spurs. Runs tile by tile with a halo, so any raster size works in bounded memory.
Outputs are in the raster's CRS; with several scenes (``additional_raster_paths``) or a
``target_crs``, in the target CRS, on the scenes' mosaic (:mod:`backend.jobs.scenes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
from pydantic import BaseModel, Field, model_validator
from rasterio.enums import Resampling
from shapely.geometry import LineString, Point, Polygon

from backend.geo.measure import lengths_m
from backend.geo.outputs import JobOutputs
from backend.geo.raster import (
    RasterInfo,
    open_raster,
    raster_info,
    read_band_as_unit_interval,
    unit_scale_divisor,
    valid_data_mask,
)
from backend.geo.vectorize import (
    GraphPiece,
    build_centerline_graph,
    merge_border_polygons,
    pixel_to_map,
    polygons_to_map,
    prune_spurs,
    tile_polygons_px,
    tile_skeleton_pieces,
)
from backend.geo.windows import CoreTile, core_tiles
from backend.jobs.output_checks import GpkgOutputParams, check_gpkg_output, vector_estimate_bytes
from backend.jobs.scenes import SceneListParams, mosaic_input, scene_paths
from backend.jobs.scheduler_runs import SCHEDULER_HELP, check_scheduler, run_on_scheduler
from backend.runtime.progress import Progress, no_progress

KIND = "road_mask_to_vectors"
LAYER_POLYGONS = "road_polygons"
LAYER_CENTERLINES = "road_centerlines"
LAYER_NODES = "road_nodes"
# Scenes in another CRS are warped with nearest neighbour: mask values stay what they are.
SCENE_RESAMPLING = Resampling.nearest


class RoadMaskToVectorsParams(GpkgOutputParams, SceneListParams, BaseModel):
    """Parameters of the ``road_mask_to_vectors`` job (see docs/backend_api.md)."""

    raster_path: str = Field(description="Road mask or probability raster (needs a CRS).")
    output_path: str = Field(description="GeoPackage to write (.gpkg).")
    band: int = Field(1, ge=1, description="Band holding the mask or probability (1-based).")
    threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="Road where the value scaled to 0..1 is >= this."
    )
    simplify_tolerance_map: float = Field(
        0.0, ge=0.0, description="Polygon simplification tolerance, map units."
    )
    min_area_map: float = Field(0.0, ge=0.0, description="Drop polygons smaller (map units^2).")
    simplify_tolerance_m: float = Field(
        0.0,
        ge=0.0,
        description="Polygon simplification tolerance in metres on the ground, whatever the "
        "raster CRS (converted with the raster's GSD); the larger of this and "
        "simplify_tolerance_map applies.",
    )
    min_area_m2: float = Field(
        0.0,
        ge=0.0,
        description="Drop polygons smaller than this many square metres on the ground, "
        "whatever the raster CRS; applies together with min_area_map.",
    )
    prune_spur_length_m: float = Field(
        10.0, ge=0.0, description="Prune dangling centerline spurs shorter than this (m)."
    )
    tile_size_px: int = Field(2048, ge=64, le=16384, description="Processing tile size (px).")
    halo_px: int = Field(
        64, ge=8, le=1024, description="Context read around each tile; > the widest road (px)."
    )
    polygons: bool = Field(True, description="Write road polygons.")
    centerlines: bool = Field(True, description="Write centerlines and nodes.")
    scheduler: str | None = Field(None, description=SCHEDULER_HELP)

    @model_validator(mode="after")
    def _writes_something(self) -> RoadMaskToVectorsParams:
        """Raises ValueError when neither output is asked for (the job would write nothing)."""
        if not (self.polygons or self.centerlines):
            raise ValueError(
                "polygons, centerlines: both are false, so there is nothing to write; set at "
                "least one of them to true."
            )
        return self


def output_layers(params: RoadMaskToVectorsParams) -> tuple[str, ...]:
    """The GeoPackage layers the job writes with these parameters."""
    return (LAYER_POLYGONS,) * params.polygons + (LAYER_CENTERLINES, LAYER_NODES) * (
        params.centerlines
    )


def validate(params: RoadMaskToVectorsParams) -> None:
    """Fail fast, before a job starts: the raster opens and reads, has a CRS and the band;
    the output is writable, is not the input and has room.
    Raises ``RasterInputError`` / ``OutputPathError`` / ValueError.
    """
    check_scheduler(KIND, params.scheduler)
    with (
        mosaic_input(params, resampling=SCENE_RESAMPLING) as mosaic,
        open_raster(mosaic.raster_path) as dataset,
    ):
        if params.band > dataset.count:
            raise ValueError(
                f"Band {params.band} does not exist: {params.raster_path} has bands "
                f"1..{dataset.count}."
            )
        size = (dataset.width, dataset.height)
    check_gpkg_output(
        params.output_path,
        mode=params.output_mode,
        layers=output_layers(params),
        inputs=tuple(scene_paths(params)),
        estimate_bytes=vector_estimate_bytes(*size),
    )


def run(params: RoadMaskToVectorsParams, report: Progress = no_progress) -> dict:
    """Vectorise a road mask into polygons, centerlines and nodes in one GeoPackage.

    Returns:
        ``{"outputs": {"gpkg": path}, "summary": {...}}`` as described in the API doc.

    Raises:
        RasterInputError, OutputPathError, ValueError: bad input (nothing written).
        OutputWriteError: the GeoPackage did not read back as written (nothing published).
        JobCancelled: from ``report`` (nothing written).
        SchedulerError: ``scheduler`` is malformed or unreachable (nothing written).
    """
    if params.scheduler:
        return run_on_scheduler(KIND, params, report)
    validate(params)
    with mosaic_input(params, resampling=SCENE_RESAMPLING) as mosaic:
        layers, summary = vectorise(mosaic, report)
    summary["n_scenes"] = len(scene_paths(params))
    report(95.0, "Writing the GeoPackage")
    with JobOutputs() as outputs:
        outputs.stage_gpkg(params.output_path, layers, mode=params.output_mode)
        outputs.publish(report)
    return {"outputs": {"gpkg": str(Path(params.output_path))}, "summary": summary}


def vectorise(
    params: RoadMaskToVectorsParams, report: Progress = no_progress
) -> tuple[dict[str, gpd.GeoDataFrame], dict]:
    """The layers (name -> GeoDataFrame in the raster CRS) and summary of the job; writes
    nothing. Progress runs from 0 to 94 %."""
    with open_raster(params.raster_path) as dataset:
        info = raster_info(dataset)
        divisor = unit_scale_divisor(dataset, params.band)
        tiles = block_tiles(params, dataset.width, dataset.height)
        blocks = []
        for i, tile in enumerate(tiles):
            blocks.append(vectorise_block(dataset, params, tile, divisor))
            report(80.0 * (i + 1) / len(tiles), f"Vectorised tile {i + 1}/{len(tiles)}")
    return assemble_layers(params, info, dataset.transform, blocks, report)


@dataclass
class BlockPieces:
    """What one core tile contributes, in raster pixel coordinates.

    Attributes:
        finished: polygons touching no internal tile border (final as they are).
        border: polygons cut by an internal tile border (unioned across tiles later).
        pieces: centerline :class:`GraphPiece` edges the tile owns.
    """

    finished: list[Polygon] = field(default_factory=list)
    border: list[Polygon] = field(default_factory=list)
    pieces: list[GraphPiece] = field(default_factory=list)


def block_tiles(params: RoadMaskToVectorsParams, width_px: int, height_px: int) -> list[CoreTile]:
    """The job's blocks: core tiles of ``tile_size_px`` with a ``halo_px`` halo, row-major."""
    return list(core_tiles(width_px, height_px, params.tile_size_px, params.halo_px))


def vectorise_block(
    dataset, params: RoadMaskToVectorsParams, tile: CoreTile, divisor: float
) -> BlockPieces:
    """Vectorise one block, reading only its window (core plus halo) of ``dataset``.

    Args:
        dataset: the open rasterio dataset of ``params.raster_path``.
        tile: one of :func:`block_tiles`.
        divisor: :func:`unit_scale_divisor` of the band (values / divisor lie in 0..1).
    """
    width, height = dataset.width, dataset.height
    window = tile.read.window
    values = read_band_as_unit_interval(dataset, params.band, window, divisor)
    valid = valid_data_mask(dataset, window, bands=(params.band,))
    mask = (values >= params.threshold) & valid
    block = BlockPieces()
    if params.polygons:
        rows, cols = tile.core_slices()
        block.finished, block.border = tile_polygons_px(mask[rows, cols], tile.core, width, height)
    if params.centerlines:
        block.pieces = tile_skeleton_pieces(mask, tile, width, height)
    return block


def assemble_layers(
    params: RoadMaskToVectorsParams,
    info: RasterInfo,
    transform,
    blocks: list[BlockPieces],
    report: Progress = no_progress,
) -> tuple[dict[str, gpd.GeoDataFrame], dict]:
    """The reduction: merge the blocks' pieces (given in :func:`block_tiles` order, which
    fixes the feature order) into the job's layers and summary. Progress 82 to 94 %.

    Args:
        info, transform: the raster's :class:`RasterInfo` and pixel -> map ``Affine``.
    """
    gsd_x, gsd_y = info.gsd_m
    layers = {}
    summary: dict = {"crs": info.crs_authid or info.crs_wkt}
    if params.polygons:
        report(82.0, "Merging polygons across tile borders")
        finished = [p for b in blocks for p in b.finished]
        border = [p for b in blocks for p in b.border]
        polygons_px = finished + merge_border_polygons(border)
        polygons, areas = polygons_to_map(
            polygons_px,
            transform,
            gsd_x * gsd_y,
            max(
                params.simplify_tolerance_map,
                params.simplify_tolerance_m * _map_units_per_m(info, transform),
            ),
            params.min_area_map,
        )
        if params.min_area_m2 > 0:  # areas are ground areas (m²) whatever the CRS
            kept = [i for i, area in enumerate(areas) if area >= params.min_area_m2]
            polygons, areas = [polygons[i] for i in kept], [areas[i] for i in kept]
        frame = gpd.GeoDataFrame({"area_m2": areas}, geometry=polygons, crs=info.crs_wkt)
        frame.attrs["geometry_type"] = "Polygon"
        layers[LAYER_POLYGONS] = frame
        summary["n_polygons"] = len(polygons)
    if params.centerlines:
        report(88.0, "Building the centerline graph")
        pieces = [p for b in blocks for p in b.pieces]
        edges, nodes = _centerline_layers(pieces, transform, info, (gsd_x, gsd_y), params)
        layers[LAYER_CENTERLINES] = edges
        layers[LAYER_NODES] = nodes
        summary["n_edges"], summary["n_nodes"] = len(edges), len(nodes)
    return layers, summary


def _map_units_per_m(info: RasterInfo, transform) -> float:
    """Map units of the raster CRS per metre on the ground (1 in a metric CRS; about
    1/111 000 degrees per metre in EPSG:4326), from the pixel size and the GSD.

    Args:
        info: the raster's :class:`RasterInfo` (``gsd_m``: (x, y) metres per pixel).
        transform: rasterio ``Affine`` pixel -> map.
    """
    pixel_map = (abs(transform.a) + abs(transform.e)) / 2.0
    pixel_m = (info.gsd_m[0] + info.gsd_m[1]) / 2.0
    return pixel_map / pixel_m if pixel_m > 0 else 1.0


def _centerline_layers(pieces, transform, info, gsd_xy_m, params):
    gsd_x, gsd_y = gsd_xy_m

    def path_length_m(path: np.ndarray) -> float:
        steps = np.diff(path, axis=0) * (gsd_x, gsd_y)
        return float(np.hypot(steps[:, 0], steps[:, 1]).sum())

    graph = build_centerline_graph(pieces)
    prune_spurs(graph, path_length_m, params.prune_spur_length_m)
    node_ids = {node: i for i, node in enumerate(graph.nodes)}
    lines, us, vs = [], [], []
    for u, v, data in graph.edges(data=True):
        lines.append(LineString(pixel_to_map(data["path"], transform)))
        us.append(node_ids[u])
        vs.append(node_ids[v])
    edges = gpd.GeoDataFrame(
        {
            "edge_id": np.arange(len(lines), dtype=np.int64),
            "node_u": np.asarray(us, dtype=np.int64),
            "node_v": np.asarray(vs, dtype=np.int64),
            "length_m": lengths_m(lines, info.crs_wkt) if lines else [],
        },
        geometry=lines,
        crs=info.crs_wkt,
    )
    edges.attrs["geometry_type"] = "LineString"
    node_xy = np.array([graph.nodes[n]["xy"] for n in graph.nodes]).reshape(-1, 2)
    node_map = pixel_to_map(node_xy, transform) if len(node_xy) else node_xy
    nodes = gpd.GeoDataFrame(
        {
            "node_id": np.arange(len(node_ids), dtype=np.int64),
            "degree": np.array([graph.degree(n) for n in graph.nodes], dtype=np.int64),
        },
        geometry=[Point(x, y) for x, y in node_map],
        crs=info.crs_wkt,
    )
    nodes.attrs["geometry_type"] = "Point"
    return edges, nodes
