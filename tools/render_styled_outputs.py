"""Render the styled RoadExtract outputs over the demo image (README screenshot).

Runs "Segment roads" and "Extract road graph" on the SpaceNet Vegas RGB sample through the
plugin (a backend is started or reused as the plugin does), loads the outputs with the
shipped QML styles and renders them over the image::

    QT_QPA_PLATFORM=offscreen ROADEXTRACT_BACKEND_PYTHON=.venv/bin/python \\
        /usr/bin/python3 tools/render_styled_outputs.py [../shared/data] [docs/images]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else REPO.parent / "shared" / "data"
    out_dir = Path(argv[1]) if len(argv) > 1 else REPO / "docs" / "images"
    image = shared / "samples" / "spacenet_vegas_rgb.tif"

    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    from processing.core.Processing import Processing

    Processing.initialize()
    plugins = Path(tempfile.mkdtemp())
    (plugins / "roadextract").symlink_to(REPO, target_is_directory=True)
    sys.path.insert(0, str(plugins))
    import processing
    import roadextract
    from qgis.core import (
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsRasterLayer,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
    from roadextract.plugin.backend_process import backend_manager
    from roadextract.plugin.resources import style_path

    plugin = roadextract.classFactory(None)
    plugin.initProcessing()
    work = Path(tempfile.mkdtemp())
    try:
        segment = processing.run(
            "roadextract:segmentroads",
            {
                "INPUT": str(image),
                "THRESHOLD": 0.3,
                "OUTPUT_PROBABILITY": str(work / "probability.tif"),
                "OUTPUT_POLYGONS": str(work / "polygons.gpkg"),
                "OUTPUT_CENTERLINES": "",
            },
        )
        graph = processing.run(
            "roadextract:extractroadgraph",
            {
                "INPUT": str(image),
                "OUTPUT_EDGES": str(work / "edges.gpkg"),
                "OUTPUT_NODES": str(work / "nodes.gpkg"),
            },
        )
    finally:
        backend_manager().stop()
    base = QgsRasterLayer(str(image), "image", "gdal")
    layers = []
    for path, style in (
        (graph["OUTPUT_NODES"], "road_nodes"),
        (graph["OUTPUT_EDGES"], "road_graph_edges"),
        (segment["OUTPUT_POLYGONS"], "road_polygons"),
    ):
        layer = QgsVectorLayer(path, style, "ogr")
        layer.loadNamedStyle(str(style_path(style)))
        layers.append(layer)
    probability = QgsRasterLayer(segment["OUTPUT_PROBABILITY"], "probability", "gdal")
    probability.loadNamedStyle(str(style_path("road_probability")))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, stack in (
        ("styled_graph.jpg", [*layers[:2], base]),
        ("styled_segmentation.jpg", [layers[2], probability, base]),
    ):
        settings = QgsMapSettings()
        settings.setLayers(stack)
        settings.setDestinationCrs(base.crs())
        settings.setExtent(base.extent())
        settings.setOutputSize(QSize(640, 640))
        settings.setBackgroundColor(QColor("white"))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        job.renderedImage().save(str(out_dir / name), "JPG", 85)
        print(out_dir / name)
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
