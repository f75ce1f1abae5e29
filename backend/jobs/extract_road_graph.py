"""The ``extract_road_graph`` job: a raster of any size in, a routable road graph out.

Pipeline (LineGraph2Road, Sec. 3.6 and Appendix G):

1. The raster is read in blocks (never whole), each resampled to the model's GSD.
2. Inside a block, :func:`predict_image_graph` runs sliding windows (overlap > d_nei),
   blends the three probability maps, runs coupled NMS once and scores candidate edges in
   every window; an edge seen by several windows gets the mean probability. When the
   model card (or ``road_mask_model``) names an Anchor-SAM model, its road probability
   replaces the LineGraph2Road road mask in coupled NMS (not in the paper; issue 10: the
   shipped CPU-trained decoder segments roads worse than the shipped Anchor-SAM).
3. Blocks overlap by more than d_nei too; their graphs are merged by
   :func:`stitch_window_graphs` (vertices closer than ``merge_radius_px`` become one, edge
   probabilities averaged), then thresholded. Dead ends whose road runs off the raster
   within ``border_extension_px`` (the card's default) are continued to its edge
   (:mod:`backend.methods.linegraph2road.borders`; not in the paper).
4. Vertices go from model pixels to raster pixels to map coordinates (the raster's CRS);
   vertices over nodata are dropped.

Several scenes (``additional_raster_paths``) or a ``target_crs``: the job runs on the
scenes' VRT mosaic in the target CRS (:mod:`backend.jobs.scenes`).

Outputs (GeoPackage, raster CRS; the target CRS for a mosaic): ``road_graph_edges``
(LineString, probability, length_m) and ``road_graph_nodes`` (Point, degree, is_keypoint,
is_overpass, score).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from pydantic import Field, model_validator
from rasterio.windows import Window
from shapely.geometry import LineString, Point

from backend.geo.measure import lengths_m
from backend.geo.outputs import JobOutputs
from backend.geo.raster import ImageReader, open_raster, raster_info
from backend.geo.vectorize import pixel_to_map
from backend.geo.windows import tile_starts
from backend.jobs.model_loading import (
    RasterModelParams,
    check_weights_installed,
    load_job_model,
    model_px_per_raster_px_xy,
    validate_raster_model,
)
from backend.jobs.output_checks import GpkgOutputParams, check_gpkg_output, vector_estimate_bytes
from backend.jobs.scenes import SceneListParams, mosaic_input, scene_paths
from backend.jobs.scheduler_runs import SCHEDULER_HELP, check_scheduler, run_on_scheduler
from backend.methods.anchor_sam.views import TestTimeViews
from backend.methods.linegraph2road.output import output_graph
from backend.models.registry import get_model, get_weights_spec
from backend.runtime.progress import Progress, no_progress

KIND = "extract_road_graph"
#: ``road_mask_model`` value that keeps the LineGraph2Road decoder's own road mask.
OWN_ROAD_MASK = "none"
DEFAULT_MODEL = "linegraph2road_hiera_pico_1m"
LAYER_EDGES = "road_graph_edges"
LAYER_NODES = "road_graph_nodes"


class ExtractRoadGraphParams(GpkgOutputParams, SceneListParams, RasterModelParams):
    """Parameters of ``extract_road_graph`` (see the module docstring)."""

    output_path: str = Field(description="GeoPackage to write (.gpkg).")
    model: str = Field(DEFAULT_MODEL, description="Registered LineGraph2Road model id.")
    window_px: int | None = Field(
        None, ge=128, le=2048, description="Sliding window side (default: the model's)."
    )
    overlap_px: int = Field(96, ge=65, description="Window overlap, must exceed d_nei (px).")
    block_px: int = Field(
        2048, ge=256, le=8192, description="Raster block held in memory, model pixels."
    )
    edge_threshold: float | None = Field(
        None, ge=0, le=1, description="Keep edges above this (default: the model card's)."
    )
    keypoint_threshold: float | None = Field(
        None, ge=0, le=1, description="t_k of coupled NMS (default: the model card's)."
    )
    road_threshold: float | None = Field(
        None, ge=0, le=1, description="t_r of coupled NMS (default: the model card's)."
    )
    road_mask_model: str | None = Field(
        None,
        description=(
            "Registered Anchor-SAM model whose road probability replaces the LineGraph2Road "
            f"road mask in coupled NMS (default: the model card's; '{OWN_ROAD_MASK}': the "
            "model's own road mask)."
        ),
    )
    road_mask_test_time_augmentation: TestTimeViews | None = Field(
        None,
        description=(
            "Views of each window the road mask model averages (1: the window only, fastest; "
            "2, 4, 8: mirrors, flips, all rotations and flips; each costs one more pass of "
            "that model). Default: the LineGraph2Road model card's, chosen on validation data "
            "together with its thresholds, else 1. Ignored with the model's own road mask."
        ),
    )
    border_extension_px: float | None = Field(
        None,
        ge=0,
        description=(
            "Continue dead ends whose road runs off the raster within this distance (model "
            "pixels) straight on to the raster's edge, so graphs of neighbouring areas can be "
            "joined (default: the model card's, else 0 = off)."
        ),
    )
    merge_chains: bool = Field(False, description="Merge degree-2 chains into longer polylines.")
    scheduler: str | None = Field(None, description=SCHEDULER_HELP)

    @model_validator(mode="after")
    def _overlap_inside_window(self) -> ExtractRoadGraphParams:
        """Raises ValueError for an overlap that is not smaller than the given window (px)."""
        if self.window_px is not None and self.overlap_px >= self.window_px:
            raise ValueError(
                f"overlap_px: must be smaller than window_px ({self.window_px} px), got "
                f"{self.overlap_px}."
            )
        return self


def validate(params: ExtractRoadGraphParams) -> None:
    """Fail before a job starts: raster (readable, CRS, bands), model id, device, and the
    output (writable, not an input, room on the disk)."""
    check_scheduler(KIND, params.scheduler)
    check_road_mask_model(params)
    with mosaic_input(params) as mosaic:
        validate_raster_model(mosaic, "linegraph2road")
        with open_raster(mosaic.raster_path) as dataset:
            size = (dataset.width, dataset.height)
    check_gpkg_output(
        params.output_path,
        mode=params.output_mode,
        layers=(LAYER_EDGES, LAYER_NODES),
        inputs=(*scene_paths(params), params.checkpoint),
        estimate_bytes=vector_estimate_bytes(*size),
    )


@dataclass(frozen=True)
class _Block:
    """A raster block: raster pixels [col0, col0+width) x [row0, row0+height), read at
    ``(model_h, model_w)`` model pixels whose global origin is (model_x0, model_y0)."""

    col0: int
    row0: int
    width: int
    height: int
    model_x0: float
    model_y0: float
    model_w: int
    model_h: int


def _blocks(
    width: int, height: int, scale: tuple[float, float], block_px: int, overlap_px: int
) -> list:
    """Blocks of at most ``block_px`` model pixels (along either axis) overlapping by at least
    ``overlap_px`` model px; ``scale``: model pixels per raster pixel along columns and rows."""
    scale_x, scale_y = scale
    block_r = max(1, int(block_px / max(scale)))
    overlap_r = min(block_r - 1, int(math.ceil(overlap_px / min(scale))))
    blocks = []
    for row0 in tile_starts(height, block_r, overlap_r):
        for col0 in tile_starts(width, block_r, overlap_r):
            w, h = min(block_r, width - col0), min(block_r, height - row0)
            blocks.append(
                _Block(
                    col0,
                    row0,
                    w,
                    h,
                    col0 * scale_x,
                    row0 * scale_y,
                    max(1, round(w * scale_x)),
                    max(1, round(h * scale_y)),
                )
            )
    return blocks


def run(params: ExtractRoadGraphParams, report: Progress = no_progress) -> dict:
    """Extract the road graph of a raster into a GeoPackage (see the module docstring).

    Returns:
        ``{"outputs": {"gpkg": path}, "summary": {n_nodes, n_edges, length_m, crs,
        gsd_m, device, model}}``.

    Raises:
        RasterInputError, OutputPathError, ValueError: bad input (nothing written).
        JobCancelled: through ``report`` (nothing written).
        SchedulerError: ``scheduler`` is malformed or unreachable (nothing written).
    """
    if params.scheduler:
        return run_on_scheduler(KIND, params, report)
    validate(params)
    n_scenes = len(scene_paths(params))
    with mosaic_input(params) as params:
        result = _run_in_process(params, report)
    result["summary"]["n_scenes"] = n_scenes
    return result


def _run_in_process(params: ExtractRoadGraphParams, report: Progress) -> dict:
    loaded = load_job_model(params, report, (params.block_px, params.overlap_px))
    settings = graph_settings(params, loaded.spec)
    predictor, window_px = block_predictor(params, loaded.module, loaded.device, settings)

    def predict_blocks(reader: ImageReader, blocks: list[_Block], scale: tuple[float, float]):
        for i, block in enumerate(blocks):

            def on_window(done: int, total: int, i: int = i) -> None:
                # Progress within the block; a cancelled job stops here.
                share = (i + done / total) / len(blocks)
                report(5.0 + 85.0 * share, f"Block {i + 1}/{len(blocks)}: window pass")

            yield predict_block_graph(
                predictor, settings, reader, block, scale, window_px, params.overlap_px, on_window
            )
            report(5.0 + 85.0 * (i + 1) / len(blocks), f"Block {i + 1}/{len(blocks)}")

    return extract(params, report, loaded.spec, loaded.device, settings, predict_blocks)


@dataclass(frozen=True)
class GraphSettings:
    """The thresholds of a run (the params', else the model card's), the predictor's
    parameters (``PredictorParams``: d_nei, d_k in model pixels, t_k, t_r) and the
    Anchor-SAM model giving the road mask (None: the LineGraph2Road decoder's own) and the
    dead-end extension to the raster edge (model pixels, 0: off)."""

    predictor_params: Any
    edge: float
    keypoint: float
    road: float
    road_mask_model: str | None = None
    road_mask_test_time_augmentation: int = 1
    border_extension_px: float = 0.0


def road_mask_model_id(params: ExtractRoadGraphParams, spec) -> str | None:
    """The registered model whose road probability the run uses in coupled NMS:
    ``params.road_mask_model``, else the card's ``inference_defaults.road_mask_model``;
    None for the LineGraph2Road decoder's own road mask."""
    chosen = params.road_mask_model
    if chosen is None:
        chosen = inference_defaults(spec).get("road_mask_model")
    return None if chosen in (None, OWN_ROAD_MASK) else str(chosen)


def check_road_mask_model(params: ExtractRoadGraphParams) -> None:
    """Raises ValueError when the road mask model is unknown, not an Anchor-SAM model, made
    for another GSD than the graph model, or not installed."""
    spec = get_weights_spec(params.model)
    model_id = road_mask_model_id(params, spec)
    if model_id is None:
        return
    road_spec = get_weights_spec(model_id)
    if road_spec.method != "anchor_sam":
        raise ValueError(
            f"road_mask_model {model_id!r} is a {road_spec.method} model; choose an "
            f"Anchor-SAM road segmentation model or '{OWN_ROAD_MASK}'."
        )
    if road_spec.gsd_m and spec.gsd_m and not math.isclose(road_spec.gsd_m, spec.gsd_m):
        raise ValueError(
            f"road_mask_model {model_id!r} works at {road_spec.gsd_m:g} m per pixel and "
            f"{params.model!r} at {spec.gsd_m:g} m; choose one made for the same GSD or "
            f"'{OWN_ROAD_MASK}'."
        )
    check_weights_installed(road_spec, None, params.model_dir)


def road_probability_function(
    model_id: str, model_dir: str | None, device: str, test_time_augmentation: int = 1
):
    """``f(windows (B, H, W, 3) uint8) -> (B, H, W) float32`` road probability of the
    registered Anchor-SAM model ``model_id`` (weights checked against their sha256), averaged
    over ``test_time_augmentation`` views (``predict_probability``)."""
    from backend.methods.anchor_sam.predict import predict_probability

    model: Any = get_model(model_id, model_dir=model_dir, device=device).eval()
    return partial(
        predict_probability,
        model,
        device=device,
        amp=device.startswith("cuda"),
        test_time_augmentation=test_time_augmentation,
    )


def graph_settings(params: ExtractRoadGraphParams, spec) -> GraphSettings:
    """:class:`GraphSettings` of ``params`` for the model whose weights spec is ``spec``."""
    from backend.methods.linegraph2road.predictor import PredictorParams

    road_mask_model = road_mask_model_id(params, spec)
    thresholds = model_thresholds(spec, own_road_mask=road_mask_model is None)

    def pick(chosen: float | None, key: str) -> float:
        return thresholds[key] if chosen is None else float(chosen)

    t_edge = pick(params.edge_threshold, "edge")
    t_k = pick(params.keypoint_threshold, "keypoint")
    t_r = pick(params.road_threshold, "road")
    views: int | None = params.road_mask_test_time_augmentation
    if views is None:
        views = int(inference_defaults(spec).get("road_mask_test_time_augmentation", 1))
    border = params.border_extension_px
    if border is None:
        border = float(inference_defaults(spec).get("border_extension_px", 0.0))
    return GraphSettings(
        PredictorParams(t_k=t_k, t_r=t_r), t_edge, t_k, t_r, road_mask_model,
        views if road_mask_model is not None else 1, border,
    )  # fmt: skip


def block_predictor(params: ExtractRoadGraphParams, model, device: str, settings: GraphSettings):
    """``(LineGraph2RoadPredictor, window_px)`` for a loaded model (with the settings' road
    mask model loaded on ``device``).

    Raises:
        ValueError: ``overlap_px`` not in (d_nei, window_px); road mask model weights that
            cannot be loaded.
    """
    from backend.methods.linegraph2road.predictor import LineGraph2RoadPredictor

    window_px = params.window_px or model.config.input_size_px
    d_nei = settings.predictor_params.d_nei_px
    if params.overlap_px <= d_nei or params.overlap_px >= window_px:
        raise ValueError(
            f"overlap_px ({params.overlap_px}) must exceed d_nei ({d_nei} "
            f"px) and be smaller than the window ({window_px} px)."
        )
    road_probability = None
    if settings.road_mask_model is not None:
        road_probability = road_probability_function(
            settings.road_mask_model,
            params.model_dir,
            device,
            settings.road_mask_test_time_augmentation,
        )
    predictor = LineGraph2RoadPredictor(
        model, device, settings.predictor_params, road_probability=road_probability
    )
    return predictor, window_px


def predict_block_graph(
    predictor,
    settings: GraphSettings,
    reader: ImageReader,
    block: _Block,
    scale: tuple[float, float],
    window_px: int,
    overlap_px: int,
    on_window=None,
):
    """Step 2 for one block: its candidate graph (``WindowGraph``, global model pixels,
    vertices over nodata dropped), or None for a block without data. Reads only the block.
    """
    from backend.methods.linegraph2road.predictor import predict_image_graph
    from backend.methods.linegraph2road.stitching import WindowGraph

    window = Window(block.col0, block.row0, block.width, block.height)
    shape = (block.model_h, block.model_w)
    valid = reader.read_valid_mask(window, shape)
    if not valid.any():
        return None
    image = reader.read_rgb(window, shape)
    image[~valid] = 0
    pred = predict_image_graph(
        predictor,
        image,
        settings.predictor_params,
        window_px=window_px,
        overlap_px=overlap_px,
        edge_threshold=settings.edge,
        on_window=on_window,
    )
    return _block_window_graph(pred.graph, block, scale, valid, WindowGraph)


def run_scale(params: ExtractRoadGraphParams, spec, dataset) -> tuple[float, tuple[float, float]]:
    """``(run_gsd_m, model pixels per raster pixel along columns and rows)`` of a run on
    ``dataset`` (:func:`~backend.jobs.model_loading.model_px_per_raster_px_xy`)."""
    return model_px_per_raster_px_xy(raster_info(dataset).gsd_m, spec.gsd_m, params.gsd_m)


def extract(params, report, spec, device: str, settings: GraphSettings, predict_blocks) -> dict:
    """Steps 1, 3 and 4 around a block predictor, and the write.

    Args:
        predict_blocks: ``predict_blocks(reader, blocks, scale)`` yields, for every block in
            order, :func:`predict_block_graph`'s result (the model here, or a Dask cluster).

    Returns and raises as :func:`run`.
    """
    from backend.methods.linegraph2road.stitching import stitch_window_graphs

    predictor_params = settings.predictor_params
    t_edge = settings.edge
    with open_raster(params.raster_path) as dataset:
        info = raster_info(dataset)
        reader = ImageReader(dataset, tuple(params.bands) if params.bands else None)
        run_gsd_m, scale = run_scale(params, spec, dataset)
        blocks = _blocks(dataset.width, dataset.height, scale, params.block_px, params.overlap_px)
        block_graphs = [g for g in predict_blocks(reader, blocks, scale) if g is not None]

        report(91.0, "Stitching blocks into one graph")
        merge_radius = predictor_params.d_k_px / 2.0
        if block_graphs:
            graph = stitch_window_graphs(
                block_graphs, merge_radius_px=merge_radius, edge_threshold=t_edge
            )
            model_width, model_height = dataset.width * scale[0], dataset.height * scale[1]
            written = output_graph(
                graph.points_xy_px, graph.edge_index, graph.edge_prob,
                collinear_tolerance_px=predictor_params.d_k_px / 2.0,
                is_overpass=graph.is_overpass, width_px=model_width, height_px=model_height,
                border_extension_px=settings.border_extension_px,
                keep_border_vertex=partial(_over_data, reader, scale),
            )  # fmt: skip
            points_m, edge_index, edge_prob = (
                written.points_xy_px, written.edge_index, written.edge_prob
            )
            flags = tuple(
                np.asarray(f)[written.source_vertex]
                for f in (graph.is_keypoint, graph.is_overpass, graph.scores)
            )
        else:
            points_m = np.zeros((0, 2))
            edge_index, edge_prob = np.zeros((2, 0), np.int64), np.zeros(0)
            flags = (np.zeros(0, bool), np.zeros(0, bool), np.zeros(0))
    # Model pixels -> raster pixels -> map coordinates.
    points_map = pixel_to_map(points_m / np.asarray(scale), dataset.transform)
    edges, nodes = _graph_layers(
        points_map, edge_index, edge_prob, flags, info.crs_wkt, params.merge_chains
    )
    report(96.0, "Writing the GeoPackage")
    with JobOutputs() as outputs:
        outputs.stage_gpkg(
            params.output_path, {LAYER_EDGES: edges, LAYER_NODES: nodes}, mode=params.output_mode
        )
        outputs.publish(report)
    summary = {
        "n_nodes": len(nodes),
        "n_edges": len(edges),
        "length_m": float(edges["length_m"].sum()) if len(edges) else 0.0,
        "crs": info.crs_authid or info.crs_wkt,
        "gsd_m": run_gsd_m,
        "device": device,
        "model": params.model,
        "n_blocks": len(blocks),
        "thresholds": {"edge": t_edge, "keypoint": settings.keypoint, "road": settings.road},
        "road_mask_model": settings.road_mask_model or OWN_ROAD_MASK,
        "road_mask_test_time_augmentation": settings.road_mask_test_time_augmentation,
        "border_extension_px": settings.border_extension_px,
    }
    return {"outputs": {"gpkg": str(Path(params.output_path))}, "summary": summary}


def _over_data(reader: ImageReader, scale, points_m: np.ndarray) -> np.ndarray:
    """``(K,)`` bool: which ``(K, 2)`` model-pixel points lie over valid raster data (a border
    extension over no-data is dropped: the data, not the raster, ends there)."""
    dataset: Any = reader.dataset
    inside = []
    for x, y in np.asarray(points_m) / np.asarray(scale):
        col = min(max(int(x), 0), dataset.width - 1)
        row = min(max(int(y), 0), dataset.height - 1)
        inside.append(bool(reader.read_valid_mask(Window(col, row, 1, 1))[0, 0]))
    return np.asarray(inside, bool)


def inference_defaults(spec, own_road_mask: bool = False) -> dict[str, Any]:
    """The model card's ``inference_defaults``.

    A card whose defaults take the road mask from another model (``road_mask_model``) may
    hold, under ``own_road_mask``, the thresholds validated with the model's own road mask;
    with ``own_road_mask`` those replace the defaults and ``road_mask_model`` (with its
    ``road_mask_test_time_augmentation``) is dropped.
    """
    card = dict((spec.model_card or {}).get("inference_defaults", {}))
    own = card.pop("own_road_mask", None) or {}
    if own_road_mask and card.pop("road_mask_model", None) is not None:
        card.pop("road_mask_test_time_augmentation", None)
        card.update(own)
    return card


def model_thresholds(spec, own_road_mask: bool = False) -> dict[str, float]:
    """Default thresholds of a model: those its model card validated (``inference_defaults``:
    ``edge_threshold``, ``t_k``, ``t_r``; see :func:`inference_defaults` for
    ``own_road_mask``), else 0.5 each (Sec. 3.6 picks them on validation data)."""
    card = inference_defaults(spec, own_road_mask)
    return {
        "edge": float(card.get("edge_threshold", 0.5)),
        "keypoint": float(card.get("t_k", 0.5)),
        "road": float(card.get("t_r", 0.5)),
    }


def _block_window_graph(
    graph, block: _Block, scale: tuple[float, float], valid: np.ndarray, window_graph_cls
):
    """A block's candidate graph in global model pixels, without vertices over nodata."""
    pts = graph.points_xy_px
    cols = np.clip(pts[:, 0].astype(int), 0, valid.shape[1] - 1)
    rows = np.clip(pts[:, 1].astype(int), 0, valid.shape[0] - 1)
    keep = valid[rows, cols] if len(pts) else np.zeros(0, bool)
    edges = graph.candidate_edge_index
    edge_ok = keep[edges[0]] & keep[edges[1]] if edges.size else np.zeros(0, bool)
    new_index = np.cumsum(keep) - 1
    # Global model pixels: the block's model origin follows its raster origin exactly.
    stretch = np.array(
        [block.width * scale[0] / block.model_w, block.height * scale[1] / block.model_h]
    )
    offset = np.array([block.model_x0, block.model_y0])
    return window_graph_cls(
        points_xy_px=pts[keep] * stretch + offset,
        edge_index=new_index[edges[:, edge_ok]],
        edge_prob=graph.candidate_edge_prob[edge_ok],
        scores=graph.scores[keep],
        is_keypoint=graph.is_keypoint[keep],
        is_overpass=graph.is_overpass[keep],
    )


def _graph_layers(points_map, edge_index, edge_prob, flags, crs_wkt, merge_chains):
    """Edges and nodes GeoDataFrames; isolated vertices are dropped."""
    is_keypoint, is_overpass, scores = flags
    graph = nx.Graph()
    for (u, v), p in zip(edge_index.T.tolist(), np.asarray(edge_prob).tolist(), strict=True):
        graph.add_edge(u, v, path=[u, v], probability=p)
    if merge_chains:
        _merge_degree_two_chains(graph)
    node_ids = {n: i for i, n in enumerate(sorted(graph.nodes))}
    lines, probs, us, vs = [], [], [], []
    for u, v, data in graph.edges(data=True):
        path = data["path"] if data["path"][0] == u else data["path"][::-1]
        lines.append(LineString(points_map[path]))
        probs.append(data["probability"])
        us.append(node_ids[u])
        vs.append(node_ids[v])
    edges = gpd.GeoDataFrame(
        {
            "edge_id": np.arange(len(lines), dtype=np.int64),
            "node_u": np.asarray(us, np.int64),
            "node_v": np.asarray(vs, np.int64),
            "probability": np.asarray(probs, np.float64),
            "length_m": np.asarray(lengths_m(lines, crs_wkt) if lines else [], np.float64),
        },
        geometry=lines,
        crs=crs_wkt,
    )
    edges.attrs["geometry_type"] = "LineString"
    order = sorted(graph.nodes)
    nodes = gpd.GeoDataFrame(
        {
            "node_id": np.arange(len(order), dtype=np.int64),
            "degree": np.asarray([graph.degree(n) for n in order], np.int64),
            "is_keypoint": np.asarray([bool(is_keypoint[n]) for n in order], bool),
            "is_overpass": np.asarray([bool(is_overpass[n]) for n in order], bool),
            "score": np.asarray([float(scores[n]) for n in order], np.float64),
        },
        geometry=[Point(*points_map[n]) for n in order],
        crs=crs_wkt,
    )
    nodes.attrs["geometry_type"] = "Point"
    return edges, nodes


def _merge_degree_two_chains(graph: nx.Graph) -> None:
    """Join edges through degree-2 vertices; probability = length-unweighted minimum, so a
    merged polyline is only as certain as its weakest link."""
    for node in list(graph.nodes):
        if graph.degree(node) != 2:
            continue
        a, b = list(graph.neighbors(node))
        if a == b or graph.has_edge(a, b):
            continue  # would create a parallel edge: keep the vertex
        da, db = graph.edges[a, node], graph.edges[node, b]
        pa = da["path"] if da["path"][-1] == node else da["path"][::-1]
        pb = db["path"] if db["path"][0] == node else db["path"][::-1]
        graph.remove_node(node)
        graph.add_edge(
            a, b, path=pa + pb[1:], probability=min(da["probability"], db["probability"])
        )
