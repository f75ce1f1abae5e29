"""The German translation is complete, in sync with the sources, and gets installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from qgis.core import QgsApplication

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    qt5 = Path("/usr/lib/qt5/bin") / name.rstrip("5")
    return str(qt5) if qt5.is_file() else None


def _messages(ts_path: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts_path).getroot()
    return {
        (context.findtext("name"), message.findtext("source")): message.find("translation")
        for context in root.iter("context")
        for message in context.iter("message")
    }


def _ts(env) -> Path:
    return env.REPO_ROOT / "i18n" / "roadextract_de.ts"


def test_german_translation_is_complete(env):
    messages = _messages(_ts(env))
    assert len(messages) > 50
    for (context, source), translation in messages.items():
        assert translation.get("type") is None, (
            f"{context}: {source!r} is {translation.get('type')}"
        )
        assert (translation.text or "").strip(), f"{context}: {source!r} has no translation"
        assert sorted(PLACEHOLDER.findall(source)) == sorted(
            PLACEHOLDER.findall(translation.text)
        ), f"placeholders differ for {source!r}"


def test_ts_is_in_sync_with_the_sources(env, tmp_path):
    pylupdate = _tool("pylupdate5")
    if pylupdate is None:
        pytest.skip("pylupdate5 not installed (Debian: pyqt5-dev-tools)")
    pro = env.REPO_ROOT / "i18n" / "roadextract.pro"
    sources = [
        str((pro.parent / token).resolve())
        for token in re.findall(r"\S+\.py", pro.read_text(encoding="utf-8"))
    ]
    fresh = tmp_path / "fresh.ts"
    subprocess.run([pylupdate, *sources, "-ts", str(fresh)], check=True, capture_output=True)
    assert set(_messages(fresh)) == set(_messages(_ts(env))), "run `make transup`"


def test_translator_installs_for_german(rx, provider, env, tmp_path):
    lrelease = _tool("lrelease")
    if lrelease is None:
        pytest.skip("lrelease not installed (Debian: qttools5-dev-tools)")
    qm = tmp_path / "roadextract_de.qm"
    subprocess.run([lrelease, str(_ts(env)), "-qm", str(qm)], check=True, capture_output=True)
    assert rx.i18n.install_translator("fr_FR", tmp_path) is None
    translator = rx.i18n.install_translator("de_DE", tmp_path)
    assert translator is not None
    try:
        alg = QgsApplication.processingRegistry().createAlgorithmById(env.ROAD_MASK_ALG_ID)
        assert alg.displayName() == "Straßenmaske zu Vektoren"
        assert alg.group() == "Straßen"
        registry = QgsApplication.processingRegistry()
        graph = registry.createAlgorithmById(env.EXTRACT_ROAD_GRAPH_ALG_ID)
        assert graph.displayName() == "Straßengraph extrahieren (LineGraph2Road)"
        assert graph.group() == "Straßen"
        evaluate = registry.createAlgorithmById(env.EVALUATE_ROAD_GRAPH_ALG_ID)
        assert evaluate.displayName() == "Straßengraph bewerten"
        # Shared messages of base.py translate in every algorithm.
        assert rx.i18n.tr("Input raster {path} does not exist.").startswith("Das Eingaberaster")
        assert rx.i18n.tr("Start backend") == "Backend starten"
    finally:
        rx.i18n.remove_translator(translator)
    assert rx.i18n.tr("Start backend") == "Start backend"
