"""Boxes in the raster's pixel frame: reading, checking and the SAMRS box variants.

Frames:
    raster pixels: (x, y) = (column, row), origin at the upper-left corner of the upper-left
        pixel, x to the right, y down (a pixel's centre is (col + 0.5, row + 0.5)).
    map: the raster's CRS through its affine geotransform. A raster without a geotransform
        (a plain PNG/JPEG of a detection dataset) uses x = column, y = -row with no CRS: the
        frame QGIS shows such images in, so layers made here overlay them there.

SAMRS (Sec. 2.3) prompts SAM with a box's horizontal box (H-Box), the minimum enclosing
horizontal box of a rotated box (RH-Box), the centre point (CP) or mask prompts made from
them. :class:`BoxRecord` holds what those need for one input box.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

# Edges whose direction differs from an image axis by less than this (pixels of drift over
# the edge) count as axis-aligned: boxes reprojected from another CRS are never exact.
AXIS_ALIGNED_TOL_PX = 0.01
# Boxes narrower or lower than this (pixels) have no area SAM could segment.
MIN_SIDE_PX = 0.5


@dataclass(frozen=True)
class RasterFrame:
    """Where raster pixels are on the map.

    Attributes:
        transform: affine pixel -> map transform (``Affine``).
        crs_wkt: the raster's CRS as WKT, or None when it has none.
        georeferenced: False when the raster has no geotransform (the pixel frame
            x = column, y = -row is used then).
        width_px, height_px: raster size.
    """

    transform: Affine
    crs_wkt: str | None
    georeferenced: bool
    width_px: int
    height_px: int

    @property
    def inverse(self) -> Affine:
        """Map -> pixel transform."""
        return ~self.transform


# How QGIS (GDAL provider) places a raster without geotransform: x = column, y = -row.
PIXEL_FRAME_TRANSFORM = Affine(1.0, 0.0, 0.0, 0.0, -1.0, 0.0)


def raster_frame(dataset) -> RasterFrame:
    """The :class:`RasterFrame` of an open rasterio dataset (CRS not required)."""
    transform = dataset.transform
    georeferenced = not (transform.is_identity and not dataset.gcps[0] and dataset.crs is None)
    if not georeferenced:
        transform = PIXEL_FRAME_TRANSFORM
    crs_wkt = dataset.crs.to_wkt() if dataset.crs is not None else None
    return RasterFrame(transform, crs_wkt, georeferenced, dataset.width, dataset.height)


def map_to_pixel_geometry(geometry, frame: RasterFrame):
    """A shapely geometry from map coordinates to raster pixel coordinates."""
    inv = frame.inverse
    return shapely.affinity.affine_transform(geometry, (inv.a, inv.b, inv.d, inv.e, inv.c, inv.f))


def pixel_to_map_geometry(geometry, frame: RasterFrame):
    """A shapely geometry from raster pixel coordinates to map coordinates."""
    t = frame.transform
    return shapely.affinity.affine_transform(geometry, (t.a, t.b, t.d, t.e, t.c, t.f))


@dataclass
class BoxRecord:
    """One usable input box, in raster pixels.

    Attributes:
        index: position of the feature in the input layer (0-based).
        box_id: the id field's value, or the feature id when no id field is given.
        class_name: the class field's value as text.
        polygon_px: the box (clipped to the raster) as a shapely Polygon, raster pixels.
        rotated: False for an axis-aligned rectangle (an H-Box), True otherwise (a rotated
            box, or any other quadrilateral / polygon).
        clipped: True when part of the box lay outside the raster and was cut off.
        instance_id: 1-based running number of the box among the valid ones (the value of
            the instance raster); set by :func:`read_boxes`.
    """

    index: int
    box_id: object
    class_name: str
    polygon_px: Polygon
    rotated: bool
    clipped: bool = False
    instance_id: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rh_box_px(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1): the minimum enclosing horizontal box (RH-Box, SAMRS Sec. 2.3);
        for an axis-aligned box it is the box itself (H-Box)."""
        return tuple(float(v) for v in self.polygon_px.bounds)

    @property
    def centre_px(self) -> tuple[float, float]:
        """(x, y) centre point (CP, SAMRS Sec. 2.3): the centroid of the box polygon, which
        for a rectangle (horizontal or rotated) is where its diagonals cross."""
        c = self.polygon_px.centroid
        return float(c.x), float(c.y)


