"""Paths inside the plugin folder (whatever name the folder has)."""

from __future__ import annotations

from pathlib import Path


def plugin_root() -> Path:
    """Return the plugin's root folder (the one holding ``metadata.txt`` and ``backend/``)."""
    return Path(__file__).resolve().parent.parent


def icon_path() -> Path:
    """Return the path of the plugin icon (PNG, 64 x 64 px)."""
    return plugin_root() / "plugin" / "icons" / "icon.png"


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
