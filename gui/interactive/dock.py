"""The dock widget of interactive extraction, and the object that wires dock, tool and
controller together for the plugin (:class:`InteractiveExtraction`).

Dock contents: raster layer; engine and model; optional starting road probability raster
(road engine as a refinement module); device in use (``/health``); encoding of
the visible extent with progress and cancel; the prompts and round count of the object in
progress; accept / undo / redo / clear; class label; simplification tolerance (metres);
centerlines (roads); target layer (an editable polygon or line layer, or a new scratch
layer).
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    Qgis,
    QgsMapLayer,
    QgsMapLayerProxyModel,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsDockWidget, QgsDoubleSpinBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...plugin.client import HealthInfo
from ...plugin.i18n import tr
from ...plugin.models import model_choices
from ...plugin.params import (
    DEFAULT_ENGINE,
    DEFAULT_MODELS,
    ENGINE_METHODS,
    ENGINE_TABLE,
    SegmentRoadsRequest,
)
from .controller import InteractiveController
from .map_tool import InteractiveMapTool
from .session import BoxPrompt, PointPrompt, Prompt, ScribblePrompt
from .writer import WriteError, is_target_layer

SETTINGS_GROUP = "roadextract/interactive/"
DOCK_OBJECT_NAME = "RoadExtractInteractiveDock"
MESSAGE_DURATION_S = 6


def _narrow(combo: QComboBox) -> QComboBox:
    """Let long layer and model names not force a wide dock (set before items are added)."""
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    return combo


def describe_prompt(prompt: Prompt) -> str:
    """A translated one-line description of a prompt (raster pixel coordinates)."""
    if isinstance(prompt, PointPrompt):
        text = (
            tr("+ point at ({x:.1f}, {y:.1f}) px")
            if prompt.positive
            else tr("- point at ({x:.1f}, {y:.1f}) px")
        )
        return text.format(x=prompt.x_px, y=prompt.y_px)
    if isinstance(prompt, ScribblePrompt):
        text = tr("+ scribble, {n} vertices") if prompt.positive else tr("- scribble, {n} vertices")
        return text.format(n=len(prompt.points_px))
    if isinstance(prompt, BoxPrompt):
        return tr("box ({x0:.0f}, {y0:.0f}) to ({x1:.0f}, {y1:.0f}) px").format(
            x0=prompt.x0_px, y0=prompt.y0_px, x1=prompt.x1_px, y1=prompt.y1_px
        )
    return str(prompt)


class InteractiveDock(QgsDockWidget):
    """Dock widget driving an :class:`InteractiveController` and its map tool.

    Args:
        controller: The controller (state and backend traffic).
        tool: The canvas tool (activated by "Prompt on the map").
        message_bar: A ``QgsMessageBar`` for errors and accepted objects; None shows them
            in the dock only.
        parent: Qt parent (the main window).
    """

    def __init__(
        self,
        controller: InteractiveController,
        tool: InteractiveMapTool,
        message_bar=None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("RoadExtract interactive extraction"), parent)
        self.setObjectName(DOCK_OBJECT_NAME)
        self.controller = controller
        self.tool = tool
        self.message_bar = message_bar
        self._models: list[dict[str, Any]] = []
        self._build()
        self._load_settings()
        controller.changed.connect(self.refresh)
        controller.message.connect(self.show_message)
        controller.encoding_progress.connect(self._on_progress)
        controller.health_changed.connect(self._on_health)
        controller.models_changed.connect(self._on_models)
        self._on_raster_changed(self.raster_combo.currentLayer())
        self.refresh()

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        root = QWidget(self)
        layout = QVBoxLayout(root)

        source = QGroupBox(tr("Image and engine"), root)
        form = QFormLayout(source)
        self.raster_combo = _narrow(QgsMapLayerComboBox(source))
        self.raster_combo.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.raster_combo.setAllowEmptyLayer(True)
        self.raster_combo.layerChanged.connect(self._on_raster_changed)
        form.addRow(tr("Raster layer"), self.raster_combo)
        self.engine_combo = _narrow(QComboBox(source))
        self.engine_combo.addItem(tr("Roads (RoadGIE-style road model)"), "road")
        self.engine_combo.addItem(tr("Any object (SAM)"), "sam")
        self.engine_combo.currentIndexChanged.connect(self._on_engine_changed)
        form.addRow(tr("Engine"), self.engine_combo)
        self.model_combo = _narrow(QComboBox(source))
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        form.addRow(tr("Model"), self.model_combo)
        self.initial_combo = _narrow(QgsMapLayerComboBox(source))
        self.initial_combo.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.initial_combo.setAllowEmptyLayer(True)
        self.initial_combo.setLayer(None)
        self.initial_combo.setToolTip(
            tr(
                "Road engine: refine another model's road probability raster (e.g. the "
                "Anchor-SAM output) with clicks instead of starting from nothing"
            )
        )
        self.initial_combo.layerChanged.connect(self._on_initial_changed)
        form.addRow(tr("Start from"), self.initial_combo)
        self.anchor_start_check = QCheckBox(tr("Start from Anchor-SAM's roads in the view"))
        self.anchor_start_check.setToolTip(
            tr(
                "Road engine: the backend runs the road segmentation model on the encoded "
                "view first; clicks then correct its roads, each changing only the part of "
                "the mask it touches (instead of a starting raster)"
            )
        )
        self.anchor_start_check.toggled.connect(self._on_anchor_start_toggled)
        form.addRow(self.anchor_start_check)
        device_row = QHBoxLayout()
        self.device_label = QLabel(tr("not connected"), source)
        self.device_label.setWordWrap(True)
        self.refresh_button = QToolButton(source)
        self.refresh_button.setText(tr("Connect"))
        self.refresh_button.setToolTip(tr("Start or find the backend; read its device and models"))
        self.refresh_button.clicked.connect(self.controller.refresh_backend_info)
        device_row.addWidget(self.device_label, 1)
        device_row.addWidget(self.refresh_button)
        form.addRow(tr("Device"), device_row)
        encode_row = QHBoxLayout()
        self.encode_button = QPushButton(tr("Encode view"), source)
        self.encode_button.setToolTip(
            tr(
                "Encode the visible extent now; otherwise the first click encodes the view "
                "(or a window around the click when the view is too large)"
            )
        )
        self.encode_button.clicked.connect(self.controller.encode_view)
        self.progress = QProgressBar(source)
        self.progress.setRange(0, 100)
        self.cancel_encode_button = QToolButton(source)
        self.cancel_encode_button.setText(tr("Cancel"))
        self.cancel_encode_button.clicked.connect(self.controller.cancel_encode)
        encode_row.addWidget(self.encode_button)
        encode_row.addWidget(self.progress, 1)
        encode_row.addWidget(self.cancel_encode_button)
        form.addRow(encode_row)
        self.encoded_label = QLabel(source)
        self.encoded_label.setWordWrap(True)
        form.addRow(self.encoded_label)
        layout.addWidget(source)

        prompts = QGroupBox(tr("Object in progress"), root)
        grid = QGridLayout(prompts)
        self.activate_button = QPushButton(tr("Prompt on the map"), prompts)
        self.activate_button.setCheckable(True)
        self.activate_button.setToolTip(self.tool.status_text())
        self.activate_button.toggled.connect(self._on_activate_toggled)
        grid.addWidget(self.activate_button, 0, 0, 1, 4)
        self.prompt_list = QListWidget(prompts)
        self.prompt_list.setMaximumHeight(120)
        grid.addWidget(self.prompt_list, 1, 0, 1, 4)
        self.round_label = QLabel(prompts)
        self.round_label.setWordWrap(True)
        grid.addWidget(self.round_label, 2, 0, 1, 4)
        self.undo_button = QPushButton(tr("Undo"), prompts)
        self.undo_button.setToolTip(tr("Take back the last prompt (Ctrl+Z)"))
        self.undo_button.clicked.connect(self.controller.undo)
        self.redo_button = QPushButton(tr("Redo"), prompts)
        self.redo_button.setToolTip(tr("Put back the last undone prompt (Ctrl+Shift+Z)"))
        self.redo_button.clicked.connect(self.controller.redo)
        self.clear_button = QPushButton(tr("Clear"), prompts)
        self.clear_button.setToolTip(tr("Drop every prompt of this object (Esc)"))
        self.clear_button.clicked.connect(self.controller.clear)
        self.accept_button = QPushButton(tr("Accept"), prompts)
        self.accept_button.setToolTip(tr("Write the result into the target layer (Enter)"))
        self.accept_button.clicked.connect(self.accept)
        for column, button in enumerate(
            (self.undo_button, self.redo_button, self.clear_button, self.accept_button)
        ):
            grid.addWidget(button, 3, column)
        layout.addWidget(prompts)

        output = QGroupBox(tr("Output"), root)
        form = QFormLayout(output)
        self.label_edit = QLineEdit(output)
        self.label_edit.setToolTip(tr("Written into the field 'label' of every accepted object"))
        form.addRow(tr("Class label"), self.label_edit)
        self.tolerance_spin = QgsDoubleSpinBox(output)
        self.tolerance_spin.setRange(0.0, 1000.0)
        self.tolerance_spin.setDecimals(2)
        self.tolerance_spin.setSingleStep(0.25)
        self.tolerance_spin.setSuffix(tr(" m"))
        self.tolerance_spin.setShowClearButton(True)
        self.tolerance_spin.setClearValue(0.0)
        self.tolerance_spin.setToolTip(
            tr(
                "Douglas-Peucker simplification of the preview and the accepted geometry, in "
                "metres on the ground (0: none), applied in the raster's CRS"
            )
        )
        self.tolerance_spin.valueChanged.connect(self.controller.set_simplify_tolerance_m)
        form.addRow(tr("Simplify tolerance"), self.tolerance_spin)
        self.centerlines_check = QCheckBox(tr("Centerlines instead of polygons"))
        self.centerlines_check.setToolTip(
            tr(
                "Write the skeleton centerlines of the road mask (road engine) instead of its "
                "polygon; the target then is a line layer"
            )
        )
        self.centerlines_check.toggled.connect(self._on_centerlines_toggled)
        form.addRow(self.centerlines_check)
        self.target_combo = _narrow(QgsMapLayerComboBox(output))
        self.target_combo.setAdditionalItems([self.new_layer_text()])
        form.addRow(tr("Target layer"), self.target_combo)
        layout.addWidget(output)

        self.status_label = QLabel(root)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self.setWidget(root)
        self._apply_target_filter()

    @staticmethod
    def new_layer_text() -> str:
        """Text of the target entry that creates a scratch (memory) layer."""
        return tr("[New scratch layer]")

    # -- settings --------------------------------------------------------------------------

    def _load_settings(self) -> None:
        store = QgsSettings()
        self.label_edit.setText(str(store.value(SETTINGS_GROUP + "label", "road")))
        try:
            tolerance = float(store.value(SETTINGS_GROUP + "simplify_tolerance_m", 0.0))
        except (TypeError, ValueError):
            tolerance = 0.0
        self.tolerance_spin.setValue(tolerance)
        engine = str(store.value(SETTINGS_GROUP + "engine", DEFAULT_ENGINE))
        index = self.engine_combo.findData(engine)
        self.engine_combo.setCurrentIndex(max(0, index))
        self._fill_models()
        centerlines = str(store.value(SETTINGS_GROUP + "centerlines", "false")).lower()
        self.centerlines_check.setChecked(centerlines in ("true", "1"))
        self._on_centerlines_toggled(self.centerlines_check.isChecked())
        anchor_start = str(store.value(SETTINGS_GROUP + "anchor_start", "true")).lower()
        self.anchor_start_check.setChecked(anchor_start in ("true", "1"))

    def save_settings(self) -> None:
        """Remember label, tolerance, engine and centerlines for the next session."""
        store = QgsSettings()
        store.setValue(SETTINGS_GROUP + "label", self.label_edit.text())
        store.setValue(SETTINGS_GROUP + "simplify_tolerance_m", self.tolerance_spin.value())
        store.setValue(SETTINGS_GROUP + "engine", self.engine_combo.currentData())
        store.setValue(SETTINGS_GROUP + "centerlines", self.centerlines_check.isChecked())
        store.setValue(SETTINGS_GROUP + "anchor_start", self.anchor_start_check.isChecked())

    # -- reactions -------------------------------------------------------------------------

    def _on_raster_changed(self, layer: QgsMapLayer | None) -> None:
        self.controller.set_raster_layer(layer if isinstance(layer, QgsRasterLayer) else None)

    def _on_initial_changed(self, layer: QgsMapLayer | None) -> None:
        raster = layer if isinstance(layer, QgsRasterLayer) else None
        if not self.controller.set_initial_probability_layer(raster):
            self.initial_combo.setLayer(None)

    def _on_anchor_start_toggled(self, checked: bool) -> None:  # noqa: FBT001 - Qt signal
        engine = ENGINE_TABLE[self.engine_combo.currentData() or DEFAULT_ENGINE]
        if checked:
            self.initial_combo.setLayer(None)  # one start: the model's or a raster
        self.initial_combo.setEnabled(engine.takes_initial_probability and not checked)
        self.controller.set_initial_model(SegmentRoadsRequest.DEFAULT_MODEL if checked else None)

    def _on_engine_changed(self) -> None:
        self._fill_models()
        self._on_model_changed()
        engine = ENGINE_TABLE[self.engine_combo.currentData() or DEFAULT_ENGINE]
        self.centerlines_check.setEnabled(engine.draws_centerlines)
        self.initial_combo.setEnabled(
            engine.takes_initial_probability and not self.anchor_start_check.isChecked()
        )
        self.anchor_start_check.setEnabled(engine.takes_initial_probability)
        if not engine.draws_centerlines:
            self.centerlines_check.setChecked(False)
        if not engine.takes_initial_probability:
            self.initial_combo.setLayer(None)
            self.anchor_start_check.setChecked(False)
        self.activate_button.setToolTip(self.tool.status_text())

    def _on_model_changed(self) -> None:
        engine = self.engine_combo.currentData() or DEFAULT_ENGINE
        self.controller.set_engine(engine, self.model_combo.currentData())
        self.activate_button.setToolTip(self.tool.status_text())

    def _fill_models(self) -> None:
        engine = self.engine_combo.currentData() or DEFAULT_ENGINE
        current = self.model_combo.currentData()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItem(tr("Default ({model})").format(model=DEFAULT_MODELS[engine]), None)
        # The backend's models when it answered, else the plugin's known table (issue 16):
        # the same list as the Processing algorithms' model picker.
        rows = self._models if self._models else None
        for choice in model_choices(ENGINE_METHODS[engine], rows):
            text = choice.id
            if choice.gsd_m:
                text = f"{text} · {choice.gsd_m:g} m/px"
            if choice.installed is False:
                text = tr("{model} (not installed)").format(model=text)
            self.model_combo.addItem(text, choice.id)
            self.model_combo.setItemData(
                self.model_combo.count() - 1, choice.label(), Qt.ToolTipRole
            )
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(0, index))
        self.model_combo.blockSignals(False)

    def _on_models(self, models: list[dict[str, Any]]) -> None:
        self._models = list(models)
        self._fill_models()
        self._on_model_changed()

    def _on_health(self, health: HealthInfo) -> None:
        self.device_label.setText(health.describe())

    def _on_progress(self, percent: float) -> None:
        self.progress.setValue(int(round(percent)))

    def _on_centerlines_toggled(self, checked: bool) -> None:  # noqa: FBT001 - Qt slot
        self.controller.set_centerlines(checked)
        self._apply_target_filter()

    def _apply_target_filter(self) -> None:
        kind = (
            QgsMapLayerProxyModel.LineLayer
            if self.centerlines_check.isChecked()
            else QgsMapLayerProxyModel.PolygonLayer
        )
        self.target_combo.setFilters(kind | QgsMapLayerProxyModel.WritableLayer)

    def _on_activate_toggled(self, checked: bool) -> None:  # noqa: FBT001 - Qt slot
        canvas = self.tool.canvas()
        if checked and canvas.mapTool() is not self.tool:
            canvas.setMapTool(self.tool)
        elif not checked and canvas.mapTool() is self.tool:
            canvas.unsetMapTool(self.tool)

    def sync_tool_state(self) -> None:
        """Check "Prompt on the map" exactly while the tool is the canvas's map tool."""
        active = self.tool.canvas().mapTool() is self.tool
        self.activate_button.blockSignals(True)
        self.activate_button.setChecked(active)
        self.activate_button.blockSignals(False)

    # -- state -> widgets ------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the controller's state: prompts, round, score, encode state, buttons."""
        controller = self.controller
        session = controller.session
        self.prompt_list.clear()
        for number, prompt in enumerate(session.prompts, start=1):
            self.prompt_list.addItem(f"{number}. {describe_prompt(prompt)}")
        result = controller.current_result
        if not session.prompts:
            text = tr("No prompt yet: click on the object (right click: not the object).")
        elif result is None:
            text = tr("Rounds: {rounds} (predicting…)").format(rounds=session.round_count)
        else:
            text = tr("Rounds: {rounds} · score {score:.2f} · decoded in {ms:.0f} ms").format(
                rounds=session.round_count, score=result.score, ms=result.decode_ms
            )
        self.round_label.setText(text)
        encoding = controller.is_encoding
        self.progress.setVisible(encoding)
        self.cancel_encode_button.setVisible(encoding)
        self.encode_button.setEnabled(not encoding and controller.raster_layer is not None)
        view = controller.encoded
        if encoding:
            self.encoded_label.setText(tr("Encoding the view…"))
        elif view is not None:
            col, row, width, height = view.window_px
            self.encoded_label.setText(
                tr("Encoded: {width} x {height} px at ({col}, {row}) with {model}{cached}").format(
                    width=width,
                    height=height,
                    col=col,
                    row=row,
                    model=view.model,
                    cached=tr(" (from cache)") if view.cached else "",
                )
            )
        else:
            self.encoded_label.setText(tr("Not encoded yet."))
        self.undo_button.setEnabled(session.can_undo())
        self.redo_button.setEnabled(session.can_redo())
        self.clear_button.setEnabled(bool(session.prompts))
        self.accept_button.setEnabled(result is not None)
        self.sync_tool_state()

    def show_message(self, text: str, level: int = Qgis.Info) -> None:
        """Show ``text`` in the dock, and in the message bar for warnings and errors."""
        self.status_label.setText(text)
        if self.message_bar is not None and level in (Qgis.Warning, Qgis.Critical, Qgis.Success):
            self.message_bar.pushMessage("RoadExtract", text, level, MESSAGE_DURATION_S)

    # -- accept ----------------------------------------------------------------------------

    def target_layer(self) -> QgsVectorLayer | None:
        """The chosen target layer; None for "new scratch layer"."""
        layer = self.target_combo.currentLayer()
        return layer if isinstance(layer, QgsVectorLayer) else None

    def accept(self) -> bool:
        """Write the current result into the target layer (Enter, or the Accept button).

        Returns:
            True when a feature was added.
        """
        layer = self.target_layer()
        geometry_type = self.controller.output_geometry_type()
        if layer is not None and not is_target_layer(layer, geometry_type):
            kind = tr("line") if geometry_type == QgsWkbTypes.LineGeometry else tr("polygon")
            self.show_message(
                tr("Choose an editable {kind} layer as target, or a new scratch layer.").format(
                    kind=kind
                ),
                Qgis.Warning,
            )
            return False
        try:
            written, ids = self.controller.accept(layer, self.label_edit.text().strip())
        except WriteError as exc:
            self.show_message(str(exc), Qgis.Warning)
            return False
        self.save_settings()
        if layer is None:
            self.target_combo.setLayer(written)
        self.show_message(
            tr("Added {count} feature(s) to {layer} (not saved yet: Save Layer Edits).").format(
                count=len(ids), layer=written.name()
            ),
            Qgis.Success,
        )
        return True


