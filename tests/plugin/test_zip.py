"""`make zip` builds a plugin zip that QGIS can install: one `roadextract/` folder with the
plugin and backend sources, compiled translations, no tests, caches or virtual envs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

LOAD_PLUGIN = """
import sys
sys.path.insert(0, sys.argv[1])
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
import roadextract
plugin = roadextract.classFactory(None)  # None: as under qgis_process
plugin.initProcessing()
print(sorted(a.id() for a in plugin.provider.algorithms()))
"""


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None,
                    reason="make and git are needed to build the zip")
def test_zip_installs_and_loads(tmp_path):
    build = subprocess.run(["make", "-s", "zip"], cwd=REPO, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    archive = REPO / "build" / "roadextract.zip"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
    assert {n.split("/")[0] for n in names} == {"roadextract"}
    for required in ("metadata.txt", "__init__.py", "backend/__main__.py",
                     "processing_provider/provider.py", "i18n/roadextract_de.qm"):
        assert f"roadextract/{required}" in names
    forbidden = ("__pycache__", ".venv", "/tests/", ".pyc", ".git/")
    assert not [n for n in names if any(f in n for f in forbidden)]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    loaded = subprocess.run([sys.executable, "-c", LOAD_PLUGIN, str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert "roadextract:extractroadgraph" in loaded.stdout
    assert "roadextract:roadmasktovectors" in loaded.stdout
