"""*Set up backend…*: create, repair or remove the backend environment from inside QGIS.

The work is :func:`plugin.backend_setup.run_setup` / ``remove_environment`` in a
:class:`SetupTask` (a QgsTask, so QGIS stays responsive and its task manager shows it); the
installer's log streams into the dialog line by line, and *Cancel* stops it (nothing is
then marked as ready).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt import sip
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtGui import QFont, QFontDatabase
from qgis.PyQt.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..plugin import backend_setup as setup
from ..plugin.backend_process import backend_manager
from ..plugin.i18n import tr
from ..plugin.settings import PluginSettings

MAX_LOG_LINES = 5000
GIB = 1024**3


class SetupTask(QgsTask):
    """Run the set-up (``action="install"``) or the removal (``"remove"``) in a worker thread.

    Signals ``line`` (a log line) and ``step`` (index, count, title) arrive on the main
    thread; ``on_done(ok, error)`` is called there when the task ends.
    """

    line = pyqtSignal(str)
    step = pyqtSignal(int, int, str)

    def __init__(
        self,
        action: str,
        paths: setup.SetupPaths,
        variant: str,
        on_done: Callable[[bool, str], None] | None,
    ) -> None:
        title = (
            tr("Setting up the RoadExtract backend")
            if action == "install"
            else tr("Removing the RoadExtract backend environment")
        )
        super().__init__(title, QgsTask.CanCancel)
        self.action = action
        self.paths = paths
        self.variant = variant
        self.on_done = on_done
        self.error = ""
        self.result: setup.SetupResult | None = None

    def run(self) -> bool:
        """Worker thread: install or remove."""
        try:
            if self.action == "remove":
                self.line.emit(tr("Removing {path}").format(path=self.paths.root))
                setup.remove_environment(self.paths)
                return True
            self.result = setup.run_setup(
                self.variant,
                self.paths,
                on_line=self.line.emit,
                on_step=self._on_step,
                is_cancelled=self.isCanceled,
            )
        except setup.SetupError as exc:
            self.error = str(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - reported in the dialog, not lost in a thread
            self.error = f"{type(exc).__name__}: {exc}"
            return False
        return True

    def _on_step(self, index: int, count: int, title: str) -> None:
        self.step.emit(index, count, title)
        if count:
            self.setProgress(100.0 * (index - 1) / count)

    def finished(self, result: bool) -> None:  # noqa: FBT001 - QgsTask API
        """Main thread: report to the dialog (if it is still there)."""
        if self.on_done is not None:
            self.on_done(result, self.error or tr("The backend set-up was cancelled."))


class SetupDialog(QDialog):
    """The set-up dialog: state of the environment, PyTorch build, log, Install/Repair,
    Remove, Cancel.

    Args:
        parent: Parent widget (the QGIS main window).
        paths: The environment's files; default the managed one.
        reason: Why it opened (e.g. an algorithm found no backend), shown on top.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        paths: setup.SetupPaths | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("RoadExtractSetupDialog")
        self.setWindowTitle(tr("Set up the RoadExtract backend"))
        self.setMinimumWidth(640)
        self.paths = paths or setup.SetupPaths.default()
        self.task: SetupTask | None = None
        self.last_error = ""
        self.gpus = setup.detect_nvidia_gpus()

        self.reason_label = QLabel(reason, self)
        self.reason_label.setWordWrap(True)
        self.reason_label.setVisible(bool(reason))
        self.intro_label = QLabel(
            tr(
                "The backend runs in a Python environment of its own (PyTorch, rasterio, "
                "FastAPI, …), never in QGIS's Python. It is made here, outside the plugin "
                "folder, so plugin updates keep it."
            ),
            self,
        )
        self.intro_label.setWordWrap(True)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)

        self.variant_box = QGroupBox(tr("PyTorch build"), self)
        self.variant_group = QButtonGroup(self)
        self.cuda_radio = QRadioButton(self.variant_box)
        self.cpu_radio = QRadioButton(self.variant_box)
        variants = setup.available_variants()
        if setup.VARIANT_CUDA in variants:
            found = (
                tr("NVIDIA GPU found: {names}").format(names=", ".join(self.gpus))
                if self.gpus
                else tr("no NVIDIA GPU found")
            )
            self.cuda_radio.setText(
                tr("CUDA (NVIDIA GPU; also runs on CPU) — {found}").format(found=found)
            )
            self.cpu_radio.setText(tr("CPU only (a much smaller download)"))
        else:
            self.cuda_radio.setVisible(False)
            self.cpu_radio.setText(setup.variant_label(setup.VARIANT_CPU))
        self.cuda_radio.setEnabled(setup.VARIANT_CUDA in variants)
        box_layout = QVBoxLayout(self.variant_box)
        for value, radio in ((0, self.cuda_radio), (1, self.cpu_radio)):
            self.variant_group.addButton(radio, value)
            box_layout.addWidget(radio)
        self.set_variant(setup.default_variant(self.gpus))

        self.step_label = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.log_view = QPlainTextEdit(self)
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(MAX_LOG_LINES)
        self.log_view.setLineWrapMode(QPlainTextEdit.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        font.setStyleHint(QFont.Monospace)
        self.log_view.setFont(font)
        self.log_view.setMinimumHeight(180)

        self.install_button = QPushButton(self)
        self.remove_button = QPushButton(tr("Remove"), self)
        self.remove_button.setToolTip(tr("Delete the backend environment folder"))
        self.cancel_button = QPushButton(tr("Cancel set-up"), self)
        self.button_box = QDialogButtonBox(QDialogButtonBox.Close, self)
        self.button_box.rejected.connect(self.reject)
        self.install_button.clicked.connect(lambda: self.start_setup())
        self.remove_button.clicked.connect(self.start_remove)
        self.cancel_button.clicked.connect(self.cancel)

        buttons = QHBoxLayout()
        for button in (self.install_button, self.remove_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.button_box)

        layout = QVBoxLayout(self)
        for widget in (
            self.reason_label,
            self.intro_label,
            self.status_label,
            self.variant_box,
            self.step_label,
            self.progress,
            self.log_view,
        ):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.refresh()

    # -- state -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while a set-up or removal task runs."""
        return self.task is not None

    def variant(self) -> str:
        """The chosen PyTorch build: ``cuda`` or ``cpu``."""
        return setup.VARIANT_CUDA if self.cuda_radio.isChecked() else setup.VARIANT_CPU

    def set_variant(self, variant: str) -> None:
        """Choose the PyTorch build (``cuda`` falls back to ``cpu`` where unavailable)."""
        use_cuda = variant == setup.VARIANT_CUDA and self.cuda_radio.isEnabled()
        (self.cuda_radio if use_cuda else self.cpu_radio).setChecked(True)

    def status_text(self, state: setup.EnvironmentState) -> str:
        """One paragraph on the environment's state and folder."""
        folder = tr("Folder: {path}").format(path=self.paths.root)
        marker = state.marker
        if state.status == setup.STATUS_ABSENT:
            text = tr("Not set up yet.")
        elif state.status == setup.STATUS_INCOMPLETE:
            text = tr("Incomplete (a set-up failed, was cancelled or files are missing): Repair.")
        else:
            text = tr("Ready: PyTorch {variant}, installed with {installer} on {date}.").format(
                variant=setup.variant_label(str(marker.get("variant", ""))),
                installer=marker.get("installer", "?"),
                date=str(marker.get("created", "?"))[:10],
            )
            if state.status == setup.STATUS_OUTDATED:
                text += " " + tr("Made for other requirements than this plugin version's: Repair.")
        return f"<b>{text}</b><br>{folder}"

    def refresh(self) -> None:
        """Update the state text and which buttons apply."""
        state = setup.environment_state(self.paths)
        self.status_label.setText(self.status_text(state))
        exists = state.status != setup.STATUS_ABSENT
        self.install_button.setText(tr("Repair") if exists else tr("Install"))
        self.install_button.setToolTip(
            tr("Make the environment again from scratch") if exists else tr("Make the environment")
        )
        self.install_button.setEnabled(not self.running)
        self.remove_button.setEnabled(exists and not self.running)
        self.variant_box.setEnabled(not self.running)
        self.cancel_button.setEnabled(self.running)
        self.cancel_button.setVisible(self.running)

    # -- actions ---------------------------------------------------------------------------

    def _append(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    def _on_step(self, index: int, count: int, title: str) -> None:
        if count:
            self.progress.setRange(0, count)
            self.progress.setValue(index - 1)
            self.step_label.setText(
                tr("Step {index} of {count}: {title}").format(index=index, count=count, title=title)
            )
        else:
            self.progress.setRange(0, 0)  # busy
            self.step_label.setText(title)

    def _stop_backend_using_env(self) -> None:
        """Stop a backend this QGIS started (it may run from the environment we replace)."""
        manager = backend_manager()
        if manager.started_by_plugin:
            self._append(tr("Stopping the running backend first."))
            manager.stop()

    def _start_task(self, action: str) -> None:
        self.last_error = ""
        self._stop_backend_using_env()
        self.log_view.clear()
        self.progress.setRange(0, 0)
        self.step_label.setText("")
        task = SetupTask(action, self.paths, self.variant(), self._on_done)
        task.line.connect(self._append)
        task.step.connect(self._on_step)
        self.task = task
        self.refresh()
        QgsApplication.taskManager().addTask(task)

    def start_setup(self, variant: str | None = None) -> None:
        """Install (or repair) the environment in a background task."""
        if self.running:
            return
        if variant is not None:
            self.set_variant(variant)
        self._start_task("install")

    def start_remove(self) -> None:
        """Delete the environment folder in a background task."""
        if self.running:
            return
        self._start_task("remove")

    def cancel(self) -> None:
        """Stop the running set-up (nothing is then marked as ready)."""
        task = self.task
        if task is not None and not sip.isdeleted(task):
            self._append(tr("Cancelling…"))
            task.cancel()

    def _on_done(self, ok: bool, error: str) -> None:  # noqa: FBT001 - callback
        task = self.task
        self.task = None
        if sip.isdeleted(self):
            return
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if ok else 0)
        if ok and task is not None and task.action == "install" and task.result is not None:
            self._use_environment(task.result.python)
            size = setup.folder_size_bytes(self.paths.venv) / GIB
            self.step_label.setText(
                tr("Done in {seconds:.0f} s; the environment takes {size:.1f} GB.").format(
                    seconds=task.result.seconds, size=size
                )
            )
        elif ok:
            self._forget_environment()
            self.step_label.setText(tr("The backend environment was removed."))
        else:
            self.last_error = error
            self.step_label.setText(error.splitlines()[0] if error else "")
        self.refresh()

    def _use_environment(self, python: Path) -> None:
        """Make the plugin use the new environment (unless the default already is it)."""
        settings = PluginSettings.load()
        if settings.resolved_backend_python() != python:
            settings.backend_python = str(python)
            settings.save()

    def _forget_environment(self) -> None:
        """Drop a Backend Python setting that pointed into the removed environment."""
        settings = PluginSettings.load()
        if settings.backend_python and Path(settings.backend_python) == self.paths.python():
            settings.backend_python = ""
            settings.save()

    def shutdown(self) -> None:
        """Cancel a running task without reporting back (the plugin unloads)."""
        task = self.task
        if task is not None and not sip.isdeleted(task):
            task.on_done = None
            task.cancel()
            if task.status() == QgsTask.Running:
                task.waitForFinished(15000)
        self.task = None

    def reject(self) -> None:
        """Close; a running set-up keeps running (its task shows in QGIS's task manager)."""
        super().reject()
