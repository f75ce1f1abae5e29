"""Serve the app with uvicorn on 127.0.0.1, announcing URL and token in the state file."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import uvicorn

from backend import __version__
from backend.geo.outputs import configure_output_journal, remove_stale_temp_files
from backend.jobs.manager import JobManager
from backend.runtime.device import resolve_device
from backend.service.app import create_app
from backend.service.security import new_token
from backend.service.state import (
    BackendAlreadyRunning,
    refuse_if_running,
    remove_state_file,
    write_state_file,
)

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def serve(port: int, device: str, model_dir: Path, state_dir: Path) -> None:
    """Run the backend until interrupted (SIGINT/SIGTERM).

    Args:
        port: TCP port on 127.0.0.1; 0 picks a free one.
        device: "auto", "cpu", "cuda" or "mps" (resolved once at start).
        model_dir: weights folder (created if missing).
        state_dir: where ``backend.json`` (URL + token, mode 0600) is written.

    Raises:
        ValueError: the device is not available.
        BackendAlreadyRunning: the backend that ``state_dir``'s ``backend.json`` names still
            answers; this one does not start (or, if that one appeared during start-up,
            stops again without touching its file).
    """
    refuse_if_running(state_dir)
    # Temporary outputs of a backend that was killed mid-write: gone before any new job.
    configure_output_journal(state_dir)
    remove_stale_temp_files()
    resolved = resolve_device(device)
    model_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    token = new_token()
    jobs = JobManager()
    app = create_app(token, resolved, model_dir, jobs)
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    pid = os.getpid()

    # Announce only once the socket listens, so a reader of the file can connect at once.
    original_startup = server.startup

    refused: list[BackendAlreadyRunning] = []

    async def startup(sockets=None):
        await original_startup(sockets=sockets)
        # Again here: another backend may have announced itself while this one loaded.
        try:
            refuse_if_running(state_dir, own_pid=pid)
        except BackendAlreadyRunning as exc:
            refused.append(exc)
            server.should_exit = True
            return
        path = write_state_file(
            state_dir,
            {
                "url": f"http://{HOST}:{port}",
                "port": port,
                "token": token,
                "pid": pid,
                "version": __version__,
                "device": resolved,
            },
        )
        print(
            f"RoadExtract backend {__version__} on http://{HOST}:{port} ({resolved}); "
            f"token in {path}",
            flush=True,
        )

    # Clean up inside uvicorn's shutdown: after it, uvicorn re-raises SIGTERM/SIGINT and the
    # process ends without unwinding to a `finally` here.
    original_shutdown = server.shutdown

    async def shutdown(sockets=None):
        remove_state_file(state_dir, pid)
        await original_shutdown(sockets=sockets)
        jobs.shutdown()

    server.startup, server.shutdown = startup, shutdown  # type: ignore[method-assign]
    try:
        server.run()
    finally:
        remove_state_file(state_dir, pid)
    if refused:
        raise refused[0]
