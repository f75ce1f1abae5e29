"""`make check-plugin` (tools/check_plugin.py) refuses what plugins.qgis.org refuses."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKER = REPO / "tools" / "check_plugin.py"


def _plugin_zip(path: Path, metadata: str | None = None, extra=(), drop=(), top="roadextract"):
    """A minimal plugin zip from the repository's own metadata, init, LICENSE and icon."""
    files = {
        "metadata.txt": (REPO / "metadata.txt").read_text(encoding="utf-8"),
        "__init__.py": (REPO / "__init__.py").read_text(encoding="utf-8"),
        "LICENSE": (REPO / "LICENSE").read_text(encoding="utf-8"),
        "plugin/icons/icon.png": (REPO / "plugin" / "icons" / "icon.png").read_bytes(),
    }
    if metadata is not None:
        files["metadata.txt"] = metadata
    for name in drop:
        del files[name]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{top}/{name}", data)
        for name, data in extra:
            archive.writestr(name, data)
    return path


def _check(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECKER), str(path), *args], capture_output=True, text=True
    )


def _metadata(**changes: str | None) -> str:
    lines = []
    for line in (REPO / "metadata.txt").read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0].strip()
        if key in changes:
            if changes[key] is not None:
                lines.append(f"{key}={changes[key]}")
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_a_good_plugin_passes(tmp_path):
    result = _check(_plugin_zip(tmp_path / "ok.zip"))
    assert result.returncode == 0, result.stdout
    assert "passes" in result.stdout


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"extra": [("roadextract/plugin/__pycache__/x.cpython-311.pyc", b"x")]}, ".pyc"),
        ({"extra": [("roadextract/.git/config", "x")]}, "'.git'"),
        ({"extra": [("__MACOSX/._x", "x")]}, "exactly one top-level folder"),
        ({"extra": [("roadextract/../evil.py", "x")]}, "path information"),
        ({"drop": ["LICENSE"]}, "LICENSE is missing"),
        ({"drop": ["__init__.py"]}, "__init__.py is missing"),
        ({"top": "1roadextract"}, "top-level folder"),
        ({"metadata": _metadata(email=None)}, "'email'"),
        ({"metadata": _metadata(about="")}, "'about'"),
        ({"metadata": _metadata(tracker="http://bugs")}, "tracker"),
        ({"metadata": _metadata(repository="github.com/x")}, "repository"),
        ({"metadata": _metadata(qgisMinimumVersion="three")}, "qgisMinimumVersion"),
        ({"metadata": _metadata(author="a/b")}, "slashes"),
        ({"metadata": _metadata(icon="missing.png")}, "icon"),
        ({"metadata": _metadata(experimental="maybe")}, "experimental"),
        ({"metadata": "no section\n"}, "metadata.txt"),
    ],
)
def test_what_the_repository_refuses_fails(tmp_path, kwargs, needle):
    result = _check(_plugin_zip(tmp_path / "bad.zip", **kwargs))
    assert result.returncode == 1, result.stdout
    assert needle in result.stdout
    assert "would refuse" in result.stdout


def test_size_budget_warns_and_strict_fails(tmp_path):
    path = _plugin_zip(tmp_path / "big.zip")
    result = _check(path, "--budget-mb", "0.001")
    assert result.returncode == 0 and "over the project's budget" in result.stdout
    assert "icon.png" in result.stdout  # the largest files are named
    assert _check(path, "--budget-mb", "0.001", "--strict").returncode == 1


@pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("git") is None,
    reason="make and git are needed to build the zip",
)
def test_make_check_plugin_on_the_real_zip():
    result = subprocess.run(
        ["make", "-s", "check-plugin"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passes the plugin repository's checks" in result.stdout
