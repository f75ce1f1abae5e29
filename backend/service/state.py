"""Where a running backend says how to reach it: ``backend.json`` in the state folder.

The file holds the URL and the token, so it is created with mode 0600 (only the user can
read it) and removed when the backend stops. It belongs to the process that wrote it: a
backend removes it only while it still names that backend's pid, and a second backend
refuses to start while the one the file describes still answers (see
:func:`running_backend`).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

from backend.service.security import is_loopback_origin

STATE_FILE_NAME = "backend.json"


class BackendAlreadyRunning(RuntimeError):
    """Another backend answers through the state file; starting a second one is refused.

    Attributes:
        info: that backend's ``backend.json`` contents (url, port, pid, ...).
    """

    def __init__(self, message: str, info: dict[str, Any]) -> None:
        super().__init__(message)
        self.info = info


def default_state_dir() -> Path:
    """``$ROADEXTRACT_STATE_DIR``, else the platform's per-user state folder."""
    if os.environ.get("ROADEXTRACT_STATE_DIR"):
        return Path(os.environ["ROADEXTRACT_STATE_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "roadextract"
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "roadextract"


def write_state_file(state_dir: Path, info: dict[str, Any]) -> Path:
    """Write ``backend.json`` readable by the user only (created 0600, then renamed)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    final = state_dir / STATE_FILE_NAME
    tmp = state_dir / f".{STATE_FILE_NAME}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh)
    os.replace(tmp, final)
    return final


def remove_state_file(state_dir: Path, pid: int) -> None:
    """Remove ``backend.json`` if it still describes this process."""
    path = state_dir / STATE_FILE_NAME
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def read_state_file(state_dir: Path) -> dict[str, Any] | None:
    """The running backend's info, or None when there is no readable state file."""
    try:
        return json.loads((state_dir / STATE_FILE_NAME).read_text())
    except (OSError, ValueError):
        return None


def running_backend(state_dir: Path, timeout_s: float = 2.0) -> dict[str, Any] | None:
    """The backend that ``backend.json`` describes, if it answers ``/health`` with its token.

    A stale file (process gone, port closed or reused by something else, unreadable file)
    gives None. Only loopback URLs are contacted.

    Args:
        state_dir: folder holding ``backend.json``.
        timeout_s: seconds to wait for the health answer.

    Returns:
        The file's contents when that backend answers 200, else None.
    """
    info = read_state_file(state_dir)
    if not isinstance(info, dict):
        return None
    url, token = info.get("url"), info.get("token")
    if not isinstance(url, str) or not isinstance(token, str):
        return None
    if not url.startswith("http://") or not is_loopback_origin(url):
        return None
    request = urllib.request.Request(
        url.rstrip("/") + "/health", headers={"Authorization": f"Bearer {token}"}
    )
    # No proxy: an HTTP_PROXY from the environment must not see the token or the request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout_s) as response:
            return info if response.status == 200 else None
    except (OSError, ValueError):  # refused, timeout, HTTP error (URLError is an OSError)
        return None


def refuse_if_running(state_dir: Path, own_pid: int | None = None) -> None:
    """Refuse to start a second backend on the same state file.

    Args:
        state_dir: folder holding ``backend.json``.
        own_pid: the calling backend's pid; a file naming it is not "another" backend.

    Raises:
        BackendAlreadyRunning: the backend ``backend.json`` names answers; the message names
            its URL, port and pid and the state file.
    """
    info = running_backend(state_dir)
    if info is not None and (own_pid is None or info.get("pid") != own_pid):
        raise BackendAlreadyRunning(
            f"Another RoadExtract backend already runs: pid {info.get('pid')}, port "
            f"{info.get('port')}, {info.get('url')} (state file "
            f"{state_dir / STATE_FILE_NAME}). Use that one, stop it first, or start this one "
            "with another --state-dir.",
            info,
        )
