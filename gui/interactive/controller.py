"""Interactive extraction without widgets: canvas points -> prompts -> backend -> results.

The map tool and the dock widget drive one :class:`InteractiveController`; it owns the
prompt session, encodes the view through an ``interactive_encode`` job in a ``QgsTask``
(progress and cancel in the QGIS task manager) and sends every prompt change to
``POST /interactive/{session_id}/predict`` on one worker thread, so the GUI never waits
for the backend. Requests are coalesced: while one prediction runs, further prompts only
mark the session as stale, and the newest prompt list is sent when the answer arrives.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsTask,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject, pyqtSignal

from ...plugin.backend_process import BackendStartError, backend_manager
from ...plugin.client import BackendClient, BackendError, BackendUnavailableError, HealthInfo
from ...plugin.i18n import tr
from ...plugin.layers import LayerError, export_raster, local_raster_path
from ...plugin.params import (
    DEFAULT_ENGINE,
    ENGINE_TABLE,
    InteractiveEncodeRequest,
    RequestError,
)
from ...plugin.settings import PluginSettings
from .frame import CanvasPixelTransform, FrameError, RasterPixelFrame, WindowPx, window_contains
from .geometry import GeometryError, crs_from_wkt, geojson_to_geometry, simplify
from .session import BoxPrompt, PointPrompt, Prompt, PromptSession, RoundResult, ScribblePrompt
from .writer import ResultAttributes, WriteError, add_result, create_scratch_layer

ENCODE_POLL_INTERVAL_S = 0.1
# How long a cancelled encode job may take to stop before the task gives up waiting.
ENCODE_CANCEL_TIMEOUT_S = 30.0
PREDICT_TIMEOUT_S = 60.0
# A window around the first click when the view does not cover it (raster pixels).
DEFAULT_WINDOW_PX = 1024

_TASK_DONE = (QgsTask.Complete, QgsTask.Terminated)
# client_factory(is_cancelled) -> a client of a running backend (may start one).
ClientFactory = Callable[[Callable[[], bool]], BackendClient]


def default_client_factory(settings: PluginSettings | None = None) -> ClientFactory:
    """The backend of the plugin settings, started when none runs (``ensure_running``)."""
    loaded = settings if settings is not None else PluginSettings.load()

    def factory(is_cancelled: Callable[[], bool]) -> BackendClient:
        return backend_manager().ensure_running(loaded, is_cancelled=is_cancelled)

    return factory


@dataclass(frozen=True)
class EncodedView:
    """An encoded raster window: the backend session prompts are decoded in.

    Attributes:
        session_id: Backend session id.
        window_px: ``(col_off, row_off, width, height)`` actually encoded, raster pixels.
        engine: ``"road"`` or ``"sam"``.
        model: Model id that encoded it.
        model_gsd_m: Metres per pixel the model works at (None: the raster's own).
        cached: True when the embedding came from the backend's cache.
        raster_path: File the backend read.
    """

    session_id: str
    window_px: WindowPx
    engine: str
    model: str
    model_gsd_m: float | None
    cached: bool
    raster_path: str

    @classmethod
    def from_summary(cls, summary: dict[str, Any], raster_path: str) -> EncodedView:
        """Build from the ``interactive_encode`` job summary.

        Raises:
            KeyError: ``session_id`` or ``window_px`` is missing.
        """
        gsd = summary.get("model_gsd_m")
        return cls(
            session_id=str(summary["session_id"]),
            window_px=tuple(int(v) for v in summary["window_px"]),  # type: ignore[arg-type]
            engine=str(summary.get("engine") or ""),
            model=str(summary.get("model") or ""),
            model_gsd_m=float(gsd) if gsd is not None else None,
            cached=bool(summary.get("cached")),
            raster_path=raster_path,
        )


@dataclass
class _Export:
    """A non-local raster layer exported for the view (frame known before the export)."""

    frame: RasterPixelFrame
    extent: QgsRectangle
    path: str


class EncodeTask(QgsTask):
    """Find or start the backend, export the view if needed, run an ``interactive_encode`` job.

    Args:
        client_factory: Gives a client of a running backend.
        request: The encode request (``raster_path`` is replaced by the export's path when
            ``export`` is given).
        export: Raster layer and export spec when the layer is not a local file.
        on_done: Called on the main thread with the finished task.
    """

    def __init__(
        self,
        client_factory: ClientFactory,
        request: InteractiveEncodeRequest,
        export: tuple[QgsRasterLayer, _Export] | None,
        on_done: Callable[[EncodeTask], None],
    ) -> None:
        super().__init__(tr("RoadExtract: encoding the view"), QgsTask.CanCancel)
        self.client_factory = client_factory
        self.request = request
        self.export = export
        self.on_done = on_done
        self.client: BackendClient | None = None
        self.health: HealthInfo | None = None
        self.view: EncodedView | None = None
        self.error: str | None = None
        self.job_id: str | None = None

    def run(self) -> bool:
        """Worker thread: export, start the job, poll its progress, read the session."""
        try:
            if self.export is not None:
                layer, export = self.export
                export_raster(
                    layer,
                    export.path,
                    extent=export.extent,
                    size_px=(export.frame.width_px, export.frame.height_px),
                    transform_context=QgsProject.instance().transformContext(),
                )
                self.request.raster_path = export.path
            params = self.request.to_params()
            self.client = self.client_factory(self.isCanceled)
            self.health = self.client.health()
            status = self.client.create_job(self.request.KIND, params)
            self.job_id = status.job_id
            status = self.client.wait_for_job(
                status,
                self.isCanceled,
                on_status=lambda current: self.setProgress(float(current.progress)),
                poll_interval_s=ENCODE_POLL_INTERVAL_S,
                cancel_timeout_s=ENCODE_CANCEL_TIMEOUT_S,
            )
            if self.isCanceled() or status.status == "cancelled":
                return False
            if status.status != "succeeded":
                self.error = status.error or status.message or tr("The encoding failed.")
                return False
            result = self.client.job_result(status.job_id)
            self.view = EncodedView.from_summary(result.summary, self.request.raster_path)
        except (BackendStartError, BackendError, LayerError, RequestError) as exc:
            self.error = str(exc)
            return False
        except (KeyError, TypeError, ValueError) as exc:
            self.error = tr(
                "The backend answered the encoding with an unexpected summary ({error})."
            ).format(error=repr(exc))
            return False
        return True

    def finished(self, result: bool) -> None:  # noqa: FBT001 - QgsTask API
        """Main thread: hand the task back to the controller."""
        self.on_done(self)


class BackendInfoTask(QgsTask):
    """Find or start the backend and read its device (``/health``) and models (``/models``).

    Args:
        client_factory: Gives a client of a running backend.
        on_done: Called on the main thread with the finished task.
    """

    def __init__(
        self, client_factory: ClientFactory, on_done: Callable[[BackendInfoTask], None]
    ) -> None:
        super().__init__(tr("RoadExtract: connecting to the backend"), QgsTask.CanCancel)
        self.client_factory = client_factory
        self.on_done = on_done
        self.health: HealthInfo | None = None
        self.models: list[dict[str, Any]] = []
        self.error: str | None = None

    def run(self) -> bool:
        """Worker thread: ask the backend."""
        try:
            client = self.client_factory(self.isCanceled)
            self.health = client.health()
        except (BackendStartError, BackendError) as exc:
            self.error = str(exc)
            return False
        try:
            self.models = list(client.models().get("models", []))
        except BackendError:
            self.models = []  # the engines' default models still work
        return True

    def finished(self, result: bool) -> None:  # noqa: FBT001 - QgsTask API
        """Main thread: hand the task back."""
        self.on_done(self)


class _Relay(QObject):
    """Carries worker-thread results into the main thread (queued signal)."""

    predicted = pyqtSignal(object)


@dataclass
class _PredictOutcome:
    """What a prediction request gave: an answer or an error."""

    session_id: str
    prompts: tuple[Prompt, ...]
    data: dict[str, Any] | None = None
    error: BackendError | None = None


class InteractiveController(QObject):
    """State and backend traffic of interactive extraction on one map canvas.

    Args:
        canvas: The map canvas prompts are made on (its destination CRS and extent are read).
        client_factory: Gives a backend client (may start the backend); None means the
            plugin settings' backend (:func:`default_client_factory`).
        project: Project whose transform context is used and scratch layers are added to;
            None means ``QgsProject.instance()``.
        parent: Qt parent.

    Signals:
        changed: Prompts, results, encoding or settings changed (redraw, refresh).
        message: ``(text, Qgis.MessageLevel)`` for the user.
        encoding_progress: Percent done of the running encode, 0..100.
        health_changed: The backend's ``HealthInfo`` (device in use).
        models_changed: The ``models`` list of ``GET /models`` (dicts).
    """

    changed = pyqtSignal()
    message = pyqtSignal(str, int)
    encoding_progress = pyqtSignal(float)
    health_changed = pyqtSignal(object)
    models_changed = pyqtSignal(object)

    def __init__(
        self,
        canvas,
        client_factory: ClientFactory | None = None,
        project: QgsProject | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.project = project if project is not None else QgsProject.instance()
        self._client_factory = client_factory
        self.session = PromptSession()
        # Settings the dock sets.
        self.engine = DEFAULT_ENGINE
        self.model: str | None = None
        self.checkpoint_path: str | None = None
        self.device = "auto"
        self.centerlines = False
        self.threshold = 0.5
        self.simplify_tolerance_m = 0.0
        self.initial_probability_path: str | None = None
        self.initial_model: str | None = None
        # State.
        self.raster_layer: QgsRasterLayer | None = None
        self.health: HealthInfo | None = None
        self.encoded: EncodedView | None = None
        self.last_error: str = ""
        self._frame: RasterPixelFrame | None = None
        self._export: _Export | None = None
        self._work_dir: str | None = None
        self._encode_task: EncodeTask | None = None
        self._info_task: BackendInfoTask | None = None
        self._old_tasks: list[QgsTask] = []
        self.models: list[dict[str, Any]] = []
        self._encode_retry_done = False
        self._client: BackendClient | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roadextract-ix")
        self._predict_future: Future | None = None
        self._relay = _Relay()
        self._relay.predicted.connect(self._on_predicted)
        self._closed = threading.Event()

    # -- settings --------------------------------------------------------------------------

    def client_factory(self) -> ClientFactory:
        """The factory in use (the plugin settings' backend unless one was given)."""
        return self._client_factory or default_client_factory()

    def set_raster_layer(self, layer: QgsRasterLayer | None) -> None:
        """Prompt on ``layer`` from now on; drops the object in progress and the session."""
        if layer is self.raster_layer:
            return
        self._drop_backend_session()
        self.raster_layer = layer
        self._frame = None
        self._export = None
        self.session.reset()
        if layer is not None and local_raster_path(layer) is not None:
            try:
                self._frame = RasterPixelFrame.from_layer(layer)
            except FrameError as exc:
                self._warn(str(exc))
        self.changed.emit()

    def set_engine(self, engine: str, model: str | None = None) -> None:
        """Use another engine or model: the next prompt encodes the view again."""
        if engine == self.engine and model == self.model:
            return
        self.engine = engine
        self.model = model
        self._start_over()

    def set_initial_probability_layer(self, layer: QgsRasterLayer | None) -> bool:
        """Start the road engine from another model's road probability raster (round 0).

        Args:
            layer: A road probability raster that is a local file (e.g. the Anchor-SAM
                output), or None for no starting mask.

        Returns:
            False (and nothing changes) when the layer is not a local file.
        """
        path = local_raster_path(layer) if layer is not None else None
        if layer is not None and path is None:
            self._warn(
                tr("Layer {name} is not a local raster file; save it as a GeoTIFF first.").format(
                    name=layer.name()
                )
            )
            return False
        if path != self.initial_probability_path:
            self.initial_probability_path = path
            self._start_over()
        return True

    def set_initial_model(self, model_id: str | None) -> None:
        """Start the road engine from a segmentation model the backend runs on the encoded
        view (round 0; e.g. ``anchor_sam_pico_1m``), or None for no such start. A starting
        raster (:meth:`set_initial_probability_layer`) takes precedence."""
        if model_id != self.initial_model:
            self.initial_model = model_id
            self._start_over()

    def _start_over(self) -> None:
        """After a change of what the backend predicts from (engine, model, start): drop
        the backend session and the object in progress; the next prompt encodes again."""
        self._drop_backend_session()
        self.session.reset()
        self.changed.emit()

    def set_centerlines(self, enabled: bool) -> None:  # noqa: FBT001 - a toggle
        """Ask for centerlines with every prediction (the current result is redone)."""
        self.centerlines = bool(enabled)
        self.changed.emit()
        self._maybe_predict()

    def set_simplify_tolerance_m(self, tolerance_m: float) -> None:
        """Simplification tolerance of preview and accepted geometry, metres."""
        self.simplify_tolerance_m = max(0.0, float(tolerance_m))
        self.changed.emit()

    def refresh_backend_info(self) -> None:
        """Read device and models from the backend in the background (starts it if needed)."""
        if self._info_task is not None:
            return
        task = BackendInfoTask(self.client_factory(), self._on_backend_info)
        self._info_task = task
        QgsApplication.taskManager().addTask(task)

    def _on_backend_info(self, task: BackendInfoTask) -> None:
        if task is not self._info_task:
            return
        self._info_task = None
        if task.health is None:
            self._fail(task.error or tr("The RoadExtract backend did not answer."))
            return
        self.health = task.health
        self.models = task.models
        self.health_changed.emit(task.health)
        self.models_changed.emit(task.models)

    # -- frames ----------------------------------------------------------------------------

    @property
    def frame(self) -> RasterPixelFrame | None:
        """Pixel frame prompts are in: the raster's, or the export's for web layers."""
        if self._frame is not None:
            return self._frame
        return self._export.frame if self._export is not None else None

    def canvas_crs(self) -> QgsCoordinateReferenceSystem:
        """Destination CRS of the canvas."""
        return self.canvas.mapSettings().destinationCrs()

    def pixel_transform(self) -> CanvasPixelTransform | None:
        """Canvas CRS <-> raster pixel frame, or None without a raster (frame)."""
        frame = self.frame
        if frame is None:
            return None
        return CanvasPixelTransform(frame, self.canvas_crs(), self.project.transformContext())

    def _prepare_frame(self) -> CanvasPixelTransform | None:
        """Transform for a prompt; for a web layer a new export of the view when idle."""
        if self.raster_layer is None:
            self._warn(tr("Choose a raster layer to extract from first."))
            return None
        if self._frame is None and not self.session.prompts and self._encode_task is None:
            self._plan_export()
        return self.pixel_transform()

    def _plan_export(self) -> None:
        """Frame of an export of the visible extent at screen resolution (web layers)."""
        layer = self.raster_layer
        settings = self.canvas.mapSettings()
        size = settings.outputSize()
        to_layer = QgsCoordinateTransform(
            settings.destinationCrs(), layer.crs(), self.project.transformContext()
        )
        try:
            extent = to_layer.transformBoundingBox(settings.visibleExtent())
            frame = RasterPixelFrame.from_extent(layer.crs(), extent, size.width(), size.height())
        except (QgsCsException, FrameError) as exc:
            self._warn(
                tr("The view cannot be exported from {name}: {error}").format(
                    name=layer.name(), error=str(exc)
                )
            )
            return
        if self._export is not None and self._export.extent == extent:
            return
        if self._work_dir is None:
            self._work_dir = tempfile.mkdtemp(prefix="roadextract_interactive_")
        path = f"{self._work_dir}/view_{int(time.time() * 1000)}.tif"
        self._drop_backend_session()
        self._export = _Export(frame=frame, extent=extent, path=path)

    # -- prompts ---------------------------------------------------------------------------

    def add_point(self, map_point: QgsPointXY, positive: bool = True) -> bool:  # noqa: FBT001, FBT002
        """A click at ``map_point`` (canvas CRS) becomes a point prompt.

        Returns:
            True when the prompt was added (False: no raster, outside it, or refused; the
            reason went out through :attr:`message`).
        """
        transform = self._prepare_frame()
        if transform is None:
            return False
        try:
            x_px, y_px = transform.canvas_to_pixel(map_point)
        except FrameError as exc:
            self._warn(str(exc))
            return False
        return self.add_prompt(PointPrompt(x_px, y_px, bool(positive)))

    def add_scribble(self, map_points: list[QgsPointXY], positive: bool = True) -> bool:  # noqa: FBT001, FBT002
        """A stroke through ``map_points`` (canvas CRS) becomes a scribble prompt."""
        transform = self._prepare_frame()
        if transform is None:
            return False
        try:
            points = tuple(transform.canvas_to_pixel(p) for p in map_points)
        except FrameError as exc:
            self._warn(str(exc))
            return False
        if len(points) < 2:  # noqa: PLR2004
            return False
        return self.add_prompt(ScribblePrompt(points, bool(positive)))

    def add_box(self, corner_a: QgsPointXY, corner_b: QgsPointXY) -> bool:
        """A box between two opposite corners (canvas CRS) becomes a box prompt (SAM only).

        With a reprojected canvas the box's raster-pixel extent is that of all four
        corners, so it covers what was drawn.
        """
        if not ENGINE_TABLE[self.engine].takes_boxes:
            self._warn(tr("Boxes are for the SAM engine; use clicks and scribbles for roads."))
            return False
        transform = self._prepare_frame()
        if transform is None:
            return False
        corners = [
            QgsPointXY(corner_a.x(), corner_a.y()),
            QgsPointXY(corner_b.x(), corner_a.y()),
            QgsPointXY(corner_b.x(), corner_b.y()),
            QgsPointXY(corner_a.x(), corner_b.y()),
        ]
        try:
            pixels = [transform.canvas_to_pixel(p) for p in corners]
        except FrameError as exc:
            self._warn(str(exc))
            return False
        xs = [x for x, _ in pixels]
        ys = [y for _, y in pixels]
        return self.add_prompt(BoxPrompt(min(xs), min(ys), max(xs), max(ys)))

    def add_prompt(self, prompt: Prompt) -> bool:
        """Add a prompt in raster pixels; encodes first when needed, then predicts.

        Returns:
            True when it was added. Refused: outside the raster, outside the encoded
            window while an object is in progress, a box with the road engine.
        """
        frame = self.frame
        if frame is None:
            self._warn(tr("Choose a raster layer to extract from first."))
            return False
        if isinstance(prompt, BoxPrompt) and not ENGINE_TABLE[self.engine].takes_boxes:
            self._warn(tr("Boxes are for the SAM engine; use clicks and scribbles for roads."))
            return False
        if not all(frame.contains_px(x, y) for x, y in _anchor_points(prompt)):
            self._warn(tr("The prompt lies outside the raster."))
            return False
        if self.encoded is not None and not _inside_window(prompt, self.encoded.window_px):
            if self.session.prompts:
                self._warn(
                    tr(
                        "The prompt lies outside the encoded area: accept or clear the object "
                        "first, then prompt there (the view is encoded again)."
                    )
                )
                return False
            self._drop_backend_session()
        self.session.add(prompt)
        self.changed.emit()
        if self.encoded is None:
            if self._encode_task is None:
                self._start_encode(self._window_for(prompt))
        else:
            self._maybe_predict()
        return True

    def undo(self) -> bool:
        """Take back the last prompt (its earlier result shows at once)."""
        if self.session.undo() is None:
            return False
        self.changed.emit()
        self._maybe_predict()
        return True

    def redo(self) -> bool:
        """Put back the last undone prompt."""
        if self.session.redo() is None:
            return False
        self.changed.emit()
        self._maybe_predict()
        return True

    def clear(self) -> None:
        """Drop the prompts of the object in progress (Esc; also after accept)."""
        self.session.clear()
        self.changed.emit()

    def cancel(self) -> None:
        """Esc: drop the object in progress, and stop an encoding that is running."""
        self._abandon_encode()
        self.clear()

    # -- encoding --------------------------------------------------------------------------

    @property
    def is_encoding(self) -> bool:
        """True while an encode task runs."""
        return self._encode_task is not None

    @property
    def is_predicting(self) -> bool:
        """True while a prediction request is out."""
        return self._predict_future is not None

    def view_window(self) -> WindowPx | None:
        """The raster window covering the visible canvas extent, or None (no overlap)."""
        transform = self.pixel_transform()
        if transform is None:
            return None
        if self._export is not None and self._frame is None:
            return 0, 0, self._export.frame.width_px, self._export.frame.height_px
        return transform.canvas_extent_to_window(self.canvas.mapSettings().visibleExtent())

    def encode_view(self) -> bool:
        """Encode the visible extent now (a new object starts; progress is reported).

        Returns:
            False when there is no raster, the view does not overlap it, or an encode
            already runs.
        """
        if self._encode_task is not None:
            return False
        if self.raster_layer is None:
            self._warn(tr("Choose a raster layer to extract from first."))
            return False
        self.session.clear()
        if self._frame is None:
            self._plan_export()
        window = self.view_window()
        if window is None:
            self._warn(tr("The visible extent does not overlap the raster."))
            return False
        self._drop_backend_session()
        self._start_encode(window)
        return True

    def _window_for(self, prompt: Prompt) -> WindowPx:
        """Window to encode for a first prompt: the view when it covers it, else around it."""
        view = self.view_window()
        if view is not None and _inside_window(prompt, view):
            return view
        x_px, y_px = _centre(prompt)
        return self.frame.window_around(x_px, y_px, DEFAULT_WINDOW_PX)

    def _start_encode(self, window_px: WindowPx, retry: bool = False) -> None:  # noqa: FBT001, FBT002
        layer = self.raster_layer
        path = local_raster_path(layer) if layer is not None else None
        export = None
        if path is None:
            if self._export is None:
                self._warn(tr("The view of this layer cannot be exported."))
                return
            export = (layer, self._export)
            path = self._export.path
        takes_start = ENGINE_TABLE[self.engine].takes_initial_probability
        request = InteractiveEncodeRequest(
            raster_path=path,
            engine=self.engine,
            model=self.model,
            checkpoint_path=self.checkpoint_path,
            window_px=tuple(window_px),
            device=self.device,
            initial_probability_raster=(self.initial_probability_path if takes_start else None),
            initial_model=(
                self.initial_model if takes_start and not self.initial_probability_path else None
            ),
        )
        self._encode_retry_done = retry
        task = EncodeTask(self.client_factory(), request, export, self._on_encoded)
        task.progressChanged.connect(self.encoding_progress.emit)
        self._encode_task = task
        QgsApplication.taskManager().addTask(task)
        self.encoding_progress.emit(0.0)
        self.changed.emit()

    def _on_encoded(self, task: EncodeTask) -> None:
        if task is not self._encode_task:
            return
        self._encode_task = None
        if task.health is not None:
            self.health = task.health
            self.health_changed.emit(task.health)
        if task.view is None:
            if task.error:
                self._fail(tr("Encoding failed: {error}").format(error=task.error))
            self.changed.emit()
            return
        if task.client is not None:
            self._client = task.client
        self.encoded = task.view
        self.session.start_backend_session(task.view.session_id)
        self.encoding_progress.emit(100.0)
        outside = [p for p in self.session.prompts if not _inside_window(p, task.view.window_px)]
        if outside and not self._encode_retry_done:
            # The backend shrank the view about its centre: encode a window of the size it
            # accepts around the prompts instead.
            x_px, y_px = _centre(outside[0])
            _, _, width, height = task.view.window_px
            self._drop_backend_session()
            self._start_encode(self.frame.window_around(x_px, y_px, width, height), retry=True)
            return
        for _ in outside:  # still outside after the retry: they cannot be decoded here
            self.session.discard_last()
        if outside:
            self._warn(tr("Prompts outside the encoded area were dropped."))
        self.changed.emit()
        self._maybe_predict()

    def cancel_encode(self) -> None:
        """Cancel the running encode (its job is cancelled on the backend); the prompts
        waiting for it stay, and the next prompt encodes again."""
        if self._abandon_encode():
            self.changed.emit()

    def _abandon_encode(self) -> bool:
        """Cancel the running encode task and stop waiting for it; True when there was one."""
        task, self._encode_task = self._encode_task, None
        if task is None:
            return False
        if not sip.isdeleted(task):
            task.cancel()
        # Python tasks must stay referenced until the task manager is done with them.
        # QGIS deletes a finished task's C++ object: skip those before asking their status.
        self._old_tasks = [
            t for t in self._old_tasks if not sip.isdeleted(t) and t.status() not in _TASK_DONE
        ]
        self._old_tasks.append(task)
        return True

    # -- prediction ------------------------------------------------------------------------

    def _result_usable(self, result: RoundResult | None) -> bool:
        return result is not None and (not self.centerlines or result.centerlines is not None)

    def _maybe_predict(self) -> None:
        """Send the current prompts unless a request is out or their result is known."""
        if self._predict_future is not None or self.encoded is None or self._client is None:
            return
        prompts = self.session.prompts
        if not prompts or self._result_usable(self.session.current_result):
            return
        body = self.session.request_body(prompts, self.centerlines, self.threshold)
        session_id = self.encoded.session_id
        client = self._client
        relay = self._relay
        closed = self._closed

        def work() -> None:
            outcome = _PredictOutcome(session_id, prompts)
            try:
                outcome.data = client.interactive_predict(session_id, body, PREDICT_TIMEOUT_S)
            except BackendError as exc:
                outcome.error = exc
            if not closed.is_set():
                relay.predicted.emit(outcome)

        self._predict_future = self._executor.submit(work)
        self.changed.emit()

    def _on_predicted(self, outcome: _PredictOutcome) -> None:
        self._predict_future = None
        current_session = self.encoded.session_id if self.encoded is not None else None
        if outcome.error is not None:
            error = outcome.error
            if outcome.session_id == current_session:
                if isinstance(error, BackendUnavailableError):
                    self._fail(error.detail)
                    self.encoded = None
                    self._client = None
                elif error.status_code == 404:  # noqa: PLR2004 - session expired: encode again
                    window = self.encoded.window_px
                    self.encoded = None
                    self._start_encode(window, retry=True)
                else:
                    self._fail(
                        tr("The backend refused the prompt: {error}").format(error=error.detail)
                    )
                    if outcome.prompts == self.session.prompts:
                        self.session.discard_last()
            self.changed.emit()
            return
        if outcome.session_id == current_session:
            try:
                result = RoundResult.from_json(outcome.data, outcome.prompts)
            except (KeyError, TypeError, ValueError) as exc:
                self._fail(tr("Unexpected answer of the backend: {error}").format(error=repr(exc)))
                self.changed.emit()
                return
            if not result.session_id:
                result = dataclasses.replace(result, session_id=outcome.session_id)
            self.session.record(result)
            self.last_error = ""
        self.changed.emit()
        self._maybe_predict()

    # -- results ---------------------------------------------------------------------------

    @property
    def current_result(self) -> RoundResult | None:
        """The result of the current prompt list, or None."""
        return self.session.current_result

    def result_crs(self, result: RoundResult | None = None) -> QgsCoordinateReferenceSystem:
        """CRS of the result geometries (the answer's ``crs_wkt``, else the raster's)."""
        result = result or self.current_result
        frame = self.frame
        fallback = frame.crs if frame is not None else QgsCoordinateReferenceSystem()
        return crs_from_wkt(result.crs_wkt if result else "", fallback)

    def result_geometry(
        self, result: RoundResult | None = None, centerlines: bool | None = None
    ) -> QgsGeometry:
        """Geometry of a result in its CRS (:meth:`result_crs`), simplified.

        Args:
            result: Result; None means the current one.
            centerlines: True for the centerlines, False for the mask polygon; None means
                :attr:`centerlines`.

        Returns:
            MultiPolygon or MultiLineString; null when there is no result (or it is empty).
        """
        result = result or self.current_result
        if result is None:
            return QgsGeometry()
        want_lines = self.centerlines if centerlines is None else centerlines
        try:
            geometry = geojson_to_geometry(result.centerlines if want_lines else result.geometry)
        except GeometryError as exc:
            self._warn(str(exc))
            return QgsGeometry()
        return simplify(geometry, self.simplify_tolerance_m, self.result_crs(result))

    def output_geometry_type(self) -> int:
        """``QgsWkbTypes.LineGeometry`` when centerlines are written, else polygons."""
        return QgsWkbTypes.LineGeometry if self.centerlines else QgsWkbTypes.PolygonGeometry

    def accept(self, layer: QgsVectorLayer | None, label: str) -> tuple[QgsVectorLayer, list[int]]:
        """Write the current result into ``layer`` (see :func:`.writer.add_result`).

        Args:
            layer: Target layer; None creates a scratch (memory) layer in the raster's CRS
                and adds it to the project.
            label: Class label attribute.

        Returns:
            ``(layer, feature_ids)``.

        Raises:
            WriteError: No result yet, or the layer cannot take it.
        """
        result = self.current_result
        if result is None:
            raise WriteError(
                tr("There is no result to accept yet: add a prompt and wait for the preview.")
            )
        geometry = self.result_geometry(result)
        if geometry.isNull() or geometry.isEmpty():
            raise WriteError(tr("The result is empty: add a positive prompt on the object."))
        crs = self.result_crs(result)
        if layer is None:
            layer = create_scratch_layer(self.output_geometry_type(), crs)
            self.project.addMapLayer(layer)
        attributes = ResultAttributes(
            label=label,
            engine=self.encoded.engine if self.encoded and self.encoded.engine else self.engine,
            model=(self.encoded.model if self.encoded else "") or (self.model or ""),
            rounds=len(result.prompts),
            score=result.score,
        )
        ids = add_result(layer, geometry, crs, attributes, self.project.transformContext())
        self.session.clear()
        self.changed.emit()
        return layer, ids

    # -- lifetime --------------------------------------------------------------------------

    def _drop_backend_session(self) -> None:
        """Forget the encoded view and free its backend session (in the background)."""
        view, client = self.encoded, self._client
        self.encoded = None
        self._abandon_encode()
        if view is not None and client is not None and not self._closed.is_set():

            def delete() -> None:
                try:
                    client.delete_interactive_session(view.session_id)
                except BackendError:
                    pass  # expired or backend gone: nothing to free

            self._executor.submit(delete)

    def shutdown(self) -> None:
        """Cancel the work in flight, free the backend session, remove temporary exports."""
        self._drop_backend_session()
        if self._info_task is not None and not sip.isdeleted(self._info_task):
            self._info_task.cancel()
            self._old_tasks.append(self._info_task)
            self._info_task = None
        self._closed.set()
        self._executor.shutdown(wait=False)
        self.raster_layer = None
        self._frame = self._export = None
        self.session.reset()
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None

    def _warn(self, text: str) -> None:
        self.message.emit(text, int(Qgis.Warning))

    def _fail(self, text: str) -> None:
        self.last_error = text
        self.message.emit(text, int(Qgis.Critical))


def _anchor_points(prompt: Prompt) -> tuple[tuple[float, float], ...]:
    """Pixel points that must lie on the raster/window (all vertices)."""
    return prompt.pixel_points()


def _inside_window(prompt: Prompt, window_px: WindowPx) -> bool:
    return all(window_contains(window_px, x, y) for x, y in _anchor_points(prompt))


def _centre(prompt: Prompt) -> tuple[float, float]:
    points = prompt.pixel_points()
    return (
        math.fsum(x for x, _ in points) / len(points),
        math.fsum(y for _, y in points) / len(points),
    )
