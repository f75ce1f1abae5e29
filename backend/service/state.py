"""Where a running backend says how to reach it: ``backend.json`` in the state folder.

The file holds the URL and the token, so it is created with mode 0600 (only the user can
read it) and removed when the backend stops.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STATE_FILE_NAME = "backend.json"


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
