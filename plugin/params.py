"""Typed job requests shared by the Processing algorithms and the dock widgets.

Each request knows its job kind and turns itself into the JSON ``params`` of
``docs/backend_api.md``; neither the backend nor these classes ever see a widget or a
canvas. Validation here catches what the user can fix before a job is created; the
backend validates again (it also serves other clients).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any, ClassVar


class RequestError(ValueError):
    """A request field is out of range; the message names the field and the allowed values."""


@dataclass(frozen=True)
class Bounds:
    """Allowed range of a numeric request field, as the backend's params declare it (a test
    compares the two).

    Attributes:
        minimum: Lowest allowed value (None: no lower bound).
        maximum: Highest allowed value, inclusive (None: no upper bound).
        minimum_exclusive: The value must exceed ``minimum`` (> instead of >=).
        maximum_exclusive: The value must stay below ``maximum`` (< instead of <=).
    """

    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    maximum_exclusive: bool = False

    def check(self, name: str, value: float) -> None:
        """Raise unless ``value`` lies within the bounds (NaN is refused too).

        Raises:
            RequestError: Naming the field and the allowed range.
        """
        low, high = self.minimum, self.maximum
        above = low is None or (value > low if self.minimum_exclusive else value >= low)
        below = high is None or (value < high if self.maximum_exclusive else value <= high)
        if above and below and value == value:  # value == value: not NaN
            return
        if low is not None and high is not None and not self.maximum_exclusive:
            allowed = f"within {low:g}..{high:g}"
        elif low is not None and high is not None:
            allowed = f"{'>' if self.minimum_exclusive else '>='} {low:g} and < {high:g}"
        elif low is not None:
            allowed = f"{'>' if self.minimum_exclusive else '>='} {low:g}"
        else:
            allowed = f"{'<' if self.maximum_exclusive else '<='} {high:g}"
        raise RequestError(f"{name}: must be {allowed}, got {value}")


UNIT_INTERVAL = Bounds(0.0, 1.0)
# Views a road segmentation model may average per tile (test-time augmentation, see
# backend/methods/anchor_sam/predict.py): the tile, its mirror, the flips, all symmetries.
TEST_TIME_AUGMENTATIONS = (1, 2, 4, 8)


def check_test_time_augmentation(name: str, value: int | None) -> None:
    """Raise :class:`RequestError` unless ``value`` is None or in TEST_TIME_AUGMENTATIONS."""
    if value is not None and value not in TEST_TIME_AUGMENTATIONS:
        raise RequestError(
            f"{name}: must be one of {', '.join(map(str, TEST_TIME_AUGMENTATIONS))}, got {value!r}"
        )


NON_NEGATIVE = Bounds(0.0)
POSITIVE = Bounds(0.0, minimum_exclusive=True)


@dataclass
class JobRequest:
    """Base of the requests (dataclasses): validation and the JSON ``params`` of a job.

    A subclass sets :attr:`KIND`, implements :meth:`validate` and lists its fields in the
    tables below; :meth:`to_params` does the rest.
    """

    KIND: ClassVar[str]
    # Fields left out of the params when their value is one of _UNSET, so that the
    # backend's defaults apply.
    _OPTIONAL: ClassVar[tuple[str, ...]] = ()
    _UNSET: ClassVar[tuple[Any, ...]] = (None,)
    # Fields sent as JSON integers / floats whatever number type they hold.
    _INTS: ClassVar[tuple[str, ...]] = ()
    _FLOATS: ClassVar[tuple[str, ...]] = ()
    # Ranges of the numeric fields (None values are not checked); the Processing algorithms
    # take their widget bounds from here.
    BOUNDS: ClassVar[dict[str, Bounds]] = {}

    def validate(self) -> None:
        """Check ranges before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        raise NotImplementedError

    def check_bounds(self) -> None:
        """Check every field of :attr:`BOUNDS` that has a value.

        Raises:
            RequestError: Naming the offending field.
        """
        for name, bounds in self.BOUNDS.items():
            value = getattr(self, name)
            if value is not None:
                bounds.check(name, value)

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of a :attr:`KIND` job (validated).

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        self.validate()
        params = asdict(self)  # subclasses are dataclasses
        for name in self._OPTIONAL:
            if params[name] in self._UNSET:
                del params[name]
        for names, number_type in ((self._INTS, int), (self._FLOATS, float)):
            for name in names:
                if name in params:
                    params[name] = number_type(params[name])
        return params


# The scene-list fields of the raster jobs (backend/jobs/scenes.py), sent only when set.
SCENE_FIELDS = ("additional_raster_paths", "target_crs")


