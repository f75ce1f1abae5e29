"""A backend started with ``--parent-pid`` shuts down by itself once that process is gone."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.service.server import process_alive

REPO = Path(__file__).resolve().parents[3]

# The "QGIS": starts the backend as its child with its own pid as parent pid, prints the
# backend's pid, then sleeps until killed (SIGKILL: no unload, no atexit, as in a crash).
PARENT = """
import os, subprocess, sys, time
args = [sys.executable, "-m", "backend", "serve", "--device", "cpu", "--parent-pid",
        str(os.getpid())] + sys.argv[1:]
child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(child.pid, flush=True)
time.sleep(600)
"""


def _wait(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_backend_exits_when_its_parent_is_killed(tmp_path):
    state_dir = tmp_path / "state"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PARENT,
            "--state-dir",
            str(state_dir),
            "--model-dir",
            str(tmp_path / "models"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    backend_pid = int(parent.stdout.readline())
    state_file = state_dir / "backend.json"
    try:
        assert _wait(state_file.exists, 120), "backend did not start"
        info = json.loads(state_file.read_text())
        assert info["pid"] == backend_pid and info["parent_pid"] == parent.pid
        parent.kill()  # the QGIS crashes
        parent.wait(10)
        assert _wait(lambda: not process_alive(backend_pid), 30), "backend outlived its parent"
        assert not state_file.exists()
    finally:
        if parent.poll() is None:
            parent.kill()
        if process_alive(backend_pid):
            os.kill(backend_pid, signal.SIGKILL)


def test_process_alive():
    assert process_alive(os.getpid())
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert not process_alive(done.pid)
    assert not process_alive(0)
