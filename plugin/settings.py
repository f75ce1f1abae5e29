"""Typed plugin settings, stored in QgsSettings under ``roadextract/``.

Empty strings mean "use the default", resolved at the time of use, so a settings file
written today keeps working when the plugin folder moves or the environment changes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from qgis.core import QgsSettings

from .backend_setup import managed_python
from .resources import plugin_root

SETTINGS_PREFIX = "roadextract/"
DEVICES = ("auto", "cpu", "cuda", "mps")
# Environment variable naming the backend Python (tests, CI, users who keep it elsewhere).
BACKEND_PYTHON_ENV = "ROADEXTRACT_BACKEND_PYTHON"
STATE_DIR_ENV = "ROADEXTRACT_STATE_DIR"
MAX_PORT = 65535


def default_backend_python() -> Path:
    """Return the backend Python used when the setting is empty.

    ``$ROADEXTRACT_BACKEND_PYTHON`` when set; else the developer environment that
    ``make install`` creates in the plugin folder (``.venv``) when it exists; else the
    environment *Set up backend…* manages outside the plugin folder
    (:func:`plugin.backend_setup.managed_python`, which may not exist yet).
    """
    from_env = os.environ.get(BACKEND_PYTHON_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    venv = plugin_root() / ".venv"
    if sys.platform == "win32":
        developer = venv / "Scripts" / "python.exe"
    else:
        developer = venv / "bin" / "python"
    if developer.exists():
        return developer
    return managed_python()


def default_state_dir() -> Path:
    """Return the backend state folder, resolved exactly like the backend does.

    ``$ROADEXTRACT_STATE_DIR``, else ``$XDG_STATE_HOME/roadextract``, else
    ``~/.local/state/roadextract`` (Windows: ``%LOCALAPPDATA%\\roadextract``); see
    ``docs/backend_api.md``.
    """
    from_env = os.environ.get(STATE_DIR_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    if sys.platform == "win32":
        local_app_data = os.environ.get("LOCALAPPDATA", "").strip()
        base = Path(local_app_data) if local_app_data else Path.home() / "AppData" / "Local"
        return base / "roadextract"
    xdg_state = os.environ.get("XDG_STATE_HOME", "").strip()
    if xdg_state:
        return Path(xdg_state).expanduser() / "roadextract"
    return Path.home() / ".local" / "state" / "roadextract"


def _as_int(value: object, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _as_float(value: object, default: float) -> float:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return default


def _as_str(value: object, default: str) -> str:
    return default if value is None else str(value).strip()


@dataclass
class PluginSettings:
    """User settings of the RoadExtract plugin.

    Attributes:
        backend_python: Python interpreter of the backend environment; "" means
            :func:`default_backend_python`.
        device: Compute device for the backend: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        model_dir: Folder holding model checkpoints; "" means the backend's default.
        port: TCP port on 127.0.0.1 for a backend the plugin starts; 0 picks a free one.
        startup_timeout_s: Seconds to wait for a started backend to answer ``/health``.
        state_dir: Folder of the backend state file ``backend.json``; "" means
            :func:`default_state_dir`.
    """

    backend_python: str = ""
    device: str = "auto"
    model_dir: str = ""
    port: int = 0
    startup_timeout_s: float = 120.0
    state_dir: str = ""

    def __post_init__(self) -> None:
        """Coerce out-of-range values to defaults so a broken settings file cannot wedge us."""
        if self.device not in DEVICES:
            self.device = "auto"
        if not 0 <= int(self.port) <= MAX_PORT:
            self.port = 0
        if self.startup_timeout_s <= 0:
            self.startup_timeout_s = PluginSettings.startup_timeout_s

    @classmethod
    def load(cls, settings: QgsSettings | None = None) -> PluginSettings:
        """Read the settings from QgsSettings, falling back to defaults per field.

        Args:
            settings: Settings store to read; None means ``QgsSettings()``.

        Returns:
            The loaded settings.
        """
        store = settings if settings is not None else QgsSettings()
        defaults = cls()
        values = {}
        for field in fields(cls):
            raw = store.value(SETTINGS_PREFIX + field.name, None)
            default = getattr(defaults, field.name)
            if raw is None:
                values[field.name] = default
            elif isinstance(default, bool):
                values[field.name] = str(raw).lower() in ("true", "1", "yes")
            elif isinstance(default, int):
                values[field.name] = _as_int(raw, default)
            elif isinstance(default, float):
                values[field.name] = _as_float(raw, default)
            else:
                values[field.name] = _as_str(raw, default)
        return cls(**values)

    def save(self, settings: QgsSettings | None = None) -> None:
        """Write every field to QgsSettings under ``roadextract/``.

        Args:
            settings: Settings store to write; None means ``QgsSettings()``.
        """
        store = settings if settings is not None else QgsSettings()
        for name, value in asdict(self).items():
            store.setValue(SETTINGS_PREFIX + name, value)
        store.sync()

    def resolved_backend_python(self) -> Path:
        """Return the backend Python to run (the setting, or the default when empty)."""
        if self.backend_python:
            return Path(self.backend_python).expanduser()
        return default_backend_python()

    def resolved_state_dir(self) -> Path:
        """Return the folder of ``backend.json`` (the setting, or the default when empty)."""
        if self.state_dir:
            return Path(self.state_dir).expanduser()
        return default_state_dir()

    def resolved_model_dir(self) -> Path | None:
        """Return the model folder to pass to the backend, or None for its default."""
        return Path(self.model_dir).expanduser() if self.model_dir else None
