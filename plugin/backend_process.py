"""Backend lifecycle: find a running backend, or start one, and stop what we started.

A running backend announces itself in ``<state_dir>/backend.json`` (url, port, token, pid,
version; see ``docs/backend_api.md``). Whoever started it (this plugin, ``make serve``, a
second QGIS), it is reused when ``/health`` answers with its token. Otherwise the plugin
runs ``<backend_python> -m backend serve ...`` with the plugin folder as working directory,
so ``backend`` resolves to the sources shipped inside the plugin, and waits for the state
file and ``/health``. Only a backend started here is ever stopped here.

One :class:`BackendManager` per QGIS process (:func:`backend_manager`), shared by the GUI
and the Processing algorithms, which may run in worker threads: every method takes a lock.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from .backend_setup import offer_setup
from .client import BackendClient, BackendError, HealthInfo
from .i18n import tr
from .resources import plugin_root
from .settings import PluginSettings

STATE_FILE_NAME = "backend.json"
LOG_FILE_NAME = "backend-plugin.log"
POLL_INTERVAL_S = 0.1
STOP_GRACE_S = 5.0
LOG_TAIL_LINES = 25
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Variables QGIS may set for its own Python/GDAL/PROJ (PYTHONHOME on Windows, PROJ_LIB in
# OSGeo4W) that would break the backend venv's interpreter or its bundled GDAL/PROJ data.
SCRUBBED_ENV_VARS = (
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "GDAL_DATA",
    "GDAL_DRIVER_PATH",
    "PROJ_LIB",
    "PROJ_DATA",
)


class BackendStartError(RuntimeError):
    """The backend could not be found or started; the message says what to run."""


class BackendNotInstalledError(BackendStartError):
    """No backend environment: the backend Python does not exist (offer the set-up)."""


@dataclass
class BackendState:
    """Contents of ``backend.json``, written by a running backend.

    Attributes:
        url: Base URL, ``http://127.0.0.1:PORT``.
        port: TCP port.
        token: Bearer token every request needs.
        pid: Process id of the backend.
        version: Backend version.
        parent_pid: Process id of the QGIS that started it (``--parent-pid``), or None
            for a backend started by hand.
    """

    url: str
    port: int
    token: str
    pid: int
    version: str = ""
    parent_pid: int | None = None

    @classmethod
    def read(cls, path: Path) -> BackendState | None:
        """Read a state file; None when absent, unreadable, incomplete or not loopback."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = cls(
                url=str(data["url"]),
                port=int(data["port"]),
                token=str(data["token"]),
                pid=int(data["pid"]),
                version=str(data.get("version") or ""),
                parent_pid=int(data["parent_pid"]) if data.get("parent_pid") else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # Never send the token anywhere but this machine.
        if (urlparse(state.url).hostname or "") not in LOOPBACK_HOSTS or not state.token:
            return None
        return state


@dataclass
class BackendInfo:
    """What the GUI shows about the backend in use.

    Attributes:
        url: Base URL of the backend.
        health: Its ``/health`` answer.
        started_by_plugin: True when this QGIS started it (and will stop it on unload).
        state_file: The state file it was found through.
        log_path: Log of a backend started by the plugin, else None.
    """

    url: str
    health: HealthInfo
    started_by_plugin: bool
    state_file: Path
    log_path: Path | None


def backend_command(settings: PluginSettings) -> list[str]:
    """Build the command line that starts the backend.

    Args:
        settings: Plugin settings (backend Python, device, port, model and state folders).

    Returns:
        ``[python, "-m", "backend", "serve", "--port", P, "--device", D, "--state-dir", S,
        "--parent-pid", <this QGIS's pid>]`` plus ``--model-dir M`` when a model folder is
        set. With the parent pid the backend shuts down by itself once this QGIS is gone
        (a crash never calls ``unload``).
    """
    command = [
        str(settings.resolved_backend_python()),
        "-m",
        "backend",
        "serve",
        "--port",
        str(settings.port),
        "--device",
        settings.device,
        "--state-dir",
        str(settings.resolved_state_dir()),
        "--parent-pid",
        str(os.getpid()),
    ]
    model_dir = settings.resolved_model_dir()
    if model_dir is not None:
        command += ["--model-dir", str(model_dir)]
    return command


