"""HTTP client of the backend (contract: ``docs/backend_api.md``).

Plain ``requests`` on a session that ignores proxy settings from the environment: the
backend listens on 127.0.0.1 only, and an ``HTTP_PROXY`` meant for the internet would
otherwise swallow every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from .i18n import tr

JOB_TERMINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})


class BackendError(Exception):
    """A request to the backend failed.

    Attributes:
        detail: The server's ``detail`` message (what to do), or a description of the
            transport error.
        status_code: HTTP status, or None when no answer came back.
    """

    def __init__(self, detail: str, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


class BackendUnavailableError(BackendError):
    """The backend did not answer at all (not running, crashed, wrong port)."""


@dataclass
class HealthInfo:
    """Answer of ``GET /health``.

    Attributes:
        status: ``"ok"`` when the backend is ready.
        version: Backend version, e.g. ``"0.1.0"``.
        device: ``"cuda"``, ``"mps"`` or ``"cpu"``.
        device_name: Human-readable device, e.g. the GPU model.
        torch_version: PyTorch version, None without torch.
        gpu_memory_free_mb: Free GPU memory in MiB, None on CPU.
        gpu_memory_total_mb: Total GPU memory in MiB, None on CPU.
    """

    status: str
    version: str = ""
    device: str = "cpu"
    device_name: str = ""
    torch_version: str | None = None
    gpu_memory_free_mb: float | None = None
    gpu_memory_total_mb: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HealthInfo:
        """Build from the JSON answer, tolerating missing optional keys."""
        return cls(
            status=str(data.get("status", "")),
            version=str(data.get("version") or ""),
            device=str(data.get("device") or "cpu"),
            device_name=str(data.get("device_name") or ""),
            torch_version=data.get("torch_version"),
            gpu_memory_free_mb=data.get("gpu_memory_free_mb"),
            gpu_memory_total_mb=data.get("gpu_memory_total_mb"),
        )

    def describe(self) -> str:
        """One line for users: device, GPU name and memory."""
        text = self.device.upper()
        if self.device_name:
            text += f" ({self.device_name})"
        if self.gpu_memory_total_mb:
            text += tr(", {free:.0f} of {total:.0f} MiB GPU memory free").format(
                free=self.gpu_memory_free_mb or 0.0, total=self.gpu_memory_total_mb
            )
        return text


@dataclass
class JobStatus:
    """Answer of ``GET /jobs/{id}`` (and of create/cancel).

    Attributes:
        job_id: Job identifier.
        kind: Job kind, e.g. ``"road_mask_to_vectors"``.
        status: ``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``.
        progress: Percent done, 0..100.
        message: Latest progress message.
        error: Error message when failed, else None.
    """

    job_id: str
    kind: str
    status: str
    progress: float = 0.0
    message: str = ""
    error: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobStatus:
        """Build from the JSON answer."""
        return cls(
            job_id=str(data["job_id"]),
            kind=str(data.get("kind", "")),
            status=str(data.get("status", "")),
            progress=float(data.get("progress") or 0.0),
            message=str(data.get("message") or ""),
            error=data.get("error"),
        )

    @property
    def finished(self) -> bool:
        """True once the job can no longer change (succeeded, failed or cancelled)."""
        return self.status in JOB_TERMINAL_STATES


@dataclass
class JobResult:
    """Answer of ``GET /jobs/{id}/result``.

    Attributes:
        job_id: Job identifier.
        outputs: Output name -> file path, e.g. ``{"gpkg": "/tmp/x.gpkg"}``.
        summary: Kind-specific counts and facts, e.g. ``{"n_edges": 12, "crs": ...}``.
    """

    job_id: str
    outputs: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobResult:
        """Build from the JSON answer."""
        return cls(
            job_id=str(data.get("job_id", "")),
            outputs={str(k): str(v) for k, v in (data.get("outputs") or {}).items()},
            summary=dict(data.get("summary") or {}),
        )


class BackendClient:
    """Talks to one running backend.

    Args:
        url: Base URL, e.g. ``http://127.0.0.1:8123``.
        token: Bearer token from the backend's state file.
        timeout_s: Read timeout per request in seconds.
        connect_timeout_s: Connect timeout per request in seconds (loopback: short).
    """

    def __init__(
        self,
        url: str,
        token: str,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 3.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies, no netrc for loopback
        self._session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )

    def close(self) -> None:
        """Close the underlying HTTP session."""
        self._session.close()

    def _request(
        self,
        method: str,
        path: str,
        json_body: dict[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON answer.

        Raises:
            BackendUnavailableError: No answer (connection refused, timeout).
            BackendError: Any non-2xx answer; ``detail`` is the server's message.
        """
        url = self.url + path
        timeout = (self.connect_timeout_s, timeout_s if timeout_s is not None else self.timeout_s)
        try:
            response = self._session.request(method, url, json=json_body, timeout=timeout)
        except requests.RequestException as exc:
            raise BackendUnavailableError(
                tr("The RoadExtract backend at {url} does not answer ({error}).").format(
                    url=self.url, error=type(exc).__name__
                )
            ) from exc
        if not response.ok:
            raise BackendError(_error_detail(response), status_code=response.status_code)
        try:
            return response.json()
        except ValueError as exc:
            raise BackendError(
                tr("The RoadExtract backend sent an answer that is not JSON ({path}).").format(
                    path=path
                ),
                status_code=response.status_code,
            ) from exc

    def health(self, timeout_s: float = 5.0) -> HealthInfo:
        """``GET /health``: device, GPU and version of the backend."""
        return HealthInfo.from_json(self._request("GET", "/health", timeout_s=timeout_s))

    def models(self) -> dict[str, Any]:
        """``GET /models``: the model registry and which checkpoints are installed."""
        return self._request("GET", "/models")

    def job_kinds(self) -> list[dict[str, Any]]:
        """``GET /jobs/kinds``: job kinds with the JSON schema of their params."""
        return list(self._request("GET", "/jobs/kinds").get("kinds", []))

    def create_job(self, kind: str, params: dict[str, Any]) -> JobStatus:
        """``POST /jobs``: start a job.

        Args:
            kind: Job kind, e.g. ``"road_mask_to_vectors"``.
            params: JSON params of that kind (see ``plugin.params``).

        Raises:
            BackendError: With status 400 and the server's reason when the input is bad
                (nothing was started then).
        """
        return JobStatus.from_json(
            self._request("POST", "/jobs", json_body={"kind": kind, "params": params})
        )

    def job_status(self, job_id: str) -> JobStatus:
        """``GET /jobs/{job_id}``."""
        return JobStatus.from_json(self._request("GET", f"/jobs/{job_id}"))

    def cancel_job(self, job_id: str) -> JobStatus:
        """``POST /jobs/{job_id}/cancel``; the job reaches ``cancelled`` once its runner stops."""
        return JobStatus.from_json(self._request("POST", f"/jobs/{job_id}/cancel"))

    def job_result(self, job_id: str) -> JobResult:
        """``GET /jobs/{job_id}/result`` (409 unless the job succeeded)."""
        return JobResult.from_json(self._request("GET", f"/jobs/{job_id}/result"))

    def wait_for_job(
        self,
        status: JobStatus,
        is_cancelled: Callable[[], bool],
        on_status: Callable[[JobStatus], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        poll_interval_s: float = 0.25,
        cancel_timeout_s: float = 60.0,
    ) -> JobStatus:
        """Poll a job until it finishes; cancel it once ``is_cancelled()`` turns true.

        Args:
            status: The job's status as created (``create_job``).
            is_cancelled: Asked before every poll; when it first returns True the job is
                cancelled and waited for at most ``cancel_timeout_s``.
            on_status: Called with every status seen, the first one included (progress,
                messages).
            on_cancel: Called just before the cancellation is sent.
            poll_interval_s: Seconds between polls.
            cancel_timeout_s: How long a cancelled job may take to stop.

        Returns:
            The last status: finished, or still running when a cancelled job did not stop
            within ``cancel_timeout_s``.

        Raises:
            BackendError: The backend answered with an error or stopped answering.
        """
        cancel_deadline: float | None = None
        while True:
            if cancel_deadline is None and is_cancelled():
                if on_cancel is not None:
                    on_cancel()
                status = self.cancel_job(status.job_id)
                cancel_deadline = time.monotonic() + cancel_timeout_s
            if on_status is not None:
                on_status(status)
            if status.finished:
                return status
            if cancel_deadline is not None and time.monotonic() > cancel_deadline:
                return status
            time.sleep(poll_interval_s)
            status = self.job_status(status.job_id)

    # -- interactive extraction (sessions come from ``interactive_encode`` jobs) ------------

    def interactive_predict(
        self, session_id: str, body: dict[str, Any], timeout_s: float | None = None
    ) -> dict[str, Any]:
        """``POST /interactive/{session_id}/predict``: decode the full prompt list.

        Args:
            session_id: From the ``interactive_encode`` job's summary.
            body: ``{"points", "scribbles", "box", "previous_round", "centerlines", ...}``
                in the raster's pixel frame (see ``docs/backend_api.md``).
            timeout_s: Read timeout; None means the client's.

        Returns:
            ``{"session_id", "round", "previous_round", "score", "geometry" (GeoJSON in the
            raster CRS), "centerlines" (GeoJSON or None), "crs_wkt", "decode_ms", ...}``.

        Raises:
            BackendError: 404 for an unknown or expired session, 400 for a bad prompt.
        """
        return self._request(
            "POST", f"/interactive/{session_id}/predict", json_body=body, timeout_s=timeout_s
        )

    def interactive_session(self, session_id: str) -> dict[str, Any]:
        """``GET /interactive/{session_id}``: engine, model, window and rounds (404: unknown)."""
        return self._request("GET", f"/interactive/{session_id}")

    def delete_interactive_session(self, session_id: str) -> dict[str, Any]:
        """``DELETE /interactive/{session_id}``: free the session (404 when unknown)."""
        return self._request("DELETE", f"/interactive/{session_id}")


def _error_detail(response: requests.Response) -> str:
    """Extract the server's ``detail`` (a string, or FastAPI's list of validation errors)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list):
        # FastAPI/pydantic validation errors: [{"loc": [...], "msg": "..."}, ...]
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
            else:
                parts.append(str(item))
        if parts:
            return "; ".join(parts)
    text = response.text.strip()[:300]
    return tr("HTTP {status} from the RoadExtract backend: {text}").format(
        status=response.status_code, text=text or response.reason
    )
