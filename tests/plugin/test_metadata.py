"""metadata.txt has what the QGIS plugin repository requires, and matches the backend."""

from __future__ import annotations

import configparser
import re

REQUIRED_FIELDS = (
    "name",
    "qgisMinimumVersion",
    "description",
    "about",
    "version",
    "author",
    "email",
    "repository",
    "tracker",
    "homepage",
    "hasProcessingProvider",
    "tags",
    "changelog",
    "category",
    "icon",
    "experimental",
)


def _metadata(env) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (qgisMinimumVersion)
    parser.read(env.REPO_ROOT / "metadata.txt", encoding="utf-8")
    return parser["general"]


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.strip().split("."))


def test_required_fields_present_and_non_empty(env):
    general = _metadata(env)
    missing = [name for name in REQUIRED_FIELDS if not general.get(name, "").strip()]
    assert not missing, f"metadata.txt lacks {missing}"
    assert general["name"] == "RoadExtract"
    assert general["hasProcessingProvider"].strip().lower() == "yes"
    assert general["experimental"].strip().lower() in ("true", "false")
    assert general["category"] in ("Raster", "Vector", "Database", "Web", "Plugins")


def test_version_matches_backend(env):
    text = (env.REPO_ROOT / "backend" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    assert match, "backend/__init__.py has no __version__"
    assert _metadata(env)["version"].strip() == match.group(1)


def test_qgis_minimum_version(env):
    assert _version_tuple(_metadata(env)["qgisMinimumVersion"]) >= (3, 22)


def test_icon_exists(env):
    icon = env.REPO_ROOT / _metadata(env)["icon"].strip()
    assert icon.is_file(), icon
    assert icon.stat().st_size > 0


def test_urls_look_like_urls(env):
    general = _metadata(env)
    for name in ("repository", "tracker", "homepage"):
        assert general[name].startswith("https://"), name
