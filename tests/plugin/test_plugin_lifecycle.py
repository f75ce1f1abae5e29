"""Unload and reload through qgis.utils (as the plugin manager does) with a real backend.

Covers issue 16's lifecycle: unloading or reloading with a running backend and with a
backend start in progress shows no error ("BackendStartTask has been deleted") and leaves
no provider, menu, process or ``backend.json`` behind; a backend whose QGIS is gone is
stopped at the next start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import qgis.utils
from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QEvent

PACKAGE = "roadextract"


def _spin() -> None:
    """One turn of QGIS's event loop, deferred deletes included: QGIS deletes a finished
    QgsTask with deleteLater(), which processEvents() alone never carries out."""
    QCoreApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def _wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        _spin()
        time.sleep(0.05)


def _serve_processes(state_dir: Path) -> list[int]:
    """Pids of `backend serve` processes (real or fake) using ``state_dir``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if "State:\tZ" in status:
            continue
        if str(state_dir).encode() in cmdline and b"serve" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def managed_plugin(roadextract, processing_ready, qgis_iface, env, monkeypatch):
    """Start the plugin as QGIS does (qgis.utils.loadPlugin + startPlugin); restore after.

    qgis.utils drops the plugin's modules on unload; the modules the other tests hold are
    put back afterwards, and their provider re-registered.
    """
    registry = QgsApplication.processingRegistry()
    existing = registry.providerById(env.PROVIDER_ID)
    if existing is not None:
        registry.removeProvider(existing)
    saved = {
        name: module
        for name, module in sys.modules.items()
        if name == PACKAGE or name.startswith(PACKAGE + ".")
    }
    for name in saved:
        del sys.modules[name]
    monkeypatch.setattr(qgis.utils, "iface", qgis_iface)
    # As QGIS's plugin scan finds it: the import hook then records the plugin's modules.
    monkeypatch.setattr(qgis.utils, "available_plugins", [*qgis.utils.available_plugins, PACKAGE])
    assert qgis.utils.loadPlugin(PACKAGE)
    assert qgis.utils.startPlugin(PACKAGE)
    try:
        yield
    finally:
        if PACKAGE in qgis.utils.active_plugins:
            qgis.utils.unloadPlugin(PACKAGE)
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        sys.modules.update(saved)
        env.ensure_provider_registered(roadextract)


def _plugin():
    return qgis.utils.plugins[PACKAGE]


def _manager():
    return sys.modules[f"{PACKAGE}.plugin.backend_process"].backend_manager()


def _reload_without_error(qgis_iface, env, monkeypatch) -> None:
    """unloadPlugin + loadPlugin + startPlugin, each succeeding, no critical message."""
    shown: list[str] = []

    def show_exception(type_, value, tb, msg, *args, **kwargs):
        shown.append(f"{msg}: {type_.__name__}: {value}")

    monkeypatch.setattr(qgis.utils, "showException", show_exception)
    unloaded = qgis.utils.unloadPlugin(PACKAGE)
    assert unloaded and not shown, shown
    registry = QgsApplication.processingRegistry()
    assert registry.providerById(env.PROVIDER_ID) is None
    assert qgis.utils.loadPlugin(PACKAGE)
    assert qgis.utils.startPlugin(PACKAGE)
    assert registry.providerById(env.PROVIDER_ID) is not None
    for _ in range(20):  # finished() of a cancelled task would report now
        _spin()
        time.sleep(0.02)
    assert not qgis_iface.messageBar().get_messages(Qgis.Critical)


def test_reload_with_a_running_and_a_starting_backend(
    managed_plugin, roadextract, qgis_iface, env, tmp_path, monkeypatch
):
    python = env.backend_python()
    if not python.exists():
        if os.environ.get("ROADEXTRACT_E2E_REQUIRED", "") not in ("", "0"):
            pytest.fail(f"backend Python missing: {python}")
        pytest.skip(f"backend Python missing: {python}")
    state_dir = tmp_path / "state"
    env.save_plugin_settings(
        roadextract,
        backend_python=str(python),
        state_dir=str(state_dir),
        model_dir=str(tmp_path / "models"),
        device="cpu",
    )
    bar = qgis_iface.messageBar()
    bar.clear_messages()

    # 1. A running backend started from the menu: reload stops it and leaves no file.
    _plugin().start_backend()
    _wait_for(lambda: bar.get_messages(Qgis.Success) or bar.get_messages(Qgis.Critical), 180)
    assert not bar.get_messages(Qgis.Critical), bar.get_messages(Qgis.Critical)
    for _ in range(10):  # QGIS deletes the finished start task meanwhile
        _spin()
        time.sleep(0.02)
    pid = _manager().process_id
    assert pid in _serve_processes(state_dir)
    assert f"--parent-pid\0{os.getpid()}" in Path(f"/proc/{pid}/cmdline").read_text()
    bar.clear_messages()
    _reload_without_error(qgis_iface, env, monkeypatch)
    assert _serve_processes(state_dir) == []
    assert not (state_dir / "backend.json").exists()

    # 2. A start in progress (process launched, not answering yet): reload cancels it.
    _plugin().start_backend()
    _wait_for(lambda: _serve_processes(state_dir), 30)
    assert not (state_dir / "backend.json").exists()  # still loading torch & co.
    _reload_without_error(qgis_iface, env, monkeypatch)
    assert _serve_processes(state_dir) == []
    assert not (state_dir / "backend.json").exists()

    # 3. Disable: nothing of the plugin is left.
    assert qgis.utils.unloadPlugin(PACKAGE)
    assert QgsApplication.processingRegistry().providerById(env.PROVIDER_ID) is None
    assert _serve_processes(state_dir) == []


def test_stale_backend_is_stopped_at_the_next_start(rx, env, tmp_path):
    """A backend whose QGIS is gone and that did not exit is replaced, not reused."""
    state_dir = tmp_path / "state"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    fake = env.fake_backend_python(tmp_path, "ok")
    stale = subprocess.Popen(
        [
            str(fake),
            "-m",
            "backend",
            "serve",
            "--state-dir",
            str(state_dir),
            "--parent-pid",
            str(dead.pid),
        ]
    )
    try:
        _wait_for(lambda: (state_dir / "backend.json").exists(), 30)
        state = rx.backend_process.BackendState.read(state_dir / "backend.json")
        assert state.parent_pid == dead.pid and rx.backend_process.is_stale(state)
        settings = rx.settings.PluginSettings(backend_python=str(fake), state_dir=str(state_dir))
        manager = rx.backend_process.BackendManager()
        messages: list[str] = []
        manager.ensure_running(settings, on_message=messages.append)
        try:
            assert stale.wait(15) is not None  # stopped
            assert any("left behind" in m for m in messages)
            new = rx.backend_process.BackendState.read(state_dir / "backend.json")
            assert new.pid == manager.process_id != stale.pid
            assert new.parent_pid == os.getpid() and not rx.backend_process.is_stale(new)
            # Our own backend is not stale: the next start reuses it.
            assert manager.ensure_running(settings).url == new.url
        finally:
            manager.stop()
    finally:
        if stale.poll() is None:
            stale.kill()
            stale.wait(10)
