"""Detection annotation files -> a box layer placed on the image (the parsers of the
``import_box_annotations`` job, ``backend/jobs/import_box_annotations.py``).

Formats (all in image pixel coordinates; SAMRS Sec. 2.2 uses these datasets):

    dota     DOTA v1 / v1.5 / v2 ``labelTxt``: optional header lines ``imagesource:...`` and
             ``gsd:...``, then ``x1 y1 x2 y2 x3 y3 x4 y4 class difficult`` per object
             (oriented quadrilaterals, ``difficult`` optional).
    dior     DIOR, Pascal VOC XML: ``<object><name>`` with ``<bndbox>`` xmin, ymin, xmax,
             ymax (horizontal; VOC's 1-based inclusive pixel indices) and ``<difficult>``.
    fair1m   FAIR1M 2.0 XML: ``<object>`` with ``<possibleresult><name>`` and ``<points>``
             of ``x,y`` corners (oriented, the first corner repeated at the end).
    isaid    iSAID instance masks: an ``*_instance_id_RGB.png`` (id = R + 256 G + 65536 B,
             0 = background); each instance becomes its horizontal box (min/max of its
             pixels), its class read from the matching ``*_instance_color_RGB.png``
             (iSAID palette) when present, its id kept as ``box_id``.

Pixel coordinates are taken with the origin at the upper-left corner of the image and
placed on the map through the image's geotransform; an image without one gets the pixel
frame x = column, y = -row and no CRS (how QGIS shows such images).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from PIL import Image

from backend.methods.samrs.geometry import pixel_to_map_geometry

FORMATS = ("dota", "dior", "fair1m", "isaid")
LAYER_BOXES = "boxes"

# iSAID palette (iSAID devkit): instance colour -> class, with DOTA v1 class names.
ISAID_PALETTE = {
    (0, 0, 63): "ship",
    (0, 63, 63): "storage-tank",
    (0, 63, 0): "baseball-diamond",
    (0, 63, 127): "tennis-court",
    (0, 63, 191): "basketball-court",
    (0, 63, 255): "ground-track-field",
    (0, 127, 63): "bridge",
    (0, 127, 127): "large-vehicle",
    (0, 0, 127): "small-vehicle",
    (0, 0, 191): "helicopter",
    (0, 0, 255): "swimming-pool",
    (0, 191, 127): "roundabout",
    (0, 127, 191): "soccer-ball-field",
    (0, 127, 255): "plane",
    (0, 100, 155): "harbor",
}


class AnnotationError(ValueError):
    """An annotation file cannot be read; the message names the file, line and problem."""


@dataclass
class Annotation:
    """One annotated object.

    Attributes:
        corners_xy_px: (K, 2) float (x, y) image pixel corners in order (K = 4 for boxes).
        class_name: class as written in the file.
        difficult: the file's difficult flag (False when the format has none).
        box_id: identifier (line / object number, or the iSAID instance id).
    """

    corners_xy_px: np.ndarray
    class_name: str
    difficult: bool
    box_id: int


def parse_dota(path: str | Path) -> tuple[list[Annotation], dict[str, str]]:
    """Read a DOTA ``labelTxt`` file (v1, v1.5, v2: the same line format).

    Returns:
        (annotations, header) where header holds ``imagesource`` / ``gsd`` when present.
        ``box_id`` is the object's 0-based position among the object lines.

    Raises:
        AnnotationError: a line that is neither a header nor ``8 numbers class [difficult]``.
    """
    header: dict[str, str] = {}
    annotations = []
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        key, sep, value = text.partition(":")
        if sep and key.strip().lower() in ("imagesource", "gsd") and len(text.split()) == 1:
            header[key.strip().lower()] = value.strip()
            continue
        parts = text.split()
        if len(parts) not in (9, 10):
            raise AnnotationError(
                f"{path}, line {number}: expected 'x1 y1 x2 y2 x3 y3 x4 y4 class difficult', "
                f"got {text!r}."
            )
        try:
            coords = np.array([float(v) for v in parts[:8]]).reshape(4, 2)
            difficult = bool(int(parts[9])) if len(parts) == 10 else False
        except ValueError as exc:
            raise AnnotationError(f"{path}, line {number}: {exc} in {text!r}.") from exc
        annotations.append(Annotation(coords, parts[8], difficult, len(annotations)))
    return annotations, header


def _xml_root(path: str | Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise AnnotationError(f"{path} is not well-formed XML ({exc}).") from exc


def parse_dior(path: str | Path) -> list[Annotation]:
    """Read a DIOR (Pascal VOC) XML file.

    VOC boxes are 1-based inclusive pixel indices, so the box covering pixels xmin..xmax
    has edges x0 = xmin - 1 and x1 = xmax in the pixel-edge frame used here.

    Raises:
        AnnotationError: malformed XML, or an object without name or complete bndbox.
    """
    annotations = []
    for number, obj in enumerate(_xml_root(path).iter("object")):
        name = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        try:
            xmin, ymin, xmax, ymax = (
                float(box.findtext(tag)) for tag in ("xmin", "ymin", "xmax", "ymax")
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise AnnotationError(
                f"{path}, object {number + 1}: no complete <bndbox> (xmin, ymin, xmax, ymax)."
            ) from exc
        if not name:
            raise AnnotationError(f"{path}, object {number + 1}: no <name>.")
        corners = np.array(
            [[xmin - 1, ymin - 1], [xmax, ymin - 1], [xmax, ymax], [xmin - 1, ymax]]
        )
        difficult = (obj.findtext("difficult") or "0").strip() == "1"
        annotations.append(Annotation(corners, name, difficult, number))
    return annotations


def parse_fair1m(path: str | Path) -> list[Annotation]:
    """Read a FAIR1M 2.0 XML file (oriented boxes as ``x,y`` point lists).

    Raises:
        AnnotationError: malformed XML, or an object without name or with fewer than three
            distinct corners.
    """
    annotations = []
    for number, obj in enumerate(_xml_root(path).iter("object")):
        name = (obj.findtext("possibleresult/name") or obj.findtext("name") or "").strip()
        try:
            points = [
                tuple(float(v) for v in (p.text or "").split(","))
                for p in obj.iter("point")
            ]
        except ValueError as exc:
            raise AnnotationError(f"{path}, object {number + 1}: bad point ({exc}).") from exc
        if points and points[0] == points[-1]:
            points = points[:-1]
        if not name or len(points) < 3 or any(len(p) != 2 for p in points):
            raise AnnotationError(
                f"{path}, object {number + 1}: needs <possibleresult><name> and at least three "
                "'x,y' <point>s."
            )
        annotations.append(Annotation(np.array(points), name, False, number))
    return annotations


def decode_isaid_ids(rgb: np.ndarray) -> np.ndarray:
    """iSAID instance ids from an ``*_instance_id_RGB.png`` array: R + 256 G + 65536 B.

    Args:
        rgb: (H, W, 3) integer array (or (3, H, W) band-first, detected by shape).

    Returns:
        (H, W) int64 ids, 0 = background.
    """
    arr = np.asarray(rgb).astype(np.int64)
    if arr.ndim == 3 and arr.shape[0] == 3 and arr.shape[-1] != 3:
        arr = np.moveaxis(arr, 0, -1)
    return arr[..., 0] + 256 * arr[..., 1] + 65536 * arr[..., 2]


def parse_isaid(path: str | Path, color_path: str | Path | None = None) -> list[Annotation]:
    """Horizontal boxes of the instances of an iSAID instance-id PNG.

    Args:
        path: ``*_instance_id_RGB.png``.
        color_path: the matching ``*_instance_color_RGB.png``; None looks next to ``path``.
            Without it every class is ``"object"``.

    Returns:
        One annotation per instance id, ordered by id; its box is [min col, max col + 1] x
        [min row, max row + 1] (pixel edges); class = the most frequent palette colour of its
        pixels.
    """
    ids = decode_isaid_ids(np.asarray(Image.open(path).convert("RGB")))
    if color_path is None:
        guess = Path(str(path).replace("_instance_id_RGB", "_instance_color_RGB"))
        color_path = guess if guess != Path(path) and guess.is_file() else None
    colors = np.asarray(Image.open(color_path).convert("RGB")) if color_path else None
    rows, cols = np.nonzero(ids)
    values = ids[rows, cols]
    order = np.argsort(values, kind="stable")
    values, rows, cols = values[order], rows[order], cols[order]
    unique, starts = np.unique(values, return_index=True)
    ends = np.append(starts[1:], len(values))
    annotations = []
    for instance, s, e in zip(unique.tolist(), starts.tolist(), ends.tolist(), strict=True):
        r, c = rows[s:e], cols[s:e]
        x0, x1, y0, y1 = c.min(), c.max() + 1, r.min(), r.max() + 1
        name = "object"
        if colors is not None:
            pixel_colors, counts = np.unique(colors[r, c], axis=0, return_counts=True)
            top = tuple(int(v) for v in pixel_colors[np.argmax(counts)])
            name = ISAID_PALETTE.get(top, f"color_{top[0]}_{top[1]}_{top[2]}")
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        annotations.append(Annotation(corners, name, False, int(instance)))
    return annotations


def detect_format(path: str | Path) -> str:
    """Guess the format of an annotation file from its name and content.

    Raises:
        AnnotationError: the file is not one of the supported formats.
    """
    path = Path(path)
    if path.suffix.lower() == ".txt":
        return "dota"
    if path.suffix.lower() == ".png":
        return "isaid"
    if path.suffix.lower() == ".xml":
        root = _xml_root(path)
        if root.find(".//possibleresult") is not None or root.find(".//points") is not None:
            return "fair1m"
        if root.find(".//bndbox") is not None:
            return "dior"
        raise AnnotationError(f"{path}: XML with neither <bndbox> (DIOR) nor <points> (FAIR1M).")
    raise AnnotationError(
        f"{path}: cannot tell the format from the name; choose one of {', '.join(FORMATS)}."
    )


def read_annotations(path: str | Path, fmt: str = "auto") -> tuple[list[Annotation], dict]:
    """Parse an annotation file; returns (annotations, metadata such as DOTA's gsd)."""
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "dota":
        annotations, header = parse_dota(path)
        return annotations, {"format": fmt, **header}
    if fmt == "dior":
        return parse_dior(path), {"format": fmt}
    if fmt == "fair1m":
        return parse_fair1m(path), {"format": fmt}
    if fmt == "isaid":
        return parse_isaid(path), {"format": fmt}
    raise AnnotationError(f"Unknown format {fmt!r}; choose auto or one of {', '.join(FORMATS)}.")


def annotations_to_layer(annotations: list[Annotation], frame) -> gpd.GeoDataFrame:
    """Box polygons on the map through the image's frame (:func:`raster_frame`).

    Returns:
        GeoDataFrame with fields ``box_id``, ``class``, ``difficult``; CRS = the image's
        (None without one).
    """
    polygons = [
        pixel_to_map_geometry(shapely.Polygon(a.corners_xy_px), frame) for a in annotations
    ]
    data = gpd.GeoDataFrame(
        {
            "box_id": np.asarray([a.box_id for a in annotations], dtype=np.int64),
            "class": np.asarray([a.class_name for a in annotations], dtype=object),
            "difficult": np.asarray([a.difficult for a in annotations], dtype=bool),
        },
        geometry=polygons,
        crs=frame.crs_wkt,
    )
    data.attrs["geometry_type"] = "Polygon"
    return data
