"""An in-process HTTP stand-in for the interactive endpoints of the backend (unit tests).

Speaks the parts of docs/backend_api.md the interactive tool uses, over real HTTP on
127.0.0.1 with bearer-token auth: ``GET /health``, ``GET /models``, the
``interactive_encode`` job (``POST /jobs``, ``GET /jobs/{id}``, ``/result``, ``/cancel``)
and ``POST|DELETE /interactive/{session_id}[/predict]``. Every request body is recorded.

Its "model" is geometric, so tests can predict the answer: the mask is the union of squares
of ``half_size_px`` around positive points and scribble vertices (and the positive box),
minus squares around negative points and scribble vertices, all in the raster's pixel frame
mapped to the raster CRS with the raster's geotransform (read with GDAL). Sessions refuse
prompts outside their window (400), an unknown ``previous_round`` (400) and a box with the
road engine (400), like the real backend.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from osgeo import gdal
from qgis.core import QgsGeometry, QgsPointXY


@dataclass
class FakeSession:
    session_id: str
    raster_path: str
    geotransform: tuple[float, ...]
    crs_wkt: str
    window_px: list[int]
    engine: str
    model: str
    rounds: list[int] = field(default_factory=list)


class FakeInteractiveBackend:
    """Serve the fake on a free port; use as a context manager.

    Args:
        max_window_px: Windows larger than this per side are shrunk about their centre
            (as the real backend does for the road engine).
        half_size_px: Half side of the square drawn around each prompt vertex.
        encode_polls: How many status polls an encode job stays ``running``.
    """

    def __init__(
        self, max_window_px: int = 4096, half_size_px: float = 5.0, encode_polls: int = 2
    ) -> None:
        self.max_window_px = max_window_px
        self.half_size_px = half_size_px
        self.encode_polls = encode_polls
        self.token = secrets.token_hex(8)
        self.requests: list[tuple[str, str, Any]] = []
        self.sessions: dict[str, FakeSession] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeInteractiveBackend:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._answer(401, {"detail": "Missing or wrong token"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                with fake.lock:
                    fake.requests.append((method, self.path, body))
                    code, answer = fake.route(method, self.path, body)
                self._answer(code, answer)

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                self._handle("POST")

            def do_DELETE(self) -> None:  # noqa: N802 - http.server API
                self._handle("DELETE")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def client(self, roadextract):
        """A BackendClient of the plugin talking to this fake."""
        from importlib import import_module

        client_module = import_module(f"{roadextract.__name__}.plugin.client")
        return client_module.BackendClient(self.url, self.token)

    def predict_bodies(self) -> list[dict[str, Any]]:
        """Bodies of the predict requests so far, oldest first."""
        with self.lock:
            return [b for m, p, b in self.requests if m == "POST" and p.endswith("/predict")]

    def encode_params(self) -> list[dict[str, Any]]:
        """Params of the encode jobs so far, oldest first."""
        with self.lock:
            return [
                b["params"]
                for m, p, b in self.requests
                if m == "POST" and p == "/jobs" and b.get("kind") == "interactive_encode"
            ]

    # -- routes ----------------------------------------------------------------------------

    def route(self, method: str, path: str, body: Any) -> tuple[int, dict]:
        if method == "GET" and path == "/health":
            return 200, {
                "status": "ok",
                "version": "0.1.0",
                "device": "cpu",
                "device_name": "Fake CPU",
                "torch_version": None,
                "gpu_memory_free_mb": None,
                "gpu_memory_total_mb": None,
            }
        if method == "GET" and path == "/models":
            return 200, {
                "model_dir": "/nowhere",
                "models": [
                    {"id": "roadgie_hiera_pico_1m", "method": "roadgie", "installed": True},
                    {"id": "sam_vit_b", "method": "sam", "installed": False},
                    {"id": "linegraph2road_hiera_pico_1m", "method": "linegraph2road"},
                ],
            }
        if method == "POST" and path == "/jobs":
            return self._create_job(body)
        match = re.fullmatch(r"/jobs/(\w+)(/result|/cancel)?", path)
        if match:
            job = self.jobs.get(match.group(1))
            if job is None:
                return 404, {"detail": "No such job"}
            if match.group(2) == "/cancel":
                job["status"]["status"] = "cancelled"
                return 200, job["status"]
            if match.group(2) == "/result":
                if job["status"]["status"] != "succeeded":
                    return 409, {"detail": "not succeeded"}
                return 200, {
                    "job_id": job["status"]["job_id"],
                    "outputs": {},
                    "summary": job["summary"],
                }
            if job["status"]["status"] == "running":
                job["polls"] += 1
                if job["polls"] >= self.encode_polls:
                    job["status"].update(status="succeeded", progress=100.0)
                else:
                    job["status"]["progress"] = 50.0
            return 200, job["status"]
        match = re.fullmatch(r"/interactive/(\w+)(/predict)?", path)
        if match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return 404, {"detail": f"No interactive session {match.group(1)}"}
            if method == "DELETE":
                del self.sessions[session.session_id]
                self.deleted.append(session.session_id)
                return 200, {"session_id": session.session_id, "deleted": True}
            if method == "POST" and match.group(2):
                return self._predict(session, body)
        return 404, {"detail": f"No such path: {method} {path}"}

    def _create_job(self, body: dict) -> tuple[int, dict]:
        if body.get("kind") != "interactive_encode":
            return 400, {"detail": f"unknown kind {body.get('kind')}"}
        params = body["params"]
        dataset = gdal.Open(params["raster_path"])
        if dataset is None:
            return 400, {"detail": f"raster_path: file not found: {params['raster_path']}"}
        width, height = dataset.RasterXSize, dataset.RasterYSize
        col, row, w, h = params.get("window_px") or [0, 0, width, height]
        col, row = max(0, col), max(0, row)
        w, h = min(w, width - col), min(h, height - row)
        if w < 1 or h < 1:
            return 400, {"detail": "window_px: outside the raster"}
        if w > self.max_window_px:
            col, w = col + (w - self.max_window_px) // 2, self.max_window_px
        if h > self.max_window_px:
            row, h = row + (h - self.max_window_px) // 2, self.max_window_px
        engine = params.get("engine", "road")
        session_id = secrets.token_hex(6)
        model = params.get("model") or {"road": "roadgie_hiera_pico_1m", "sam": "sam_vit_b"}[engine]
        self.sessions[session_id] = FakeSession(
            session_id,
            params["raster_path"],
            dataset.GetGeoTransform(),
            dataset.GetProjection(),
            [col, row, w, h],
            engine,
            model,
        )
        job_id = secrets.token_hex(6)
        status = {
            "job_id": job_id,
            "kind": "interactive_encode",
            "status": "running",
            "progress": 0.0,
            "message": "encoding",
            "error": None,
        }
        summary = {
            "session_id": session_id,
            "window_px": [col, row, w, h],
            "model": model,
            "engine": engine,
            "model_gsd_m": 1.0 if engine == "road" else None,
            "cached": False,
            "crs_wkt": dataset.GetProjection(),
            "encode_ms": 1.0,
        }
        self.jobs[job_id] = {"status": status, "summary": summary, "polls": 0}
        return 201, dict(status)

    def _square(self, session: FakeSession, x: float, y: float) -> QgsGeometry:
        g = session.geotransform
        r = self.half_size_px
        ring = []
        for px, py in ((x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)):
            ring.append(QgsPointXY(g[0] + px * g[1] + py * g[2], g[3] + px * g[4] + py * g[5]))
        return QgsGeometry.fromPolygonXY([ring])

    def _predict(self, session: FakeSession, body: dict) -> tuple[int, dict]:
        col, row, w, h = session.window_px

        def inside(x: float, y: float) -> bool:
            return col <= x < col + w and row <= y < row + h

        previous = body.get("previous_round")
        if previous is not None and previous not in session.rounds:
            return 400, {"detail": f"previous_round: unknown round {previous}"}
        if body.get("box") is not None and session.engine == "road":
            return 400, {"detail": "box: the road engine takes no boxes"}
        positive: list[QgsGeometry] = []
        negative: list[QgsGeometry] = []
        for point in body.get("points", []):
            if not inside(point["x"], point["y"]):
                return 400, {"detail": "points: outside the window"}
            target = positive if point["label"] == 1 else negative
            target.append(self._square(session, point["x"], point["y"]))
        for scribble in body.get("scribbles", []):
            if len(scribble["points"]) < 2:
                return 400, {"detail": "scribbles: need 2 points"}
            target = positive if scribble["label"] == 1 else negative
            for x, y in scribble["points"]:
                if not inside(x, y):
                    return 400, {"detail": "scribbles: outside the window"}
                target.append(self._square(session, x, y))
        if body.get("box") is not None:
            x0, y0, x1, y1 = body["box"]
            g = session.geotransform
            ring = [
                QgsPointXY(g[0] + px * g[1] + py * g[2], g[3] + px * g[4] + py * g[5])
                for px, py in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
            ]
            positive.append(QgsGeometry.fromPolygonXY([ring]))
        mask = QgsGeometry.unaryUnion(positive) if positive else QgsGeometry()
        if negative and not mask.isNull():
            mask = mask.difference(QgsGeometry.unaryUnion(negative))
        if mask.isNull() or mask.isEmpty():
            geometry = {"type": "MultiPolygon", "coordinates": []}
        else:
            mask.convertToMultiType()
            geometry = json.loads(mask.asJson(17))
        centerlines = None
        if body.get("centerlines") and not mask.isNull() and not mask.isEmpty():
            centroid = mask.centroid().asPoint()
            box = mask.boundingBox()
            centerlines = {
                "type": "MultiLineString",
                "coordinates": [[[box.xMinimum(), centroid.y()], [box.xMaximum(), centroid.y()]]],
            }
        new_round = (max(session.rounds) if session.rounds else 0) + 1
        session.rounds.append(new_round)
        n_prompts = len(body.get("points", [])) + len(body.get("scribbles", []))
        return 200, {
            "session_id": session.session_id,
            "round": new_round,
            "previous_round": previous or 0,
            "score": 0.5 + 0.01 * new_round,
            "geometry": geometry,
            "centerlines": centerlines,
            "crs_wkt": session.crs_wkt,
            "area_m2": 0.0,
            "n_prompts": n_prompts + (1 if body.get("box") is not None else 0),
            "decode_ms": 1.0,
        }


def geotransform_of(path: str | Path) -> tuple[float, ...]:
    """GDAL geotransform of a raster file."""
    return gdal.Open(str(path)).GetGeoTransform()
