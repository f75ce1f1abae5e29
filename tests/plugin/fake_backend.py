"""A stand-in for ``python -m backend serve`` used by the lifecycle tests (stdlib only).

Speaks the parts of docs/backend_api.md the lifecycle and the client rely on: the state
file (mode 0600, removed on SIGTERM), bearer-token auth (401), ``GET /health`` and error
answers as ``{"detail": ...}``. ``POST /jobs`` always answers 400, as the real backend does
for a missing raster.

Usage (the lifecycle calls it through a wrapper script, like a venv's python)::

    python fake_backend.py [--mode ok|crash|hang] -m backend serve --port 0 --state-dir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the fake backend; see the module docstring for the modes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="ok", choices=("ok", "crash", "hang"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--parent-pid", type=int, default=None)
    args, _ = parser.parse_known_args(argv)

    if args.mode == "crash":
        print("ModuleNotFoundError: No module named 'fastapi' (fake backend)", file=sys.stderr)
        return 3
    if args.mode == "hang":
        while True:
            time.sleep(1)

    token = secrets.token_hex(16)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {token}":
                self._answer(401, {"detail": "Missing or wrong token: read it from backend.json"})
                return False
            return True

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if not self._authorised():
                return
            if self.path == "/health":
                self._answer(
                    200,
                    {
                        "status": "ok",
                        "version": "0.1.0",
                        "device": "cpu",
                        "device_name": "Fake CPU",
                        "torch_version": None,
                        "gpu_memory_free_mb": None,
                        "gpu_memory_total_mb": None,
                    },
                )
            else:
                self._answer(404, {"detail": f"No such path: {self.path}"})

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            if not self._authorised():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            raster = body.get("params", {}).get("raster_path")
            self._answer(400, {"detail": f"raster_path: file not found: {raster}"})

        def log_message(self, *args) -> None:  # keep the test log quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "backend.json"
    state = {
        "url": f"http://127.0.0.1:{port}",
        "port": port,
        "token": token,
        "pid": os.getpid(),
        "version": "0.1.0",
    }
    if args.parent_pid is not None:  # written, not watched: a backend whose watch failed
        state["parent_pid"] = args.parent_pid
    fd = os.open(state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle)

    def shutdown(*_args) -> None:
        state_file.unlink(missing_ok=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    print(f"fake backend on {state['url']}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