@dataclass
class RasterJobRequest(JobRequest):
    """Base of the requests that read a raster and write a GeoPackage.

    Attributes:
        raster_path: Local path of the raster (any GDAL format, with a CRS).
        output_path: GeoPackage the backend writes (atomically).
        scheduler: Dask cluster to run on: ``local:N`` (N worker processes on the backend's
            machine) or a scheduler address such as ``tcp://host:8786``; None or empty runs
            in the backend process. Use only clusters you trust.
        additional_raster_paths: More scenes (local paths, each with a CRS and the bands of
            ``raster_path``) mosaicked with ``raster_path`` into one input; where scenes
            overlap the earlier one wins. None or empty: ``raster_path`` alone.
        target_crs: CRS of the run and of its outputs (``EPSG:32633``, a WKT); scenes in
            other CRSs are warped to it. None or empty: ``raster_path``'s CRS.
    """

    # Optional fields left out of the params when unset, so the backend's defaults apply.
    _OPTIONAL: ClassVar[tuple[str, ...]] = ("scheduler", *SCENE_FIELDS)
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")

    raster_path: str
    output_path: str
    scheduler: str | None = None
    additional_raster_paths: list[str] | None = None
    target_crs: str | None = None

    def validate(self) -> None:
        """Check that a raster is given and the output is a ``.gpkg``.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.raster_path:
            raise RequestError("raster_path: a raster file is required")
        if not self.output_path.lower().endswith(".gpkg"):
            raise RequestError(f"output_path: must end with .gpkg, got {self.output_path!r}")
        if self.additional_raster_paths and not all(self.additional_raster_paths):
            raise RequestError("additional_raster_paths: every scene needs a file path")

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of the job (validated); the scene list only when it
        names scenes.

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        if self.additional_raster_paths:
            params["additional_raster_paths"] = [str(p) for p in self.additional_raster_paths]
        else:
            params.pop("additional_raster_paths", None)
        return params


@dataclass
class RoadMaskToVectorsRequest(RasterJobRequest):
    """Vectorise a road mask or road probability raster (job kind ``road_mask_to_vectors``).

    Attributes:
        raster_path: Local path of the mask/probability raster (any GDAL format, with a CRS).
        output_path: GeoPackage the backend writes (atomically) with the layers
            ``road_polygons``, ``road_centerlines`` and ``road_nodes``.
        band: 1-based band holding the mask or probability.
        threshold: Threshold on values scaled to 0..1 (uint8 / 255 unless the raster only
            holds 0/1, uint16 / 65535, float as is).
        simplify_tolerance_m: Polygon simplification tolerance in metres on the ground,
            whatever the raster CRS (0: none; the backend converts with the raster's GSD).
        min_area_m2: Polygons smaller than this many square metres on the ground are
            dropped, whatever the raster CRS.
        prune_spur_length_m: Dangling centerline spurs shorter than this, in metres, are
            pruned.
        tile_size_px: Processing window size in pixels.
        polygons: Write ``road_polygons``.
        centerlines: Write ``road_centerlines`` and ``road_nodes``.
    """

    KIND: ClassVar[str] = "road_mask_to_vectors"
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "band": Bounds(1),
        "threshold": UNIT_INTERVAL,
        "simplify_tolerance_m": NON_NEGATIVE,
        "min_area_m2": NON_NEGATIVE,
        "prune_spur_length_m": NON_NEGATIVE,
        # Larger rasters are processed in tiles of this size.
        "tile_size_px": Bounds(64, 16384),
    }
    _INTS: ClassVar[tuple[str, ...]] = ("band", "tile_size_px")
    _FLOATS: ClassVar[tuple[str, ...]] = (
        "threshold",
        "simplify_tolerance_m",
        "min_area_m2",
        "prune_spur_length_m",
    )

    band: int = 1
    threshold: float = 0.5
    simplify_tolerance_m: float = 0.0
    min_area_m2: float = 0.0
    prune_spur_length_m: float = 10.0
    tile_size_px: int = 2048
    polygons: bool = True
    centerlines: bool = True

    def validate(self) -> None:
        """Check ranges before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        super().validate()
        self.check_bounds()
        if not (self.polygons or self.centerlines):
            raise RequestError("polygons/centerlines: at least one output must be requested")


# Devices a job may ask for; "auto" leaves the job on the backend's own device.
DEVICES = ("auto", "cpu", "cuda", "mps")


def _check_model_and_device(model: str, device: str) -> None:
    """Raises RequestError for an empty model id or a device outside :data:`DEVICES`."""
    if not model.strip():
        raise RequestError("model: a model id is required")
    if device not in DEVICES:
        raise RequestError(f"device: must be one of {', '.join(DEVICES)}, got {device!r}")


@dataclass
class RasterModelRequest(RasterJobRequest):
    """Base of the requests that run a registered model over a raster.

    Attributes:
        model: Registered model id (``GET /models``); subclasses default it to their
            ``DEFAULT_MODEL``.
        checkpoint: Own weights file for the model's architecture; None means the model's
            declared weights.
        device: ``auto`` (the backend's device), ``cpu``, ``cuda`` or ``mps``.
        bands: 1-based band numbers, 1 (grey) or 3 (red, green, blue); None means 1, 2, 3.
        gsd_m: Ground sample distance to run the model at, metres per pixel; None means the
            model's.
    """

    BOUNDS: ClassVar[dict[str, Bounds]] = {"gsd_m": POSITIVE}

    model: str = ""
    checkpoint: str | None = None
    device: str = "auto"
    bands: list[int] | None = None
    gsd_m: float | None = None

    def validate(self) -> None:
        """Check the raster, output, model, device, bands and GSD.

        Raises:
            RequestError: Naming the offending field.
        """
        super().validate()
        _check_model_and_device(self.model, self.device)
        if self.bands is not None:
            if len(self.bands) not in (1, 3):
                raise RequestError(f"bands: give 1 or 3 band numbers, got {list(self.bands)}")
            if any(band < 1 for band in self.bands):
                raise RequestError(f"bands: band numbers must be >= 1, got {list(self.bands)}")

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of the job (validated). Optional fields that are None
        are left out, and so is ``device`` when it is ``auto``: the backend then fills in
        its own device and defaults.

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        if self.device == "auto":  # the backend's own device
            del params["device"]
        if self.bands is not None:
            params["bands"] = [int(band) for band in self.bands]
        return params


@dataclass
class ExtractRoadGraphRequest(RasterModelRequest):
    """Extract a road graph from an aerial image with LineGraph2Road (job kind
    ``extract_road_graph``).

    Attributes:
        raster_path: Local path of the image (any GDAL format, with a CRS).
        output_path: GeoPackage the backend writes (atomically) with the layers
            ``road_graph_edges`` (LineString) and ``road_graph_nodes`` (Point), in the
            raster's CRS.
        model: Registered model id (``GET /models``).
        checkpoint: Own weights file for the model's architecture; None means the model's
            declared weights.
        device: ``auto`` (the backend's device), ``cpu``, ``cuda`` or ``mps``.
        bands: 1-based band numbers, 1 (grey) or 3 (red, green, blue); None means 1, 2, 3.
        gsd_m: Ground sample distance to run the model at, metres per pixel; None means the
            model's.
        window_px: Side of the sliding window in model pixels; None means the model's input
            size.
        overlap_px: Overlap of neighbouring windows in model pixels; must exceed the
            candidate-edge radius d_nei (:attr:`D_NEI_PX`, paper Sec. 3.6).
        edge_threshold: Edges with a lower connectedness probability are dropped; None means
            the model card's validated value.
        keypoint_threshold: t_k of coupled NMS (paper Sec. 3.3); None: the model card's.
        road_threshold: t_r of coupled NMS (paper Sec. 3.3); None: the model card's.
        road_mask_model: Anchor-SAM model whose road probability replaces the LineGraph2Road
            road mask; :attr:`OWN_ROAD_MASK` for the model's own; None: the model card's.
        road_mask_test_time_augmentation: Views of each window the road mask model
            averages (:data:`TEST_TIME_AUGMENTATIONS`); None: the model card's.
        border_extension_px: Dead ends whose road runs off the raster within this many model
            pixels are continued to the raster's edge (0: never); None: the model card's.
        merge_chains: Merge chains of degree-2 vertices into longer polylines.
    """

    KIND: ClassVar[str] = "extract_road_graph"
    DEFAULT_MODEL: ClassVar[str] = "linegraph2road_hiera_pico_1m"
    # Candidate-edge radius d_nei of LineGraph2Road; window overlaps must exceed it.
    D_NEI_PX: ClassVar[int] = 64
    # road_mask_model value for the LineGraph2Road decoder's own road mask.
    OWN_ROAD_MASK: ClassVar[str] = "none"
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        **RasterModelRequest.BOUNDS,
        "window_px": Bounds(128, 2048),
        "overlap_px": Bounds(D_NEI_PX + 1),
        "edge_threshold": UNIT_INTERVAL,
        "keypoint_threshold": UNIT_INTERVAL,
        "road_threshold": UNIT_INTERVAL,
        "border_extension_px": Bounds(0),
    }
    # Optional fields left out of the params when None, so the backend's defaults apply.
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "scheduler",
        *SCENE_FIELDS,
        "checkpoint",
        "bands",
        "gsd_m",
        "window_px",
        "edge_threshold",
        "keypoint_threshold",
        "road_threshold",
        "road_mask_model",
        "road_mask_test_time_augmentation",
        "border_extension_px",
    )
    _THRESHOLDS: ClassVar[tuple[str, ...]] = (
        "edge_threshold",
        "keypoint_threshold",
        "road_threshold",
    )
    _INTS: ClassVar[tuple[str, ...]] = (
        "window_px",
        "overlap_px",
        "road_mask_test_time_augmentation",
    )
    _FLOATS: ClassVar[tuple[str, ...]] = ("gsd_m", *_THRESHOLDS, "border_extension_px")

    model: str = DEFAULT_MODEL
    window_px: int | None = None
    overlap_px: int = 96
    edge_threshold: float | None = None
    keypoint_threshold: float | None = None
    road_threshold: float | None = None
    road_mask_model: str | None = None
    road_mask_test_time_augmentation: int | None = None
    border_extension_px: float | None = None
    merge_chains: bool = False

    def validate(self) -> None:
        """Check ranges before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        super().validate()
        if self.overlap_px <= self.D_NEI_PX:  # in the paper's terms, before the bounds
            raise RequestError(
                f"overlap_px: must exceed d_nei ({self.D_NEI_PX} px), got {self.overlap_px}"
            )
        self.check_bounds()
        if self.window_px is not None and self.overlap_px >= self.window_px:
            raise RequestError(
                f"overlap_px: must be smaller than the window ({self.window_px} px), "
                f"got {self.overlap_px}"
            )
        check_test_time_augmentation(
            "road_mask_test_time_augmentation", self.road_mask_test_time_augmentation
        )

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of an ``extract_road_graph`` job (validated).

        Optional fields that are None are left out, and so is ``device`` when it is
        ``auto``: the backend then fills in its own device and defaults.

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        params["merge_chains"] = bool(self.merge_chains)
        return params


@dataclass
class EvaluateRoadGraphRequest(JobRequest):
    """Score proposed road centerlines against ground-truth centerlines with APLS and TOPO
    (job kind ``evaluate_road_graph``).

    Both layers are measured in metres, in the ground truth's CRS when it is projected in
    metres, else in the UTM zone of the ground truth; the proposal may be in any CRS.

    Attributes:
        ground_truth_path: Local vector file of the ground-truth centerlines (any OGR format).
        proposal_path: Local vector file of the proposed centerlines (any OGR format).
        ground_truth_layer: Layer inside a multi-layer ground-truth file; None for a
            single-layer file.
        proposal_layer: Layer inside a multi-layer proposal file; None for a single-layer
            file.
        report_path: JSON report the backend writes (atomically) with every number and
            count; None writes none.
        snap_tolerance_m: Line ends closer than this, in metres, are joined when the lines
            are turned into the TOPO graphs.
        apls_linestring_delta_m: Spacing of the extra APLS control points on long curved
            roads, metres (SpaceNet: 200).
        apls_is_curved_eps: Roads straighter than this ((length - bounding-box diagonal) /
            length) get no extra APLS control points (SpaceNet: 0.12; negative: all roads).
        apls_snap_buffer_m: APLS control points of one graph snap onto the other within this
            distance, metres (SpaceNet: 4).
        apls_node_snap_tolerance_m: APLS joins line ends closer than this, metres
            (SpaceNet: 0, lines join only at shared vertices).
        topo_max_distance_m: TOPO explores the graph up to this distance from each seed,
            metres.
        topo_interval_m: Spacing of TOPO's sample points along the roads, metres.
        topo_match_radius_m: TOPO sample points match within this radius, metres.
        topo_num_seeds: Number of TOPO seed locations.
        seed: Random seed of the APLS and TOPO sampling.
    """

    KIND: ClassVar[str] = "evaluate_road_graph"
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "snap_tolerance_m": NON_NEGATIVE,
        "apls_node_snap_tolerance_m": NON_NEGATIVE,
        "apls_linestring_delta_m": POSITIVE,
        "apls_snap_buffer_m": POSITIVE,
        "topo_max_distance_m": POSITIVE,
        "topo_interval_m": POSITIVE,
        "topo_match_radius_m": POSITIVE,
        "topo_num_seeds": Bounds(1),
    }
    _OPTIONAL: ClassVar[tuple[str, ...]] = ("ground_truth_layer", "proposal_layer", "report_path")
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")
    _INTS: ClassVar[tuple[str, ...]] = ("topo_num_seeds", "seed")
    _FLOATS: ClassVar[tuple[str, ...]] = (
        "snap_tolerance_m",
        "apls_is_curved_eps",
        "apls_node_snap_tolerance_m",
        "apls_linestring_delta_m",
        "apls_snap_buffer_m",
        "topo_max_distance_m",
        "topo_interval_m",
        "topo_match_radius_m",
    )

    ground_truth_path: str
    proposal_path: str
    ground_truth_layer: str | None = None
    proposal_layer: str | None = None
    report_path: str | None = None
    snap_tolerance_m: float = 1.0
    apls_linestring_delta_m: float = 200.0
    apls_is_curved_eps: float = 0.12
    apls_snap_buffer_m: float = 4.0
    apls_node_snap_tolerance_m: float = 0.0
    topo_max_distance_m: float = 300.0
    topo_interval_m: float = 5.0
    topo_match_radius_m: float = 10.0
    topo_num_seeds: int = 100
    seed: int = 0

    def validate(self) -> None:
        """Check ranges before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.ground_truth_path:
            raise RequestError("ground_truth_path: a vector file is required")
        if not self.proposal_path:
            raise RequestError("proposal_path: a vector file is required")
        if self.report_path is not None and not self.report_path.lower().endswith(".json"):
            raise RequestError(f"report_path: must end with .json, got {self.report_path!r}")
        self.check_bounds()
        if not math.isfinite(self.apls_is_curved_eps):
            raise RequestError(
                f"apls_is_curved_eps: must be a number, got {self.apls_is_curved_eps}"
            )

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of an ``evaluate_road_graph`` job (validated).

        Layer names and the report path are left out when None or empty.

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        return super().to_params()


