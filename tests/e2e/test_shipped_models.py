"""The graphical models shipped in the provider (processing_provider/models/*.model3) load
with every child algorithm resolved and run through processing.run against the real backend
(issue 16)."""

from __future__ import annotations

import json

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingModelAlgorithm,
    QgsVectorLayer,
    QgsWkbTypes,
)

POLYGONS_MODEL = "roadextract:Road polygons and centerlines from imagery"
GRAPH_MODEL = "roadextract:Road graph and its evaluation against a reference layer"


@pytest.mark.parametrize("model_id", [POLYGONS_MODEL, GRAPH_MODEL])
def test_models_load_with_their_children(provider, model_id):
    model = QgsApplication.processingRegistry().algorithmById(model_id)
    assert isinstance(model, QgsProcessingModelAlgorithm), model_id
    assert model.group() == "Workflows"
    children = model.childAlgorithms().values()
    assert children and all(child.algorithm() is not None for child in children)
    ok, problems = model.validate()
    assert ok, problems


def test_polygons_and_centerlines_model(backend, rgb_path, tmp_path):
    import processing

    results = processing.run(
        POLYGONS_MODEL,
        {
            "image": str(rgb_path),
            "threshold": 0.2,
            "segment:Road centerlines": str(tmp_path / "centerlines.gpkg"),
            "dissolve:Road surface (dissolved polygons)": str(tmp_path / "surface.gpkg"),
        },
    )
    surface = QgsVectorLayer(results["dissolve:Road surface (dissolved polygons)"], "s", "ogr")
    centerlines = QgsVectorLayer(results["segment:Road centerlines"], "c", "ogr")
    assert surface.isValid() and centerlines.isValid()
    assert surface.crs().authid() == "EPSG:4326"
    assert surface.featureCount() == 1  # dissolved into one road surface
    assert surface.geometryType() == QgsWkbTypes.PolygonGeometry
    assert centerlines.featureCount() > 0


def test_graph_and_evaluation_model(backend, centerlines_path, tmp_path):
    import processing

    # The SpaceNet Vegas panchromatic tile (1 band) that the reference centerlines cover.
    image = centerlines_path.parent / "image_pan_uint16.tif"
    report = tmp_path / "report.json"
    results = processing.run(
        GRAPH_MODEL,
        {
            "image": str(image),
            "reference": str(centerlines_path),
            "graph:Road graph edges": str(tmp_path / "edges.gpkg"),
            "graph:Road graph nodes": str(tmp_path / "nodes.gpkg"),
            "evaluate:Evaluation report (JSON)": str(report),
        },
    )
    edges = QgsVectorLayer(results["graph:Road graph edges"], "e", "ogr")
    nodes = QgsVectorLayer(results["graph:Road graph nodes"], "n", "ogr")
    assert edges.isValid() and nodes.isValid() and edges.featureCount() > 0
    data = json.loads(report.read_text())
    assert 0.0 <= data["apls"] <= 1.0 and 0.0 <= data["topo_f1"] <= 1.0
    assert data["ground_truth"]["n_edges"] > 0