class InteractiveExtraction:
    """Controller, map tool and dock for one QGIS main window (created on first use).

    Args:
        iface: The QGIS interface.
        action: The plugin action that opens the dock; it is checked while the tool is
            active.
    """

    def __init__(self, iface, action=None) -> None:
        self.iface = iface
        canvas = iface.mapCanvas()
        self.controller = InteractiveController(canvas, project=QgsProject.instance())
        self.tool = InteractiveMapTool(canvas, self.controller)
        if action is not None:
            self.tool.setAction(action)
        self.dock = InteractiveDock(
            self.controller, self.tool, iface.messageBar(), iface.mainWindow()
        )
        self.tool.on_accept = self.dock.accept
        canvas.mapToolSet.connect(self._on_map_tool_set)
        iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)

    def _on_map_tool_set(self, *_args) -> None:
        self.dock.sync_tool_state()

    def open(self) -> None:
        """Show the dock, pick a raster layer, activate the tool, connect to the backend."""
        self.dock.show()
        self.dock.raise_()
        active = self.iface.activeLayer()
        if isinstance(active, QgsRasterLayer) and self.dock.raster_combo.currentLayer() is None:
            self.dock.raster_combo.setLayer(active)
        self.iface.mapCanvas().setMapTool(self.tool)
        if self.controller.health is None:
            self.controller.refresh_backend_info()

    def unload(self) -> None:
        """Remove dock and tool, free the backend session."""
        canvas = self.iface.mapCanvas()
        try:
            canvas.mapToolSet.disconnect(self._on_map_tool_set)
        except TypeError:
            pass
        if canvas.mapTool() is self.tool:
            canvas.unsetMapTool(self.tool)
        self.dock.save_settings()
        self.controller.shutdown()
        self.tool.remove_drawings()
        self.iface.removeDockWidget(self.dock)
        self.dock.deleteLater()
        self.tool.deleteLater()
