"""Generate the QML styles of the RoadExtract outputs (``*.qml`` next to this script).

Styles made to be read on aerial imagery: bright lines with a dark casing, translucent
fills, graph edges coloured by their probability, nodes by degree and kind (dead end,
junction, overpass). Built with the QGIS API and saved with ``saveNamedStyle`` so the files
are what QGIS itself writes. Run with the Python that QGIS uses::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 plugin/styles/make_styles.py

Not imported by the plugin (``plugin/layers.py`` applies the files).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _casing_line(colour: str, width_mm: float = 0.8):
    from qgis.core import QgsLineSymbol, QgsSimpleLineSymbolLayer
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtGui import QColor

    symbol = QgsLineSymbol()
    symbol.deleteSymbolLayer(0)
    casing = QgsSimpleLineSymbolLayer(QColor("#1a1a1a"), width_mm + 0.6)
    casing.setPenCapStyle(Qt.RoundCap)
    casing.setPenJoinStyle(Qt.RoundJoin)
    line = QgsSimpleLineSymbolLayer(QColor(colour), width_mm)
    line.setPenCapStyle(Qt.RoundCap)
    line.setPenJoinStyle(Qt.RoundJoin)
    symbol.appendSymbolLayer(casing)
    symbol.appendSymbolLayer(line)
    return symbol


def _marker(colour: str, size_mm: float, shape=None):
    from qgis.core import QgsMarkerSymbol, QgsSimpleMarkerSymbolLayerBase

    symbol = QgsMarkerSymbol.createSimple(
        {"color": colour, "outline_color": "#1a1a1a", "outline_width": "0.3", "size": str(size_mm)}
    )
    if shape is not None:
        symbol.symbolLayer(0).setShape(shape)
    else:
        symbol.symbolLayer(0).setShape(QgsSimpleMarkerSymbolLayerBase.Circle)
    return symbol


def _vector(geometry: str, name: str):
    from qgis.core import QgsVectorLayer

    fields = {
        "LineString": "field=edge_id:integer&field=probability:double&field=length_m:double",
        "Point": "field=node_id:integer&field=degree:integer&field=is_overpass:boolean",
        "Polygon": "field=area_m2:double",
    }[geometry]
    layer = QgsVectorLayer(f"{geometry}?crs=EPSG:4326&{fields}", name, "memory")
    assert layer.isValid()
    return layer


def edges_style(path: Path) -> None:
    """Graph edges graduated by ``probability`` (red 0 .. green 1)."""
    from qgis.core import QgsGraduatedSymbolRenderer, QgsRendererRange

    classes = [
        (0.0, 0.25, "#d7191c", "0.00 – 0.25"),
        (0.25, 0.5, "#fd8d3c", "0.25 – 0.50"),
        (0.5, 0.75, "#ffff33", "0.50 – 0.75"),
        (0.75, 1.0, "#1afa29", "0.75 – 1.00"),
    ]
    ranges = [
        QgsRendererRange(low, high, _casing_line(colour), label)
        for low, high, colour, label in classes
    ]
    renderer = QgsGraduatedSymbolRenderer("probability", ranges)
    layer = _vector("LineString", "edges")
    layer.setRenderer(renderer)
    _save(layer, path)


def centerlines_style(path: Path) -> None:
    """Centerlines: yellow with a dark casing."""
    from qgis.core import QgsSingleSymbolRenderer

    layer = _vector("LineString", "centerlines")
    layer.setRenderer(QgsSingleSymbolRenderer(_casing_line("#ffd700")))
    _save(layer, path)


def nodes_style(path: Path) -> None:
    """Nodes by kind: overpass (magenta square), dead end (red), junction (yellow), else
    small white. ``is_overpass`` is read with attribute() so layers without it work too."""
    from qgis.core import QgsRuleBasedRenderer, QgsSimpleMarkerSymbolLayerBase

    root = QgsRuleBasedRenderer.Rule(None)
    rules = [
        (
            "Overpass",
            "coalesce(attribute(@feature, 'is_overpass'), false)",
            _marker("#ff00ff", 2.6, QgsSimpleMarkerSymbolLayerBase.Square),
        ),
        ("Dead end (degree 1)", '"degree" <= 1', _marker("#ff3b30", 2.2)),
        ("Junction (degree 3 or more)", '"degree" >= 3', _marker("#ffd700", 2.4)),
        ("Through node (degree 2)", "ELSE", _marker("#ffffff", 1.4)),
    ]
    for label, expression, symbol in rules:
        rule = QgsRuleBasedRenderer.Rule(
            symbol, 0, 0, "" if expression == "ELSE" else expression, label
        )
        if expression == "ELSE":
            rule.setIsElse(True)
        root.appendChild(rule)
    layer = _vector("Point", "nodes")
    layer.setRenderer(QgsRuleBasedRenderer(root))
    _save(layer, path)


def polygons_style(path: Path) -> None:
    """Road polygons: translucent orange fill with a yellow outline."""
    from qgis.core import QgsFillSymbol, QgsSingleSymbolRenderer

    symbol = QgsFillSymbol.createSimple(
        {
            "color": "255,140,0,90",
            "outline_color": "#ffd700",
            "outline_width": "0.5",
            "outline_style": "solid",
        }
    )
    layer = _vector("Polygon", "polygons")
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    _save(layer, path)


def probability_style(path: Path) -> None:
    """Road probability raster: transparent below 0.2, then orange to yellow, 60 % opaque."""
    import numpy as np
    from osgeo import gdal, osr
    from qgis.core import (
        QgsColorRampShader,
        QgsRasterLayer,
        QgsRasterShader,
        QgsSingleBandPseudoColorRenderer,
    )
    from qgis.PyQt.QtGui import QColor

    tif = path.with_suffix(".tmp.tif")
    dataset = gdal.GetDriverByName("GTiff").Create(str(tif), 4, 4, 1, gdal.GDT_Float32)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.SetGeoTransform((0, 1, 0, 0, 0, -1))
    dataset.GetRasterBand(1).WriteArray(np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4))
    dataset.GetRasterBand(1).SetNoDataValue(-1)
    dataset = None
    layer = QgsRasterLayer(str(tif), "probability", "gdal")
    ramp = QgsColorRampShader(0.0, 1.0)
    ramp.setColorRampType(QgsColorRampShader.Interpolated)
    ramp.setColorRampItemList(
        [
            QgsColorRampShader.ColorRampItem(0.0, QColor(0, 0, 0, 0), "0"),
            QgsColorRampShader.ColorRampItem(0.2, QColor(255, 69, 0, 0), "0.2"),
            QgsColorRampShader.ColorRampItem(0.5, QColor(255, 120, 0, 200), "0.5"),
            QgsColorRampShader.ColorRampItem(1.0, QColor(255, 255, 0, 255), "1"),
        ]
    )
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(ramp)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(1.0)
    renderer.setOpacity(0.6)
    layer.setRenderer(renderer)
    _save(layer, path)
    del layer
    for leftover in (tif, tif.with_name(tif.name + ".aux.xml")):
        leftover.unlink(missing_ok=True)


def _save(layer, path: Path) -> None:
    from qgis.core import QgsMapLayer

    # Symbology only: the styles go onto layers with other fields (no forms, aliases).
    categories = QgsMapLayer.Symbology | QgsMapLayer.Rendering
    message, ok = layer.saveNamedStyle(str(path), categories=categories)
    if not ok:
        raise RuntimeError(f"{path}: {message}")


def main() -> int:
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    edges_style(HERE / "road_graph_edges.qml")
    centerlines_style(HERE / "road_centerlines.qml")
    nodes_style(HERE / "road_nodes.qml")
    polygons_style(HERE / "road_polygons.qml")
    probability_style(HERE / "road_probability.qml")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