def backend_environment() -> dict[str, str]:
    """Return the environment for the backend: ours minus QGIS's Python/GDAL/PROJ paths."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV_VARS}
    env["PYTHONUNBUFFERED"] = "1"  # log lines reach the log file before a crash
    return env


def read_log_tail(path: Path | None, max_lines: int = LOG_TAIL_LINES) -> str:
    """Return the last ``max_lines`` lines of a log file ("" when there is none)."""
    if path is None:
        return ""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-max_lines:])


def process_alive(pid: int) -> bool:
    """True while process ``pid`` exists (POSIX: signal 0; Windows: OpenProcess)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(state: BackendState) -> bool:
    """True for a backend started by a QGIS that is gone (its parent pid is dead).

    Such a backend normally exits by itself (parent watch); one that did not is stopped
    at the next start. A backend started by hand (no parent pid) is never stale.
    """
    return (
        state.parent_pid is not None
        and state.parent_pid != os.getpid()
        and not process_alive(state.parent_pid)
    )


def missing_python_message(python: Path) -> str:
    """Message for a backend Python that does not exist, naming what to run."""
    return tr(
        "The RoadExtract backend is not set up: its Python was not found ({python}). Set it "
        "up with Raster > RoadExtract > Set up backend… (downloads PyTorch and the other "
        "dependencies into a folder of their own), or, in a checkout, run `make install` in "
        "the plugin folder ({root}); or set the backend Python in Raster > RoadExtract > "
        "Settings. A backend started by hand with `make serve` is used as is."
    ).format(python=python, root=plugin_root())


