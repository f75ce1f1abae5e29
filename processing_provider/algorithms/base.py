"""Shared machinery of the RoadExtract Processing algorithms.

An algorithm validates its inputs, gets a backend client (reusing a running backend or
starting one with the saved settings), creates a job, polls it every
:data:`POLL_INTERVAL_S` seconds while reporting progress, and copies the GeoPackage layers
the backend wrote into QGIS feature sinks, created with an explicit CRS. Sinks are created
only once the job has succeeded, and every temporary file lives in a per-run folder that is
removed on the way out, so a cancelled or failed run leaves nothing behind.

Nothing here touches ``iface``: the algorithms run under qgis_process too.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsFeatureSource,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingOutputNumber,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ...plugin.backend_process import (
    STATE_FILE_NAME,
    BackendStartError,
    BackendState,
    backend_manager,
)
from ...plugin.client import (
    BackendClient,
    BackendError,
    BackendUnavailableError,
    JobResult,
    JobStatus,
)
from ...plugin.i18n import backend_message, tr
from ...plugin.layers import (
    LayerError,
    export_vector,
    gpkg_vector_layer,
    raster_file_for_backend,
)
from ...plugin.models import ModelChoice, model_choices
from ...plugin.params import TEST_TIME_AUGMENTATIONS, JobRequest, RequestError
from ...plugin.resources import algorithm_icon_path, style_path
from ...plugin.settings import PluginSettings

POLL_INTERVAL_S = 0.25
# How long a cancelled job may take to stop before we give up waiting (the runner checks
# for cancellation between windows, so this is generous).
CANCEL_TIMEOUT_S = 60.0
# GeoPackage primary key column; QGIS exposes it as a field, outputs do not need it.
GPKG_FID_FIELD = "fid"
# Share of the algorithm's 0..100 progress taken by the backend job when sinks are copied
# afterwards (the copies take the rest).
JOB_PROGRESS_END = 90.0
# The model lists ask a running backend for GET /models at most this often.
MODEL_LIST_TTL_S = 10.0
MODEL_LIST_TIMEOUT_S = 2.0
_model_rows_cache: dict[str, tuple[float, list[dict[str, Any]] | None]] = {}
_model_rows_lock = threading.Lock()


def backend_model_rows() -> list[dict[str, Any]] | None:
    """``GET /models`` rows of a backend that runs now, or None when none answers.

    Never starts a backend, never waits for the backend manager (a start in progress holds
    it): reads the state file and asks with a short timeout. Cached for
    :data:`MODEL_LIST_TTL_S` seconds per state file, since QGIS creates an algorithm (and
    so its parameters) for every dialog, batch row and ``processing.run``.
    """
    state_file = PluginSettings.load().resolved_state_dir() / STATE_FILE_NAME
    key = str(state_file)
    with _model_rows_lock:
        cached = _model_rows_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < MODEL_LIST_TTL_S:
            return cached[1]
    rows: list[dict[str, Any]] | None = None
    state = BackendState.read(state_file)
    if state is not None:
        client = BackendClient(
            state.url, state.token, timeout_s=MODEL_LIST_TIMEOUT_S, connect_timeout_s=1.0
        )
        try:
            answer = client.models()
            listed = answer.get("models") if isinstance(answer, dict) else None
            rows = [row for row in listed if isinstance(row, dict)] if listed else None
        except BackendError:
            rows = None
        finally:
            client.close()
    with _model_rows_lock:
        _model_rows_cache[key] = (time.monotonic(), rows)
    return rows


def forget_model_rows() -> None:
    """Drop the cached model lists (after a backend start or stop, in tests)."""
    with _model_rows_lock:
        _model_rows_cache.clear()


def model_parameter(
    name: str, description: str, methods: Iterable[str], default: str
) -> QgsProcessingParameterEnum:
    """The model picker: a list of model ids (static strings, so batch rows, graphical
    models and ``qgis_process`` store the id, not a position), filled from the running
    backend's ``GET /models`` (shipped, downloaded and user models) or, without a backend,
    from the plugin's known model table. Its help lists each model with its GSD and a short
    description.

    Args:
        name: Parameter name (``MODEL``).
        description: Translated label.
        methods: Registry methods the algorithm runs (``anchor_sam``, ...).
        default: Default model id, always in the list.
    """
    choices: list[ModelChoice] = model_choices(methods, backend_model_rows(), default)
    parameter = QgsProcessingParameterEnum(
        name,
        description,
        options=[choice.id for choice in choices],
        allowMultiple=False,
        defaultValue=default,
        optional=False,
        usesStaticStrings=True,
    )
    lines = []
    for choice in choices:
        line = choice.label()
        if choice.installed is False:
            line += " " + tr("(not installed)")
        lines.append(line)
    parameter.setHelp("\n".join(lines))
    return parameter


# Shipped QML style (plugin/styles/) of each backend layer, applied when QGIS loads the output.
OUTPUT_STYLES = {
    "road_graph_edges": "road_graph_edges",
    "road_graph_nodes": "road_nodes",
    "road_nodes": "road_nodes",
    "road_centerlines": "road_centerlines",
    "road_polygons": "road_polygons",
    "probability": "road_probability",
}


class ApplyStyle(QgsProcessingLayerPostProcessorInterface):
    """Loads a shipped QML style onto an output layer once QGIS has loaded it.

    QGIS keeps only a C++ pointer to a post-processor, so every instance is held in
    :attr:`_alive` until it has run (the pattern of QGIS's own Python algorithms).
    """

    _alive: list[ApplyStyle] = []

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    @classmethod
    def create(cls, qml: str) -> ApplyStyle:
        """A post-processor for ``qml``, kept alive until it has run."""
        instance = cls(qml)
        cls._alive.append(instance)
        return instance

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 - QGIS API
        """Apply the style (a missing or broken file only warns)."""
        if layer is not None:
            message, ok = layer.loadNamedStyle(self.qml)
            if ok:
                layer.triggerRepaint()
            else:
                feedback.pushWarning(
                    tr("The style {path} could not be applied: {error}").format(
                        path=self.qml, error=message
                    )
                )
        if self in ApplyStyle._alive:
            ApplyStyle._alive.remove(self)


def present_output(context: QgsProcessingContext, dest_id: str, name: str, style: str) -> None:
    """Name an output layer after what it is and give it its shipped style when QGIS loads it.

    Only for outputs QGIS loads on completion (the dialog, batch with "load layers",
    ``runAndLoadResults``); ``processing.run`` and ``qgis_process`` load nothing.

    Args:
        context: The algorithm's context.
        dest_id: Destination returned by ``parameterAsSink`` / the output layer path.
        name: Translated layer name, e.g. "Road graph edges".
        style: Key of :data:`OUTPUT_STYLES` or a style name under plugin/styles/.
    """
    if not context.willLoadLayerOnCompletion(dest_id):
        return
    details = context.layerToLoadOnCompletionDetails(dest_id)
    details.name = name
    details.forceName = True  # also for file outputs, which QGIS names after the file
    qml = style_path(OUTPUT_STYLES.get(style, style))
    if qml.is_file():
        details.setPostProcessor(ApplyStyle.create(str(qml)))


class SinkOutput(NamedTuple):
    """One optional feature sink, filled from a GeoPackage layer the backend writes.

    Attributes:
        name: Sink parameter, e.g. ``OUTPUT_EDGES``.
        description: Translated sink description.
        layer_type: ``QgsProcessing.TypeVector...`` of the sink.
        gpkg_layer: Layer inside the backend's GeoPackage, e.g. ``road_graph_edges``.
        count_name: Number output that counts the features, e.g. ``N_EDGES``.
        count_description: Translated description of that output.
        summary_key: Key of the job summary that holds the count the backend computed.
    """

    name: str
    description: str
    layer_type: int
    gpkg_layer: str
    count_name: str
    count_description: str
    summary_key: str


class RoadExtractAlgorithm(QgsProcessingAlgorithm):
    """Base class: backend access, job polling and sink writing for RoadExtract algorithms.

    Subclasses with a raster input name it in :attr:`RASTER_INPUT`; those with optional
    feature sinks list them in :meth:`sink_outputs` and say in :meth:`no_output_message`
    what to do when none is requested. :meth:`checkParameterValues` checks both.
    """

    # Raster parameter that checkParameterValues checks (None: the algorithm has none).
    RASTER_INPUT: str | None = None

    def tr(self, text: str) -> str:
        """Translate ``text`` in the context of the concrete algorithm class (QGIS style)."""
        return QCoreApplication.translate(type(self).__name__, text)

    def createInstance(self) -> QgsProcessingAlgorithm:  # noqa: N802 - QGIS API
        """Return a new instance of the concrete algorithm."""
        return type(self)()

    def icon(self) -> QIcon:
        """Return the algorithm's own icon (toolbox, batch dialog)."""
        return QIcon(self.svgIconPath())

    def svgIconPath(self) -> str:  # noqa: N802 - QGIS API
        """Return the algorithm's SVG icon (the Model Designer draws this one)."""
        return str(algorithm_icon_path(self.name()))

    def group(self) -> str:
        """Translated group name."""
        return tr("Roads")

    def groupId(self) -> str:  # noqa: N802 - QGIS API
        """Untranslated group id."""
        return "roads"

    # -- parameters and outputs ------------------------------------------------------------

    def sink_outputs(self) -> tuple[SinkOutput, ...]:
        """The optional feature sinks of the algorithm, in declaration order (none here)."""
        return ()

    def no_output_message(self) -> str:
        """Translated message for a run that requests none of :meth:`sink_outputs`."""
        raise NotImplementedError(f"{type(self).__name__} has sinks but no message")

    def add_number_outputs(self, outputs: Iterable[tuple[str, str]]) -> None:
        """Declare one number output per ``(name, translated description)`` row."""
        for name, description in outputs:
            self.addOutput(QgsProcessingOutputNumber(name, description))

    def add_sink_outputs(self) -> None:
        """Declare the sinks of :meth:`sink_outputs`, then the numbers that count them.

        The sinks are optional and created by default; a skipped one is not copied.
        """
        sinks = self.sink_outputs()
        for sink in sinks:
            self.addParameter(
                QgsProcessingParameterFeatureSink(
                    sink.name,
                    sink.description,
                    sink.layer_type,
                    optional=True,
                    createByDefault=True,
                )
            )
        self.add_number_outputs((sink.count_name, sink.count_description) for sink in sinks)

    SCHEDULER = "SCHEDULER"

    def add_scheduler_parameter(self) -> None:
        """The advanced "Dask scheduler" parameter of the raster jobs (issue 13)."""
        parameter = QgsProcessingParameterString(
            self.SCHEDULER,
            tr("Dask cluster (local:N or tcp://host:8786; empty: in the backend)"),
            optional=True,
        )
        parameter.setHelp(
            tr(
                "Runs the job's blocks on a Dask cluster: 'local:N' starts N worker "
                "processes on the backend's machine, an address uses a running cluster. The "
                "backend exchanges data with that cluster: use only clusters you trust."
            )
        )
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(parameter)

    ADDITIONAL_SCENES = "ADDITIONAL_SCENES"
    TARGET_CRS = "TARGET_CRS"

    def add_scene_parameters(self) -> None:
        """The optional "Additional scenes" and "Target CRS" parameters of the raster jobs
        (issue 13): more rasters mosaicked with the input, all in one CRS."""
        scenes = QgsProcessingParameterMultipleLayers(
            self.ADDITIONAL_SCENES,
            tr("Additional scenes (mosaicked with the input)"),
            QgsProcessing.TypeRaster,
            optional=True,
        )
        scenes.setHelp(
            tr(
                "More rasters with the input's bands, processed with it as one mosaic (a "
                "GDAL VRT). Scenes in another CRS than the target CRS are reprojected. Where "
                "scenes overlap, the input wins, then the scenes in list order."
            )
        )
        self.addParameter(scenes)
        target = QgsProcessingParameterCrs(
            self.TARGET_CRS,
            tr("Target CRS (empty: the input's)"),
            optional=True,
        )
        target.setHelp(
            tr(
                "CRS the scenes are mosaicked in and the outputs are written in; empty: the "
                "CRS of the input raster."
            )
        )
        self.addParameter(target)

    def scene_values(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        layer: QgsRasterLayer,
    ) -> tuple[list[QgsRasterLayer], str | None, QgsCoordinateReferenceSystem]:
        """The additional scene layers (each valid, with a CRS and ``layer``'s band count),
        the target CRS for the backend (None: the input's) and the CRS of the outputs.

        Raises:
            QgsProcessingException: A scene is not a raster, has no CRS or other bands.
        """
        scenes: list[QgsRasterLayer] = []
        for scene in self.parameterAsLayerList(parameters, self.ADDITIONAL_SCENES, context):
            if not isinstance(scene, QgsRasterLayer) or not scene.isValid():
                raise QgsProcessingException(
                    tr("Additional scene {name} is not a raster layer.").format(
                        name=scene.name() if scene is not None else "?"
                    )
                )
            if not scene.crs().isValid():
                raise QgsProcessingException(
                    tr(
                        "Additional scene {name} has no coordinate reference system. Assign "
                        "one (Raster > Projections > Assign Projection) and run again."
                    ).format(name=scene.name())
                )
            if scene.bandCount() != layer.bandCount():
                raise QgsProcessingException(
                    tr(
                        "Additional scene {name} has {count} band(s), the input {input} has "
                        "{input_count}: scenes of one run need the same bands."
                    ).format(
                        name=scene.name(),
                        count=scene.bandCount(),
                        input=layer.name(),
                        input_count=layer.bandCount(),
                    )
                )
            scenes.append(scene)
        crs = self.parameterAsCrs(parameters, self.TARGET_CRS, context)
        if not crs.isValid():
            return scenes, None, layer.crs()
        return scenes, crs.authid() or crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED), crs

    def scenes_for_backend(
        self,
        scenes: list[QgsRasterLayer],
        work_dir: Path,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> list[str] | None:
        """Local files of the additional scenes (exported when they are not), or None."""
        paths = []
        for index, scene in enumerate(scenes):
            folder = work_dir / f"scene_{index + 1:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            paths.append(self.raster_for_backend(scene, folder, context, feedback))
        return paths or None

    def scheduler_value(
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> str | None:
        """The scheduler the user gave, or None (run in the backend process)."""
        value = (self.parameterAsString(parameters, self.SCHEDULER, context) or "").strip()
        return value or None

    def optional_double(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> float | None:
        """A number parameter, or None when left empty (the backend then uses the model's
        validated default)."""
        if parameters.get(name) in (None, ""):
            return None
        return self.parameterAsDouble(parameters, name, context)

    def test_time_augmentation_parameter(self, name: str, label: str) -> QgsProcessingParameterEnum:
        """An optional choice of test-time views: the model card's (first, the default), or
        one of :data:`TEST_TIME_AUGMENTATIONS` (read with :meth:`test_time_augmentation`)."""
        return QgsProcessingParameterEnum(
            name,
            label,
            options=[
                self.tr("The model's validated choice"),
                self.tr("1 view (fastest)"),
                self.tr("2 views (the image and its mirror)"),
                self.tr("4 views (the flips)"),
                self.tr("8 views (all rotations and flips; slowest)"),
            ],
            defaultValue=0,
            # Optional: graphical models and scripts saved before it existed still run.
            optional=True,
        )

    def test_time_augmentation(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> int | None:
        """The views chosen in a :meth:`test_time_augmentation_parameter`; None for the
        model card's choice."""
        index = self.parameterAsEnum(parameters, name, context)
        return TEST_TIME_AUGMENTATIONS[index - 1] if index > 0 else None

    def checkParameterValues(  # noqa: N802 - QGIS API
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """Refuse a run that would write nothing, or an input that is not a raster."""
        if self.RASTER_INPUT is not None:
            problem = self.raster_input_problem(parameters, self.RASTER_INPUT, context)
            if problem:
                return False, problem
        sinks = self.sink_outputs()
        if sinks and not any(self.output_requested(parameters, sink.name) for sink in sinks):
            return False, self.no_output_message()
        return super().checkParameterValues(parameters, context)

    @staticmethod
    def job_params(request: JobRequest) -> dict[str, Any]:
        """Return the validated JSON params of ``request``.

        Raises:
            QgsProcessingException: A field is out of range (the message names it).
        """
        try:
            return request.to_params()
        except RequestError as exc:
            raise QgsProcessingException(str(exc)) from exc

    # -- raster inputs ---------------------------------------------------------------------

    @staticmethod
    def raster_input_problem(
        parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> str:
        """Say why the raster parameter ``name``, when given as a path, cannot be used.

        For ``checkParameterValues``: QGIS's own message ("Could not load source layer ...
        not found") says "not found" for a file that exists but is not a raster.

        Returns:
            The reason, or "" when the value can be used (or is not a path).
        """
        value = parameters.get(name)
        if not isinstance(value, str) or not value.strip():
            return ""
        if QgsProcessingUtils.mapLayerFromString(
            value, context, True, QgsProcessingUtils.LayerHint.Raster
        ):
            return ""
        path = Path(value.split("|", 1)[0])
        if not path.exists():
            return tr("Input raster {path} does not exist.").format(path=path)
        return tr("{path} is not a raster that QGIS (GDAL) can open.").format(path=path)

    def raster_layer_with_crs(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> QgsRasterLayer:
        """Return the raster layer of parameter ``name``, which must be valid with a CRS.

        Raises:
            QgsProcessingException: Invalid layer, or no CRS (the message says how to
                assign one).
        """
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None or not layer.isValid():
            raise QgsProcessingException(self.invalidRasterError(parameters, name))
        if not layer.crs().isValid():
            raise QgsProcessingException(
                tr(
                    "Raster {name} has no coordinate reference system. Assign one (Raster > "
                    "Projections > Assign Projection, or the layer properties) and run again."
                ).format(name=layer.name())
            )
        return layer

    @staticmethod
    def check_bands(layer: QgsRasterLayer, bands: list[int]) -> None:
        """Raise unless every 1-based band number in ``bands`` exists in ``layer``.

        Raises:
            QgsProcessingException: Naming the first missing band and the band count.
        """
        for band in bands:
            if not 1 <= band <= layer.bandCount():
                raise QgsProcessingException(
                    tr("Band {band} does not exist; raster {name} has {count} band(s).").format(
                        band=band, name=layer.name(), count=layer.bandCount()
                    )
                )

    @staticmethod
    def raster_for_backend(
        layer: QgsRasterLayer,
        work_dir: Path,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> str:
        """Return a local file of ``layer`` for the backend, exporting it into ``work_dir``
        when it is not one (see :func:`plugin.layers.raster_file_for_backend`).

        Raises:
            QgsProcessingException: The export failed or was cancelled.
        """
        try:
            raster_path, exported = raster_file_for_backend(
                layer,
                work_dir,
                transform_context=context.transformContext(),
                feedback=feedback,
            )
        except LayerError as exc:
            raise QgsProcessingException(str(exc)) from exc
        if exported:
            feedback.pushInfo(
                tr("Layer {name} is not a local file; exported it to {path}.").format(
                    name=layer.name(), path=raster_path
                )
            )
        return raster_path

    # -- backend ---------------------------------------------------------------------------

    def backend_client(self, feedback: QgsProcessingFeedback) -> BackendClient:
        """Return a client for a running backend, starting one with the saved settings.

        Raises:
            QgsProcessingException: The backend cannot be found or started; the message
                says what to run (``make install``, the settings, ``make serve``).
        """
        settings = PluginSettings.load()
        try:
            return backend_manager().ensure_running(
                settings, on_message=feedback.pushInfo, is_cancelled=feedback.isCanceled
            )
        except BackendStartError as exc:
            raise QgsProcessingException(str(exc)) from exc

    def model_inputs(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        raster: str,
        bands: str,
        checkpoint: str,
    ) -> tuple[QgsRasterLayer, list[int] | None, str | None]:
        """The raster layer (with a CRS), its chosen bands and an optional own checkpoint.

        Args:
            parameters, context: of the running algorithm.
            raster, bands, checkpoint: names of the raster, band and file parameters.

        Returns:
            The layer, the 1-based bands (None: the default 1, 2, 3) and the checkpoint path
            (None: the model's declared weights).

        Raises:
            QgsProcessingException: No raster or no CRS, not 1 or 3 bands, a band the
                raster lacks, or a checkpoint file that does not exist.
        """
        layer = self.raster_layer_with_crs(parameters, raster, context)
        chosen = self.parameterAsInts(parameters, bands, context) or None
        if chosen is not None:
            if len(chosen) not in (1, 3):
                raise QgsProcessingException(
                    tr("Choose 3 bands (red, green, blue) or 1 band (grey), not {count}.").format(
                        count=len(chosen)
                    )
                )
            self.check_bands(layer, chosen)
        return layer, chosen, self.own_checkpoint(parameters, context, checkpoint)

    def own_checkpoint(
        self, parameters: dict[str, Any], context: QgsProcessingContext, name: str
    ) -> str | None:
        """The optional own-weights file parameter ``name``; None: the declared weights.

        Raises:
            QgsProcessingException: The file does not exist.
        """
        path = self.parameterAsFile(parameters, name, context) or None
        if path is not None and not Path(path).is_file():
            raise QgsProcessingException(tr("Checkpoint {path} does not exist.").format(path=path))
        return path

    def report_destination(
        self, parameters: dict[str, Any], context: QgsProcessingContext, name: str
    ) -> str | None:
        """The optional JSON report destination ``name``, in an existing folder.

        Raises:
            QgsProcessingException: The report's folder does not exist.
        """
        path = self.parameterAsFileOutput(parameters, name, context) or None
        if path is not None and not Path(path).parent.is_dir():
            raise QgsProcessingException(
                tr("The folder of the report {path} does not exist; create it first.").format(
                    path=path
                )
            )
        return path

    def check_model(
        self,
        client: BackendClient,
        model: str,
        checkpoint: str | None,
        method: str | tuple[str, ...],
    ) -> None:
        """Fail early, with what to do, for an unknown model or one without its weights.

        A backend that cannot list its models is not refused here: the job then reports.

        Args:
            method: The registry method the algorithm runs, or several of them.

        Raises:
            QgsProcessingException: Unknown model (lists the models of ``method``), or the
                model's weights are not installed and no checkpoint was given.
        """
        try:
            rows = client.models().get("models", [])
        except BackendError:
            return
        methods = (method,) if isinstance(method, str) else method
        models = {
            str(row.get("id")): row
            for row in rows
            if isinstance(row, dict) and row.get("method") in methods
        }
        row = models.get(model)
        if row is None:
            raise QgsProcessingException(
                tr("Unknown model {model}; the backend has: {choices}.").format(
                    model=model, choices=", ".join(sorted(models)) or "-"
                )
            )
        if checkpoint is None and not row.get("installed", True):
            raise QgsProcessingException(
                tr(
                    "The weights of model {model} are not installed. {how_to_install} Or give "
                    "a checkpoint file of your own."
                ).format(model=model, how_to_install=row.get("how_to_install") or "")
            )

    def run_job(
        self,
        client: BackendClient,
        kind: str,
        params: dict[str, Any],
        feedback: QgsProcessingFeedback,
        progress_range: tuple[float, float] = (0.0, 90.0),
        cancel_timeout_s: float = CANCEL_TIMEOUT_S,
        keep_result_on_cancel: bool = False,
    ) -> JobResult:
        """Create a job, poll it to the end and return its result.

        Args:
            client: Backend client.
            kind: Job kind, e.g. ``"road_mask_to_vectors"``.
            params: JSON params of the job.
            feedback: Progress, messages and cancellation.
            progress_range: Part of the algorithm's 0..100 progress the job covers.
            cancel_timeout_s: How long a cancelled job may take to stop.
            keep_result_on_cancel: A job that still succeeds after a cancel (``fine_tune``
                keeps its best checkpoint) returns its result instead of failing.

        Returns:
            The job result (output paths and summary).

        Raises:
            QgsProcessingException: ``feedback`` was cancelled (the job was cancelled and
                waited for), bad input (the backend's reason), job failure, or the backend
                stopped answering. Always the plain class: QGIS shows a Python subclass as a
                crash with a traceback instead of a message.
        """
        with _backend_errors(tr("The RoadExtract backend refused the job: {detail}")):
            status = client.create_job(kind, params)
        feedback.pushInfo(
            tr("Backend job {job_id} ({kind}) created.").format(job_id=status.job_id, kind=kind)
        )
        start, end = progress_range
        last_message = ""

        def on_status(current: JobStatus) -> None:
            nonlocal last_message
            if feedback.isCanceled():
                return  # cancelling: no progress for a job that is being stopped
            if current.message and current.message != last_message:
                feedback.pushInfo(backend_message(current.message))
                last_message = current.message
            feedback.setProgress(
                start + (end - start) * min(max(current.progress, 0.0), 100.0) / 100.0
            )

        def on_cancel() -> None:
            feedback.pushInfo(
                tr("Cancelling backend job {job_id} ...").format(job_id=status.job_id)
            )

        with _backend_errors(tr("The RoadExtract backend reported an error: {detail}")):
            try:
                status = client.wait_for_job(
                    status,
                    feedback.isCanceled,
                    on_status,
                    on_cancel,
                    POLL_INTERVAL_S,
                    cancel_timeout_s,
                )
            except BackendError as exc:
                if not feedback.isCanceled():
                    raise
                feedback.reportError(
                    tr("Could not confirm the cancellation: {detail}").format(detail=exc.detail)
                )
            if feedback.isCanceled() and not (
                keep_result_on_cancel and status.status == "succeeded"
            ):
                raise QgsProcessingException(tr("Cancelled; nothing was written."))
            if status.status == "cancelled":
                raise QgsProcessingException(
                    tr("The backend job was cancelled; nothing was written.")
                )
            if status.status == "failed":
                raise QgsProcessingException(
                    tr("The backend job failed: {error}").format(
                        error=status.error or status.message or "?"
                    )
                )
            return client.job_result(status.job_id)

    # -- files and sinks -------------------------------------------------------------------

    @staticmethod
    def features_for_backend(
        source: QgsFeatureSource,
        out_path: Path,
        layer_name: str,
        attributes: dict[str, str | None],
        feedback: QgsProcessingFeedback,
    ) -> str:
        """Export a Processing feature source with ``attributes`` to a GeoPackage for the
        backend (see :func:`plugin.layers.export_vector`); returns its path.

        Raises:
            QgsProcessingException: A field is missing, the file cannot be written, or the
                export was cancelled (nothing is left then).
        """
        try:
            return export_vector(
                source, out_path, layer_name, feedback=feedback, attributes=attributes
            )
        except LayerError as exc:
            if feedback.isCanceled():
                raise QgsProcessingException(tr("Cancelled; nothing was written.")) from exc
            raise QgsProcessingException(str(exc)) from exc

    @staticmethod
    def new_work_dir() -> Path:
        """Create a private temporary folder for one run (inside Processing's temp folder)."""
        return Path(tempfile.mkdtemp(prefix="roadextract_", dir=QgsProcessingUtils.tempFolder()))

    @staticmethod
    def remove_work_dir(work_dir: Path | None) -> None:
        """Delete a folder made by :meth:`new_work_dir` with everything in it."""
        if work_dir is not None:
            shutil.rmtree(work_dir, ignore_errors=True)

    @staticmethod
    def output_requested(parameters: dict[str, Any], name: str) -> bool:
        """True unless the optional sink ``name`` was skipped (no value, or an empty one)."""
        value = parameters.get(name)
        if value is None:
            return False
        if isinstance(value, QgsProcessingOutputLayerDefinition):
            sink = value.sink
            return not (sink.propertyType() == sink.StaticProperty and not sink.staticValue())
        return bool(str(value).strip())

    def copy_gpkg_layer_to_sink(
        self,
        gpkg_path: str,
        layer_name: str,
        parameters: dict[str, Any],
        output_name: str,
        context: QgsProcessingContext,
        fallback_crs: QgsCoordinateReferenceSystem,
        feedback: QgsProcessingFeedback,
    ) -> tuple[str, int]:
        """Copy one GeoPackage layer written by the backend into a Processing sink.

        The sink gets the layer's fields (without the GeoPackage ``fid``), its geometry type
        and an explicit CRS: the one the backend wrote, which is the raster's, or
        ``fallback_crs`` should the file carry none.

        Args:
            gpkg_path: GeoPackage written by the backend.
            layer_name: Layer inside it, e.g. ``road_centerlines``.
            parameters: Algorithm parameters.
            output_name: Name of the sink parameter.
            context: Processing context.
            fallback_crs: CRS of the input raster.
            feedback: Cancellation.

        Returns:
            ``(destination_id, n_features)``.
        """
        try:
            source = gpkg_vector_layer(gpkg_path, layer_name)
        except LayerError as exc:
            raise QgsProcessingException(str(exc)) from exc
        crs = source.crs() if source.crs().isValid() else fallback_crs
        if fallback_crs.isValid() and crs != fallback_crs:
            feedback.pushWarning(
                tr("The backend wrote {layer} in {crs}, not in the layer CRS {layer_crs}.").format(
                    layer=layer_name, crs=crs.authid(), layer_crs=fallback_crs.authid()
                )
            )
        fields = QgsFields()
        kept = []
        for index, field in enumerate(source.fields()):
            if field.name().lower() == GPKG_FID_FIELD:
                continue
            fields.append(field)
            kept.append(index)
        sink, dest_id = self.parameterAsSink(
            parameters, output_name, context, fields, source.wkbType(), crs
        )
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, output_name))
        count = 0
        for feature in source.getFeatures():
            if feedback.isCanceled():
                break
            out = QgsFeature(fields)
            out.setGeometry(feature.geometry())
            attributes = feature.attributes()
            out.setAttributes([attributes[i] for i in kept])
            if not sink.addFeature(out, QgsFeatureSink.FastInsert):
                raise QgsProcessingException(self.writeFeatureError(sink, parameters, output_name))
            count += 1
        del sink  # flush and close the destination now
        del source  # release the GeoPackage so its folder can be deleted (Windows)
        return dest_id, count

    def copy_sink_outputs(
        self,
        gpkg_path: str,
        summary: dict[str, Any],
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        fallback_crs: QgsCoordinateReferenceSystem,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Copy the requested :meth:`sink_outputs` from the backend's GeoPackage.

        Progress runs from :data:`JOB_PROGRESS_END` to 100.

        Args:
            gpkg_path: GeoPackage written by the backend.
            summary: Job summary with the counts the backend computed.
            parameters: Algorithm parameters.
            context: Processing context.
            fallback_crs: CRS of the input raster.
            feedback: Progress and cancellation.

        Returns:
            The destination of every copied sink and every count: the number of features
            written, or for a skipped sink the number the backend computed.
        """
        sinks = self.sink_outputs()
        results: dict[str, Any] = {}
        counts = {sink.count_name: int(summary.get(sink.summary_key) or 0) for sink in sinks}
        for step, sink in enumerate(sinks):
            if not self.output_requested(parameters, sink.name):
                continue
            dest_id, count = self.copy_gpkg_layer_to_sink(
                gpkg_path, sink.gpkg_layer, parameters, sink.name, context, fallback_crs, feedback
            )
            results[sink.name] = dest_id
            counts[sink.count_name] = count
            present_output(context, dest_id, sink.description, sink.gpkg_layer)
            feedback.setProgress(
                JOB_PROGRESS_END + (100.0 - JOB_PROGRESS_END) * (step + 1) / len(sinks)
            )
        results.update(counts)
        return results


class ObjectsAlgorithm(RoadExtractAlgorithm):
    """Base of the object (SAMRS) algorithms: the "Objects" group."""

    def group(self) -> str:
        """Translated group name."""
        return tr("Objects")

    def groupId(self) -> str:  # noqa: N802 - QGIS API
        """Untranslated group id."""
        return "objects"

    def raster_layer(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> QgsRasterLayer:
        """The raster of parameter ``name``; a raster without CRS is accepted (its pixel
        frame is used, as QGIS shows it).

        Raises:
            QgsProcessingException: The layer is not valid.
        """
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None or not layer.isValid():
            raise QgsProcessingException(self.invalidRasterError(parameters, name))
        return layer


def number_range(request_class: type[JobRequest], name: str) -> dict[str, float]:
    """``minValue`` / ``maxValue`` of a Processing number parameter from the request's
    :attr:`~plugin.params.JobRequest.BOUNDS` of field ``name`` (only the bounds it has)."""
    bounds = request_class.BOUNDS[name]
    limits = {"minValue": bounds.minimum, "maxValue": bounds.maximum}
    return {key: float(value) for key, value in limits.items() if value is not None}


@contextmanager
def _backend_errors(message: str) -> Iterator[None]:
    """Turn backend client errors inside the block into a :class:`QgsProcessingException`.

    Args:
        message: Translated message with a ``{detail}`` placeholder, for a backend that
            answered with an error; one that stopped answering gets what to run instead.
    """
    try:
        yield
    except BackendUnavailableError as exc:
        raise QgsProcessingException(_unavailable_message(exc)) from exc
    except BackendError as exc:
        raise QgsProcessingException(message.format(detail=exc.detail)) from exc


def _unavailable_message(exc: BackendError) -> str:
    """Message for a backend that stopped answering, naming what to run."""
    return tr(
        "{detail} Start it again (Raster > RoadExtract > Start backend, or `make serve` in "
        "the plugin folder) and run the algorithm again."
    ).format(detail=exc.detail)
