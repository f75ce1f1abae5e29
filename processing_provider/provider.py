"""The RoadExtract Processing provider.

It loads whether or not the backend exists or runs: algorithms reach for the backend only
when they run, and then fail with a message that says what to run.

A backend that an algorithm started is stopped when the provider is unloaded: QGIS does
that when the plugin is unloaded, and qgis_process does it on exit, where neither the
plugin's ``unload()`` nor Python's ``atexit`` handlers run.
"""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..plugin.backend_process import backend_manager
from ..plugin.i18n import tr
from ..plugin.resources import icon_path
from .algorithms.box_to_masks import BoxesToMasks
from .algorithms.evaluate_instance_masks import EvaluateInstanceMasks
from .algorithms.evaluate_road_graph import EvaluateRoadGraph
from .algorithms.extract_road_graph import ExtractRoadGraph
from .algorithms.import_box_annotations import ImportBoxAnnotations
from .algorithms.road_mask_to_vectors import RoadMaskToVectors
from .algorithms.segment_roads import SegmentRoads

ALGORITHM_CLASSES = (
    RoadMaskToVectors,
    ExtractRoadGraph,
    SegmentRoads,
    EvaluateRoadGraph,
    BoxesToMasks,
    ImportBoxAnnotations,
    EvaluateInstanceMasks,
)


class RoadExtractProvider(QgsProcessingProvider):
    """Processing provider ``roadextract``."""

    def id(self) -> str:
        """Untranslated provider id (algorithm ids are ``roadextract:<name>``)."""
        return "roadextract"

    def name(self) -> str:
        """Provider name shown in the toolbox (a proper name, not translated)."""
        return "RoadExtract"

    def longName(self) -> str:  # noqa: N802 - QGIS API
        """Longer description shown in tooltips."""
        return tr("RoadExtract: roads and objects from aerial imagery")

    def icon(self) -> QIcon:
        """Provider icon."""
        return QIcon(str(icon_path()))

    def svgIconPath(self) -> str:  # noqa: N802 - QGIS API
        """Provider icon as SVG (sharp at any size)."""
        return str(icon_path().with_suffix(".svg"))

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API
        """Register every algorithm (no backend access here)."""
        for algorithm_class in ALGORITHM_CLASSES:
            self.addAlgorithm(algorithm_class())

    def unload(self) -> None:
        """Stop the backend this process started, if any (one started by hand keeps running)."""
        backend_manager().stop()