class BackendManager:
    """Finds, starts and stops the backend for this QGIS process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._process: subprocess.Popen | None = None
        self._log_path: Path | None = None
        self._log_handle: BinaryIO | None = None
        self._state_file: Path | None = None
        self._client: BackendClient | None = None
        self._atexit_registered = False

    # -- queries ---------------------------------------------------------------------------

    @property
    def started_by_plugin(self) -> bool:
        """True while a backend started by this manager is alive."""
        with self._lock:
            return self._process is not None and self._process.poll() is None

    @property
    def process_id(self) -> int | None:
        """Process id of the backend this manager started, or None."""
        with self._lock:
            return self._process.pid if self._process is not None else None

    @property
    def log_path(self) -> Path | None:
        """Log file of the backend this manager started last, or None."""
        return self._log_path

    def find_running(self, settings: PluginSettings) -> BackendClient | None:
        """Return a client for a backend that answers through the state file, else None.

        Args:
            settings: Plugin settings (only the state folder is used).
        """
        with self._lock:
            state_file = settings.resolved_state_dir() / STATE_FILE_NAME
            if self._client is not None and self._state_file == state_file:
                if _answers(self._client):
                    return self._client
                self._client.close()
                self._client = None
            state = BackendState.read(state_file)
            if state is None:
                return None
            client = BackendClient(state.url, state.token)
            if not _answers(client):
                client.close()
                return None
            self._client = client
            self._state_file = state_file
            return client

    def info(self, settings: PluginSettings) -> BackendInfo | None:
        """Describe the running backend (None when none answers); does not start one."""
        with self._lock:
            client = self.find_running(settings)
            if client is None:
                return None
            try:
                health = client.health()
            except BackendError:
                return None
            state = BackendState.read(settings.resolved_state_dir() / STATE_FILE_NAME)
            ours = self.started_by_plugin and state is not None and state.pid == self.process_id
            return BackendInfo(
                url=client.url,
                health=health,
                started_by_plugin=ours,
                state_file=settings.resolved_state_dir() / STATE_FILE_NAME,
                log_path=self._log_path if ours else None,
            )

    # -- start -----------------------------------------------------------------------------

    def ensure_running(
        self,
        settings: PluginSettings,
        on_message: Callable[[str], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> BackendClient:
        """Return a client for a running backend, starting one when none answers.

        Args:
            settings: Plugin settings.
            on_message: Called with progress messages ("starting the backend ...").
            is_cancelled: Polled while waiting for start-up; True aborts (and stops the
                half-started backend).

        Returns:
            A client whose ``/health`` answered.

        Raises:
            BackendStartError: With a message that says what to run.
        """
        with self._lock:
            client = self.find_running(settings)
            if client is not None:
                state_file = settings.resolved_state_dir() / STATE_FILE_NAME
                state = BackendState.read(state_file)
                if state is None or not is_stale(state):
                    return client
                if on_message is not None:
                    on_message(
                        tr(
                            "Stopping a RoadExtract backend (pid {pid}) left behind by a QGIS "
                            "that is gone."
                        ).format(pid=state.pid)
                    )
                self.stop_stale(state, state_file)
            if is_cancelled is not None and is_cancelled():
                raise BackendStartError(tr("Start of the RoadExtract backend was cancelled."))
            return self.start(settings, on_message=on_message, is_cancelled=is_cancelled)

    def start(
        self,
        settings: PluginSettings,
        on_message: Callable[[str], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> BackendClient:
        """Start a backend subprocess and wait until it answers ``/health``.

        Args:
            settings: Plugin settings.
            on_message: Called with progress messages.
            is_cancelled: Polled while waiting; True aborts the start.

        Returns:
            A client for the new backend.

        Raises:
            BackendStartError: Python missing, process died, or no answer in time; the
                message names what to run and carries the tail of the backend's log.
        """
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self.stop()  # ours but not answering: replace it
            python = settings.resolved_backend_python()
            if not python.exists():
                message = missing_python_message(python)
                # The GUI (when loaded) offers Set up backend… instead of only an error.
                offer_setup(message)
                raise BackendNotInstalledError(message)
            root = plugin_root()
            if not (root / "backend" / "__init__.py").is_file():
                raise BackendStartError(
                    tr(
                        "The backend sources are missing from the plugin folder ({path}). "
                        "Reinstall the RoadExtract plugin."
                    ).format(path=root / "backend")
                )
            state_dir = settings.resolved_state_dir()
            try:
                state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise BackendStartError(
                    tr(
                        "Cannot create the backend state folder {path}: {error}. Choose "
                        "another state folder in Raster > RoadExtract > Settings."
                    ).format(path=state_dir, error=exc)
                ) from exc
            state_file = state_dir / STATE_FILE_NAME
            log_path = state_dir / LOG_FILE_NAME
            command = backend_command(settings)
            if on_message is not None:
                on_message(
                    tr("Starting the RoadExtract backend: {command}").format(
                        command=" ".join(command)
                    )
                )
            self._close_log()
            self._log_handle = log_path.open("wb")
            self._log_path = log_path
            creation_flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
            started_at = time.time()
            try:
                process = subprocess.Popen(
                    command,
                    cwd=str(root),
                    env=backend_environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=self._log_handle,
                    stderr=subprocess.STDOUT,
                    creationflags=creation_flags if sys.platform == "win32" else 0,
                )
            except OSError as exc:
                self._close_log()
                raise BackendStartError(
                    tr(
                        "Cannot run the backend Python {python}: {error}. Run `make install` "
                        "in the plugin folder ({root}) or set the backend Python in Raster > "
                        "RoadExtract > Settings."
                    ).format(python=python, error=exc, root=root)
                ) from exc
            self._process = process
            self._state_file = state_file
            if not self._atexit_registered:
                # qgis_process and a crashing QGIS never call unload(); do not leak the child.
                atexit.register(self.stop)
                self._atexit_registered = True
            client = self._wait_until_ready(
                process, state_file, started_at, settings.startup_timeout_s, is_cancelled
            )
            self._client = client
            return client

    def _wait_until_ready(
        self,
        process: subprocess.Popen,
        state_file: Path,
        started_at: float,
        timeout_s: float,
        is_cancelled: Callable[[], bool] | None,
    ) -> BackendClient:
        """Poll for the state file of ``process`` and a ``/health`` answer."""
        root = plugin_root()
        deadline = started_at + timeout_s
        while True:
            exit_code = process.poll()
            if exit_code is not None:
                self._process = None
                self._close_log()
                raise BackendStartError(
                    tr(
                        "The RoadExtract backend stopped during start-up (exit code {code}). "
                        "If a module is missing, run `make install` in the plugin folder "
                        "({root}) or set the backend Python in Raster > RoadExtract > "
                        "Settings. Last lines of its log ({log}):\n{tail}"
                    ).format(
                        code=exit_code,
                        root=root,
                        log=self._log_path,
                        tail=read_log_tail(self._log_path),
                    )
                )
            state = BackendState.read(state_file)
            if state is not None and _is_state_of(state, state_file, process, started_at):
                client = BackendClient(state.url, state.token)
                if _answers(client):
                    return client
                client.close()
            if is_cancelled is not None and is_cancelled():
                self.stop()
                raise BackendStartError(tr("Start of the RoadExtract backend was cancelled."))
            if time.time() > deadline:
                tail = read_log_tail(self._log_path)
                log = self._log_path
                self.stop()
                raise BackendStartError(
                    tr(
                        "The RoadExtract backend did not answer within {timeout_s:.0f} s and "
                        "was stopped. Raise the start-up timeout in Raster > RoadExtract > "
                        "Settings, or start it by hand with `make serve` and try again. Last "
                        "lines of its log ({log}):\n{tail}"
                    ).format(timeout_s=timeout_s, log=log, tail=tail)
                )
            time.sleep(POLL_INTERVAL_S)

    # -- stop ------------------------------------------------------------------------------

    def stop(self, grace_s: float = STOP_GRACE_S) -> bool:
        """Stop the backend this manager started (terminate, then kill after ``grace_s``).

        A backend started by anyone else is left alone.

        Args:
            grace_s: Seconds to wait for a clean shutdown before killing.

        Returns:
            True when a process of ours was stopped.
        """
        with self._lock:
            process = self._process
            self._process = None
            if self._client is not None:
                self._client.close()
                self._client = None
            if process is None:
                self._close_log()
                return False
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    process.kill()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=grace_s)
            # A killed backend cannot remove its state file; do it for it, if still its own.
            if self._state_file is not None:
                state = BackendState.read(self._state_file)
                if state is not None and state.pid == process.pid:
                    with contextlib.suppress(OSError):
                        self._state_file.unlink()
            self._close_log()
            return True

    def stop_stale(self, state: BackendState, state_file: Path, grace_s: float = STOP_GRACE_S):
        """Stop a backend whose QGIS is gone (SIGTERM, then SIGKILL after ``grace_s``).

        Only called for a backend that answered ``/health`` with the token of
        ``state_file``, so ``state.pid`` is that backend and not an unrelated process.
        """
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            with contextlib.suppress(OSError):
                os.kill(state.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while process_alive(state.pid) and time.monotonic() < deadline:
                time.sleep(POLL_INTERVAL_S)
            if process_alive(state.pid) and sys.platform != "win32":
                with contextlib.suppress(OSError):
                    os.kill(state.pid, signal.SIGKILL)
            current = BackendState.read(state_file)
            if current is not None and current.pid == state.pid:
                with contextlib.suppress(OSError):
                    state_file.unlink()

    def _close_log(self) -> None:
        if self._log_handle is not None:
            with contextlib.suppress(OSError):
                self._log_handle.close()
            self._log_handle = None


def _answers(client: BackendClient) -> bool:
    """True when ``/health`` answers ``status: ok`` with this client's token."""
    try:
        return client.health(timeout_s=2.0).status == "ok"
    except BackendError:
        return False


def _is_state_of(
    state: BackendState, state_file: Path, process: subprocess.Popen, started_at: float
) -> bool:
    """True when ``state`` was written by ``process`` (not a stale file of an older one)."""
    if state.pid == process.pid:
        return True
    # A wrapper script as backend Python runs the backend under another pid: accept a file
    # written after the start instead.
    try:
        return state_file.stat().st_mtime >= started_at - 1.0
    except OSError:
        return False


_MANAGER: BackendManager | None = None
_MANAGER_LOCK = threading.Lock()


def backend_manager() -> BackendManager:
    """Return the process-wide :class:`BackendManager` (created on first use)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = BackendManager()
        return _MANAGER
