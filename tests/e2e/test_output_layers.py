"""Outputs loaded by QGIS are named after what they are and get the shipped styles (issue 16)."""

from __future__ import annotations

from qgis.core import (
    QgsGraduatedSymbolRenderer,
    QgsProject,
    QgsRuleBasedRenderer,
    QgsSingleSymbolRenderer,
)

ALG_ID = "roadextract:roadmasktovectors"


def test_loaded_outputs_are_named_and_styled(backend, road_mask_path, tmp_path):
    import processing

    project = QgsProject.instance()
    before = set(project.mapLayers())
    try:
        processing.runAndLoadResults(
            ALG_ID,
            {
                "INPUT": str(road_mask_path),
                # A file output too: QGIS would name it "polygons" after the file.
                "OUTPUT_POLYGONS": str(tmp_path / "polygons.gpkg"),
                "OUTPUT_CENTERLINES": "TEMPORARY_OUTPUT",
                "OUTPUT_NODES": "TEMPORARY_OUTPUT",
            },
        )
        loaded = {
            layer.name(): layer
            for layer_id, layer in project.mapLayers().items()
            if layer_id not in before
        }
        assert set(loaded) == {"Road polygons", "Road centerlines", "Road graph nodes"}
        nodes = loaded["Road graph nodes"].renderer()
        assert isinstance(nodes, QgsRuleBasedRenderer)
        labels = [rule.label() for rule in nodes.rootRule().children()]
        assert "Dead end (degree 1)" in labels and "Junction (degree 3 or more)" in labels
        lines = loaded["Road centerlines"].renderer()
        assert isinstance(lines, QgsSingleSymbolRenderer)
        assert lines.symbol().symbolLayerCount() == 2  # dark casing + bright line
        polygons = loaded["Road polygons"].renderer()
        assert polygons.symbol().color().alpha() < 255  # imagery shows through
    finally:
        for layer_id in set(project.mapLayers()) - before:
            project.removeMapLayer(layer_id)


def test_every_shipped_style_loads(rx, env, tmp_path):
    """Each style of OUTPUT_STYLES exists and loads onto a layer like the backend's."""
    import importlib

    from qgis.core import QgsVectorLayer

    base = importlib.import_module(f"{rx.package.__name__}.processing_provider.algorithms.base")
    resources = importlib.import_module(f"{rx.package.__name__}.plugin.resources")
    for style in set(base.OUTPUT_STYLES.values()):
        assert resources.style_path(style).is_file(), style
    edges = QgsVectorLayer(
        "LineString?crs=EPSG:32633&field=edge_id:integer&field=probability:double", "e", "memory"
    )
    message, ok = edges.loadNamedStyle(str(resources.style_path("road_graph_edges")))
    assert ok, message
    renderer = edges.renderer()
    assert isinstance(renderer, QgsGraduatedSymbolRenderer)
    assert renderer.classAttribute() == "probability" and len(renderer.ranges()) == 4
    assert renderer.ranges()[0].lowerValue() == 0.0 and renderer.ranges()[-1].upperValue() == 1.0
