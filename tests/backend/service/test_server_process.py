"""The real backend process: state file, token, loopback binding, clean shutdown."""

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("state")
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend", "serve", "--state-dir", str(state_dir),
         "--model-dir", str(tmp_path_factory.mktemp("models")), "--device", "cpu"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    state_file = state_dir / "backend.json"
    deadline = time.monotonic() + 120
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"backend did not start: {proc.stdout.read()}")
        time.sleep(0.2)
    yield proc, state_dir, json.loads(state_file.read_text())
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def test_state_file_is_private_and_describes_the_server(backend):
    _, state_dir, info = backend
    mode = stat.S_IMODE(os.stat(state_dir / "backend.json").st_mode)
    assert mode == 0o600
    assert info["url"].startswith("http://127.0.0.1:") and len(info["token"]) >= 32


def test_health_needs_the_token(backend):
    _, _, info = backend
    assert httpx.get(f"{info['url']}/health").status_code == 401
    r = httpx.get(f"{info['url']}/health", headers={"Authorization": f"Bearer {info['token']}"})
    assert r.status_code == 200 and r.json()["device"] == "cpu"
    evil = httpx.get(f"{info['url']}/health", headers={
        "Authorization": f"Bearer {info['token']}", "Host": "attacker.example"})
    assert evil.status_code == 403


def test_terminate_removes_the_state_file(backend):
    proc, state_dir, _ = backend
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert not (state_dir / "backend.json").exists()
