"""The backend never imports qgis, and its start-up path (command line, HTTP app, every job
kind's params) loads no torch-family package: those load when a job or session needs them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "sam2", "segment_anything", "torch_geometric")


def test_backend_never_imports_qgis():
    offenders = []
    for file in sorted((REPO_ROOT / "backend").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{file.relative_to(REPO_ROOT)}: {name}"
                for name in names
                if name.split(".")[0] in ("qgis", "PyQt5", "PyQt6")
            ]
    assert not offenders, offenders


def test_start_up_path_loads_no_torch():
    code = (
        "import sys\n"
        "import backend.cli, backend.service.app\n"
        "from backend.jobs.kinds import list_job_kinds\n"
        "for kind in list_job_kinds(): kind.params_model.model_json_schema()\n"
        "backend.cli.build_parser()\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
