"""Every algorithm has its own SVG icon (toolbox and Model Designer), issue 16."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingModelAlgorithm
from qgis.PyQt.QtGui import QImage


def test_each_algorithm_has_its_own_icon(provider):
    paths = {}
    for alg in provider.algorithms():
        if isinstance(alg, QgsProcessingModelAlgorithm):
            continue  # the shipped graphical models keep QGIS's model icon
        path = Path(alg.svgIconPath())
        assert path.is_file() and path.parent.name == "algorithms", alg.id()
        assert not alg.icon().isNull(), alg.id()
        assert not QImage(str(path)).isNull(), path
        paths[alg.id()] = path
    assert len(paths) >= 7 and len(set(paths.values())) == len(paths)
    assert Path(provider.svgIconPath()).is_file()
