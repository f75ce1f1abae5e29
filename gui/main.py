"""The RoadExtract plugin object: menu, toolbar, Processing provider, backend lifecycle."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import Qgis, QgsApplication, QgsTask
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject, pyqtSignal
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QMessageBox

from ..plugin import backend_setup, resources
from ..plugin.backend_process import BackendStartError, backend_manager
from ..plugin.client import BackendError, HealthInfo
from ..plugin.i18n import install_translator, remove_translator, tr
from ..plugin.resources import icon_path
from ..plugin.settings import PluginSettings

MENU_NAME = "&RoadExtract"
TOOLBAR_OBJECT_NAME = "RoadExtractToolbar"
MESSAGE_DURATION_S = 8
# How long unload waits for a cancelled backend start to wind down (it polls every 0.1 s).
UNLOAD_TASK_WAIT_MS = 15000


class BackendStartTask(QgsTask):
    """Start (or find) the backend in the background so the GUI never freezes.

    Args:
        settings: Plugin settings to start with.
        on_done: Called on the main thread with ``(health, error_message)``; exactly one
            of them is None.
    """

    def __init__(
        self,
        settings: PluginSettings,
        on_done: Callable[[HealthInfo | None, str | None], None],
    ) -> None:
        super().__init__(tr("Starting the RoadExtract backend"), QgsTask.CanCancel)
        self.settings = settings
        self.on_done = on_done
        self.health: HealthInfo | None = None
        self.error: str | None = None

    def run(self) -> bool:
        """Worker thread: find or start the backend, then ask for its health."""
        if self.isCanceled():
            return False
        try:
            client = backend_manager().ensure_running(self.settings, is_cancelled=self.isCanceled)
            self.health = client.health()
        except (BackendStartError, BackendError) as exc:
            self.error = str(exc)
            return False
        return True

    def finished(self, result: bool) -> None:  # noqa: FBT001 - QgsTask API
        """Main thread: report (nothing once the plugin is unloaded: ``on_done`` is None)."""
        if self.on_done is None:
            return
        if result:
            self.on_done(self.health, None)
        else:
            self.on_done(None, self.error or tr("Start of the RoadExtract backend was cancelled."))


class SetupOffer(QObject):
    """Carries :func:`plugin.backend_setup.offer_setup` calls, from whatever thread an
    algorithm runs in, to the main thread (a queued signal)."""

    requested = pyqtSignal(str)


class RoadExtractPlugin:
    """QGIS plugin object created by ``classFactory``.

    Args:
        iface: The QGIS interface; None under qgis_process, where only
            :meth:`initProcessing` is called.
    """

    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider = None
        self.toolbar = None
        self.actions: list[QAction] = []
        self.settings_action: QAction | None = None
        self.start_action: QAction | None = None
        self.stop_action: QAction | None = None
        self.status_action: QAction | None = None
        self.setup_action: QAction | None = None
        self.setup_dialog = None
        self.setup_offer: SetupOffer | None = None
        self._offer_box: QMessageBox | None = None
        # Interactive extraction (issue #6): its action sits in the Raster > RoadExtract menu
        # and the Plugins toolbar; dock, tool and controller are made on first use.
        self.interactive_action: QAction | None = None
        self.interactive = None
        # Running tasks stay referenced here; QGIS deletes a task's C++ object once it is
        # finished, so every use checks sip.isdeleted first (see _live_tasks).
        self._tasks: list[QgsTask] = []
        # Installed here rather than in initGui: qgis_process only calls initProcessing.
        self.translator = install_translator()

    # -- Processing ------------------------------------------------------------------------

    def initProcessing(self) -> None:  # noqa: N802 - QGIS plugin API
        """Register the Processing provider (QGIS and qgis_process call this)."""
        if self.provider is not None:
            return
        from ..processing_provider.provider import RoadExtractProvider

        self.provider = RoadExtractProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    # -- GUI -------------------------------------------------------------------------------

    def initGui(self) -> None:  # noqa: N802 - QGIS plugin API
        """Create the menu and toolbar entries and register the provider."""
        self.initProcessing()
        self.toolbar = self.iface.addToolBar(tr("RoadExtract"))
        self.toolbar.setObjectName(TOOLBAR_OBJECT_NAME)
        main_window = self.iface.mainWindow()
        plugin_icon = QIcon(str(icon_path()))

        self.setup_action = self._add_action(
            QgsApplication.getThemeIcon("/mActionAddPackage.svg"),
            tr("Set up backend…"),
            tr("Install, repair or remove the backend environment (PyTorch and friends)"),
            self.show_setup,
            main_window,
        )
        self.settings_action = self._add_action(
            QgsApplication.getThemeIcon("/mActionOptions.svg"),
            tr("Settings…"),
            tr("Backend Python, device, model folder and port of RoadExtract"),
            self.show_settings,
            main_window,
        )
        self.start_action = self._add_action(
            plugin_icon,
            tr("Start backend"),
            tr("Start the RoadExtract backend, or connect to one that is running"),
            self.start_backend,
            main_window,
        )
        self.stop_action = self._add_action(
            QgsApplication.getThemeIcon("/mActionStop.svg"),
            tr("Stop backend"),
            tr("Stop the backend this QGIS started"),
            self.stop_backend,
            main_window,
        )
        self.status_action = self._add_action(
            QgsApplication.getThemeIcon("/mActionPropertiesWidget.svg"),
            tr("Backend status"),
            tr("Show whether a backend runs, and on which device (CPU or GPU)"),
            self.show_backend_status,
            main_window,
        )
        self.interactive_action = QAction(
            QgsApplication.getThemeIcon("/mActionCapturePolygon.svg"),
            tr("Interactive extraction…"),
            main_window,
        )
        tip = tr(
            "Extract roads or objects by clicking and scribbling on the map; refine over "
            "rounds, then accept into a layer"
        )
        self.interactive_action.setStatusTip(tip)
        self.interactive_action.setToolTip(tip)
        self.interactive_action.setCheckable(True)
        self.interactive_action.triggered.connect(self.open_interactive)
        self.iface.addPluginToRasterMenu(MENU_NAME, self.interactive_action)
        self.iface.addToolBarIcon(self.interactive_action)
        # Algorithms and backend starts that find no backend environment offer the set-up.
        self.setup_offer = SetupOffer()
        self.setup_offer.requested.connect(self.offer_setup)
        backend_setup.set_setup_offer(self.setup_offer.requested.emit)

    def open_interactive(self) -> None:
        """Open the interactive extraction dock and activate its map tool."""
        if self.interactive is None:
            from .interactive.dock import InteractiveExtraction

            self.interactive = InteractiveExtraction(self.iface, self.interactive_action)
        self.interactive.open()

    def _add_action(self, icon: QIcon, text: str, tip: str, slot, parent) -> QAction:
        action = QAction(icon, text, parent)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.iface.addPluginToRasterMenu(MENU_NAME, action)
        self.toolbar.addAction(action)
        self.actions.append(action)
        return action

    def _live_tasks(self) -> list[QgsTask]:
        """Tasks of ours that QGIS has not deleted yet and that are still queued or running."""
        return [
            task
            for task in self._tasks
            if not sip.isdeleted(task)
            and task.status() not in (QgsTask.Complete, QgsTask.Terminated)
        ]

    def unload(self) -> None:
        """Remove menu, toolbar and provider; stop the backend this QGIS started.

        A backend start in progress is cancelled and waited for (it stops what it started),
        so nothing of this plugin runs or shows a message after unload.
        """
        backend_setup.set_setup_offer(None)
        if self.setup_dialog is not None:
            self.setup_dialog.shutdown()
            self.setup_dialog.close()
            self.setup_dialog.deleteLater()
            self.setup_dialog = None
        if self._offer_box is not None:
            self._offer_box.close()
            self._offer_box.deleteLater()
            self._offer_box = None
        if self.setup_offer is not None:
            self.setup_offer.deleteLater()
            self.setup_offer = None
        for task in self._live_tasks():
            if isinstance(task, BackendStartTask):
                task.on_done = None
            task.cancel()
        for task in self._live_tasks():
            if task.status() == QgsTask.Running:
                task.waitForFinished(UNLOAD_TASK_WAIT_MS)
        self._tasks.clear()
        if self.interactive is not None:
            self.interactive.unload()
            self.interactive = None
        if self.interactive_action is not None:
            if self.iface is not None:
                self.iface.removePluginRasterMenu(MENU_NAME, self.interactive_action)
                self.iface.removeToolBarIcon(self.interactive_action)
            self.interactive_action.deleteLater()
            self.interactive_action = None
        for action in self.actions:
            if self.iface is not None:
                self.iface.removePluginRasterMenu(MENU_NAME, action)
            if self.toolbar is not None:
                self.toolbar.removeAction(action)
            action.deleteLater()
        self.actions.clear()
        self.settings_action = self.start_action = self.stop_action = self.status_action = None
        self.setup_action = None
        if self.toolbar is not None:
            if self.iface is not None:
                self.iface.mainWindow().removeToolBar(self.toolbar)
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        # Only a backend started by this QGIS; one started with `make serve` keeps running.
        backend_manager().stop()
        remove_translator(self.translator)
        self.translator = None

    # -- actions ---------------------------------------------------------------------------

    def _message(self, text: str, level=Qgis.Info, details: str = "") -> None:
        bar = self.iface.messageBar()
        if details:
            bar.pushMessage("RoadExtract", text, details, level, MESSAGE_DURATION_S)
        else:
            bar.pushMessage("RoadExtract", text, level, MESSAGE_DURATION_S)

    def show_setup(self, reason: str = "") -> None:
        """Open the *Set up backend…* dialog (non-modal; one per QGIS)."""
        from .setup_dialog import SetupDialog

        if self.setup_dialog is None or sip.isdeleted(self.setup_dialog):
            self.setup_dialog = SetupDialog(self.iface.mainWindow(), reason=reason)
        else:
            self.setup_dialog.reason_label.setText(reason)
            self.setup_dialog.reason_label.setVisible(bool(reason))
            self.setup_dialog.refresh()
        self.setup_dialog.show()
        self.setup_dialog.raise_()
        self.setup_dialog.activateWindow()

    def offer_setup(self, reason: str) -> None:
        """Main thread: no backend environment was found; offer to set it up (a non-modal
        question, once at a time; nothing when the set-up dialog is already open)."""
        if self.setup_dialog is not None and not sip.isdeleted(self.setup_dialog):
            if self.setup_dialog.isVisible():
                return
        if self._offer_box is not None and self._offer_box.isVisible():
            return
        box = QMessageBox(
            QMessageBox.Question,
            tr("RoadExtract backend not set up"),
            tr(
                "RoadExtract needs its backend environment (PyTorch and the other "
                "dependencies, in a folder of its own). Set it up now?"
            ),
            QMessageBox.Yes | QMessageBox.No,
            self.iface.mainWindow(),
        )
        box.setDetailedText(reason)
        box.button(QMessageBox.Yes).setText(tr("Set up backend…"))
        box.setWindowModality(0)  # Qt.NonModal: an algorithm's dialog stays usable
        box.finished.connect(
            lambda code: self.show_setup(reason) if code == QMessageBox.Yes else None
        )
        self._offer_box = box
        box.show()

    def show_settings(self) -> None:
        """Open the settings dialog and save what the user accepts."""
        from .settings_dialog import SettingsDialog

        current = PluginSettings.load()
        dialog = SettingsDialog(current, self.iface.mainWindow())
        if not dialog.exec_():
            return
        new = dialog.settings()
        new.save()
        if new != current and backend_manager().started_by_plugin:
            self._message(
                tr("Settings saved. Stop and start the backend to apply them."), Qgis.Info
            )

    def start_backend(self) -> None:
        """Find or start the backend in a background task."""
        self.start_action.setEnabled(False)
        task = BackendStartTask(PluginSettings.load(), self._on_backend_started)
        self._tasks = self._live_tasks()
        self._tasks.append(task)
        QgsApplication.taskManager().addTask(task)
        self._message(tr("Starting the RoadExtract backend…"), Qgis.Info)

    def _on_backend_started(self, health: HealthInfo | None, error: str | None) -> None:
        if self.start_action is not None:
            self.start_action.setEnabled(True)
        if health is not None:
            self._message(
                tr("Backend ready on {device}.").format(device=health.describe()), Qgis.Success
            )
        else:
            first_line = (error or "").splitlines()[0] if error else ""
            self._message(first_line, Qgis.Critical, details=error or "")

    def stop_backend(self) -> None:
        """Stop the backend if this QGIS started it; explain otherwise."""
        manager = backend_manager()
        if manager.stop():
            self._message(tr("The RoadExtract backend was stopped."), Qgis.Info)
            return
        if manager.find_running(PluginSettings.load()) is not None:
            self._message(
                tr(
                    "The running backend was not started by this QGIS (it was started with "
                    "`make serve` or by another QGIS); stop it where it was started."
                ),
                Qgis.Warning,
            )
        else:
            self._message(tr("No RoadExtract backend is running."), Qgis.Info)

    def backend_status_text(self) -> str:
        """Describe the backend in use (device, GPU, version, who started it)."""
        settings = PluginSettings.load()
        info = backend_manager().info(settings)
        if info is None:
            prefix = ""
            if not settings.resolved_backend_python().exists():
                prefix = (
                    tr("The backend is not set up yet: Raster > RoadExtract > Set up backend…")
                    + "\n\n"
                )
            return prefix + tr(
                "No RoadExtract backend is running. Start one with Raster > RoadExtract > "
                "Start backend, or with `make serve` in the plugin folder.\n\n"
                "Backend Python: {python}\nState folder: {state_dir}"
            ).format(
                python=settings.resolved_backend_python(),
                state_dir=settings.resolved_state_dir(),
            )
        health = info.health
        lines = [
            tr("Backend: {url} (version {version})").format(url=info.url, version=health.version),
            tr("Device: {device}").format(device=health.describe()),
            tr("PyTorch: {version}").format(version=health.torch_version or tr("not installed")),
            tr("Started by: {who}").format(
                who=tr("this QGIS") if info.started_by_plugin else tr("someone else (make serve)")
            ),
            tr("State file: {path}").format(path=info.state_file),
        ]
        if info.log_path is not None:
            lines.append(tr("Log: {path}").format(path=info.log_path))
        plugin_version = resources.plugin_version()
        if health.version and plugin_version and health.version != plugin_version:
            lines.append(
                tr(
                    "Warning: the backend is version {backend}, the plugin {plugin}; stop the "
                    "backend and start it from the plugin to use the matching one."
                ).format(backend=health.version, plugin=plugin_version)
            )
        return "\n".join(lines)

    def show_backend_status(self) -> None:
        """Show the backend status in a message box."""
        QMessageBox.information(
            self.iface.mainWindow(), tr("RoadExtract backend"), self.backend_status_text()
        )
