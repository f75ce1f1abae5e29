"""Render docs/images/interactive_tool.png: the interactive tool in use, against the real backend.

Runs QGIS offscreen (or under Xvfb), starts the backend through the plugin's lifecycle
code, georeferences a held-out Massachusetts Roads crop (1 m/px) into EPSG:26986, shows it
on a map canvas in EPSG:3857, prompts with clicks sent as mouse events to the canvas (two
positive clicks on a road, one negative click), then grabs the canvas and the dock side by
side::

    QT_QPA_PLATFORM=offscreen ROADEXTRACT_BACKEND_PYTHON=.venv/bin/python \\
        .venv-qgis/bin/python docs/images/make_interactive_screenshot.py

Args (command line): optional output path (default: next to this script).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import time
from pathlib import Path

from osgeo import gdal
from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsRasterLayer
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QPointF, Qt
from qgis.PyQt.QtGui import QColor, QImage, QMouseEvent, QPainter
from qgis.PyQt.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "roads" / "massachusetts_400" / "images"
IMAGE = SHARED / "te_img-4.jpg"
OUT = Path(__file__).with_name("interactive_tool.png")
CANVAS_WIDTH_PX = 520
DOCK_WIDTH_PX = 400
# Prompts in raster pixels (col, row) of te_img-4: two on roads, one negative between them.
PROMPTS = (((196.5, 199.5), True), ((238.5, 150.5), True), ((100.5, 150.5), False))


def wait(condition, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def georeference(work: Path) -> Path:
    """te_img-4 as a GeoTIFF in EPSG:26986 with 1 m pixels."""
    source = gdal.Open(str(IMAGE))
    out = work / "te_img-4_26986.tif"
    width, height = source.RasterXSize, source.RasterYSize
    gdal.Translate(
        str(out),
        source,
        format="GTiff",
        outputSRS="EPSG:26986",
        outputBounds=[200000, 900400, 200000 + width, 900400 - height],
    )
    return out


def click(canvas, pos, button) -> None:
    for kind, buttons in ((QEvent.MouseButtonPress, button), (QEvent.MouseButtonRelease, 0)):
        event = QMouseEvent(kind, QPointF(pos), button, Qt.MouseButtons(buttons), Qt.NoModifier)
        QApplication.sendEvent(canvas.viewport(), event)


def main(argv: list[str]) -> int:
    out_path = Path(argv[0]) if argv else OUT
    app = QgsApplication([], True)
    app.initQgis()
    work = Path(tempfile.mkdtemp(prefix="roadextract_shot_"))
    plugins = work / "plugins"
    plugins.mkdir()
    (plugins / "roadextract").symlink_to(REPO, target_is_directory=True)
    sys.path.insert(0, str(plugins))
    settings_module = importlib.import_module("roadextract.plugin.settings")
    lifecycle = importlib.import_module("roadextract.plugin.backend_process")
    controller_module = importlib.import_module("roadextract.gui.interactive.controller")
    tool_module = importlib.import_module("roadextract.gui.interactive.map_tool")
    dock_module = importlib.import_module("roadextract.gui.interactive.dock")

    settings = settings_module.PluginSettings(device="cpu", state_dir=str(work / "state"))
    manager = lifecycle.backend_manager()
    client = manager.ensure_running(settings)
    try:
        raster = QgsRasterLayer(str(georeference(work)), "te_img-4 (Massachusetts Roads)")
        QgsProject.instance().addMapLayer(raster)
        canvas = QgsMapCanvas()
        canvas.setCanvasColor(QColor(255, 255, 255))
        canvas.show()
        canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
        canvas.setLayers([raster])
        canvas.setExtent(canvas.mapSettings().layerExtentToOutputExtent(raster, raster.extent()))
        controller = controller_module.InteractiveController(
            canvas, client_factory=lambda _cancelled: client
        )
        tool = tool_module.InteractiveMapTool(canvas, controller)
        dock = dock_module.InteractiveDock(controller, tool)
        dock.raster_combo.setLayer(raster)
        dock.label_edit.setText("road")
        dock.tolerance_spin.setValue(1.0)
        canvas.setMapTool(tool)
        dock.show()
        height = max(dock.sizeHint().height(), 560)
        dock_width = max(DOCK_WIDTH_PX, dock.minimumSizeHint().width())
        dock.resize(dock_width, height)
        canvas.resize(CANVAS_WIDTH_PX, height)
        QCoreApplication.processEvents()
        # Fill the canvas: the raster's full height, its width cropped to the canvas's shape
        # (the visible part is what gets encoded).
        full = canvas.mapSettings().layerExtentToOutputExtent(raster, raster.extent())
        half_width = full.height() * CANVAS_WIDTH_PX / height / 2
        centre = full.center()
        full.setXMinimum(centre.x() - half_width)
        full.setXMaximum(centre.x() + half_width)
        canvas.setExtent(full)
        controller.refresh_backend_info()
        wait(lambda: controller.health is not None)
        transform = controller.pixel_transform()
        to_screen = canvas.getCoordinateTransform()
        for (x_px, y_px), positive in PROMPTS:
            point = to_screen.transform(transform.pixel_to_canvas(x_px, y_px))
            click(
                canvas, point.toQPointF().toPoint(), Qt.LeftButton if positive else Qt.RightButton
            )
            wait(lambda: not controller.is_encoding and not controller.is_predicting)
        if controller.last_error:
            raise RuntimeError(controller.last_error)
        canvas.refresh()
        wait(lambda: not canvas.isDrawing())
        QCoreApplication.processEvents()
        shot = QImage(CANVAS_WIDTH_PX + dock_width, height, QImage.Format_RGB32)
        shot.fill(QColor(240, 240, 240))
        painter = QPainter(shot)
        painter.drawPixmap(0, 0, canvas.grab())
        painter.drawPixmap(CANVAS_WIDTH_PX, 0, dock.grab())
        painter.end()
        # 8-bit palette (diffuse dithering) keeps the PNG under 300 KB.
        indexed = shot.convertToFormat(QImage.Format_Indexed8, Qt.DiffuseDither)
        if not indexed.save(str(out_path), "PNG", 9):
            raise OSError(f"cannot write {out_path}")
        print(f"{out_path}: {out_path.stat().st_size / 1024:.0f} KB")
        controller.shutdown()
        canvas.unsetMapTool(tool)
        tool.remove_drawings()
        QgsProject.instance().removeAllMapLayers()
    finally:
        manager.stop()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
