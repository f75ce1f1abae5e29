"""``backend.json`` belongs to the process that wrote it (issue 15, case 7).

Real ``python -m backend serve --port 0`` processes on one state folder: a second backend
refuses to start while the first answers, a stale file is taken over, and no backend's exit
removes a file that names another process.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]


def _start(state_dir: Path, model_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "backend", "serve", "--port", "0", "--device", "cpu",
         "--state-dir", str(state_dir), "--model-dir", str(model_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _wait_for_own_file(proc: subprocess.Popen, state_file: Path, timeout_s: float = 120):
    """The state file's contents once it names ``proc``; fails if ``proc`` dies first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"backend exited ({proc.returncode}): {proc.stdout.read()}")
        try:
            info = json.loads(state_file.read_text())
            if info.get("pid") == proc.pid:
                return info
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail("backend did not announce itself")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def _health(info: dict) -> int:
    return httpx.get(
        f"{info['url']}/health", headers={"Authorization": f"Bearer {info['token']}"}
    ).status_code


def test_second_backend_refuses_while_the_first_answers(tmp_path):
    state_dir, state_file = tmp_path / "state", tmp_path / "state" / "backend.json"
    first = _start(state_dir, tmp_path / "models")
    try:
        info_a = _wait_for_own_file(first, state_file)
        second = _start(state_dir, tmp_path / "models")
        try:
            deadline = time.monotonic() + 120
            while second.poll() is None and time.monotonic() < deadline:
                # Taking over the file while the first one answers is the bug.
                assert json.loads(state_file.read_text()).get("pid") != second.pid, "took over"
                time.sleep(0.2)
        finally:
            _stop(second)
        out = second.stdout.read()
        assert second.returncode not in (0, None, -signal.SIGTERM), out
        # The message names the running backend, so the user knows what to use or stop.
        assert f"pid {first.pid}" in out and f"port {info_a['port']}" in out, out
        # The second one neither replaced nor removed the first one's file.
        assert json.loads(state_file.read_text()) == info_a
        assert _health(info_a) == 200
    finally:
        _stop(first)
    assert not state_file.exists()


def test_stale_file_is_taken_over_and_a_foreign_file_survives_exit(tmp_path):
    state_dir, state_file = tmp_path / "state", tmp_path / "state" / "backend.json"
    state_dir.mkdir()
    # A backend that died with kill -9: its file names a closed port and a gone process.
    stale = {"url": "http://127.0.0.1:9", "port": 9, "token": "x" * 43, "pid": 2**22 + 1}
    state_file.write_text(json.dumps(stale))
    proc = _start(state_dir, tmp_path / "models")
    try:
        info = _wait_for_own_file(proc, state_file)
        assert info["port"] != 9 and _health(info) == 200
        # Another backend wrote the file meanwhile (the start race): our exit keeps it.
        foreign = {**info, "pid": proc.pid + 100000, "port": 1, "url": "http://127.0.0.1:1"}
        state_file.write_text(json.dumps(foreign))
    finally:
        _stop(proc)
    assert proc.returncode is not None
    assert json.loads(state_file.read_text()) == foreign
