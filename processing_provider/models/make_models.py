"""Generate the graphical models shipped in the RoadExtract provider (``*.model3`` here).

Built with the QGIS model API and saved with ``toFile`` so the files are what the Model
Designer itself writes (and can be opened, edited and saved again there). Run with the
Python that QGIS uses, from the repository root::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 processing_provider/models/make_models.py

Not imported by the plugin (the provider loads the ``.model3`` files).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GROUP = "Workflows"


def _child(model, child_id: str, algorithm_id: str, description: str, x: float, y: float):
    from qgis.core import QgsProcessingModelChildAlgorithm
    from qgis.PyQt.QtCore import QPointF

    child = QgsProcessingModelChildAlgorithm(algorithm_id)
    child.setChildId(child_id)
    child.setDescription(description)
    child.setPosition(QPointF(x, y))
    return child


def _static_defaults(child) -> None:
    """Give every input parameter without a source its default, as the Model Designer does
    (a child parameter without a value counts as missing when the model is validated)."""
    from qgis.core import QgsApplication
    from qgis.core import QgsProcessingModelChildParameterSource as Source

    algorithm = QgsApplication.processingRegistry().algorithmById(child.algorithmId())
    if algorithm is None:
        raise RuntimeError(f"{child.algorithmId()} is not registered")
    for parameter in algorithm.parameterDefinitions():
        if parameter.isDestination() or parameter.name() in child.parameterSources():
            continue
        child.addParameterSources(
            parameter.name(), [Source.fromStaticValue(parameter.defaultValue())]
        )


def _output(child, name: str, child_output: str, x: float, y: float):
    from qgis.core import QgsProcessingModelOutput
    from qgis.PyQt.QtCore import QPointF

    output = QgsProcessingModelOutput(name, name)
    output.setChildId(child.childId())
    output.setChildOutputName(child_output)
    output.setPosition(QPointF(x, y))
    outputs = child.modelOutputs()
    outputs[name] = output
    child.setModelOutputs(outputs)


def _input(model, parameter, x: float, y: float) -> None:
    from qgis.core import QgsProcessingModelParameter
    from qgis.PyQt.QtCore import QPointF

    component = QgsProcessingModelParameter(parameter.name())
    component.setPosition(QPointF(x, y))
    model.addModelParameter(parameter, component)


def polygons_and_centerlines():
    """Segment roads, then dissolve the road polygons into one road-surface layer."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.core import (
        QgsProcessingModelChildParameterSource as Source,
    )

    model = QgsProcessingModelAlgorithm(
        "Road polygons and centerlines from imagery", GROUP, "workflows"
    )
    model.setHelpContent(
        {
            "ALG_DESC": "Segments the roads of an aerial image (Anchor-SAM), dissolves the "
            "road polygons into one road surface and writes the road centerlines.",
            "image": "Aerial image (3 bands: red, green, blue).",
            "threshold": "Road probability threshold (0 to 1).",
        }
    )
    _input(model, QgsProcessingParameterRasterLayer("image", "Aerial image"), 60, 60)
    threshold = QgsProcessingParameterNumber(
        "threshold",
        "Road probability threshold (0 to 1)",
        QgsProcessingParameterNumber.Double,
        0.5,
        False,
        0.0,
        1.0,
    )
    _input(model, threshold, 260, 60)
    segment = _child(model, "segment", "roadextract:segmentroads", "Segment roads", 160, 180)
    segment.addParameterSources("INPUT", [Source.fromModelParameter("image")])
    segment.addParameterSources("THRESHOLD", [Source.fromModelParameter("threshold")])
    _output(segment, "Road centerlines", "OUTPUT_CENTERLINES", 360, 260)
    dissolve = _child(model, "dissolve", "native:dissolve", "Dissolve road polygons", 160, 320)
    dissolve.addParameterSources("INPUT", [Source.fromChildOutput("segment", "OUTPUT_POLYGONS")])
    _output(dissolve, "Road surface (dissolved polygons)", "OUTPUT", 160, 420)
    for child in (segment, dissolve):
        _static_defaults(child)
        model.addChildAlgorithm(child)
    return model


def graph_and_evaluation():
    """Extract the road graph, then score its edges against a reference line layer."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.core import (
        QgsProcessingModelChildParameterSource as Source,
    )

    model = QgsProcessingModelAlgorithm(
        "Road graph and its evaluation against a reference layer", GROUP, "workflows"
    )
    model.setHelpContent(
        {
            "ALG_DESC": "Extracts the road graph of an aerial image (LineGraph2Road) and "
            "scores its edges against reference road centerlines (APLS and TOPO, report "
            "in JSON).",
            "image": "Aerial image (3 bands: red, green, blue).",
            "reference": "Reference road centerlines (lines, any CRS).",
        }
    )
    _input(model, QgsProcessingParameterRasterLayer("image", "Aerial image"), 60, 60)
    reference = QgsProcessingParameterFeatureSource(
        "reference", "Reference road centerlines", [QgsProcessing.TypeVectorLine]
    )
    _input(model, reference, 320, 60)
    graph = _child(model, "graph", "roadextract:extractroadgraph", "Extract road graph", 60, 180)
    graph.addParameterSources("INPUT", [Source.fromModelParameter("image")])
    _output(graph, "Road graph edges", "OUTPUT_EDGES", 0, 300)
    _output(graph, "Road graph nodes", "OUTPUT_NODES", 140, 300)
    evaluate = _child(
        model, "evaluate", "roadextract:evaluateroadgraph", "Evaluate road graph", 320, 300
    )
    evaluate.addParameterSources("GROUND_TRUTH", [Source.fromModelParameter("reference")])
    evaluate.addParameterSources("PROPOSAL", [Source.fromChildOutput("graph", "OUTPUT_EDGES")])
    _output(evaluate, "Evaluation report (JSON)", "REPORT", 320, 420)
    for child in (graph, evaluate):
        _static_defaults(child)
        model.addChildAlgorithm(child)
    return model


def main() -> int:
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    # The plugin's provider and QGIS's native one, so the children resolve (their defaults).
    import tempfile

    from qgis.analysis import QgsNativeAlgorithms

    QgsApplication.processingRegistry().addProvider(QgsNativeAlgorithms())
    plugins = Path(tempfile.mkdtemp())
    (plugins / "roadextract").symlink_to(HERE.parents[1], target_is_directory=True)
    sys.path.insert(0, str(plugins))
    import roadextract

    plugin = roadextract.classFactory(None)
    plugin.initProcessing()
    for name, build in (
        ("road_polygons_and_centerlines", polygons_and_centerlines),
        ("road_graph_and_evaluation", graph_and_evaluation),
    ):
        if not build().toFile(str(HERE / f"{name}.model3")):
            raise RuntimeError(f"cannot write {name}.model3")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