def rh_box(corners_xy: np.ndarray) -> np.ndarray:
    """Minimum enclosing horizontal box of a (rotated) box (SAMRS "RH-Box", Sec. 2.3).

    Args:
        corners_xy: (K, 2) float (x, y) corners of the box, any frame with axis-aligned x/y.

    Returns:
        (4,) float array (x0, y0, x1, y1) with x0 <= x1, y0 <= y1.
    """
    pts = np.asarray(corners_xy, dtype=np.float64).reshape(-1, 2)
    return np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])


def is_axis_aligned_rectangle(polygon_px: Polygon, tol_px: float = AXIS_ALIGNED_TOL_PX) -> bool:
    """True when the polygon is a rectangle with edges along the pixel axes (an H-Box).

    Collinear and repeated vertices are ignored; every remaining edge must be horizontal or
    vertical within ``tol_px`` pixels of drift and there must be exactly four corners.
    """
    ring = np.asarray(shapely.simplify(polygon_px, 0.0).exterior.coords)[:-1]
    if len(ring) != 4:
        return False
    edges = np.roll(ring, -1, axis=0) - ring
    return bool(np.all(np.minimum(np.abs(edges[:, 0]), np.abs(edges[:, 1])) <= tol_px))


@dataclass
class BoxLayer:
    """The result of :func:`read_boxes`.

    Attributes:
        boxes: the usable boxes, in input order.
        skipped: ``{"index", "box_id", "reason"}`` for every box that cannot be used.
        warnings: layer-level messages (CRS assumptions, reprojection, clipping counts).
        n_features: number of features in the layer.
        classes: the distinct class names of the usable boxes, sorted.
    """

    boxes: list[BoxRecord]
    skipped: list[dict]
    warnings: list[str]
    n_features: int
    classes: list[str]


class BoxLayerError(ValueError):
    """The box layer as a whole cannot be used (missing field, unplaceable CRS, not
    readable); the message says what to do."""


