"""Fixtures of the QGIS-side tests: a real QgsApplication (pytest-qgis), Processing, and the
plugin imported from a temporary plugins folder.

Run with the QGIS Python (a venv made with --system-site-packages from it, holding
pytest, pytest-qgis and requests) and QT_QPA_PLATFORM=offscreen::

    QT_QPA_PLATFORM=offscreen .venv-qgis/bin/python -m pytest tests/plugin
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest


def _load_qgis_env():
    """Load the shared helper module ``qgis_env.py`` once (it is not a package module)."""
    name = "roadextract_tests_qgis_env"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("qgis_env.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


qgis_env = _load_qgis_env()


@pytest.fixture(scope="session")
def env():
    """The shared helper module (paths, ids, set-up functions)."""
    return qgis_env


@pytest.fixture(scope="session")
def plugins_dir(tmp_path_factory, qgis_app) -> Path:
    """A QGIS plugins folder holding ``roadextract -> <repo root>``; settings isolated."""
    base = tmp_path_factory.mktemp("qgis")
    qgis_env.isolate_settings(base / "settings")
    return qgis_env.make_plugins_dir(base)


@pytest.fixture(scope="session")
def roadextract(plugins_dir):
    """The plugin package, imported as QGIS imports it."""
    return qgis_env.import_plugin(plugins_dir)


@pytest.fixture(scope="session")
def processing_ready(qgis_app) -> None:
    """Processing initialised once per session."""
    qgis_env.init_processing()


@pytest.fixture(scope="session")
def rx(roadextract) -> SimpleNamespace:
    """The plugin's modules: ``rx.settings``, ``rx.client``, ``rx.backend_process``, ..."""
    names = (
        "plugin.settings",
        "gui.settings_dialog",
        "plugin.client",
        "plugin.backend_process",
        "plugin.layers",
        "plugin.params",
        "plugin.i18n",
        "gui.main",
        "processing_provider.provider",
        "processing_provider.algorithms.base",
        "processing_provider.algorithms.road_mask_to_vectors",
        "processing_provider.algorithms.extract_road_graph",
        "processing_provider.algorithms.evaluate_road_graph",
    )
    modules = {
        name.rsplit(".", 1)[-1]: importlib.import_module(f"{roadextract.__name__}.{name}")
        for name in names
    }
    return SimpleNamespace(package=roadextract, **modules)


@pytest.fixture
def provider(roadextract, processing_ready):
    """The registered RoadExtract Processing provider (registered on demand)."""
    return qgis_env.ensure_provider_registered(roadextract)


@pytest.fixture
def state_dir(tmp_path, monkeypatch) -> Path:
    """An empty backend state folder, also exported as ``ROADEXTRACT_STATE_DIR``."""
    path = tmp_path / "state"
    path.mkdir()
    monkeypatch.setenv("ROADEXTRACT_STATE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def _clean_plugin_settings(plugins_dir):
    """Every test starts from default plugin settings."""
    from qgis.core import QgsSettings

    settings = QgsSettings()
    settings.remove("roadextract")
    settings.sync()
    yield
    settings.remove("roadextract")
    settings.sync()
