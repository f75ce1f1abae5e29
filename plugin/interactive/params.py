"""The typed request of the ``interactive_encode`` job (``docs/backend_api.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..params import DEVICES, JobRequest, RequestError

ENGINES = ("road", "sam")
# Registry ``method`` values of the models each engine can run (``GET /models``).
ENGINE_METHODS = {"road": ("roadgie",), "sam": ("sam", "sam2")}
# Engine default model ids, as the backend documents them (null sends the default).
DEFAULT_MODELS = {"road": "roadgie_strip_1m", "sam": "sam_vit_b"}


@dataclass
class InteractiveEncodeRequest(JobRequest):
    """Encode a raster window for interactive prompting (job kind ``interactive_encode``).

    Attributes:
        raster_path: Local path of the image (any GDAL format, with a CRS).
        engine: ``"road"`` (RoadGIE-style road model) or ``"sam"`` (SAM / SAM 2).
        model: Registry id; None means the engine's default (:data:`DEFAULT_MODELS`).
        checkpoint_path: Own weights (road) or an official SAM/SAM 2 checkpoint file;
            None means the model's declared weights.
        window_px: ``(col_off, row_off, width, height)`` in raster pixels to encode; None
            means the whole raster. The backend clips it and may shrink it about its centre.
        bands: 1-based band numbers (1 or 3); None means the first three (or the one band).
        device: ``auto`` (the backend's device), ``cpu``, ``cuda`` or ``mps``.
        initial_probability_raster: Road engine only: a road probability raster whose
            values become the starting logits (round 0); None for none.
    """

    KIND: ClassVar[str] = "interactive_encode"
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "model",
        "checkpoint_path",
        "window_px",
        "bands",
        "initial_probability_raster",
    )
    _UNSET: ClassVar[tuple[Any, ...]] = (None, "")

    raster_path: str
    engine: str = "road"
    model: str | None = None
    checkpoint_path: str | None = None
    window_px: tuple[int, int, int, int] | None = None
    bands: list[int] | None = None
    device: str = "auto"
    initial_probability_raster: str | None = None

    def validate(self) -> None:
        """Check the fields before a job is created.

        Raises:
            RequestError: Naming the offending field.
        """
        if not self.raster_path:
            raise RequestError("raster_path: a raster file is required")
        if self.engine not in ENGINES:
            raise RequestError(f"engine: must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.device not in DEVICES:
            raise RequestError(f"device: must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.window_px is not None:
            if len(self.window_px) != 4:  # noqa: PLR2004 - (col, row, width, height)
                raise RequestError(f"window_px: give 4 integers, got {list(self.window_px)}")
            col_off, row_off, width, height = self.window_px
            if col_off < 0 or row_off < 0 or width < 1 or height < 1:
                raise RequestError(
                    f"window_px: offsets must be >= 0 and sizes >= 1, got {list(self.window_px)}"
                )
        if self.bands is not None and (
            len(self.bands) not in (1, 3) or any(band < 1 for band in self.bands)
        ):
            raise RequestError(f"bands: give 1 or 3 band numbers >= 1, got {list(self.bands)}")
        if self.initial_probability_raster and self.engine != "road":
            raise RequestError("initial_probability_raster: only the road engine takes one")

    def to_params(self) -> dict[str, Any]:
        """Return the JSON ``params`` of an ``interactive_encode`` job (validated).

        Optional fields that are None are left out, and so is ``device`` when it is
        ``auto``, so the backend's defaults apply.

        Raises:
            RequestError: When :meth:`validate` fails.
        """
        params = super().to_params()
        if self.device == "auto":
            del params["device"]
        if "window_px" in params:
            params["window_px"] = [int(v) for v in params["window_px"]]
        if "bands" in params:
            params["bands"] = [int(v) for v in params["bands"]]
        return params
