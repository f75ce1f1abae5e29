"""The plugin follows QGIS's UI language (``qgis --lang de`` sets QgsApplication's
translation) and translates the backend's status words on the QGIS side (issue 16)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsSettings


@pytest.fixture
def translation():
    """Set QgsApplication's translation as ``qgis --lang`` does; restored afterwards."""
    app = QgsApplication.instance()
    before = app.translation()
    yield QgsApplication.setTranslation
    QgsApplication.setTranslation(before)


@pytest.fixture
def german_qm(env, tmp_path) -> Path:
    lrelease = shutil.which("lrelease") or "/usr/lib/qt5/bin/lrelease"
    if not Path(lrelease).exists():
        pytest.skip("lrelease not installed (Debian: qttools5-dev-tools)")
    qm = tmp_path / "roadextract_de.qm"
    ts = env.REPO_ROOT / "i18n" / "roadextract_de.ts"
    subprocess.run([lrelease, str(ts), "-qm", str(qm)], check=True, capture_output=True)
    return tmp_path


def test_locale_follows_the_qgis_translation(rx, translation):
    translation("de")
    assert rx.i18n.qgis_locale() == "de"
    translation("pt_BR")
    assert rx.i18n.qgis_locale() == "pt_BR"
    translation("C")  # QGIS's "no translation"
    assert rx.i18n.qgis_locale() == "en"


def test_override_setting_when_no_translation_is_loaded(rx, translation):
    translation("")
    settings = QgsSettings()
    settings.setValue("locale/overrideFlag", True)
    settings.setValue("locale/userLocale", "de_DE")
    try:
        assert rx.i18n.qgis_locale() == "de_DE"
    finally:
        settings.remove("locale/overrideFlag")
        settings.remove("locale/userLocale")


def test_lang_de_gives_german_plugin_and_status_words(rx, provider, env, translation, german_qm):
    translation("de")
    translator = rx.i18n.install_translator(None, german_qm)  # what classFactory does
    assert translator is not None
    try:
        assert rx.i18n.tr("Start backend") == "Backend starten"
        assert rx.i18n.backend_message("Done") == "Fertig"
        assert rx.i18n.backend_message("Queued") == "In der Warteschlange"
        assert rx.i18n.backend_message("cancelled") == "abgebrochen"
        assert rx.i18n.backend_message("Writing the GeoPackage") == "GeoPackage wird geschrieben"
        assert rx.i18n.backend_message("Tile 3 of 9") == "Tile 3 of 9"  # not a fixed word
        alg = QgsApplication.processingRegistry().createAlgorithmById(env.ROAD_MASK_ALG_ID)
        assert alg.displayName() == "Straßenmaske zu Vektoren"
        assert (
            alg.parameterDefinition("MIN_AREA").description() == "Mindestfläche der Polygone (m²)"
        )
    finally:
        rx.i18n.remove_translator(translator)
    assert rx.i18n.backend_message("Done") == "Done"