@dataclass
class SegmentRoadsRequest(RasterModelRequest):
    """Segment roads with Anchor-SAM (job kind ``segment_roads``).

    Attributes:
        raster_path: Local path of the image (any GDAL format, with a CRS).
        output_path: GeoPackage the backend writes (atomically) with ``road_polygons`` and,
            when :attr:`centerlines` is set, ``road_centerlines`` and ``road_nodes``.
        probability_path: GeoTIFF of road probability (float32, 0..1, nodata -1) on the
            input raster's grid, written atomically.
        model: Registered Anchor-SAM model id (``GET /models``).
        checkpoint: Own weights file for the model's architecture; None: the declared ones.
        device: ``auto`` (the backend's device), ``cpu``, ``cuda`` or ``mps``.
        bands: 1-based band numbers, 1 (grey) or 3 (red, green, blue); None means 1, 2, 3.
        gsd_m: Ground sample distance to run at, metres per pixel; None: the model's.
        tile_px: Tile side in model pixels (:attr:`BOUNDS`).
        overlap_px: Overlap of neighbouring tiles in model pixels (blended).
        threshold: Road where the probability is at least this; None: the threshold the
            model card chose on validation data (0.3 for the shipped model), else 0.5.
        test_time_augmentation: Views of each tile whose probabilities are averaged
            (:data:`TEST_TIME_AUGMENTATIONS`; each view costs one more model pass); None:
            the model card's choice, else 1.
        centerlines: Also write centerlines and nodes (mask-to-vectors).
        simplify_tolerance_m: Polygon simplification tolerance, metres on the ground
            whatever the raster CRS (0: none).
        min_area_m2: Polygons smaller than this (square metres on the ground) are dropped.
        prune_spur_length_m: Dangling centerline spurs shorter than this (m) are pruned.
    """

    KIND: ClassVar[str] = "segment_roads"
    DEFAULT_MODEL: ClassVar[str] = "anchor_sam_pico_1m"
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        **RasterModelRequest.BOUNDS,
        "tile_px": Bounds(64, 2048),
        "overlap_px": Bounds(0, 512),
        "threshold": UNIT_INTERVAL,
        "simplify_tolerance_m": NON_NEGATIVE,
        "min_area_m2": NON_NEGATIVE,
        "prune_spur_length_m": NON_NEGATIVE,
    }
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "scheduler",
        *SCENE_FIELDS,
        "checkpoint",
        "bands",
        "gsd_m",
        "threshold",
        "test_time_augmentation",
    )
    _INTS: ClassVar[tuple[str, ...]] = ("tile_px", "overlap_px", "test_time_augmentation")
    _FLOATS: ClassVar[tuple[str, ...]] = (
        "gsd_m",
        "threshold",
        "simplify_tolerance_m",
        "min_area_m2",
        "prune_spur_length_m",
    )

    model: str = DEFAULT_MODEL
    probability_path: str = ""
    tile_px: int = 512
    overlap_px: int = 64
    threshold: float | None = None
    test_time_augmentation: int | None = None
    centerlines: bool = False
    simplify_tolerance_m: float = 0.0
    min_area_m2: float = 0.0
    prune_spur_length_m: float = 10.0

    def validate(self) -> None:
        """Check ranges before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        super().validate()
        if not self.probability_path.lower().endswith((".tif", ".tiff")):
            raise RequestError(
                f"probability_path: must be a GeoTIFF (.tif), got {self.probability_path!r}"
            )
        self.check_bounds()
        if not 0 <= self.overlap_px < self.tile_px:
            raise RequestError(
                f"overlap_px: must be >= 0 and smaller than the tile ({self.tile_px} px), "
                f"got {self.overlap_px}"
            )
        check_test_time_augmentation("test_time_augmentation", self.test_time_augmentation)


# SAMRS prompt modes (backend/methods/samrs/prompts.py): "auto" (H-Box for horizontal boxes,
# RH-Box for rotated ones) and the combinations of SAMRS Table 1.
SAMRS_BASIC_PROMPTS = ("cp", "hbox", "hbox_m", "rbox_m", "rhbox", "rhbox_m")
SAMRS_PROMPT_MODES = (
    "auto",
    "hbox",
    "rhbox",
    "cp",
    "hbox_m",
    "rbox_m",
    "rhbox_m",
    "cp+hbox",
    "hbox+hbox_m",
    "cp+hbox_m",
    "cp+hbox+hbox_m",
    "cp+rbox_m",
    "cp+rhbox",
    "rhbox+rhbox_m",
    "cp+rhbox_m",
    "cp+rhbox+rhbox_m",
)
# Which parts of a mask become its polygon (backend/methods/samrs/rasterize.py).
SAMRS_PARTS = ("largest", "all")


@dataclass
class BoxToMaskRequest(JobRequest):
    """Turn a layer of boxes with classes into one mask polygon per box with a SAM-family
    model, following SAMRS (job kind ``box_to_mask``).

    Attributes:
        raster_path: Local path of the image (any GDAL format; without CRS its pixel frame
            x = column, y = -row is used).
        boxes_path: Local vector file of the boxes (polygons, axis-aligned or rotated, any
            CRS: the backend reprojects them to the raster's).
        output_path: GeoPackage the backend writes with the layers ``samrs_masks`` and
            ``samrs_chips``, in the raster's CRS.
        class_field: Field of the box layer holding the class.
        boxes_layer: Layer inside a multi-layer box file; None for a single-layer file.
        id_field: Field holding the box id; None means the feature id.
        model: SAM-family model id (``GET /models``, method ``sam`` or ``sam2``).
        checkpoint: Checkpoint file in the model's official format; None means the model's
            declared (downloaded) weights.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        prompt: SAMRS prompt mode, one of :data:`SAMRS_PROMPT_MODES`.
        parts: ``largest`` keeps each mask's largest part, ``all`` every part.
        chip_px: Encoder chip side in pixels; None means the model's input size.
        context_px: Image kept around each box inside its chip, pixels.
        label_raster_path: Optional GeoTIFF of class indices (255 = no mask).
        instance_raster_path: Optional GeoTIFF of instance ids (0 = none).
        dataset_dir: Optional new folder for a SAMRS-layout dataset export.
        dataset_crop_px: Side of the dataset crops, pixels.
    """

    KIND: ClassVar[str] = "box_to_mask"
    DEFAULT_MODEL: ClassVar[str] = "sam_vit_b"
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "boxes_layer",
        "id_field",
        "checkpoint",
        "chip_px",
        "label_raster_path",
        "instance_raster_path",
        "dataset_dir",
    )
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")
    _INTS: ClassVar[tuple[str, ...]] = ("chip_px", "context_px", "dataset_crop_px")
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "chip_px": Bounds(64, 4096),
        "context_px": Bounds(0, 512),
        "dataset_crop_px": Bounds(64, 8192),
    }

    raster_path: str
    boxes_path: str
    output_path: str
    class_field: str = "class"
    boxes_layer: str | None = None
    id_field: str | None = None
    model: str = DEFAULT_MODEL
    checkpoint: str | None = None
    device: str = "auto"
    prompt: str = "auto"
    parts: str = "largest"
    chip_px: int | None = None
    context_px: int = 32
    label_raster_path: str | None = None
    instance_raster_path: str | None = None
    dataset_dir: str | None = None
    dataset_crop_px: int = 1024

    def validate(self) -> None:
        """Check ranges before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.raster_path:
            raise RequestError("raster_path: a raster file is required")
        if not self.boxes_path:
            raise RequestError("boxes_path: a box layer file is required")
        if not self.output_path.lower().endswith(".gpkg"):
            raise RequestError(f"output_path: must end with .gpkg, got {self.output_path!r}")
        if not self.class_field:
            raise RequestError("class_field: choose the field holding the class")
        _check_model_and_device(self.model, self.device)
        names = self.prompt.strip().lower().split("+")
        if self.prompt.strip().lower() != "auto" and not all(
            n.strip() in SAMRS_BASIC_PROMPTS for n in names
        ):
            raise RequestError(
                f"prompt: use auto or {', '.join(SAMRS_BASIC_PROMPTS)} joined by '+', "
                f"got {self.prompt!r}"
            )
        if self.parts not in SAMRS_PARTS:
            raise RequestError(f"parts: must be one of {', '.join(SAMRS_PARTS)}")
        self.check_bounds()
        if self.chip_px is not None and self.chip_px <= 2 * self.context_px:
            raise RequestError("chip_px: must exceed twice context_px")
        for name in ("label_raster_path", "instance_raster_path"):
            value = getattr(self, name)
            if value and not value.lower().endswith((".tif", ".tiff")):
                raise RequestError(f"{name}: must end with .tif, got {value!r}")

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of a ``box_to_mask`` job (validated); ``device`` is
        left out when ``auto`` (the backend's own device).

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        if self.device == "auto":  # the backend's own device
            del params["device"]
        return params


@dataclass
class ImportBoxAnnotationsRequest(JobRequest):
    """Import a detection annotation file as a box layer placed on its image (job kind
    ``import_box_annotations``).

    Attributes:
        annotation_path: DOTA ``labelTxt`` (.txt), DIOR or FAIR1M 2.0 XML, or an iSAID
            ``*_instance_id_RGB.png``.
        raster_path: The image the annotations belong to (its geotransform places them; no
            geotransform: x = column, y = -row, no CRS).
        output_path: GeoPackage the backend writes with the layer ``boxes``.
        format: ``auto`` or one of :attr:`FORMATS`.
    """

    KIND: ClassVar[str] = "import_box_annotations"
    FORMATS: ClassVar[tuple[str, ...]] = ("auto", "dota", "dior", "fair1m", "isaid")

    annotation_path: str
    raster_path: str
    output_path: str
    format: str = "auto"

    def validate(self) -> None:
        """Check the fields before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.annotation_path:
            raise RequestError("annotation_path: an annotation file is required")
        if not self.raster_path:
            raise RequestError("raster_path: the image of the annotations is required")
        if not self.output_path.lower().endswith(".gpkg"):
            raise RequestError(f"output_path: must end with .gpkg, got {self.output_path!r}")
        if self.format not in self.FORMATS:
            raise RequestError(f"format: must be one of {', '.join(self.FORMATS)}")


@dataclass
class EvaluateInstanceMasksRequest(JobRequest):
    """Score predicted instance masks against ground-truth instance masks with mIoU_I and
    mIoU_P (SAMRS Eq. 1; job kind ``evaluate_instance_masks``).

    Attributes:
        predictions_path: Local vector file of the predicted mask polygons.
        raster_path: The image the predictions belong to (its grid and frame).
        ground_truth_path: Instance-id raster on the image grid (one band of ids, or an
            iSAID RGB id PNG: id = R + 256 G + 65536 B).
        predictions_layer: Layer inside a multi-layer predictions file; None: ``samrs_masks``
            when present, else the only layer.
        match: ``iou`` (greedy one-to-one by IoU) or ``id`` (prediction id = instance id).
        id_field: Prediction field holding the instance id (``match="id"``).
        report_path: Optional JSON report with every instance's IoU.
    """

    KIND: ClassVar[str] = "evaluate_instance_masks"
    MATCHES: ClassVar[tuple[str, ...]] = ("iou", "id")
    _OPTIONAL: ClassVar[tuple[str, ...]] = ("predictions_layer", "report_path")
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")

    predictions_path: str
    raster_path: str
    ground_truth_path: str
    predictions_layer: str | None = None
    match: str = "iou"
    id_field: str = "box_id"
    report_path: str | None = None

    def validate(self) -> None:
        """Check the fields before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        for name in ("predictions_path", "raster_path", "ground_truth_path"):
            if not getattr(self, name):
                raise RequestError(f"{name}: a file is required")
        if self.match not in self.MATCHES:
            raise RequestError(f"match: must be one of {', '.join(self.MATCHES)}")
        if self.match == "id" and not self.id_field.strip():
            raise RequestError("id_field: needed to match by id")
        if self.report_path and not self.report_path.lower().endswith(".json"):
            raise RequestError(f"report_path: must end with .json, got {self.report_path!r}")


# --- fine-tuning on the user's imagery (issue 12) ---------------------------------------------


@dataclass
class BuildTrainingSetRequest(JobRequest):
    """Turn imagery and a road layer into a road training set (job kind
    ``build_training_set``).

    Attributes:
        raster_paths: Local paths of the images (any GDAL format, each with a CRS and its
            own file name: chips are named after it).
        roads_path: Local vector file of the roads: lines (thickened by a width in metres)
            or polygons, in any CRS (the backend reprojects them to each raster's).
        output_dir: New or empty folder the backend writes the set into (atomically).
        roads_layer: Layer inside a multi-layer road file; None for a single-layer file.
        width_field: Numeric field of the road lines holding the road width in metres;
            None: every line is ``default_width_m`` wide.
        default_width_m: Width of lines without a width, metres.
        aoi_path: Local vector file of area-of-interest polygons (any CRS); roads outside
            are left out. None: the whole rasters.
        chip_px: Chip side in pixels at ``gsd_m``.
        gsd_m: Ground sample distance of the chips, metres per pixel; None: the first
            raster's.
        validation_fraction: Share of each raster's area (a stripe along its longer axis)
            kept for validation.
        empty_chip_ratio: Road-free chips kept per chip with roads.
        refine_model: Anchor-SAM model id that checks each chip's label: chips whose label
            and the model's road mask overlap less than ``consistency_iou_min`` (IoU) are
            flagged and left out of training. None: no check.
        consistency_iou_min: Minimum IoU of label and model mask for a chip to be used.
    """

    KIND: ClassVar[str] = "build_training_set"
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "default_width_m": Bounds(0.0, 100.0, minimum_exclusive=True),
        "chip_px": Bounds(64, 4096),
        "gsd_m": POSITIVE,
        "validation_fraction": Bounds(0.0, 1.0, maximum_exclusive=True),
        "empty_chip_ratio": NON_NEGATIVE,
        "consistency_iou_min": UNIT_INTERVAL,
    }
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "roads_layer",
        "width_field",
        "aoi_path",
        "gsd_m",
        "refine_model",
    )
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")
    _INTS: ClassVar[tuple[str, ...]] = ("chip_px",)
    _FLOATS: ClassVar[tuple[str, ...]] = (
        "default_width_m",
        "gsd_m",
        "validation_fraction",
        "empty_chip_ratio",
        "consistency_iou_min",
    )

    raster_paths: list[str]
    roads_path: str
    output_dir: str
    roads_layer: str | None = None
    width_field: str | None = None
    default_width_m: float = 6.0
    aoi_path: str | None = None
    chip_px: int = 512
    gsd_m: float | None = None
    validation_fraction: float = 0.2
    empty_chip_ratio: float = 0.1
    refine_model: str | None = None
    consistency_iou_min: float = 0.6

    def validate(self) -> None:
        """Check the fields before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.raster_paths or not all(self.raster_paths):
            raise RequestError("raster_paths: at least one raster file is required")
        stems = [PurePath(path).stem for path in self.raster_paths]
        if len(set(stems)) != len(stems):
            raise RequestError(
                "raster_paths: every raster needs its own file name (chips are named after it)"
            )
        if not self.roads_path:
            raise RequestError("roads_path: a road layer file is required")
        if not self.output_dir:
            raise RequestError("output_dir: a folder is required")
        self.check_bounds()

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of a ``build_training_set`` job (validated).

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        params["raster_paths"] = [str(path) for path in self.raster_paths]
        return params


# Learning-rate presets of ``fine_tune`` (backend/jobs/fine_tune.py LEARNING_RATES).
LEARNING_RATE_PRESETS = ("gentle", "normal", "strong")
# Ids of new models (backend/jobs/fine_tune.py): a-z, 0-9 and _, 3-64 chars, a letter first.
MODEL_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,63}$")


@dataclass
class FineTuneRequest(JobRequest):
    """Fine-tune a road model on a training set of ``build_training_set`` (job kind
    ``fine_tune``). The new model lands in the backend's user model folder, where every
    algorithm's model list shows it.

    Attributes:
        dataset_dir: Folder written by ``build_training_set`` (``tr_*`` and ``va_*`` chips).
        model_name: Id of the new model (:data:`MODEL_NAME_PATTERN`), not taken yet.
        base_model: Registered model to start from: an Anchor-SAM (segmentation), a
            LineGraph2Road (road graph) or an interactive road (RoadGIE-style) model,
            shipped or fine-tuned before.
        time_limit_min: Training time budget, minutes.
        max_steps: Stop after this many training steps at most.
        learning_rate: One of :data:`LEARNING_RATE_PRESETS` (gentle 1e-4, normal 3e-4,
            strong 1e-3).
        device: ``auto`` (the backend's device), ``cpu``, ``cuda`` or ``mps``.
        crop_px: Training crop side in pixels (a multiple of 32; Anchor-SAM and the
            interactive road model, at most the chip size there; a LineGraph2Road model
            trains on crops of its window size).
        batch_size: Crops per training step.
    """

    KIND: ClassVar[str] = "fine_tune"
    DEFAULT_MODEL: ClassVar[str] = "anchor_sam_pico_1m"
    # Registry methods that can be fine-tuned today.
    METHODS: ClassVar[tuple[str, ...]] = ("anchor_sam", "linegraph2road", "roadgie")
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "time_limit_min": Bounds(0.0, 24 * 60, minimum_exclusive=True),
        "max_steps": Bounds(1),
        "crop_px": Bounds(64, 1024),
        "batch_size": Bounds(1, 64),
    }
    _INTS: ClassVar[tuple[str, ...]] = ("max_steps", "crop_px", "batch_size")
    _FLOATS: ClassVar[tuple[str, ...]] = ("time_limit_min",)

    dataset_dir: str
    model_name: str
    base_model: str = DEFAULT_MODEL
    time_limit_min: float = 10.0
    max_steps: int = 100_000
    learning_rate: str = "normal"
    device: str = "auto"
    crop_px: int = 256
    batch_size: int = 4

    def validate(self) -> None:
        """Check the fields before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.dataset_dir:
            raise RequestError("dataset_dir: a training set folder is required")
        if not MODEL_NAME_PATTERN.match(self.model_name):
            raise RequestError(
                f"model_name: use 3-64 characters a-z, 0-9 and _, starting with a letter, "
                f"got {self.model_name!r}"
            )
        _check_model_and_device(self.base_model, self.device)
        if self.learning_rate not in LEARNING_RATE_PRESETS:
            raise RequestError(
                f"learning_rate: must be one of {', '.join(LEARNING_RATE_PRESETS)}, "
                f"got {self.learning_rate!r}"
            )
        self.check_bounds()
        if self.crop_px % 32:
            raise RequestError(f"crop_px: must be a multiple of 32, got {self.crop_px}")


# --- interactive extraction -----------------------------------------------------------------


@dataclass(frozen=True)
class EngineSpec:
    """What an interactive engine takes and gives (the backend's table is
    ``backend/interactive/engine_table.py``).

    Attributes:
        name: Engine name on the wire.
        methods: Registry ``method`` values of the models it can run (``GET /models``).
        default_model: Its default model id, as the backend documents it (null sends it).
        takes_boxes: Box prompts are allowed.
        takes_initial_probability: A probability raster can give the starting logits.
        draws_centerlines: Its results can be accepted as centerlines (roads).
    """

    name: str
    methods: tuple[str, ...]
    default_model: str
    takes_boxes: bool
    takes_initial_probability: bool
    draws_centerlines: bool


ENGINE_TABLE: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        EngineSpec("road", ("roadgie",), "roadgie_hiera_pico_1m", False, True, True),
        EngineSpec("sam", ("sam", "sam2"), "sam_vit_b", True, False, False),
    )
}
ENGINES = tuple(ENGINE_TABLE)
DEFAULT_ENGINE = ENGINES[0]
ENGINE_METHODS = {name: spec.methods for name, spec in ENGINE_TABLE.items()}
DEFAULT_MODELS = {name: spec.default_model for name, spec in ENGINE_TABLE.items()}


