"""Backend lifecycle and HTTP client against a fake backend (tests/plugin/fake_backend.py).

The fake runs through a wrapper script in place of the backend Python, exactly as the
plugin runs ``<python> -m backend serve ...``; the real backend is exercised in tests/e2e.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

qgis_env = sys.modules["roadextract_tests_qgis_env"]

FAKE_BACKEND = Path(__file__).with_name("fake_backend.py")


def _fake_python(tmp_path: Path, mode: str) -> Path:
    return qgis_env.fake_backend_python(tmp_path, mode)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes once reaped by Popen.
    return True


@pytest.fixture
def manager(rx):
    """A fresh manager (not the process-wide one), stopped after the test."""
    manager = rx.backend_process.BackendManager()
    yield manager
    manager.stop(grace_s=2.0)


def test_missing_python_names_what_to_run(rx, manager, tmp_path):
    settings = rx.settings.PluginSettings(
        backend_python=str(tmp_path / "nowhere" / "python"), state_dir=str(tmp_path / "state")
    )
    with pytest.raises(rx.backend_process.BackendStartError) as info:
        manager.ensure_running(settings)
    message = str(info.value)
    assert "make install" in message
    assert "make serve" in message
    assert "Settings" in message
    assert str(tmp_path / "nowhere" / "python") in message


def test_backend_dying_at_start_reports_log_tail(rx, manager, tmp_path):
    settings = rx.settings.PluginSettings(
        backend_python=str(_fake_python(tmp_path, "crash")), state_dir=str(tmp_path / "state")
    )
    with pytest.raises(rx.backend_process.BackendStartError) as info:
        manager.start(settings)
    message = str(info.value)
    assert "exit code 3" in message
    assert "make install" in message
    assert "No module named 'fastapi'" in message  # the backend's own stderr
    assert not manager.started_by_plugin


def test_backend_not_answering_is_stopped_after_timeout(rx, manager, tmp_path):
    settings = rx.settings.PluginSettings(
        backend_python=str(_fake_python(tmp_path, "hang")),
        state_dir=str(tmp_path / "state"),
        startup_timeout_s=1.5,
    )
    started = time.monotonic()
    with pytest.raises(rx.backend_process.BackendStartError, match="did not answer within 2 s"):
        manager.start(settings)
    assert time.monotonic() - started < 15
    assert manager.process_id is None


def test_start_reuse_stop(rx, manager, tmp_path):
    state_dir = tmp_path / "state"
    settings = rx.settings.PluginSettings(
        backend_python=str(_fake_python(tmp_path, "ok")), state_dir=str(state_dir)
    )
    client = manager.ensure_running(settings)
    health = client.health()
    assert health.status == "ok" and health.device_name == "Fake CPU"
    assert "Fake CPU" in health.describe()
    pid = manager.process_id
    state = json.loads((state_dir / "backend.json").read_text())
    assert state["pid"] == pid
    assert manager.started_by_plugin
    assert manager.info(settings).started_by_plugin

    # Another QGIS (another manager) reuses it through the state file and never stops it.
    other = rx.backend_process.BackendManager()
    reused = other.ensure_running(settings)
    assert reused.url == client.url
    assert not other.started_by_plugin
    assert other.info(settings).started_by_plugin is False
    assert other.stop() is False
    assert client.health().status == "ok"

    # The same manager answers again without starting anything new.
    assert manager.ensure_running(settings) is not None
    assert manager.process_id == pid

    assert manager.stop() is True
    assert not (state_dir / "backend.json").exists()
    assert not _alive(pid)
    assert manager.find_running(settings) is None


def test_backend_started_by_hand_is_used_and_left_alone(rx, manager, tmp_path):
    state_dir = tmp_path / "state"
    by_hand = subprocess.Popen(
        [sys.executable, str(FAKE_BACKEND), "--state-dir", str(state_dir)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (state_dir / "backend.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        settings = rx.settings.PluginSettings(
            backend_python=str(tmp_path / "missing-python"), state_dir=str(state_dir)
        )
        client = manager.ensure_running(settings)  # would fail if it tried to start one
        assert client.health().status == "ok"
        assert not manager.started_by_plugin
        assert manager.stop() is False
        assert by_hand.poll() is None
    finally:
        by_hand.terminate()
        by_hand.wait(10)


def test_stale_state_file_is_ignored(rx, manager, tmp_path):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "backend.json").write_text(
        json.dumps(
            {"url": "http://127.0.0.1:9", "port": 9, "token": "x", "pid": 999999, "version": ""}
        )
    )
    settings = rx.settings.PluginSettings(state_dir=str(state_dir))
    assert manager.find_running(settings) is None
    assert manager.info(settings) is None


def test_state_file_pointing_elsewhere_is_refused(rx, tmp_path):
    path = tmp_path / "backend.json"
    path.write_text(
        json.dumps({"url": "http://example.org:80", "port": 80, "token": "t", "pid": 1})
    )
    assert rx.backend_process.BackendState.read(path) is None


def test_client_errors_carry_the_servers_detail(rx, manager, tmp_path):
    settings = rx.settings.PluginSettings(
        backend_python=str(_fake_python(tmp_path, "ok")), state_dir=str(tmp_path / "state")
    )
    client = manager.ensure_running(settings)

    wrong = rx.client.BackendClient(client.url, "wrong-token")
    with pytest.raises(rx.client.BackendError) as info:
        wrong.health()
    assert info.value.status_code == 401
    assert "token" in info.value.detail

    with pytest.raises(rx.client.BackendError) as info:
        client.create_job("road_mask_to_vectors", {"raster_path": "/no/such.tif"})
    assert info.value.status_code == 400
    assert info.value.detail == "raster_path: file not found: /no/such.tif"

    manager.stop()
    with pytest.raises(rx.client.BackendUnavailableError):
        client.health()


def test_command_line(rx, tmp_path):
    settings = rx.settings.PluginSettings(
        backend_python="/venv/bin/python",
        device="cuda",
        port=8123,
        model_dir=str(tmp_path / "m"),
        state_dir=str(tmp_path / "s"),
    )
    command = rx.backend_process.backend_command(settings)
    assert command[:4] == ["/venv/bin/python", "-m", "backend", "serve"]
    assert command[command.index("--port") + 1] == "8123"
    assert command[command.index("--device") + 1] == "cuda"
    assert command[command.index("--model-dir") + 1] == str(tmp_path / "m")
    assert command[command.index("--state-dir") + 1] == str(tmp_path / "s")
