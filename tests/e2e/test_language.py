"""With QGIS in German, the backend's job messages reach the Processing log in German."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingFeedback


class Recorder(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.infos: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        super().pushInfo(info)
        self.infos.append(info)


def test_job_status_words_in_german(backend, rx, env, road_mask_path, tmp_path):
    import processing

    lrelease = shutil.which("lrelease") or "/usr/lib/qt5/bin/lrelease"
    if not Path(lrelease).exists():
        pytest.skip("lrelease not installed")
    ts = env.REPO_ROOT / "i18n" / "roadextract_de.ts"
    subprocess.run([lrelease, str(ts), "-qm", str(tmp_path / "roadextract_de.qm")], check=True)
    before = QgsApplication.instance().translation()
    QgsApplication.setTranslation("de")
    translator = rx.i18n.install_translator(None, tmp_path)
    try:
        feedback = Recorder()
        processing.run(
            "roadextract:roadmasktovectors",
            {
                "INPUT": str(road_mask_path),
                "OUTPUT_POLYGONS": str(tmp_path / "p.gpkg"),
                "OUTPUT_CENTERLINES": "",
                "OUTPUT_NODES": "",
            },
            feedback=feedback,
        )
    finally:
        rx.i18n.remove_translator(translator)
        QgsApplication.setTranslation(before)
    assert "Fertig" in feedback.infos  # the backend said "Done"
    assert "Done" not in feedback.infos
