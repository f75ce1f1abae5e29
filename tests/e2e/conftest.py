"""Fixtures of the end-to-end tests: the QGIS side of tests/plugin plus a REAL backend.

The backend is started once per session through the plugin's own lifecycle code, with the
interpreter from ``$ROADEXTRACT_BACKEND_PYTHON`` (default ``<repo>/.venv/bin/python``, made
by ``make install``) and a private state folder; it is stopped at the end. Tests that need
it are skipped when that interpreter does not exist (they fail instead when
``ROADEXTRACT_E2E_REQUIRED=1``, as CI should set).

    QT_QPA_PLATFORM=offscreen ROADEXTRACT_BACKEND_PYTHON=... \\
        .venv-qgis/bin/python -m pytest tests/e2e
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from qgis.core import QgsProcessingFeedback, QgsSettings


def _load_plugin_conftest():
    """Reuse the fixtures of tests/plugin/conftest.py (not importable: no packages)."""
    name = "roadextract_tests_plugin_conftest"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "plugin" / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_plugin_conftest = _load_plugin_conftest()
qgis_env = _plugin_conftest.qgis_env
env = _plugin_conftest.env
plugins_dir = _plugin_conftest.plugins_dir
roadextract = _plugin_conftest.roadextract
rx = _plugin_conftest.rx
processing_ready = _plugin_conftest.processing_ready
provider = _plugin_conftest.provider


def _shared_file(*parts: str) -> Path:
    """A file of the shared data folder; skips the test when it is not there."""
    path = qgis_env.SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"shared data not found: {path}")
    return path


@pytest.fixture(scope="session")
def road_mask_path() -> Path:
    """The shared SpaceNet Vegas partial road mask (EPSG:4326, uint8 0/255)."""
    return _shared_file("roads", "spacenet_vegas_pan", "roadmask_partial.tif")


@pytest.fixture(scope="session")
def centerlines_path() -> Path:
    """The shared SpaceNet Vegas partial centerlines (GeoJSON, EPSG:4326, 9 lines)."""
    return _shared_file("roads", "spacenet_vegas_pan", "centerlines_partial.geojson")


@pytest.fixture(scope="session")
def rgb_path() -> Path:
    """The shared SpaceNet Vegas RGB sample (EPSG:4326, 4 bands RGBA, 1300 x 1300 px)."""
    return _shared_file("samples", "spacenet_vegas_rgb.tif")


@pytest.fixture(scope="session")
def backend_session(rx, processing_ready, tmp_path_factory):
    """A real backend started by the plugin's lifecycle code; stopped at session end."""
    python = qgis_env.backend_python()
    if not python.exists():
        message = (
            f"backend Python {python} not found: run `make install` or set "
            f"{qgis_env.BACKEND_PYTHON_ENV}"
        )
        # CI sets ROADEXTRACT_E2E_REQUIRED=1: a missing backend is a failure there.
        if os.environ.get("ROADEXTRACT_E2E_REQUIRED", "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)
    state_dir = tmp_path_factory.mktemp("backend-state")
    settings = rx.settings.PluginSettings(
        backend_python=str(python),
        device="cpu",
        state_dir=str(state_dir),
        startup_timeout_s=300.0,
    )
    manager = rx.backend_process.backend_manager()
    client = manager.ensure_running(settings)
    assert manager.started_by_plugin, "a backend was already running in a fresh state folder"
    session = SimpleNamespace(
        client=client, settings=settings, state_dir=state_dir, manager=manager, python=python
    )
    yield session
    pid = manager.process_id
    manager.stop()
    assert not (state_dir / "backend.json").exists(), "state file left after stop"
    if pid is not None:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.fixture
def backend(backend_session, provider):
    """The session backend (restarted if a test stopped it), with the plugin settings
    pointing at it for this test."""
    session = backend_session
    session.client = session.manager.ensure_running(session.settings)
    session.settings.save()
    yield session
    QgsSettings().remove("roadextract")


class CancelOnceJobRuns(QgsProcessingFeedback):
    """Cancels as soon as the backend job exists, and remembers its id."""

    def __init__(self) -> None:
        super().__init__()
        self.job_id: str | None = None

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        super().pushInfo(info)
        match = re.search(r"job (\w+) \(", info)
        if match and self.job_id is None:
            self.job_id = match.group(1)
            self.cancel()


@pytest.fixture
def cancel_once_job_runs() -> CancelOnceJobRuns:
    """A feedback that cancels the run as soon as its backend job exists."""
    return CancelOnceJobRuns()


@pytest.fixture
def assert_failed_cleanly(backend, env) -> Callable[..., None]:
    """Checks after a failed or cancelled run: no output and no temporary file written,
    the backend still up, and a cancelled job (``cancelled_by``) stopped or done."""

    def check(outputs: dict[str, str], cancelled_by: CancelOnceJobRuns | None = None) -> None:
        if cancelled_by is not None:
            assert cancelled_by.job_id is not None
            status = backend.client.job_status(cancelled_by.job_id)
            assert status.status in ("cancelled", "succeeded")  # succeeded: it beat the cancel
        assert not [p for p in outputs.values() if Path(p).exists()], "outputs were written"
        assert not env.processing_temp_leftovers(), "temporary files left behind"
        assert backend.client.health().status == "ok"

    return check


@pytest.fixture
def params_schema_properties(backend) -> Callable[[Any], dict[str, Any]]:
    """Checks that every key a request sends is a field of the backend's params model
    (and every required field is sent); returns the model's properties."""

    def properties_of(request: Any) -> dict[str, Any]:
        schemas = {kind["kind"]: kind["params_schema"] for kind in backend.client.job_kinds()}
        schema = schemas[request.KIND]
        properties = schema["properties"]
        params = request.to_params()
        assert set(params) <= set(properties)
        assert set(schema.get("required", [])) <= set(params)
        return properties

    return properties_of