@dataclass
class InteractiveEncodeRequest(JobRequest):
    """Encode a raster window for interactive prompting (job kind ``interactive_encode``).

    Attributes:
        raster_path: Local path of the image (any GDAL format, with a CRS).
        engine: ``"road"`` (RoadGIE-style road model) or ``"sam"`` (SAM / SAM 2).
        model: Registry id; None means the engine's default (:data:`DEFAULT_MODELS`).
        checkpoint_path: Own weights (road) or an official SAM/SAM 2 checkpoint file;
            None means the model's declared weights.
        window_px: ``(col_off, row_off, width, height)`` in raster pixels to encode; None
            means the whole raster. The backend clips it and may shrink it about its centre.
        bands: 1-based band numbers (1 or 3); None means the first three (or the one band).
        device: ``auto`` (the backend's device), ``cpu``, ``cuda`` or ``mps``.
        initial_probability_raster: Road engine only: a road probability raster whose
            values become the starting logits (round 0); None for none.
        initial_model: Road engine only, instead of ``initial_probability_raster``: an
            Anchor-SAM model id the backend runs on the encoded view to get round 0.
    """

    KIND: ClassVar[str] = "interactive_encode"
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "model",
        "checkpoint_path",
        "window_px",
        "bands",
        "initial_probability_raster",
        "initial_model",
    )
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")

    raster_path: str
    engine: str = DEFAULT_ENGINE
    model: str | None = None
    checkpoint_path: str | None = None
    window_px: tuple[int, int, int, int] | None = None
    bands: list[int] | None = None
    device: str = "auto"
    initial_probability_raster: str | None = None
    initial_model: str | None = None

    def validate(self) -> None:
        """Check the fields before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.raster_path:
            raise RequestError("raster_path: a raster file is required")
        if self.engine not in ENGINES:
            raise RequestError(f"engine: must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.device not in DEVICES:
            raise RequestError(f"device: must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.window_px is not None:
            if len(self.window_px) != 4:  # noqa: PLR2004 - (col, row, width, height)
                raise RequestError(f"window_px: give 4 integers, got {list(self.window_px)}")
            col_off, row_off, width, height = self.window_px
            if col_off < 0 or row_off < 0 or width < 1 or height < 1:
                raise RequestError(
                    f"window_px: offsets must be >= 0 and sizes >= 1, got {list(self.window_px)}"
                )
        if self.bands is not None and (
            len(self.bands) not in (1, 3) or any(band < 1 for band in self.bands)
        ):
            raise RequestError(f"bands: give 1 or 3 band numbers >= 1, got {list(self.bands)}")
        for name in ("initial_probability_raster", "initial_model"):
            if getattr(self, name) and not ENGINE_TABLE[self.engine].takes_initial_probability:
                raise RequestError(f"{name}: only the road engine takes one")
        if self.initial_probability_raster and self.initial_model:
            raise RequestError(
                "initial_model: give a starting probability raster or a model, not both"
            )

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of an ``interactive_encode`` job (validated).

        Optional fields that are None are left out, and so is ``device`` when it is
        ``auto``, so the backend's defaults apply.

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        if self.device == "auto":
            del params["device"]
        if "window_px" in params:
            params["window_px"] = [int(v) for v in params["window_px"]]
        if "bands" in params:
            params["bands"] = [int(v) for v in params["bands"]]
        return params
