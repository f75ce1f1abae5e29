"""The raster's continuous pixel frame and the transforms between it and the map canvas.

Frame of the wire (``docs/backend_api.md``, interactive endpoints): ``x`` = column,
``y`` = row, ``(0, 0)`` = top-left corner of the raster; pixel ``(c, r)`` covers
``[c, c + 1) x [r, r + 1)``, so its centre is ``(c + 0.5, r + 0.5)``.

A canvas point (canvas CRS) goes to the raster CRS with a ``QgsCoordinateTransform`` built
with the project's transform context, then to pixels with the inverse of the raster's
GDAL-style geotransform ``(x0, dx_col, dx_row, y0, dy_col, dy_row)``::

    X = x0 + col * dx_col + row * dx_row
    Y = y0 + col * dy_col + row * dy_row
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsCsException,
    QgsPointXY,
    QgsRasterDataProvider,
    QgsRasterLayer,
    QgsRectangle,
)

from ...plugin.i18n import tr

GeoTransform = tuple[float, float, float, float, float, float]
# (col_off, row_off, width, height) in raster pixels.
WindowPx = tuple[int, int, int, int]


class FrameError(ValueError):
    """A point or extent cannot be put into the raster's pixel frame; says why."""


def invert_geotransform(geotransform: GeoTransform) -> GeoTransform:
    """Return the inverse of a GDAL-style geotransform.

    Args:
        geotransform: ``(x0, dx_col, dx_row, y0, dy_col, dy_row)``, pixel -> map.

    Returns:
        The geotransform map -> pixel, in the same layout: ``col = g0 + X * g1 + Y * g2``,
        ``row = g3 + X * g4 + Y * g5``.

    Raises:
        FrameError: The geotransform is singular (zero pixel size).
    """
    x0, a, b, y0, c, d = (float(v) for v in geotransform)
    det = a * d - b * c
    if det == 0.0 or not math.isfinite(det):
        raise FrameError(tr("The raster has a degenerate geotransform (zero pixel size)."))
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (-ia * x0 - ib * y0, ia, ib, -ic * x0 - id_ * y0, ic, id_)


@dataclass(frozen=True)
class RasterPixelFrame:
    """A raster's CRS, geotransform and size: the frame prompts are sent in.

    Attributes:
        crs: CRS of the raster.
        geotransform: ``(x0, dx_col, dx_row, y0, dy_col, dy_row)``, pixel -> raster CRS
            (map units of ``crs``; ``(x0, y0)`` is the top-left corner of pixel (0, 0)).
        width_px: Number of columns.
        height_px: Number of rows.
    """

    crs: QgsCoordinateReferenceSystem
    geotransform: GeoTransform
    width_px: int
    height_px: int

    @classmethod
    def from_extent(
        cls,
        crs: QgsCoordinateReferenceSystem,
        extent: QgsRectangle,
        width_px: int,
        height_px: int,
    ) -> RasterPixelFrame:
        """Build the frame of a north-up raster covering ``extent`` with the given size.

        Args:
            crs: CRS of the raster.
            extent: Raster extent in ``crs``.
            width_px: Columns.
            height_px: Rows.

        Raises:
            FrameError: Empty extent or size.
        """
        if width_px < 1 or height_px < 1 or extent.isEmpty():
            raise FrameError(tr("The raster is empty (no pixels or no extent)."))
        geotransform = (
            extent.xMinimum(),
            extent.width() / width_px,
            0.0,
            extent.yMaximum(),
            0.0,
            -extent.height() / height_px,
        )
        return cls(crs, geotransform, int(width_px), int(height_px))

    @classmethod
    def from_layer(cls, layer: QgsRasterLayer) -> RasterPixelFrame:
        """Build the frame of a raster layer from its provider's extent and size.

        Args:
            layer: A valid raster layer with a CRS whose provider has a native size
                (GDAL files; not WMS/XYZ).

        Raises:
            FrameError: The layer is invalid, has no CRS or no native pixel size.
        """
        if layer is None or not layer.isValid():
            raise FrameError(tr("The raster layer is not valid."))
        if not layer.crs().isValid():
            raise FrameError(
                tr("Raster layer {name} has no CRS; set one (Layer Properties > Source).").format(
                    name=layer.name()
                )
            )
        provider = layer.dataProvider()
        if not provider.capabilities() & QgsRasterDataProvider.Size:
            raise FrameError(
                tr("Raster layer {name} has no native pixel size (web service).").format(
                    name=layer.name()
                )
            )
        return cls.from_extent(layer.crs(), provider.extent(), provider.xSize(), provider.ySize())

    @property
    def inverse_geotransform(self) -> GeoTransform:
        """Map (raster CRS) -> pixel geotransform; see :func:`invert_geotransform`."""
        return invert_geotransform(self.geotransform)

    def map_to_pixel(self, x: float, y: float) -> tuple[float, float]:
        """Raster-CRS coordinates -> continuous pixel coordinates ``(col, row)``.

        Args:
            x: Easting / longitude in map units of :attr:`crs`.
            y: Northing / latitude in map units of :attr:`crs`.

        Returns:
            ``(x_px, y_px)`` = ``(column, row)``, floats, (0, 0) = top-left corner.
        """
        g = self.inverse_geotransform
        return g[0] + x * g[1] + y * g[2], g[3] + x * g[4] + y * g[5]

    def pixel_to_map(self, x_px: float, y_px: float) -> tuple[float, float]:
        """Continuous pixel coordinates ``(col, row)`` -> raster-CRS coordinates ``(x, y)``."""
        g = self.geotransform
        return g[0] + x_px * g[1] + y_px * g[2], g[3] + x_px * g[4] + y_px * g[5]

    def contains_px(self, x_px: float, y_px: float) -> bool:
        """True when the pixel point lies on the raster: ``0 <= x < width``, ``0 <= y < height``."""
        return 0.0 <= x_px < self.width_px and 0.0 <= y_px < self.height_px

    def pixel_size_map(self) -> float:
        """Mean side of a pixel in map units of :attr:`crs` (sqrt of its area)."""
        x0, a, b, y0, c, d = self.geotransform
        return math.sqrt(abs(a * d - b * c))

    def window_of_extent(self, extent_in_raster_crs: QgsRectangle) -> WindowPx | None:
        """The pixel window covering a raster-CRS extent, clipped to the raster.

        Args:
            extent_in_raster_crs: Extent in map units of :attr:`crs`.

        Returns:
            ``(col_off, row_off, width, height)`` in whole pixels (the covering window), or
            None when the extent does not overlap the raster.
        """
        corners = [
            self.map_to_pixel(x, y)
            for x in (extent_in_raster_crs.xMinimum(), extent_in_raster_crs.xMaximum())
            for y in (extent_in_raster_crs.yMinimum(), extent_in_raster_crs.yMaximum())
        ]
        cols = [c for c, _ in corners]
        rows = [r for _, r in corners]
        return self.clip_window(min(cols), min(rows), max(cols), max(rows))

    def window_around(
        self, x_px: float, y_px: float, width_px: int, height_px: int | None = None
    ) -> WindowPx:
        """A window centred on a pixel point, shifted to fit inside the raster.

        Args:
            x_px: Column of the centre (continuous).
            y_px: Row of the centre (continuous).
            width_px: Width of the window in pixels; less where the raster is narrower.
            height_px: Height in pixels; None means ``width_px`` (a square).

        Returns:
            ``(col_off, row_off, width, height)``.
        """
        width = max(1, min(int(width_px), self.width_px))
        height = max(1, min(int(height_px if height_px is not None else width_px), self.height_px))
        col_off = min(max(0, int(math.floor(x_px - width / 2))), self.width_px - width)
        row_off = min(max(0, int(math.floor(y_px - height / 2))), self.height_px - height)
        return col_off, row_off, width, height

    def clip_window(
        self, col_min: float, row_min: float, col_max: float, row_max: float
    ) -> WindowPx | None:
        """Whole-pixel window covering ``[col_min, col_max] x [row_min, row_max]``, clipped.

        Returns:
            ``(col_off, row_off, width, height)``, or None when nothing is left.
        """
        c0 = max(0, int(math.floor(col_min)))
        r0 = max(0, int(math.floor(row_min)))
        c1 = min(self.width_px, int(math.ceil(col_max)))
        r1 = min(self.height_px, int(math.ceil(row_max)))
        if c1 <= c0 or r1 <= r0:
            return None
        return c0, r0, c1 - c0, r1 - r0


