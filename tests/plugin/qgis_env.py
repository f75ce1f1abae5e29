"""Shared set-up of the QGIS-side test suites (``tests/plugin`` and ``tests/e2e``).

Loaded by path from both conftest files (pytest runs with ``--import-mode=importlib``, so
test folders are not packages). The plugin is imported the way QGIS imports it: from a
plugins folder holding ``roadextract -> <repo root>``, so relative imports inside the
plugin are exercised and the folder name does not matter.

Needs the QGIS Python (``/usr/bin/python3`` on Debian, or a venv made with
``--system-site-packages`` from it) with pytest-qgis, which creates the QgsApplication.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
PLUGIN_PACKAGE = "roadextract"
PROVIDER_ID = "roadextract"
ROAD_MASK_ALG_ID = "roadextract:roadmasktovectors"
EXTRACT_ROAD_GRAPH_ALG_ID = "roadextract:extractroadgraph"
EVALUATE_ROAD_GRAPH_ALG_ID = "roadextract:evaluateroadgraph"
BACKEND_PYTHON_ENV = "ROADEXTRACT_BACKEND_PYTHON"


def backend_python() -> Path:
    """Backend interpreter for tests: ``$ROADEXTRACT_BACKEND_PYTHON`` or ``<repo>/.venv``."""
    from_env = os.environ.get(BACKEND_PYTHON_ENV, "").strip()
    return Path(from_env) if from_env else REPO_ROOT / ".venv" / "bin" / "python"


def fake_backend_python(directory: Path, mode: str = "ok") -> Path:
    """A script that stands in for a backend venv's python, running tests/plugin/fake_backend.py.

    Args:
        directory: Where to write the script.
        mode: ``ok`` (serves), ``crash`` (exits 3 at start) or ``hang`` (never answers).
    """
    script = directory / f"fake-python-{mode}"
    fake = Path(__file__).with_name("fake_backend.py")
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" --mode {mode} "$@"\n')
    script.chmod(0o755)
    return script


def make_plugins_dir(base: Path) -> Path:
    """Create ``base/plugins/roadextract -> REPO_ROOT`` and return ``base/plugins``."""
    plugins_dir = base / "plugins"
    plugins_dir.mkdir(parents=True, exist_ok=True)
    link = plugins_dir / PLUGIN_PACKAGE
    if not link.exists():
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    return plugins_dir


def import_plugin(plugins_dir: Path) -> ModuleType:
    """Import the plugin package from ``plugins_dir`` (put first on ``sys.path``)."""
    if str(plugins_dir) not in sys.path:
        sys.path.insert(0, str(plugins_dir))
    return importlib.import_module(PLUGIN_PACKAGE)


def isolate_settings(settings_dir: Path) -> None:
    """Point QSettings/QgsSettings at ``settings_dir`` so tests never touch a real profile."""
    from qgis.PyQt.QtCore import QSettings

    settings_dir.mkdir(parents=True, exist_ok=True)
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(settings_dir))


def init_processing() -> None:
    """Initialise the Processing framework once (native, QGIS and GDAL providers)."""
    from qgis.core import QgsApplication

    plugins_path = str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins")
    if plugins_path not in sys.path:
        sys.path.append(plugins_path)
    from processing.core.Processing import Processing

    Processing.initialize()


# Plugin objects made by ensure_provider_registered; QGIS keeps its plugins referenced in
# qgis.utils.plugins, and without a reference the Python side of the provider is collected.
_PLUGINS: list = []


def ensure_provider_registered(plugin_module: ModuleType):
    """Register the RoadExtract provider unless one is registered; return the registered one.

    Goes through the plugin's own ``classFactory(None).initProcessing()`` as qgis_process
    does.
    """
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    provider = registry.providerById(PROVIDER_ID)
    if provider is None:
        plugin = plugin_module.classFactory(None)
        plugin.initProcessing()
        _PLUGINS.append(plugin)
        provider = registry.providerById(PROVIDER_ID)
    return provider


def processing_temp_leftovers() -> list[Path]:
    """Per-run folders of RoadExtract algorithms still present in Processing's temp folder."""
    from qgis.core import QgsProcessingUtils

    return sorted(Path(QgsProcessingUtils.tempFolder()).glob("roadextract_*"))


def save_plugin_settings(plugin_module: ModuleType, **values) -> None:
    """Save :class:`PluginSettings` with ``values`` (other fields at their defaults)."""
    settings_module = importlib.import_module(f"{plugin_module.__name__}.plugin.settings")
    settings_module.PluginSettings(**values).save()
