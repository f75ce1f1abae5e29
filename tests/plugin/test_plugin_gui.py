"""classFactory, initGui and unload against pytest-qgis's QgisInterface stand-in."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QToolBar


def test_init_gui_and_unload(roadextract, processing_ready, qgis_iface, state_dir, env):
    registry = QgsApplication.processingRegistry()
    existing = registry.providerById(env.PROVIDER_ID)
    if existing is not None:  # registered by another test; the plugin registers its own
        registry.removeProvider(existing)

    plugin = roadextract.classFactory(qgis_iface)
    plugin.initGui()
    try:
        assert registry.providerById(env.PROVIDER_ID) is plugin.provider
        texts = [action.text() for action in plugin.actions]
        assert texts == [
            "Set up backend…",
            "Settings…",
            "Start backend",
            "Stop backend",
            "Backend status",
        ]
        toolbar = qgis_iface.mainWindow().findChild(QToolBar, "RoadExtractToolbar")
        assert toolbar is not None
        assert len(toolbar.actions()) == 5
        # No backend runs in the (empty) state folder: the status says how to start one.
        status = plugin.backend_status_text()
        assert "No RoadExtract backend is running" in status
        assert "make serve" in status
        # initProcessing is idempotent (QGIS calls it, initGui calls it again).
        provider = plugin.provider
        plugin.initProcessing()
        assert plugin.provider is provider
    finally:
        plugin.unload()

    assert registry.providerById(env.PROVIDER_ID) is None
    assert plugin.actions == []
    assert plugin.toolbar is None
    assert plugin.translator is None


def _wait_for(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        QCoreApplication.processEvents()
        time.sleep(0.02)


def test_start_from_gui_then_unload_stops_it(
    roadextract, rx, processing_ready, qgis_iface, env, tmp_path
):
    state_dir = tmp_path / "state"
    env.save_plugin_settings(
        roadextract,
        backend_python=str(env.fake_backend_python(tmp_path, "ok")),
        state_dir=str(state_dir),
    )
    manager = rx.backend_process.backend_manager()
    manager.stop()  # nothing of an earlier test may run
    bar = qgis_iface.messageBar()
    bar.clear_messages()

    plugin = roadextract.classFactory(qgis_iface)
    plugin.initGui()
    try:
        plugin.start_backend()  # a QgsTask: the GUI does not wait for the backend
        _wait_for(lambda: bar.get_messages(Qgis.Success) or bar.get_messages(Qgis.Critical))
        assert not bar.get_messages(Qgis.Critical)
        assert "Fake CPU" in bar.get_messages(Qgis.Success)[0]
        assert manager.started_by_plugin
        pid = manager.process_id
        status = plugin.backend_status_text()
        assert "Fake CPU" in status and "this QGIS" in status
    finally:
        plugin.unload()
    assert not manager.started_by_plugin
    assert not (state_dir / "backend.json").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_unload_leaves_a_backend_started_by_hand(
    roadextract, rx, processing_ready, qgis_iface, env, tmp_path
):
    state_dir = tmp_path / "state"
    by_hand = subprocess.Popen(
        [str(env.fake_backend_python(tmp_path, "ok")), "--state-dir", str(state_dir)]
    )
    try:
        _wait_for(lambda: (state_dir / "backend.json").exists())
        env.save_plugin_settings(roadextract, state_dir=str(state_dir))
        plugin = roadextract.classFactory(qgis_iface)
        plugin.initGui()
        try:
            assert "someone else" in plugin.backend_status_text()
            plugin.stop_backend()  # explains, does not stop
            assert by_hand.poll() is None
        finally:
            plugin.unload()
        assert by_hand.poll() is None
        assert (state_dir / "backend.json").exists()
    finally:
        by_hand.terminate()
        by_hand.wait(10)
