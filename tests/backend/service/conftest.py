"""A real backend process (``python -m backend serve``) shared by the service tests that talk
to it over HTTP: the host/origin checks, the declared error answers and schemathesis."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def live_backend(tmp_path_factory):
    """``backend.json`` of a running backend (url, port, token, pid); stopped at the end."""
    state_dir = tmp_path_factory.mktemp("live-state")
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend", "serve", "--port", "0", "--device", "cpu",
         "--state-dir", str(state_dir), "--model-dir", str(tmp_path_factory.mktemp("models"))],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    state_file = state_dir / "backend.json"
    deadline = time.monotonic() + 120
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"backend did not start: {proc.stdout.read()}")
        time.sleep(0.2)
    yield json.loads(state_file.read_text())
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
