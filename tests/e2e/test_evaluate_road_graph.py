""" "Evaluate road graph" through processing.run against the real backend.

Ground truth: the shared SpaceNet Vegas partial centerlines (GeoJSON, EPSG:4326), passed
by path. Proposals: the same file (perfect scores), and layers missing some roads, once as
a memory layer and once as a selection, which the plugin exports to a GeoPackage.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from qgis.core import (
    QgsFeature,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

ALG_ID = "roadextract:evaluateroadgraph"
SCORES = (
    "APLS",
    "APLS_GT_TO_PROPOSAL",
    "APLS_PROPOSAL_TO_GT",
    "TOPO_PRECISION",
    "TOPO_RECALL",
    "TOPO_F1",
)


@pytest.fixture
def project_layers():
    """Adds layers to the project (which owns them, as in QGIS) and removes them after."""
    ids = []

    def add(layer: QgsVectorLayer) -> QgsVectorLayer:
        QgsProject.instance().addMapLayer(layer, False)
        ids.append(layer.id())
        return layer

    yield add
    QgsProject.instance().removeMapLayers(ids)


def _without_every_other_line(path: Path) -> QgsVectorLayer:
    """A memory copy of ``path`` holding only its even-numbered lines."""
    source = QgsVectorLayer(str(path), "ground truth", "ogr")
    layer = QgsVectorLayer(f"LineString?crs={source.crs().authid()}", "partial", "memory")
    features = []
    for i, feature in enumerate(source.getFeatures()):
        if i % 2 == 0:
            copy = QgsFeature()
            copy.setGeometry(feature.geometry())
            features.append(copy)
    assert layer.dataProvider().addFeatures(features)[0]
    assert 0 < layer.featureCount() < source.featureCount()
    return layer


class _Messages(QgsProcessingFeedback):
    """Keeps the info messages."""

    def __init__(self) -> None:
        super().__init__()
        self.infos: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        super().pushInfo(info)
        self.infos.append(info)


def test_identical_layers_score_one(backend, centerlines_path, tmp_path, env):
    import processing

    report = tmp_path / "report.json"
    feedback = _Messages()
    results = processing.run(
        ALG_ID,
        {
            "GROUND_TRUTH": str(centerlines_path),
            "PROPOSAL": str(centerlines_path),
            "REPORT": str(report),
        },
        feedback=feedback,
    )
    for name in SCORES:
        assert results[name] == pytest.approx(1.0), name
    # Local files go to the backend as they are.
    assert not any("was exported to" in text for text in feedback.infos)
    assert results["REPORT"] == str(report)
    data = json.loads(report.read_text())
    assert data["apls"] == pytest.approx(1.0) and data["topo_f1"] == pytest.approx(1.0)
    assert data["ground_truth"]["n_edges"] > 0
    assert not env.processing_temp_leftovers()


@pytest.mark.parametrize("kind", ["memory_layer", "selection"])
def test_missing_roads_lower_the_scores(backend, centerlines_path, project_layers, env, kind):
    import processing

    if kind == "memory_layer":
        proposal = project_layers(_without_every_other_line(centerlines_path)).id()
    else:
        layer = project_layers(QgsVectorLayer(str(centerlines_path), "selected", "ogr"))
        layer.selectByIds([f.id() for i, f in enumerate(layer.getFeatures()) if i % 2 == 0])
        proposal = QgsProcessingFeatureSourceDefinition(layer.id(), True)
    feedback = _Messages()
    results = processing.run(
        ALG_ID, {"GROUND_TRUTH": str(centerlines_path), "PROPOSAL": proposal}, feedback=feedback
    )
    assert any("was exported to" in text for text in feedback.infos)
    assert any(text.startswith("APLS") for text in feedback.infos)  # "APLS (SpaceNet ...): "
    assert 0.0 <= results["APLS"] < 0.95
    assert results["TOPO_RECALL"] < 0.95
    # What is left of the proposal is right.
    assert results["TOPO_PRECISION"] > 0.9
    assert not env.processing_temp_leftovers()


def test_empty_selection_fails_cleanly(backend, centerlines_path, project_layers, env):
    import processing

    layer = project_layers(QgsVectorLayer(str(centerlines_path), "nothing", "ogr"))
    layer.removeSelection()
    proposal = QgsProcessingFeatureSourceDefinition(layer.id(), True)
    with pytest.raises(QgsProcessingException, match="has no features"):
        processing.run(ALG_ID, {"GROUND_TRUTH": str(centerlines_path), "PROPOSAL": proposal})
    assert not env.processing_temp_leftovers()


def test_request_matches_the_backend_params_schema(params_schema_properties, rx):
    """Every key the plugin sends is a field of the backend's params model."""
    request = rx.params.EvaluateRoadGraphRequest(
        ground_truth_path="/gt.gpkg",
        proposal_path="/p.gpkg",
        ground_truth_layer="gt",
        proposal_layer="p",
        report_path="/r.json",
    )
    properties = params_schema_properties(request)
    # The algorithm's defaults are the backend's.
    defaults = dataclasses.asdict(rx.params.EvaluateRoadGraphRequest("", ""))
    checked = 0
    for name, value in defaults.items():
        if "default" in properties.get(name, {}):
            assert properties[name]["default"] == value, name
            checked += 1
    assert checked >= 8
