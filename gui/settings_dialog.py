"""Settings dialog (built in code), editing a :class:`PluginSettings`."""

from __future__ import annotations

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..plugin.i18n import tr
from ..plugin.settings import MAX_PORT, PluginSettings, default_backend_python, default_state_dir

MAX_STARTUP_TIMEOUT_S = 3600.0


class SettingsDialog(QDialog):
    """Edit the RoadExtract settings.

    Args:
        settings: Values to show.
        parent: Parent widget (the QGIS main window).
    """

    def __init__(self, settings: PluginSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RoadExtractSettingsDialog")
        self.setWindowTitle(tr("RoadExtract settings"))
        self.setMinimumWidth(560)

        self.backend_python_widget = QgsFileWidget(self)
        self.backend_python_widget.setStorageMode(QgsFileWidget.GetFile)
        self.backend_python_widget.setDialogTitle(tr("Python of the backend environment"))
        self.backend_python_widget.lineEdit().setPlaceholderText(
            tr("Default: {path}").format(path=default_backend_python())
        )

        self.device_combo = QComboBox(self)
        for device, label in (
            ("auto", tr("Automatic (CUDA, then MPS, then CPU)")),
            ("cpu", tr("CPU")),
            ("cuda", tr("CUDA (NVIDIA GPU)")),
            ("mps", tr("MPS (Apple GPU)")),
        ):
            self.device_combo.addItem(label, device)

        self.model_dir_widget = QgsFileWidget(self)
        self.model_dir_widget.setStorageMode(QgsFileWidget.GetDirectory)
        self.model_dir_widget.setDialogTitle(tr("Folder with model checkpoints"))
        self.model_dir_widget.lineEdit().setPlaceholderText(
            tr("Default: the backend's model folder")
        )

        self.port_spin = QSpinBox(self)
        self.port_spin.setRange(0, MAX_PORT)
        self.port_spin.setSpecialValueText(tr("Automatic (a free port)"))

        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setRange(1.0, MAX_STARTUP_TIMEOUT_S)
        self.timeout_spin.setDecimals(0)
        self.timeout_spin.setSuffix(tr(" s"))

        self.state_dir_widget = QgsFileWidget(self)
        self.state_dir_widget.setStorageMode(QgsFileWidget.GetDirectory)
        self.state_dir_widget.setDialogTitle(tr("Folder of the backend state file"))
        self.state_dir_widget.lineEdit().setPlaceholderText(
            tr("Default: {path}").format(path=default_state_dir())
        )

        # Placeholders get cut off in a narrow dialog; the tooltip shows them whole.
        for widget in (self.backend_python_widget, self.model_dir_widget, self.state_dir_widget):
            widget.lineEdit().setToolTip(widget.lineEdit().placeholderText())

        form = QFormLayout()
        form.addRow(tr("Backend Python"), self.backend_python_widget)
        form.addRow(tr("Device"), self.device_combo)
        form.addRow(tr("Model folder"), self.model_dir_widget)
        form.addRow(tr("Port"), self.port_spin)
        form.addRow(tr("Start-up timeout"), self.timeout_spin)
        form.addRow(tr("State folder"), self.state_dir_widget)

        note = QLabel(
            tr(
                "Create the backend environment with Raster > RoadExtract > Set up backend "
                "(or `make install` in a checkout), or point Backend Python to any Python "
                "that has the backend dependencies. "
                "Changes apply the next time the plugin starts a backend; a backend that is "
                "already running (also one started by hand with `make serve`) is used as is."
            ),
            self,
        )
        note.setWordWrap(True)

        self.button_box = QDialogButtonBox(
            QDialogButtonBox.Ok | QDialogButtonBox.Cancel | QDialogButtonBox.RestoreDefaults,
            self,
        )
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        self.button_box.button(QDialogButtonBox.RestoreDefaults).clicked.connect(
            lambda: self.set_settings(PluginSettings())
        )

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.button_box)
        self.set_settings(settings)

    def set_settings(self, settings: PluginSettings) -> None:
        """Show ``settings`` in the widgets."""
        self.backend_python_widget.setFilePath(settings.backend_python)
        index = self.device_combo.findData(settings.device)
        self.device_combo.setCurrentIndex(max(index, 0))
        self.model_dir_widget.setFilePath(settings.model_dir)
        self.port_spin.setValue(int(settings.port))
        self.timeout_spin.setValue(float(settings.startup_timeout_s))
        self.state_dir_widget.setFilePath(settings.state_dir)

    def settings(self) -> PluginSettings:
        """Return the settings as currently edited."""
        return PluginSettings(
            backend_python=self.backend_python_widget.filePath().strip(),
            device=str(self.device_combo.currentData()),
            model_dir=self.model_dir_widget.filePath().strip(),
            port=int(self.port_spin.value()),
            startup_timeout_s=float(self.timeout_spin.value()),
            state_dir=self.state_dir_widget.filePath().strip(),
        )
