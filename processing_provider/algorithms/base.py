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
import time
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingUtils,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ...plugin.backend_process import BackendStartError, backend_manager
from ...plugin.client import BackendClient, BackendError, BackendUnavailableError, JobResult
from ...plugin.i18n import tr
from ...plugin.layers import LayerError, gpkg_vector_layer, raster_file_for_backend
from ...plugin.resources import icon_path
from ...plugin.settings import PluginSettings

POLL_INTERVAL_S = 0.25
# How long a cancelled job may take to stop before we give up waiting (the runner checks
# for cancellation between windows, so this is generous).
CANCEL_TIMEOUT_S = 60.0
# GeoPackage primary key column; QGIS exposes it as a field, outputs do not need it.
GPKG_FID_FIELD = "fid"


class RoadExtractAlgorithm(QgsProcessingAlgorithm):
    """Base class: backend access, job polling and sink writing for RoadExtract algorithms."""

    def tr(self, text: str) -> str:
        """Translate ``text`` in the context of the concrete algorithm class (QGIS style)."""
        return QCoreApplication.translate(type(self).__name__, text)

    def createInstance(self) -> QgsProcessingAlgorithm:  # noqa: N802 - QGIS API
        """Return a new instance of the concrete algorithm."""
        return type(self)()

    def icon(self) -> QIcon:
        """Return the plugin icon."""
        return QIcon(str(icon_path()))

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

    def run_job(
        self,
        client: BackendClient,
        kind: str,
        params: dict[str, Any],
        feedback: QgsProcessingFeedback,
        progress_range: tuple[float, float] = (0.0, 90.0),
    ) -> JobResult:
        """Create a job, poll it to the end and return its result.

        Args:
            client: Backend client.
            kind: Job kind, e.g. ``"road_mask_to_vectors"``.
            params: JSON params of the job.
            feedback: Progress, messages and cancellation.
            progress_range: Part of the algorithm's 0..100 progress the job covers.

        Returns:
            The job result (output paths and summary).

        Raises:
            QgsProcessingException: ``feedback`` was cancelled (the job was cancelled and
                waited for), bad input (the backend's reason), job failure, or the backend
                stopped answering. Always the plain class: QGIS shows a Python subclass as a
                crash with a traceback instead of a message.
        """
        try:
            status = client.create_job(kind, params)
        except BackendUnavailableError as exc:
            raise QgsProcessingException(_unavailable_message(exc)) from exc
        except BackendError as exc:
            raise QgsProcessingException(
                tr("The RoadExtract backend refused the job: {detail}").format(detail=exc.detail)
            ) from exc
        feedback.pushInfo(
            tr("Backend job {job_id} ({kind}) created.").format(job_id=status.job_id, kind=kind)
        )
        start, end = progress_range
        last_message = ""
        try:
            while True:
                if feedback.isCanceled():
                    self._cancel_job(client, status.job_id, feedback)
                    raise QgsProcessingException(tr("Cancelled; nothing was written."))
                if status.message and status.message != last_message:
                    feedback.pushInfo(status.message)
                    last_message = status.message
                feedback.setProgress(
                    start + (end - start) * min(max(status.progress, 0.0), 100.0) / 100.0
                )
                if status.finished:
                    break
                time.sleep(POLL_INTERVAL_S)
                status = client.job_status(status.job_id)
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
        except BackendUnavailableError as exc:
            raise QgsProcessingException(_unavailable_message(exc)) from exc
        except BackendError as exc:
            raise QgsProcessingException(
                tr("The RoadExtract backend reported an error: {detail}").format(detail=exc.detail)
            ) from exc

    def _cancel_job(
        self, client: BackendClient, job_id: str, feedback: QgsProcessingFeedback
    ) -> None:
        """Ask the backend to cancel ``job_id`` and wait until it has stopped."""
        feedback.pushInfo(tr("Cancelling backend job {job_id} ...").format(job_id=job_id))
        try:
            status = client.cancel_job(job_id)
            deadline = time.monotonic() + CANCEL_TIMEOUT_S
            while not status.finished and time.monotonic() < deadline:
                time.sleep(POLL_INTERVAL_S)
                status = client.job_status(job_id)
        except BackendError as exc:
            feedback.reportError(
                tr("Could not confirm the cancellation: {detail}").format(detail=exc.detail)
            )

    # -- files and sinks -------------------------------------------------------------------

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


def _unavailable_message(exc: BackendError) -> str:
    """Message for a backend that stopped answering, naming what to run."""
    return tr(
        "{detail} Start it again (Raster > RoadExtract > Start backend, or `make serve` in "
        "the plugin folder) and run the algorithm again."
    ).format(detail=exc.detail)
