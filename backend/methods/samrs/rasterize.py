"""Masks -> polygons and polygons -> label / instance rasters (SAMRS Sec. 3.1 storage).

Frames: polygons are in raster pixels (x = column, y = row); a mask's pixel (r, c) covers
[c, c+1) x [r, r+1) of its own grid, placed in raster pixels by an offset and a scale.
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine
from rasterio import features
from shapely.geometry import MultiPolygon, Polygon, shape

# SAMRS label maps: pixels no mask covers (Sec. 3.1).
NO_MASK_LABEL = 255
# Instance maps: background.
NO_INSTANCE = 0
PARTS = ("largest", "all")


def mask_to_polygon(
    mask: np.ndarray,
    origin_px: tuple[float, float],
    raster_px_per_mask_px: tuple[float, float] = (1.0, 1.0),
    parts: str = "largest",
) -> Polygon | MultiPolygon | None:
    """Polygonise a binary mask into raster pixel coordinates (holes kept).

    Args:
        mask: (h, w) bool mask.
        origin_px: (x, y) raster pixel position of the mask's upper-left corner.
        raster_px_per_mask_px: (sx, sy) raster pixels per mask pixel (1 unless the mask
            comes from a resampled chip).
        parts: ``"largest"`` keeps the largest 4-connected part, ``"all"`` keeps every part
            (a MultiPolygon).

    Returns:
        The polygon (``largest``) or multipolygon (``all``), or None for an empty mask.

    Raises:
        ValueError: unknown ``parts``.
    """
    if parts not in PARTS:
        raise ValueError(f"parts must be one of {', '.join(PARTS)}, got {parts!r}")
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    sx, sy = raster_px_per_mask_px
    transform = Affine(sx, 0.0, origin_px[0], 0.0, sy, origin_px[1])
    polygons = [
        shape(geom)
        for geom, _ in features.shapes(
            mask.astype(np.uint8), mask=mask, connectivity=4, transform=transform
        )
    ]
    if parts == "largest":
        return max(polygons, key=lambda p: p.area)
    return MultiPolygon(sorted(polygons, key=lambda p: -p.area))


def rasterize_window(
    polygons_px: list,
    values: list[int],
    window: tuple[int, int, int, int],
    fill: int,
    dtype: str,
) -> np.ndarray:
    """Burn polygons (raster pixels) into one window; smaller polygons end on top.

    SAMRS writes one class value per pixel; where masks overlap, the smaller object is kept
    visible (a car on a parking lot stays a car).

    Args:
        polygons_px: shapely polygons in raster pixels.
        values: the value of each polygon.
        window: (col0, row0, col1, row1) raster pixels, end-exclusive.
        fill: value where no polygon lies (255 for labels, 0 for instances).
        dtype: numpy dtype name of the result.

    Returns:
        (row1 - row0, col1 - col0) array; a pixel belongs to a polygon when its centre is in it.
    """
    col0, row0, col1, row1 = window
    out_shape = (row1 - row0, col1 - col0)
    if out_shape[0] <= 0 or out_shape[1] <= 0:
        return np.full((max(out_shape[0], 0), max(out_shape[1], 0)), fill, dtype=dtype)
    frame = shapely.box(col0, row0, col1, row1)
    chosen = [
        (geom, int(value))
        for geom, value in zip(polygons_px, values, strict=True)
        if geom is not None and geom.intersects(frame)
    ]
    if not chosen:
        return np.full(out_shape, fill, dtype=dtype)
    chosen.sort(key=lambda item: -item[0].area)
    return features.rasterize(
        chosen,
        out_shape=out_shape,
        transform=Affine.translation(col0, row0),
        fill=fill,
        dtype=dtype,
    )
