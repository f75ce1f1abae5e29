"""The provider works under qgis_process (no iface): it is listed, and an algorithm runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from qgis.core import QgsVectorLayer

# Debian's /usr/bin/qgis_process wrapper is broken; the binary works.
QGIS_PROCESS_CANDIDATES = ("qgis_process.bin", "qgis_process")
TIMEOUT_S = 240


@pytest.fixture(scope="session")
def qgis_process() -> str:
    """Path of the qgis_process executable (``$QGIS_PROCESS`` overrides)."""
    explicit = os.environ.get("QGIS_PROCESS")
    if explicit:
        return explicit
    for name in QGIS_PROCESS_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("qgis_process not found")


@pytest.fixture(scope="session")
def qgis_process_env(plugins_dir, tmp_path_factory, qgis_process) -> dict[str, str]:
    """Environment for qgis_process: our plugins folder, a throw-away profile, plugin enabled."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        QGIS_PLUGINPATH=str(plugins_dir),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path_factory.mktemp("qgis-process-profile")),
    )
    # qgis_process loads only enabled plugins; enabling writes to the throw-away profile.
    done = subprocess.run(
        [qgis_process, "plugins", "enable", "roadextract"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return env


def _json_stdout(text: str) -> dict:
    """qgis_process --json prints the JSON document last; skip any noise before it."""
    return json.loads(text[text.index("{") :])


def test_qgis_process_lists_the_algorithms(qgis_process, qgis_process_env, env):
    done = subprocess.run(
        [qgis_process, "--json", "list"],
        env=qgis_process_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    providers = _json_stdout(done.stdout)["providers"]
    assert env.PROVIDER_ID in providers, sorted(providers)
    algorithms = providers[env.PROVIDER_ID]["algorithms"]
    assert env.ROAD_MASK_ALG_ID in algorithms
    assert algorithms[env.ROAD_MASK_ALG_ID]["name"] == "Road mask to vectors"
    names = {alg_id: algorithms[alg_id]["name"] for alg_id in algorithms}
    assert names[env.EXTRACT_ROAD_GRAPH_ALG_ID] == "Extract road graph (LineGraph2Road)"
    assert names[env.EVALUATE_ROAD_GRAPH_ALG_ID] == "Evaluate road graph"


def test_qgis_process_runs_road_mask_to_vectors(
    qgis_process, qgis_process_env, backend, road_mask_path, tmp_path, env
):
    run_env = dict(qgis_process_env)
    # Settings are empty in the qgis_process profile: the defaults come from these and
    # lead to the backend the session started (reused through its state file).
    run_env["ROADEXTRACT_STATE_DIR"] = str(backend.state_dir)
    run_env[env.BACKEND_PYTHON_ENV] = str(backend.python)
    centerlines = tmp_path / "centerlines.gpkg"
    done = subprocess.run(
        [
            qgis_process,
            "--json",
            "run",
            env.ROAD_MASK_ALG_ID,
            "--",
            f"INPUT={road_mask_path}",
            f"OUTPUT_CENTERLINES={centerlines}",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = _json_stdout(done.stdout)["results"]
    assert results["N_EDGES"] > 0
    assert Path(results["OUTPUT_CENTERLINES"]) == centerlines
    layer = QgsVectorLayer(str(centerlines), "c", "ogr")
    assert layer.featureCount() == results["N_EDGES"]
    assert layer.crs().authid() == "EPSG:4326"
    assert backend.manager.started_by_plugin  # the session's backend is still ours and up
    assert backend.client.health().status == "ok"


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (Linux /proc)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_qgis_process_stops_the_backend_it_started(
    qgis_process, qgis_process_env, backend_session, road_mask_path, tmp_path, env
):
    # A fresh state folder: qgis_process has to start its own backend, and must not leave
    # it running when it exits (QGIS unloads the provider; atexit never runs there).
    state_dir = tmp_path / "own-state"
    run_env = dict(qgis_process_env)
    run_env["ROADEXTRACT_STATE_DIR"] = str(state_dir)
    run_env[env.BACKEND_PYTHON_ENV] = str(backend_session.python)
    done = subprocess.run(
        [
            qgis_process,
            "run",
            env.ROAD_MASK_ALG_ID,
            "--",
            f"INPUT={road_mask_path}",
            f"OUTPUT_NODES={tmp_path / 'nodes.gpkg'}",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Starting the RoadExtract backend" in done.stdout + done.stderr
    assert (state_dir / "backend-plugin.log").exists()
    assert not (state_dir / "backend.json").exists()
    assert not _processes_mentioning(str(state_dir))


def test_qgis_process_runs_a_shipped_model(
    qgis_process, qgis_process_env, backend, centerlines_path, tmp_path, env
):
    """The shipped .model3 'Road graph and its evaluation' under qgis_process (issue 16)."""
    run_env = dict(qgis_process_env)
    run_env["ROADEXTRACT_STATE_DIR"] = str(backend.state_dir)
    run_env[env.BACKEND_PYTHON_ENV] = str(backend.python)
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            qgis_process,
            "--json",
            "run",
            "roadextract:Road graph and its evaluation against a reference layer",
            "--",
            f"image={centerlines_path.parent / 'image_pan_uint16.tif'}",
            f"reference={centerlines_path}",
            f"graph:Road graph edges={tmp_path / 'edges.gpkg'}",
            f"graph:Road graph nodes={tmp_path / 'nodes.gpkg'}",
            f"evaluate:Evaluation report (JSON)={report}",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert QgsVectorLayer(str(tmp_path / "edges.gpkg"), "e", "ogr").featureCount() > 0
    assert 0.0 <= json.loads(report.read_text())["apls"] <= 1.0
