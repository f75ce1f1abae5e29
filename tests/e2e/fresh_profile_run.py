"""From the plugin zip to a finished "Extract road graph" in a fresh QGIS profile, with no
terminal step: run by ``test_fresh_profile_setup.py`` in a process of its own (QGIS's
Python, offscreen), so nothing of the test session's plugin, settings or backend leaks in.

    python fresh_profile_run.py ZIP WORK_DIR [--screenshot PNG]

1. A new QGIS profile in ``WORK_DIR/profile`` (settings isolated there); the zip is
   unpacked into its ``python/plugins`` folder, as *Install from ZIP* does.
2. The plugin's *Set up backend…* dialog (``gui.setup_dialog.SetupDialog``), with the
   environment folder from ``$ROADEXTRACT_ENV_DIR``: *Install*, waiting for its QgsTask while
   the installer's log streams into the dialog. ``--screenshot`` grabs the finished dialog.
3. ``processing.run("roadextract:extractroadgraph", ...)`` on a small GeoTIFF, with the
   settings as the dialog left them: the plugin starts the backend from the new environment.

Prints one JSON line (``RESULT {...}``) with the set-up time, environment size and outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from pathlib import Path

SETUP_TIMEOUT_S = 3600
ALG_ID = "roadextract:extractroadgraph"


def make_raster(path: Path, shared_sample: Path) -> None:
    """A small GeoTIFF: a 400 x 400 px crop of the shared Vegas RGB sample (EPSG:4326),
    else a synthetic 3-band image with a cross of bright roads (EPSG:32611, 1 m)."""
    from osgeo import gdal, osr

    if shared_sample.is_file():
        gdal.Translate(
            str(path), str(shared_sample), srcWin=[300, 300, 400, 400], bandList=[1, 2, 3]
        )
        return
    import numpy as np

    size = 256
    image = np.full((3, size, size), 60, dtype=np.uint8)
    image[:, 120:136, :] = 200
    image[:, :, 120:136] = 200
    driver = gdal.GetDriverByName("GTiff")
    dataset = driver.Create(str(path), size, size, 3, gdal.GDT_Byte)
    dataset.SetGeoTransform((500000.0, 1.0, 0.0, 4000000.0, 0.0, -1.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    dataset.SetProjection(srs.ExportToWkt())
    for band in range(3):
        dataset.GetRasterBand(band + 1).WriteArray(image[band])
    dataset = None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("zip", type=Path)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--variant", choices=("cuda", "cpu"), default=None)
    parser.add_argument("--shared-sample", type=Path, default=Path("/nonexistent"))
    args = parser.parse_args()
    work = args.work_dir
    profile = work / "profile"
    (profile / "settings").mkdir(parents=True, exist_ok=True)

    from qgis.PyQt.QtCore import QCoreApplication, QSettings

    # A fresh profile: settings go to this folder only, never to the user's profile.
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(profile / "settings"))
    QCoreApplication.setOrganizationName("QGIS")
    QCoreApplication.setApplicationName("QGIS3")
    from qgis.core import QgsApplication

    app = QgsApplication([], True, str(profile))
    app.initQgis()
    plugins = Path(QgsApplication.qgisSettingsDirPath()) / "python" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.zip) as archive:  # what Install from ZIP does
        archive.extractall(plugins)
    sys.path.insert(0, str(plugins))
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    import roadextract
    from processing.core.Processing import Processing
    from roadextract.gui.setup_dialog import SetupDialog
    from roadextract.plugin import backend_setup
    from roadextract.plugin.backend_process import backend_manager
    from roadextract.plugin.settings import PluginSettings

    plugin_folder = Path(roadextract.__file__).resolve().parent
    assert plugin_folder == (plugins / "roadextract").resolve(), plugin_folder
    assert not (plugin_folder / ".venv").exists()
    before = PluginSettings.load().resolved_backend_python()
    assert not before.exists(), f"a backend Python exists before the set-up: {before}"

    # 2. Set up backend… through the plugin's dialog and task.
    dialog = SetupDialog(None)
    dialog.resize(760, 560)
    dialog.show()
    if args.variant is not None:
        dialog.set_variant(args.variant)
    variant = dialog.variant()
    started = time.monotonic()
    dialog.start_setup()
    lines_seen = 0
    while dialog.running:
        app.processEvents()
        time.sleep(0.05)
        lines = dialog.log_view.blockCount()
        if lines != lines_seen:
            lines_seen = lines
        if time.monotonic() - started > SETUP_TIMEOUT_S:
            dialog.cancel()
            raise SystemExit("set-up timed out")
    for _ in range(20):
        app.processEvents()
    setup_seconds = time.monotonic() - started
    log_text = dialog.log_view.toPlainText()
    if dialog.last_error:
        print(log_text[-6000:])
        print(f"set-up failed: {dialog.last_error}", flush=True)
        dialog.close()
        sys.stdout.flush()
        os._exit(1)
    paths = backend_setup.SetupPaths.default()
    state = backend_setup.environment_state(paths, with_size=True)
    assert state.status == "ready", state
    python = PluginSettings.load().resolved_backend_python()
    assert python == paths.python() and python.exists(), python
    if args.screenshot is not None:
        # Scroll the log to its end and show the whole dialog as the user sees it.
        dialog.log_view.verticalScrollBar().setValue(dialog.log_view.verticalScrollBar().maximum())
        app.processEvents()
        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(args.screenshot))
    dialog.close()

    # 3. An algorithm run with the settings the dialog left.
    Processing.initialize()
    plugin = roadextract.classFactory(None)
    plugin.initProcessing()
    import processing

    raster = work / "small.tif"
    make_raster(raster, args.shared_sample)
    outputs = {"OUTPUT_EDGES": str(work / "edges.gpkg"), "OUTPUT_NODES": str(work / "nodes.gpkg")}
    run_started = time.monotonic()
    results = processing.run(
        ALG_ID,
        {
            "INPUT": str(raster),
            "MODEL": "linegraph2road_hiera_pico_1m",
            "EDGE_THRESHOLD": 0.0,
            "KEYPOINT_THRESHOLD": 0.0,
            "ROAD_THRESHOLD": 0.0,
            **outputs,
        },
    )
    run_seconds = time.monotonic() - run_started
    from qgis.core import QgsVectorLayer

    edges = QgsVectorLayer(results["OUTPUT_EDGES"], "edges", "ogr")
    nodes = QgsVectorLayer(results["OUTPUT_NODES"], "nodes", "ogr")
    health = backend_manager().find_running(PluginSettings.load()).health()
    backend_manager().stop()
    plugin.unload()
    result = {
        "variant": variant,
        "installer": state.marker.get("installer"),
        "setup_seconds": round(setup_seconds, 1),
        "env_bytes": state.size_bytes,
        "log_lines": log_text.count("\n") + 1,
        "backend_python": str(python),
        "torch": health.torch_version,
        "device": health.describe(),
        "run_seconds": round(run_seconds, 1),
        "edges_valid": edges.isValid(),
        "nodes_valid": nodes.isValid(),
        "n_edges": int(results["N_EDGES"]),
        "n_nodes": int(results["N_NODES"]),
        "edges_crs": edges.crs().authid(),
    }
    print("RESULT " + json.dumps(result), flush=True)
    sys.stderr.flush()
    # Tearing down a standalone QgsApplication with Processing loaded can crash (SIGSEGV in
    # exitQgis / interpreter shutdown, independent of the plugin); everything is done.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
