"""PluginSettings round-trips through QgsSettings; defaults resolve like the backend's."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsSettings


def test_defaults(rx):
    settings = rx.settings.PluginSettings.load()
    assert settings == rx.settings.PluginSettings()
    assert settings.device == "auto"
    assert settings.port == 0


def test_round_trip(rx, tmp_path):
    saved = rx.settings.PluginSettings(
        backend_python=str(tmp_path / "venv" / "bin" / "python"),
        device="cuda",
        model_dir=str(tmp_path / "models"),
        port=8765,
        startup_timeout_s=42.5,
        state_dir=str(tmp_path / "state"),
    )
    saved.save()
    assert QgsSettings().value("roadextract/device") == "cuda"
    loaded = rx.settings.PluginSettings.load()
    assert loaded == saved
    assert isinstance(loaded.port, int)
    assert isinstance(loaded.startup_timeout_s, float)


def test_garbage_values_fall_back_to_defaults(rx):
    store = QgsSettings()
    store.setValue("roadextract/device", "tpu")
    store.setValue("roadextract/port", "not a number")
    store.setValue("roadextract/startup_timeout_s", "-3")
    loaded = rx.settings.PluginSettings.load()
    assert loaded.device == "auto"
    assert loaded.port == 0
    assert loaded.startup_timeout_s == rx.settings.PluginSettings().startup_timeout_s


def test_defaults_resolve_from_environment(rx, monkeypatch, tmp_path):
    monkeypatch.setenv("ROADEXTRACT_BACKEND_PYTHON", str(tmp_path / "py"))
    monkeypatch.setenv("ROADEXTRACT_STATE_DIR", str(tmp_path / "st"))
    settings = rx.settings.PluginSettings()
    assert settings.resolved_backend_python() == tmp_path / "py"
    assert settings.resolved_state_dir() == tmp_path / "st"
    assert settings.resolved_model_dir() is None

    monkeypatch.delenv("ROADEXTRACT_BACKEND_PYTHON")
    monkeypatch.delenv("ROADEXTRACT_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    venv_python = Path(rx.package.__file__).resolve().parent / ".venv" / "bin" / "python"
    assert settings.resolved_backend_python() == venv_python
    assert settings.resolved_state_dir() == tmp_path / "xdg" / "roadextract"


def test_settings_dialog_round_trip(rx, qgis_parent, tmp_path):
    settings = rx.settings.PluginSettings(
        backend_python="/opt/venv/bin/python",
        device="mps",
        model_dir=str(tmp_path),
        port=1234,
        startup_timeout_s=30.0,
        state_dir=str(tmp_path / "s"),
    )
    dialog = rx.settings_dialog.SettingsDialog(settings, qgis_parent)
    assert dialog.settings() == settings
    dialog.set_settings(rx.settings.PluginSettings())
    assert dialog.settings() == rx.settings.PluginSettings()
    dialog.deleteLater()