def window_contains(window_px: WindowPx, x_px: float, y_px: float) -> bool:
    """True when a pixel point lies inside ``(col_off, row_off, width, height)``."""
    col_off, row_off, width, height = window_px
    return col_off <= x_px < col_off + width and row_off <= y_px < row_off + height


class CanvasPixelTransform:
    """Canvas CRS <-> raster continuous pixel frame.

    Args:
        frame: The raster's pixel frame.
        canvas_crs: Destination CRS of the map canvas.
        transform_context: Usually ``QgsProject.instance().transformContext()``.
    """

    def __init__(
        self,
        frame: RasterPixelFrame,
        canvas_crs: QgsCoordinateReferenceSystem,
        transform_context: QgsCoordinateTransformContext,
    ) -> None:
        self.frame = frame
        self.canvas_crs = canvas_crs
        self._to_raster = QgsCoordinateTransform(canvas_crs, frame.crs, transform_context)

    def canvas_to_raster_crs(self, point: QgsPointXY) -> QgsPointXY:
        """A canvas point (canvas CRS) in the raster's CRS.

        Raises:
            FrameError: The point cannot be transformed (outside the CRS's area).
        """
        try:
            return self._to_raster.transform(QgsPointXY(point))
        except QgsCsException as exc:
            raise FrameError(
                tr("The point cannot be transformed into the raster's CRS ({error}).").format(
                    error=str(exc)
                )
            ) from exc

    def canvas_to_pixel(self, point: QgsPointXY) -> tuple[float, float]:
        """A canvas point (canvas CRS) -> ``(x_px, y_px)`` in the raster's pixel frame.

        Raises:
            FrameError: The point cannot be transformed.
        """
        in_raster_crs = self.canvas_to_raster_crs(point)
        return self.frame.map_to_pixel(in_raster_crs.x(), in_raster_crs.y())

    def pixel_to_canvas(self, x_px: float, y_px: float) -> QgsPointXY:
        """``(x_px, y_px)`` in the raster's pixel frame -> a point in the canvas CRS.

        Raises:
            FrameError: The point cannot be transformed.
        """
        x, y = self.frame.pixel_to_map(x_px, y_px)
        try:
            return self._to_raster.transform(
                QgsPointXY(x, y), QgsCoordinateTransform.ReverseTransform
            )
        except QgsCsException as exc:
            raise FrameError(
                tr("The point cannot be transformed into the canvas CRS ({error}).").format(
                    error=str(exc)
                )
            ) from exc

    def canvas_extent_to_window(self, extent: QgsRectangle) -> WindowPx | None:
        """The raster pixel window covering a canvas extent (canvas CRS), clipped.

        Returns:
            ``(col_off, row_off, width, height)``, or None when the extent does not overlap
            the raster or cannot be transformed.
        """
        try:
            in_raster_crs = self._to_raster.transformBoundingBox(extent)
        except QgsCsException:
            return None
        return self.frame.window_of_extent(in_raster_crs)
