"""The RoadExtract Processing provider.

It loads whether or not the backend exists or runs: algorithms reach for the backend only
when they run, and then fail with a message that says what to run.

A backend that an algorithm started is stopped when the provider is unloaded: QGIS does
that when the plugin is unloaded, and qgis_process does it on exit, where neither the
plugin's ``unload()`` nor Python's ``atexit`` handlers run.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..plugin.backend_process import backend_manager
from ..plugin.i18n import tr
from ..plugin.resources import icon_path
from .algorithms.box_to_masks import BoxesToMasks
from .algorithms.build_training_set import BuildRoadTrainingSet
from .algorithms.evaluate_instance_masks import EvaluateInstanceMasks
from .algorithms.evaluate_road_graph import EvaluateRoadGraph
from .algorithms.extract_road_graph import ExtractRoadGraph
from .algorithms.fine_tune import FineTuneRoadModel
from .algorithms.import_box_annotations import ImportBoxAnnotations
from .algorithms.road_mask_to_vectors import RoadMaskToVectors
from .algorithms.segment_roads import SegmentRoads

# Graphical models shipped with the provider (made by models/make_models.py).
MODELS_DIR = Path(__file__).resolve().parent / "models"

ALGORITHM_CLASSES = (
    RoadMaskToVectors,
    ExtractRoadGraph,
    SegmentRoads,
    EvaluateRoadGraph,
    BuildRoadTrainingSet,
    FineTuneRoadModel,
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

    def load(self) -> bool:
        """Load the algorithms; reload the models once the registry holds this provider.

        A model's child algorithms are looked up in the registry when the model is read,
        and ours are not there yet during the first load (QGIS's own model provider reloads
        on ``providerAdded`` for the same reason).
        """
        registry = QgsApplication.processingRegistry()
        registry.providerAdded.connect(self._on_provider_added)
        self.refreshAlgorithms()
        return True

    def _on_provider_added(self, provider_id: str) -> None:
        if provider_id == self.id():
            QgsApplication.processingRegistry().providerAdded.disconnect(self._on_provider_added)
            self.refreshAlgorithms()

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API
        """Register every algorithm and the shipped graphical models (no backend access)."""
        for algorithm_class in ALGORITHM_CLASSES:
            self.addAlgorithm(algorithm_class())
        for path in sorted(MODELS_DIR.glob("*.model3")):
            model = QgsProcessingModelAlgorithm()
            if model.fromFile(str(path)):
                self.addAlgorithm(model)

    def unload(self) -> None:
        """Stop the backend this process started, if any (one started by hand keeps running)."""
        backend_manager().stop()
