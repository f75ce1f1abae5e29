"""The canvas tool of interactive extraction.

Mouse and keys (``README.md``, "Interactive extraction"):

- left click: positive point; right click: negative point;
- drag: box (SAM engine only);
- Shift + drag: positive scribble; Ctrl + Shift + drag: negative scribble;
- Enter: accept; Esc: cancel the object; Ctrl+Z: undo; Ctrl+Shift+Z (or Ctrl+Y): redo.

The tool only turns gestures into canvas-CRS points and hands them to the
:class:`~.controller.InteractiveController`; it draws the prompts and the predicted mask
(rubber bands, transformed from the raster CRS into the canvas CRS by QGIS).
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsPointXY, QgsWkbTypes
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent, QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import QEvent, QObject, QPoint, Qt
from qgis.PyQt.QtGui import QColor, QKeyEvent
from qgis.PyQt.QtWidgets import QApplication

from ...plugin.i18n import tr
from ...plugin.params import ENGINE_TABLE
from .controller import InteractiveController
from .frame import FrameError
from .session import BoxPrompt, PointPrompt, ScribblePrompt

POSITIVE_COLOR = QColor(0, 200, 60)
NEGATIVE_COLOR = QColor(230, 30, 30)
MASK_FILL = QColor(255, 160, 0, 90)
MASK_STROKE = QColor(255, 120, 0, 230)
CENTERLINE_COLOR = QColor(30, 90, 255, 230)
BOX_COLOR = QColor(40, 120, 255)
# An invalid CRS tells QgsRubberBand.setToGeometry that a geometry is in the canvas CRS.
CANVAS_CRS = QgsCoordinateReferenceSystem()
# A scribble gets a new vertex once the mouse moved this far (screen pixels).
SCRIBBLE_STEP_PX = 3

# Gesture kinds decided when the button goes down.
CLICK, BOX, SCRIBBLE_POSITIVE, SCRIBBLE_NEGATIVE = "click", "box", "scribble+", "scribble-"


def _is_redo(event: QKeyEvent) -> bool:
    mods = event.modifiers() & (Qt.ControlModifier | Qt.ShiftModifier)
    return (event.key() == Qt.Key_Z and mods == (Qt.ControlModifier | Qt.ShiftModifier)) or (
        event.key() == Qt.Key_Y and mods == Qt.ControlModifier
    )


def _is_undo(event: QKeyEvent) -> bool:
    mods = event.modifiers() & (Qt.ControlModifier | Qt.ShiftModifier)
    return event.key() == Qt.Key_Z and mods == Qt.ControlModifier


class InteractiveMapTool(QgsMapTool):
    """Clicks, scribbles and boxes on the canvas become prompts; the mask is previewed.

    Args:
        canvas: The map canvas.
        controller: Receives the prompts and holds the results.
        on_accept: Called for Enter (the dock writes the result into its target layer);
            None calls nothing.
    """

    def __init__(
        self,
        canvas: QgsMapCanvas,
        controller: InteractiveController,
        on_accept: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(canvas)
        self.controller = controller
        self.on_accept = on_accept
        self.setCursor(Qt.CrossCursor)
        self._press_pos: QPoint | None = None
        self._press_map: QgsPointXY | None = None
        self._gesture: str | None = None
        self._dragging = False
        self._positive_click = True
        self._path: list[QgsPointXY] = []
        self._last_path_pos: QPoint | None = None

        self.mask_band = self._band(QgsWkbTypes.PolygonGeometry, MASK_STROKE, MASK_FILL, 2)
        self.centerline_band = self._band(QgsWkbTypes.LineGeometry, CENTERLINE_COLOR, None, 2)
        self.positive_points = self._band(QgsWkbTypes.PointGeometry, POSITIVE_COLOR, None, 2)
        self.negative_points = self._band(QgsWkbTypes.PointGeometry, NEGATIVE_COLOR, None, 2)
        for band in (self.positive_points, self.negative_points):
            band.setIcon(QgsRubberBand.ICON_CIRCLE)
            band.setIconSize(12)
            band.setWidth(3)
        self.positive_lines = self._band(QgsWkbTypes.LineGeometry, POSITIVE_COLOR, None, 3)
        self.negative_lines = self._band(QgsWkbTypes.LineGeometry, NEGATIVE_COLOR, None, 3)
        self.box_band = self._band(QgsWkbTypes.PolygonGeometry, BOX_COLOR, QColor(0, 0, 0, 0), 2)
        self.box_band.setLineStyle(Qt.DashLine)
        self.drawing_band = self._band(QgsWkbTypes.LineGeometry, BOX_COLOR, None, 2)
        self._bands = (
            self.mask_band,
            self.centerline_band,
            self.positive_lines,
            self.negative_lines,
            self.box_band,
            self.positive_points,
            self.negative_points,
            self.drawing_band,
        )

        controller.changed.connect(self.redraw)
        canvas.destinationCrsChanged.connect(self.redraw)

    def _band(self, geometry_type, stroke: QColor, fill: QColor | None, width: int):
        band = QgsRubberBand(self.canvas(), geometry_type)
        band.setStrokeColor(stroke)
        if fill is not None:
            band.setFillColor(fill)
        band.setWidth(width)
        return band

    # -- activation ------------------------------------------------------------------------

    def activate(self) -> None:
        """Show the drawings and take Ctrl+Z / Enter / Esc before QGIS's own shortcuts."""
        super().activate()
        self.canvas().installEventFilter(self)
        for band in self._bands:
            band.show()
        self.redraw()

    def deactivate(self) -> None:
        """Hide the drawings; the prompts and results stay in the controller."""
        self.canvas().removeEventFilter(self)
        self._reset_gesture()
        for band in self._bands:
            band.hide()
        super().deactivate()

    def remove_drawings(self) -> None:
        """Delete the rubber bands from the canvas scene (call before dropping the tool)."""
        scene = self.canvas().scene()
        for band in self._bands:
            scene.removeItem(band)
        self._bands = ()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Claim our keys as shortcut overrides, so they arrive as key presses here."""
        if event.type() == QEvent.ShortcutOverride and self._handles_key(event):
            event.accept()
            return True
        return super().eventFilter(watched, event)

    # -- mouse -----------------------------------------------------------------------------

    def canvasPressEvent(self, e: QgsMapMouseEvent) -> None:  # noqa: N802 - QGIS API
        """Remember where and how a gesture starts (the modifiers decide its kind)."""
        if e.button() not in (Qt.LeftButton, Qt.RightButton):
            return
        self._press_pos = QPoint(e.pos())
        self._press_map = self.toMapCoordinates(e.pos())
        self._dragging = False
        self._positive_click = e.button() == Qt.LeftButton
        mods = e.modifiers() & (Qt.ShiftModifier | Qt.ControlModifier)
        if e.button() == Qt.RightButton:
            self._gesture = CLICK
        elif mods == (Qt.ShiftModifier | Qt.ControlModifier):
            self._gesture = SCRIBBLE_NEGATIVE
        elif mods == Qt.ShiftModifier:
            self._gesture = SCRIBBLE_POSITIVE
        else:
            self._gesture = BOX
        self._path = [self._press_map]
        self._last_path_pos = QPoint(e.pos())

    def canvasMoveEvent(self, e: QgsMapMouseEvent) -> None:  # noqa: N802 - QGIS API
        """Grow the scribble or the box being drawn."""
        if self._press_pos is None or self._gesture == CLICK:
            return
        pos = e.pos()
        if not self._dragging:
            moved = (pos - self._press_pos).manhattanLength()
            if moved < QApplication.startDragDistance():
                return
            self._dragging = True
        point = self.toMapCoordinates(pos)
        if self._gesture == BOX and not ENGINE_TABLE[self.controller.engine].takes_boxes:
            return  # no box with the road engine (said on release)
        if self._gesture == BOX:
            a = self._press_map
            ring = [
                a,
                QgsPointXY(point.x(), a.y()),
                point,
                QgsPointXY(a.x(), point.y()),
                a,
            ]
            self.drawing_band.setToGeometry(QgsGeometry.fromPolylineXY(ring), CANVAS_CRS)
        elif (pos - self._last_path_pos).manhattanLength() >= SCRIBBLE_STEP_PX:
            self._path.append(point)
            self._last_path_pos = QPoint(pos)
            color = POSITIVE_COLOR if self._gesture == SCRIBBLE_POSITIVE else NEGATIVE_COLOR
            self.drawing_band.setStrokeColor(color)
            self.drawing_band.setToGeometry(QgsGeometry.fromPolylineXY(self._path), CANVAS_CRS)

    def canvasReleaseEvent(self, e: QgsMapMouseEvent) -> None:  # noqa: N802 - QGIS API
        """Finish the gesture: a click, a scribble or a box becomes a prompt."""
        if self._press_pos is None:
            return
        gesture, dragging = self._gesture, self._dragging
        if not dragging and gesture != CLICK:
            moved = (e.pos() - self._press_pos).manhattanLength()
            dragging = moved >= QApplication.startDragDistance()
        end = self.toMapCoordinates(e.pos())
        start = self._press_map
        path = list(self._path)
        positive_click = self._positive_click
        self._reset_gesture()
        if gesture == CLICK or not dragging:
            self.controller.add_point(start, positive=positive_click)
        elif gesture == BOX:
            self.controller.add_box(start, end)
        else:
            if path[-1] != end:
                path.append(end)
            self.controller.add_scribble(path, positive=gesture == SCRIBBLE_POSITIVE)

    def _reset_gesture(self) -> None:
        self._press_pos = self._press_map = self._gesture = self._last_path_pos = None
        self._dragging = False
        self._path = []
        self.drawing_band.reset(QgsWkbTypes.LineGeometry)
        self.drawing_band.setStrokeColor(BOX_COLOR)

    # -- keys ------------------------------------------------------------------------------

    @staticmethod
    def _handles_key(event: QKeyEvent) -> bool:
        return (
            event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Escape)
            or _is_undo(event)
            or _is_redo(event)
        )

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 - QGIS API
        """Enter accepts, Esc cancels, Ctrl+Z undoes, Ctrl+Shift+Z / Ctrl+Y redoes."""
        if e.key() in (Qt.Key_Return, Qt.Key_Enter):
            if self.on_accept is not None:
                self.on_accept()
        elif e.key() == Qt.Key_Escape:
            if self._press_pos is not None:
                self._reset_gesture()
            else:
                self.controller.cancel()
        elif _is_redo(e):
            self.controller.redo()
        elif _is_undo(e):
            self.controller.undo()
        else:
            e.ignore()
            return
        e.accept()

    # -- drawing ---------------------------------------------------------------------------

    def redraw(self) -> None:
        """Draw the current prompts and the current result (canvas CRS)."""
        if not self._bands:
            return
        controller = self.controller
        frame = controller.frame
        result = controller.current_result
        if result is not None:
            crs = controller.result_crs(result)
            self.mask_band.setToGeometry(controller.result_geometry(result, False), crs)
            if controller.centerlines and result.centerlines:
                self.centerline_band.setToGeometry(controller.result_geometry(result, True), crs)
            else:
                self.centerline_band.reset(QgsWkbTypes.LineGeometry)
        else:
            self.mask_band.reset(QgsWkbTypes.PolygonGeometry)
            self.centerline_band.reset(QgsWkbTypes.LineGeometry)
        points = {True: [], False: []}
        lines = {True: [], False: []}
        box = None
        if frame is not None:
            try:
                for prompt in controller.session.prompts:
                    mapped = [
                        QgsPointXY(*frame.pixel_to_map(x, y)) for x, y in prompt.pixel_points()
                    ]
                    if isinstance(prompt, PointPrompt):
                        points[prompt.positive].append(mapped[0])
                    elif isinstance(prompt, ScribblePrompt):
                        lines[prompt.positive].append(mapped)
                    elif isinstance(prompt, BoxPrompt):
                        box = mapped
            except FrameError:
                pass
        crs = frame.crs if frame is not None else CANVAS_CRS
        for positive, band in ((True, self.positive_points), (False, self.negative_points)):
            if points[positive]:
                band.setToGeometry(QgsGeometry.fromMultiPointXY(points[positive]), crs)
            else:
                band.reset(QgsWkbTypes.PointGeometry)
        for positive, band in ((True, self.positive_lines), (False, self.negative_lines)):
            if lines[positive]:
                band.setToGeometry(QgsGeometry.fromMultiPolylineXY(lines[positive]), crs)
            else:
                band.reset(QgsWkbTypes.LineGeometry)
        if box is not None:
            self.box_band.setToGeometry(QgsGeometry.fromPolygonXY([box]), crs)
        else:
            self.box_band.reset(QgsWkbTypes.PolygonGeometry)

    def status_text(self) -> str:
        """One line for the status bar: what the mouse does with the current engine."""
        if ENGINE_TABLE[self.controller.engine].takes_boxes:
            return tr(
                "Left click: object here; right click: not here; drag: box; Shift+drag: "
                "scribble; Ctrl+Shift+drag: negative scribble; Enter: accept; Esc: cancel"
            )
        return tr(
            "Left click: road here; right click: not here; Shift+drag: scribble on the road; "
            "Ctrl+Shift+drag: negative scribble; Enter: accept; Esc: cancel"
        )