def read_box_frame(path: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a box layer (any OGR vector format) with its feature ids as the index.

    Raises:
        BoxLayerError: the file is missing or not a vector layer OGR can read.
    """
    if not os.path.exists(path):
        raise BoxLayerError(f"Box layer file not found: {path}.")
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio", fid_as_index=True)
    except Exception as exc:  # pyogrio raises several error types
        raise BoxLayerError(
            f"Cannot read boxes from {path}{f' (layer {layer})' if layer else ''}: {exc}. "
            "Choose a polygon layer (GeoPackage, Shapefile, GeoJSON, ...)."
        ) from exc


def check_box_fields(frame: gpd.GeoDataFrame, class_field: str, id_field: str | None) -> None:
    """Raise :class:`BoxLayerError` naming the fields when a chosen one does not exist."""
    fields = [c for c in frame.columns if c != frame.geometry.name]
    for role, name in (("class", class_field), ("id", id_field)):
        if name is not None and name not in fields:
            raise BoxLayerError(
                f"The box layer has no {role} field {name!r}; its fields are: "
                f"{', '.join(fields) or '(none)'}."
            )


def read_boxes(
    path: str,
    frame: RasterFrame,
    class_field: str,
    id_field: str | None = None,
    layer: str | None = None,
) -> BoxLayer:
    """Read a box layer into the raster's pixel frame, keeping every usable box.

    The layer is reprojected to the raster's CRS when both have one and they differ. A box
    is skipped, with the reason, when it has no geometry, is not one polygon, is not a valid
    polygon (self-intersecting, ...), has (almost) zero area, lies wholly outside the
    raster, or has no class value. A box partly outside the raster is clipped to it.

    Args:
        path: vector file of polygons (axis-aligned or rotated boxes, any OGR format).
        frame: the raster's frame (:func:`raster_frame`).
        class_field: field holding the class name.
        id_field: field holding the box id (kept in the outputs); None uses feature ids.
        layer: layer name inside a multi-layer file.

    Returns:
        :class:`BoxLayer`.

    Raises:
        BoxLayerError: unreadable layer, a missing field, or a layer in a CRS while the
            raster has none (there is no way to place it then).
    """
    data = read_box_frame(path, layer)
    check_box_fields(data, class_field, id_field)
    notes: list[str] = []
    layer_crs = CRS.from_user_input(data.crs) if data.crs is not None else None
    if frame.crs_wkt is None:
        if layer_crs is not None:
            raise BoxLayerError(
                f"The raster has no coordinate reference system but the boxes are in "
                f"{layer_crs.to_string()}: they cannot be placed on it. Assign the raster its "
                "CRS, or use boxes in the raster's pixel frame (x = column, y = -row, no CRS; "
                "the import algorithm writes such layers)."
            )
        notes.append(
            "The raster has no CRS: boxes and outputs are in its pixel frame "
            "(x = column, y = -row)."
        )
    elif layer_crs is None:
        notes.append("The box layer has no CRS; assumed to be the raster's.")
    elif not layer_crs.equals(CRS.from_wkt(frame.crs_wkt)):
        notes.append(f"Boxes reprojected from {layer_crs.to_string()} to the raster's CRS.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = data.to_crs(frame.crs_wkt)

    extent = shapely.box(0, 0, frame.width_px, frame.height_px)
    boxes: list[BoxRecord] = []
    skipped: list[dict] = []
    n_clipped = 0
    for index, (fid, row) in enumerate(data.iterrows()):
        box_id = _plain(row[id_field]) if id_field else int(fid)
        reason, polygon = _box_problem(row.geometry, frame, extent)
        class_value = row[class_field]
        if reason is None and (_is_missing(class_value) or not str(class_value).strip()):
            reason = f"no value in the class field {class_field!r}"
        if reason is not None:
            skipped.append({"index": index, "box_id": box_id, "reason": reason})
            continue
        rotated = not is_axis_aligned_rectangle(polygon)
        clipped = not extent.contains(polygon)
        if clipped:
            polygon = _largest(polygon.intersection(extent))
            n_clipped += 1
        boxes.append(
            BoxRecord(index, box_id, str(class_value).strip(), polygon, rotated, clipped,
                      instance_id=len(boxes) + 1)
        )
    if n_clipped:
        notes.append(f"{n_clipped} box(es) partly outside the raster were clipped to it.")
    classes = sorted({b.class_name for b in boxes})
    return BoxLayer(boxes, skipped, notes, len(data), classes)


def _box_problem(geometry, frame: RasterFrame, extent: Polygon) -> tuple[str | None, Polygon]:
    """(reason to skip or None, the box polygon in raster pixels)."""
    if geometry is None or geometry.is_empty:
        return "no geometry", None
    if isinstance(geometry, MultiPolygon):
        if len(geometry.geoms) != 1:
            return f"{len(geometry.geoms)} polygons in one feature; a box is one polygon", None
        geometry = geometry.geoms[0]
    if not isinstance(geometry, Polygon):
        return f"a {geometry.geom_type}, not a polygon", None
    if shapely.minimum_rotated_rectangle(geometry).area <= 0:
        return "zero area (its corners lie on one line)", None
    if not geometry.is_valid:
        return f"not a valid polygon ({explain_validity(geometry)})", None
    polygon = map_to_pixel_geometry(geometry, frame)
    x0, y0, x1, y1 = polygon.bounds
    if polygon.area <= 0 or min(x1 - x0, y1 - y0) < MIN_SIDE_PX:
        return "zero area (narrower than half a pixel)", None
    inside = polygon.intersection(extent)
    if inside.is_empty or inside.area <= 0:
        return "outside the raster", None
    x0, y0, x1, y1 = inside.bounds
    if min(x1 - x0, y1 - y0) < MIN_SIDE_PX:
        return "only a sliver inside the raster", None
    return None, polygon


def _largest(geometry) -> Polygon:
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value):
    """A field value as a plain JSON-able Python value."""
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def crs_name(crs_wkt: str | None) -> str | None:
    """``"AUTHORITY:CODE"`` of a CRS (its WKT when it has no code); None without a CRS."""
    if crs_wkt is None:
        return None
    crs = CRS.from_wkt(crs_wkt)
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs_wkt
