"""Helpers of the interactive-tool tests (``tests/plugin`` and ``tests/e2e``): a real map
canvas, mouse and key events sent to it as a user would, and an independent oracle for
screen pixel -> canvas map point -> raster pixel (the canvas extent and scale, GDAL/OSR for
the CRS step, GDAL's InvGeoTransform for map -> pixel).

Loaded by path (the test folders are not packages), see :func:`load`.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

from osgeo import gdal, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsProject,
    QgsRasterLayer,
)
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QPoint, QPointF, Qt
from qgis.PyQt.QtGui import QKeyEvent, QMouseEvent
from qgis.PyQt.QtWidgets import QApplication

CANVAS_SIZE = (800, 600)


def load(name: str):
    """Import ``tests/plugin/<name>.py`` once under a private module name."""
    module_name = f"roadextract_tests_{name}"
    if module_name not in sys.modules:
        path = Path(__file__).with_name(f"{name}.py")
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def wait_for(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        QCoreApplication.processEvents()
        time.sleep(0.005)


def make_canvas(crs: str, raster: Path) -> QgsMapCanvas:
    """A shown (offscreen) canvas of CANVAS_SIZE in ``crs`` zoomed on the raster."""
    canvas = QgsMapCanvas()
    canvas.resize(*CANVAS_SIZE)
    canvas.show()
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem(crs))
    layer = QgsRasterLayer(str(raster), "r")
    to_canvas = QgsCoordinateTransform(
        layer.crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance()
    )
    extent = to_canvas.transformBoundingBox(layer.extent())
    extent.grow(extent.width() * 0.05)
    canvas.setExtent(extent)
    canvas.refresh()
    QCoreApplication.processEvents()
    assert canvas.mapSettings().outputSize() == canvas.viewport().size()
    return canvas


class Oracle:
    """Screen pixel -> canvas map point -> raster pixel, independently of the plugin."""

    def __init__(self, canvas: QgsMapCanvas, raster: Path) -> None:
        settings = canvas.mapSettings()
        self.extent = settings.visibleExtent()
        self.mupp = settings.mapUnitsPerPixel()
        dataset = gdal.Open(str(raster))
        self.gt = dataset.GetGeoTransform()
        self.inv = gdal.InvGeoTransform(self.gt)
        src = osr.SpatialReference()
        src.SetFromUserInput(settings.destinationCrs().authid())
        dst = osr.SpatialReference(wkt=dataset.GetProjection())
        for ref in (src, dst):
            ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        self.to_raster = osr.CoordinateTransformation(src, dst)
        self.to_canvas = osr.CoordinateTransformation(dst, src)

    def screen_to_map(self, pos: QPoint) -> tuple[float, float]:
        return (
            self.extent.xMinimum() + pos.x() * self.mupp,
            self.extent.yMaximum() - pos.y() * self.mupp,
        )

    def map_to_pixel(self, x: float, y: float) -> tuple[float, float]:
        rx, ry, _ = self.to_raster.TransformPoint(x, y)
        inv = self.inv
        return inv[0] + rx * inv[1] + ry * inv[2], inv[3] + rx * inv[4] + ry * inv[5]

    def screen_to_pixel(self, pos: QPoint) -> tuple[float, float]:
        return self.map_to_pixel(*self.screen_to_map(pos))

    def pixel_to_screen(self, col: float, row: float) -> QPoint:
        gt = self.gt
        rx, ry = gt[0] + col * gt[1] + row * gt[2], gt[3] + col * gt[4] + row * gt[5]
        x, y, _ = self.to_canvas.TransformPoint(rx, ry)
        return QPoint(
            round((x - self.extent.xMinimum()) / self.mupp),
            round((self.extent.yMaximum() - y) / self.mupp),
        )


def mouse(canvas, kind, pos: QPoint, button=Qt.LeftButton, modifiers=Qt.NoModifier):
    """Send one mouse event to the canvas viewport, as a real mouse would."""
    buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else button
    if kind == QEvent.MouseMove:
        event_button = Qt.NoButton
    else:
        event_button = button
    event = QMouseEvent(kind, QPointF(pos), event_button, buttons, modifiers)
    QApplication.sendEvent(canvas.viewport(), event)


def click(canvas, pos: QPoint, button=Qt.LeftButton, modifiers=Qt.NoModifier):
    mouse(canvas, QEvent.MouseButtonPress, pos, button, modifiers)
    mouse(canvas, QEvent.MouseButtonRelease, pos, button, modifiers)


def drag(canvas, points: list[QPoint], button=Qt.LeftButton, modifiers=Qt.NoModifier):
    mouse(canvas, QEvent.MouseButtonPress, points[0], button, modifiers)
    for pos in points[1:]:
        mouse(canvas, QEvent.MouseMove, pos, button, modifiers)
    mouse(canvas, QEvent.MouseButtonRelease, points[-1], button, modifiers)


def key(canvas, key_code, modifiers=Qt.NoModifier):
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, key_code, modifiers))
