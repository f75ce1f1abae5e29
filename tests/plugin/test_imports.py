"""QGIS-side code imports only qgis, requests and the standard library, and does nothing at
import time (QGIS imports every enabled plugin at start-up)."""

from __future__ import annotations

import ast
import subprocess
import sys

ALLOWED_THIRD_PARTY = {"qgis", "requests"}
QGIS_SIDE = ("__init__.py", "plugin", "processing_provider", "gui")
# Not imported by the plugin (run by hand to regenerate the icons, styles and models).
EXCLUDED = {
    "plugin/icons/make_icons.py",
    "plugin/styles/make_styles.py",
    "processing_provider/models/make_models.py",
}


def _python_files(env):
    for entry in QGIS_SIDE:
        path = env.REPO_ROOT / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if file.relative_to(env.REPO_ROOT).as_posix() not in EXCLUDED:
                yield file


def test_only_qgis_requests_and_stdlib(env):
    offenders = []
    for file in _python_files(env):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in ALLOWED_THIRD_PARTY and top not in sys.stdlib_module_names:
                    offenders.append(f"{file.relative_to(env.REPO_ROOT)}: {name}")
    assert not offenders, offenders


def test_importing_the_package_has_no_side_effects(plugins_dir):
    # A fresh interpreter: importing the plugin package must not pull in its modules, Qt
    # widgets or requests, nor start anything.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import roadextract; "
        "loaded = sorted(m for m in sys.modules if m.startswith('roadextract.') "
        "or m in ('requests', 'qgis.gui', 'qgis.PyQt.QtWidgets')); "
        "print(loaded); assert not loaded, loaded; "
        "assert callable(roadextract.classFactory)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(plugins_dir)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
