"""Backend set-up (issue 16): command lines for every platform and PyTorch build, GPU
detection, requirements from pyproject.toml, the marker written only on success, cancel,
Repair / Remove, the dialog, and the offer when no backend environment exists. The real
download is the end-to-end test ``tests/e2e/test_fresh_profile_setup.py``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from qgis.PyQt.QtCore import QCoreApplication

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(roadextract):
    import importlib

    return importlib.import_module(f"{roadextract.__name__}.plugin.backend_setup")


@pytest.fixture
def paths(setup, tmp_path):
    return setup.SetupPaths(tmp_path / "env")


@pytest.fixture
def requirements(setup):
    return setup.backend_requirements(REPO / "pyproject.toml")


def _wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        QCoreApplication.processEvents()
        time.sleep(0.02)


# -- where ------------------------------------------------------------------------------------


def test_env_root_outside_plugin_folder(setup, monkeypatch, tmp_path):
    monkeypatch.delenv(setup.ENV_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    root = setup.default_env_root()
    if sys.platform.startswith("linux"):
        assert root == tmp_path / "data" / "roadextract" / "backend-env"
    assert REPO not in root.parents
    monkeypatch.setenv(setup.ENV_DIR_ENV, str(tmp_path / "mine"))
    assert setup.default_env_root() == tmp_path / "mine"
    assert setup.managed_python() == tmp_path / "mine" / "venv" / "bin" / "python"


def test_default_backend_python_is_managed_env_without_checkout_venv(
    rx, setup, monkeypatch, tmp_path
):
    monkeypatch.delenv("ROADEXTRACT_BACKEND_PYTHON", raising=False)
    monkeypatch.setenv(setup.ENV_DIR_ENV, str(tmp_path / "env"))
    monkeypatch.setattr(rx.settings, "plugin_root", lambda: tmp_path / "zip-install")
    expected = tmp_path / "env" / "venv" / "bin" / "python"
    assert rx.settings.PluginSettings().resolved_backend_python() == expected


# -- what -------------------------------------------------------------------------------------


def test_requirements_from_pyproject(requirements):
    assert requirements.torch == ("torch==2.13.0,!=2.13.0+cpu", "torchvision==0.28.0")
    assert requirements.sam2 == "sam2==1.1.0"
    assert "rasterio>=1.3" in requirements.rest
    assert "dask[distributed]>=2024.1" in requirements.rest
    assert not [r for r in requirements.rest if r.startswith(("pytest", "ruff", "mypy"))]
    if tomllib is not None:  # the small parser reads what a real TOML parser reads
        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
        listed = project["dependencies"] + [
            r
            for extra in ("models", "distributed")
            for r in project["optional-dependencies"][extra]
        ]
        assert sorted((*requirements.torch, requirements.sam2, *requirements.rest)) == sorted(
            listed
        )


def test_uv_plan_linux_cuda(setup, paths, requirements):
    uv = Path("/opt/uv")
    steps = setup.build_plan(
        paths, "cuda", Path("/usr/bin/python3"), requirements, uv, platform="linux"
    )
    python = str(paths.venv / "bin" / "python")
    install = ["/opt/uv", "pip", "install", "--python", python]
    commands = [list(step.command) for step in steps]
    assert commands[0] == ["/opt/uv", "venv", "--python", "/usr/bin/python3", str(paths.venv)]
    assert commands[1] == [
        *install,
        "setuptools>=68",
        "wheel",
        "torch==2.13.0,!=2.13.0+cpu",
        "torchvision==0.28.0",
    ]
    assert commands[2] == [*install, "--no-build-isolation", "sam2==1.1.0"]
    assert dict(steps[2].env) == {"SAM2_BUILD_CUDA": "0"}
    assert commands[3][: len(install)] == install and "rasterio>=1.3" in commands[3]
    assert "--extra-index-url" not in sum(commands, [])
    assert commands[4][:2] == [python, "-c"] and "import" in commands[4][2]


def test_uv_plan_linux_cpu_uses_pytorch_cpu_index(setup, paths, requirements):
    steps = setup.build_plan(
        paths, "cpu", Path("/usr/bin/python3"), requirements, Path("uv"), platform="linux"
    )
    torch_step = list(steps[1].command)
    assert torch_step[5:7] == ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]
    # The +cpu local version must be allowed for the CPU build.
    assert "torch==2.13.0" in torch_step and "torchvision==0.28.0" in torch_step
    assert not [arg for arg in torch_step if "+cpu" in arg]
    # Only PyTorch comes from PyTorch's index.
    assert "--extra-index-url" not in steps[3].command


def test_pip_plan(setup, paths, requirements):
    steps = setup.build_plan(
        paths, "cuda", Path("/usr/bin/python3"), requirements, None, platform="linux"
    )
    python = str(paths.venv / "bin" / "python")
    commands = [list(step.command) for step in steps]
    assert commands[0] == ["/usr/bin/python3", "-m", "venv", str(paths.venv)]
    assert commands[1] == [python, "-m", "pip", "install", "--upgrade", "pip"]
    assert commands[2][:4] == [python, "-m", "pip", "install"]
    assert "torch==2.13.0,!=2.13.0+cpu" in commands[2]
    assert commands[3] == [python, "-m", "pip", "install", "--no-build-isolation", "sam2==1.1.0"]
    assert dict(steps[3].env) == {"SAM2_BUILD_CUDA": "0"}


def test_windows_and_macos_plans(setup, paths, requirements):
    base = Path(r"C:\OSGeo4W\apps\Python312\python.exe")
    cuda = setup.build_plan(paths, "cuda", base, requirements, None, platform="win32")
    python = str(paths.venv / "Scripts" / "python.exe")
    assert cuda[0].command == (str(base), "-m", "venv", str(paths.venv))
    assert cuda[2].command[0] == python
    assert setup.WINDOWS_CUDA_INDEX_URL in cuda[2].command  # PyPI's Windows wheels are CPU
    cpu = setup.build_plan(paths, "cpu", base, requirements, None, platform="win32")
    assert setup.CPU_INDEX_URL in cpu[2].command

    assert setup.available_variants("darwin") == ("cpu",)
    mac = setup.build_plan(paths, "cpu", Path("/usr/bin/python3"), requirements, None, "darwin")
    assert "--extra-index-url" not in mac[2].command
    with pytest.raises(ValueError, match="not available on darwin"):
        setup.build_plan(paths, "cuda", Path("/usr/bin/python3"), requirements, None, "darwin")


def test_uv_bootstrap_plan(setup, paths):
    steps = setup.bootstrap_uv_plan(paths, Path("/usr/bin/python3"))
    assert steps[0].command == ("/usr/bin/python3", "-m", "venv", str(paths.tools))
    assert steps[1].command[-1] == "uv" and "pip" in steps[1].command


def test_gpu_detection(setup, tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text('#!/bin/sh\necho "NVIDIA H200"\necho "NVIDIA RTX 4090"\n')
    smi.chmod(0o755)
    assert setup.detect_nvidia_gpus(str(smi)) == ["NVIDIA H200", "NVIDIA RTX 4090"]
    assert setup.default_variant(["NVIDIA H200"], "linux") == "cuda"
    assert setup.default_variant([], "linux") == "cpu"
    assert setup.default_variant(["NVIDIA H200"], "darwin") == "cpu"
    broken = tmp_path / "broken-smi"
    broken.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    broken.chmod(0o755)
    assert setup.detect_nvidia_gpus(str(broken)) == []
    assert setup.detect_nvidia_gpus(str(tmp_path / "absent")) == []


def test_base_python_when_sys_executable_is_qgis(setup, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/usr/bin/qgis")
    monkeypatch.setattr(sys, "_base_executable", "/usr/bin/qgis", raising=False)
    assert Path("/usr/bin/qgis") not in setup.python_candidates("linux")
    python = setup.find_base_python()
    assert python.name.startswith("python")


# -- running ----------------------------------------------------------------------------------

MAKE_PYTHON = (
    "import os, sys; os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); "
    "open(sys.argv[1], 'w').close(); print('made', sys.argv[1])"
)


def _fake_plan(setup, monkeypatch, *extra_steps):
    """build_plan replaced by quick commands: one that makes venv/bin/python, then ``extra``."""

    def plan(paths, variant, base_python, requirements, uv, platform=sys.platform):
        make = setup.SetupStep(
            "make python", (sys.executable, "-c", MAKE_PYTHON, str(paths.python()))
        )
        say = setup.SetupStep(
            "say",
            (sys.executable, "-c", "import os; print('sam2 cuda', os.environ['SAM2_BUILD_CUDA'])"),
            (("SAM2_BUILD_CUDA", "0"),),
        )
        return [make, say, *[step(paths) for step in extra_steps]]

    monkeypatch.setattr(setup, "build_plan", plan)


def test_setup_writes_marker_only_on_success(setup, paths, requirements, monkeypatch):
    _fake_plan(setup, monkeypatch)
    lines: list[str] = []
    steps: list[tuple[int, int, str]] = []
    result = setup.run_setup(
        "cpu",
        paths,
        on_line=lines.append,
        on_step=lambda *a: steps.append(a),
        use_uv=False,
        requirements=requirements,
    )
    assert result.python == paths.python() and paths.python().exists()
    assert "sam2 cuda 0" in lines
    assert steps == [(1, 2, "make python"), (2, 2, "say")]
    marker = setup.read_marker(paths)
    assert marker["variant"] == "cpu" and marker["installer"] == "pip"
    assert marker["requirements"] == requirements.digest
    assert "sam2 cuda 0" in paths.log.read_text()
    state = setup.environment_state(paths, requirements)
    assert state.status == "ready" and state.usable

    other = setup.Requirements(("torch==9",), None, ())
    assert setup.environment_state(paths, other).status == "outdated"


def test_failed_setup_leaves_nothing_marked_ready(setup, paths, requirements, monkeypatch):
    # A first good set-up, then a Repair that fails: the old marker must not survive.
    _fake_plan(setup, monkeypatch)
    setup.run_setup("cpu", paths, use_uv=False, requirements=requirements)
    _fake_plan(
        setup,
        monkeypatch,
        lambda p: setup.SetupStep(
            "Install broken",
            (sys.executable, "-c", "print('no such package'); raise SystemExit(2)"),
        ),
    )
    lines: list[str] = []
    with pytest.raises(setup.SetupError, match="Install broken failed \\(exit code 2\\)"):
        setup.run_setup("cpu", paths, on_line=lines.append, use_uv=False, requirements=requirements)
    assert "no such package" in lines
    assert not paths.marker.exists()
    assert not paths.venv.exists()
    assert setup.environment_state(paths, requirements).status == "incomplete"


def test_cancel_stops_the_running_step(setup, paths, requirements, monkeypatch, tmp_path):
    pid_file = tmp_path / "child.pid"
    sleeper = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('downloading', flush=True)\n"
        "time.sleep(120)\n"
    )
    _fake_plan(
        setup, monkeypatch, lambda p: setup.SetupStep("Download", (sys.executable, "-c", sleeper))
    )
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(setup.SetupCancelled):
        setup.run_setup(
            "cpu",
            paths,
            on_line=lines.append,
            is_cancelled=lambda: "downloading" in lines,
            use_uv=False,
            requirements=requirements,
        )
    assert time.monotonic() - started < 30
    assert not paths.marker.exists() and not paths.venv.exists()
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the killed grandchild may linger as a zombie of init a moment
    status = Path(f"/proc/{child}/status")
    assert not status.exists() or "zombie" in status.read_text()


def test_remove_environment(setup, paths, requirements, monkeypatch):
    _fake_plan(setup, monkeypatch)
    setup.run_setup("cpu", paths, use_uv=False, requirements=requirements)
    setup.remove_environment(paths)
    assert not paths.root.exists()
    assert setup.environment_state(paths, requirements).status == "absent"


# -- offer and dialog -------------------------------------------------------------------------


def test_missing_backend_offers_setup(rx, setup, tmp_path):
    offers: list[str] = []
    setup.set_setup_offer(offers.append)
    try:
        settings = rx.settings.PluginSettings(
            backend_python=str(tmp_path / "none" / "python"), state_dir=str(tmp_path / "state")
        )
        with pytest.raises(rx.backend_process.BackendNotInstalledError) as info:
            rx.backend_process.BackendManager().ensure_running(settings)
    finally:
        setup.set_setup_offer(None)
    assert offers == [str(info.value)]
    assert "Set up backend…" in offers[0]


def test_dialog_install_repair_remove(roadextract, rx, setup, paths, monkeypatch, qgis_parent):
    import importlib

    dialog_module = importlib.import_module(f"{roadextract.__name__}.gui.setup_dialog")
    _fake_plan(setup, monkeypatch)
    dialog = dialog_module.SetupDialog(qgis_parent, paths=paths, reason="No backend yet.")
    try:
        assert dialog.install_button.text() == "Install"
        assert not dialog.remove_button.isEnabled()
        assert "Not set up yet" in dialog.status_label.text()
        dialog.start_setup("cpu")
        assert dialog.running and not dialog.install_button.isEnabled()
        _wait_for(lambda: not dialog.running)
        assert "sam2 cuda 0" in dialog.log_view.toPlainText()
        assert dialog.last_error == ""
        assert "Ready" in dialog.status_label.text()
        assert dialog.install_button.text() == "Repair" and dialog.remove_button.isEnabled()
        assert rx.settings.PluginSettings.load().resolved_backend_python() == paths.python()

        dialog.start_remove()
        _wait_for(lambda: not dialog.running)
        assert not paths.root.exists()
        assert dialog.install_button.text() == "Install"
        assert rx.settings.PluginSettings.load().backend_python == ""
    finally:
        dialog.shutdown()
        dialog.deleteLater()


def test_dialog_cancel(roadextract, setup, paths, monkeypatch, qgis_parent):
    import importlib

    dialog_module = importlib.import_module(f"{roadextract.__name__}.gui.setup_dialog")
    _fake_plan(
        setup,
        monkeypatch,
        lambda p: setup.SetupStep(
            "Download",
            (sys.executable, "-c", "import time; print('go', flush=True); time.sleep(120)"),
        ),
    )
    dialog = dialog_module.SetupDialog(qgis_parent, paths=paths)
    try:
        dialog.start_setup("cpu")
        _wait_for(lambda: "go" in dialog.log_view.toPlainText().splitlines())
        dialog.cancel()
        _wait_for(lambda: not dialog.running, timeout_s=30)
        assert "cancelled" in dialog.last_error
        assert not paths.marker.exists()
        assert "Incomplete" in dialog.status_label.text()
    finally:
        dialog.shutdown()
        dialog.deleteLater()


def test_algorithm_without_backend_offers_setup_in_gui(
    roadextract, processing_ready, qgis_iface, env, setup, tmp_path, monkeypatch
):
    import processing
    from qgis.core import QgsApplication, QgsProcessingException
    from qgis.PyQt.QtWidgets import QMessageBox

    monkeypatch.setenv(setup.ENV_DIR_ENV, str(tmp_path / "env"))
    registry = QgsApplication.processingRegistry()
    existing = registry.providerById(env.PROVIDER_ID)
    if existing is not None:  # the plugin registers its own
        registry.removeProvider(existing)
    missing = tmp_path / "env" / "venv" / "bin" / "python"
    env.save_plugin_settings(
        roadextract, backend_python=str(missing), state_dir=str(tmp_path / "state")
    )
    plugin = roadextract.classFactory(qgis_iface)
    plugin.initGui()
    try:
        mask = env.SHARED_DATA / "roads" / "spacenet_vegas_pan" / "roadmask_partial.tif"
        with pytest.raises(QgsProcessingException, match="Set up backend…"):
            processing.run(
                env.ROAD_MASK_ALG_ID,
                {"INPUT": str(mask), "OUTPUT_CENTERLINES": str(tmp_path / "c.gpkg")},
            )
        _wait_for(lambda: plugin._offer_box is not None and plugin._offer_box.isVisible())
        box = plugin._offer_box
        assert "Set up backend…" in box.detailedText()
        box.button(QMessageBox.Yes).click()
        _wait_for(lambda: plugin.setup_dialog is not None and plugin.setup_dialog.isVisible())
        dialog = plugin.setup_dialog
        assert dialog.paths.root == tmp_path / "env"
        assert dialog.reason_label.isVisible() and "not set up" in dialog.reason_label.text()
        assert dialog.install_button.text() == "Install"
        assert "not set up yet" in plugin.backend_status_text()
    finally:
        plugin.unload()
    assert setup._setup_offer is None
