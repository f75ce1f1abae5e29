"""Paths inside the plugin folder (whatever name the folder has)."""

from __future__ import annotations

from pathlib import Path


def plugin_root() -> Path:
    """Return the plugin's root folder (the one holding ``metadata.txt`` and ``backend/``)."""
    return Path(__file__).resolve().parent.parent


def icon_path() -> Path:
    """Return the path of the plugin icon (PNG, 64 x 64 px)."""
    return plugin_root() / "plugin" / "icons" / "icon.png"


def algorithm_icon_path(algorithm_name: str) -> Path:
    """Return the SVG icon of a Processing algorithm (``plugin/icons/algorithms/<name>.svg``),
    or the plugin icon when the algorithm has none."""
    path = plugin_root() / "plugin" / "icons" / "algorithms" / f"{algorithm_name}.svg"
    return path if path.is_file() else plugin_root() / "plugin" / "icons" / "icon.svg"


def style_path(name: str) -> Path:
    """Return the path of a shipped QML style, e.g. ``style_path("road_graph_edges")``."""
    return plugin_root() / "plugin" / "styles" / f"{name}.qml"


def plugin_version() -> str:
    """Return ``version`` from ``metadata.txt`` ("" when it cannot be read)."""
    try:
        text = (plugin_root() / "metadata.txt").read_text(encoding="utf-8")
    except OSError:
        return ""
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "version":
            return value.strip()
    return ""
