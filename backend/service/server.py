"""Serve the app with uvicorn on 127.0.0.1, announcing URL and token in the state file."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import uvicorn

from backend import __version__
from backend.distributed.runners import register_runners
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
PARENT_POLL_S = 1.0


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def process_alive(pid: int) -> bool:
    """True while process ``pid`` exists (POSIX: signal 0; Windows: OpenProcess)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(parent_pid: int, on_gone, poll_s: float = PARENT_POLL_S) -> threading.Thread:
    """Call ``on_gone()`` once process ``parent_pid`` is gone (polled every ``poll_s`` s).

    When ``parent_pid`` is this process's parent, a change of ``os.getppid()`` (re-parenting
    after the parent died) also counts, so a reused pid cannot keep the backend alive.

    Args:
        parent_pid: process id of the QGIS that started the backend.
        on_gone: called from the watcher thread, once.
        poll_s: seconds between checks.

    Returns:
        The started daemon thread.
    """
    direct_child = os.name != "nt" and os.getppid() == parent_pid
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(poll_s):
            gone = not process_alive(parent_pid) or (direct_child and os.getppid() != parent_pid)
            if gone:
                on_gone()
                return

    thread = threading.Thread(target=run, name="roadextract-parent-watch", daemon=True)
    thread.start()
    return thread


def serve(
    port: int,
    device: str,
    model_dir: Path,
    state_dir: Path,
    parent_pid: int | None = None,
) -> None:
    """Run the backend until interrupted (SIGINT/SIGTERM) or its parent process is gone.

    Args:
        port: TCP port on 127.0.0.1; 0 picks a free one.
        device: "auto", "cpu", "cuda" or "mps" (resolved once at start).
        model_dir: weights folder (created if missing).
        state_dir: where ``backend.json`` (URL + token, mode 0600) is written.
        parent_pid: process id of the program that started the backend (the plugin's
            QGIS); when it is gone the backend shuts down as on SIGTERM (jobs cancelled,
            ``backend.json`` removed). None: run until stopped.

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
    # Jobs whose params name a Dask scheduler run on that cluster (issue 13).
    register_runners()
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
        info = {
            "url": f"http://{HOST}:{port}",
            "port": port,
            "token": token,
            "pid": pid,
            "version": __version__,
            "device": resolved,
        }
        if parent_pid is not None:
            info["parent_pid"] = parent_pid
        path = write_state_file(state_dir, info)
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
    if parent_pid is not None:

        def parent_gone() -> None:
            print(f"parent process {parent_pid} is gone: shutting down", flush=True)
            server.should_exit = True

        watch_parent(parent_pid, parent_gone)
    try:
        server.run()
    finally:
        remove_state_file(state_dir, pid)
    if refused:
        raise refused[0]
