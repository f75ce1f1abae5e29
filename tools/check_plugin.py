"""Check a plugin zip the way plugins.qgis.org checks an upload, before uploading it.

Usage (``make check-plugin`` runs it on ``build/roadextract.zip``)::

    python3 tools/check_plugin.py build/roadextract.zip [--budget-mb 20] [--strict]

Errors are what the plugin repository refuses (as its upload validator does, see
https://plugins.qgis.org/docs/publish and the QGIS-Django ``plugins/validator.py``):

- a zip over 25 MB, one that does not unzip or fails its CRC test;
- paths with ``..`` or a leading ``/``; ``.pyc`` files; ``__MACOSX``, ``.git`` or
  ``__pycache__`` folders;
- not exactly one top-level folder, named ``[A-Za-z][A-Za-z0-9-_]+``, holding
  ``__init__.py``, ``metadata.txt`` (section ``[general]``) and ``LICENSE``;
- a missing or empty required metadata field (name, description, version,
  qgisMinimumVersion, author, email, about, tracker, repository), a ``tracker``,
  ``repository`` or ``homepage`` that is not an http(s) URL or is a template's placeholder,
  an author with a slash, a malformed version or qgisMinimumVersion, an ``icon`` missing
  from the zip, booleans other than true/false.

Warnings (errors with ``--strict``) are the project's own rules: the size budget
(``--budget-mb``, 20 by default, with the largest files named), other compiled or binary
files (``.pyo``, ``.so``, ``.dll``, ``.exe``, ``.dylib``), hidden files, and QGIS code that a
reviewer flags (the plugin's ``classFactory`` missing from ``__init__.py``).

Standard library only; the URLs are checked for their form, not fetched (no network here).
Exit status: 0 when there is no error, 1 otherwise, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import configparser
import re
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlparse

REPOSITORY_LIMIT_BYTES = 25_000_000  # plugins.qgis.org: PLUGIN_MAX_UPLOAD_SIZE
REQUIRED_METADATA = (
    "name",
    "description",
    "version",
    "qgisMinimumVersion",
    "author",
    "email",
    "about",
    "tracker",
    "repository",
)
URL_FIELDS = {"tracker": "http://bugs", "repository": "http://repo", "homepage": "http://homepage"}
BOOLEAN_FIELDS = ("experimental", "deprecated", "server")
FORBIDDEN_FOLDERS = ("__MACOSX", ".git", "__pycache__")
BINARY_SUFFIXES = (".pyo", ".so", ".dll", ".exe", ".dylib")
PACKAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-_]+$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_+]*$")
QGIS_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


class Report:
    """Errors and warnings of one check."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, text: str) -> None:
        self.errors.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def check_zip(path: Path, budget_bytes: int) -> Report:
    """Check the plugin zip at ``path``; see the module docstring for the rules."""
    report = Report()
    size = path.stat().st_size
    if size > REPOSITORY_LIMIT_BYTES:
        report.error(
            f"the zip is {_megabytes(size)}; plugins.qgis.org takes at most "
            f"{_megabytes(REPOSITORY_LIMIT_BYTES)}"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.error(f"not a zip file: {exc}")
        return report
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if size > budget_bytes:
            largest = sorted(infos, key=lambda i: -i.compress_size)[:3]
            biggest = ", ".join(f"{i.filename} ({_megabytes(i.compress_size)})" for i in largest)
            report.warn(
                f"the zip is {_megabytes(size)}, over the project's budget of "
                f"{_megabytes(budget_bytes)}; largest: {biggest}"
            )
        bad = archive.testzip()
        if bad is not None:
            report.error(f"bad zip entry (CRC error): {bad}")
        _check_names(names, report)
        top = sorted({name.split("/")[0] for name in names})
        if len(top) != 1 or not any("/" in name for name in names):
            report.error(f"the zip must hold exactly one top-level folder, not {top}")
            return report
        package = top[0]
        if not PACKAGE_NAME.match(package):
            report.error(
                f"top-level folder {package!r}: must start with an ASCII letter and hold only "
                "ASCII letters, digits, '-' and '_'"
            )
        for required in ("__init__.py", "metadata.txt", "LICENSE"):
            if f"{package}/{required}" not in names:
                report.error(f"{package}/{required} is missing")
        if f"{package}/__init__.py" in names:
            init = archive.read(f"{package}/__init__.py").decode("utf-8", errors="replace")
            if not re.search(r"^def\s+classFactory\s*\(", init, re.MULTILINE):
                report.warn(f"{package}/__init__.py defines no classFactory(iface)")
        if f"{package}/metadata.txt" in names:
            text = archive.read(f"{package}/metadata.txt").decode("utf-8", errors="replace")
            _check_metadata(text, package, set(names), report)
    return report


def _check_names(names: list[str], report: Report) -> None:
    for name in names:
        parts = name.split("/")
        if ".." in name or name.startswith("/") or name.startswith("\\"):
            report.error(f"path information in the zip: {name}")
        if name.endswith(".pyc") or ".pyc" in name:
            report.error(f"compiled Python file: {name}")
        for folder in FORBIDDEN_FOLDERS:
            if folder in parts[:-1] or (folder in parts and name.endswith("/")):
                report.error(f"forbidden folder {folder!r}: {name}")
        if name.lower().endswith(BINARY_SUFFIXES):
            report.warn(f"compiled or binary file: {name}")
        if any(part.startswith(".") and part not in ("", ".") for part in parts[1:]):
            report.warn(f"hidden file or folder: {name}")


def _check_metadata(text: str, package: str, names: set[str], report: Report) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        report.error(f"metadata.txt does not parse: {exc}")
        return
    if not parser.has_section("general"):
        report.error("metadata.txt has no [general] section")
        return
    meta = {key: value.strip() for key, value in parser.items("general")}
    for field in REQUIRED_METADATA:
        if not meta.get(field):
            report.error(f"metadata.txt: required field {field!r} is missing or empty")
    for field, placeholder in URL_FIELDS.items():
        url = meta.get(field)
        if url is None:
            continue
        parsed = urlparse(url)
        if url == placeholder or parsed.scheme not in ("http", "https") or not parsed.netloc:
            report.error(f"metadata.txt: {field} is not a valid http(s) URL: {url!r}")
    if "/" in meta.get("author", ""):
        report.error("metadata.txt: the author name cannot contain slashes")
    if meta.get("version") and not VERSION.match(meta["version"]):
        report.error(f"metadata.txt: malformed version {meta['version']!r}")
    for field in ("qgisMinimumVersion", "qgisMaximumVersion"):
        if meta.get(field) and not QGIS_VERSION.match(meta[field]):
            report.error(f"metadata.txt: malformed {field} {meta[field]!r} (e.g. 3.22)")
    for field in BOOLEAN_FIELDS:
        if field in meta and meta[field].lower() not in ("true", "false", "1", "0", "yes", "no"):
            report.error(f"metadata.txt: {field} must be True or False, not {meta[field]!r}")
    icon = meta.get("icon")
    if icon:
        icon_path = icon[2:] if icon.startswith("./") else icon
        if f"{package}/{icon_path}" not in names:
            report.error(f"metadata.txt: icon {icon!r} is not in the zip")
    email = meta.get("email", "")
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        report.error(f"metadata.txt: malformed email {email!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path, help="the plugin zip (make zip builds it)")
    parser.add_argument(
        "--budget-mb", type=float, default=20.0, help="project size budget in MB (warning)"
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    args = parser.parse_args(argv)
    if not args.zip.is_file():
        print(f"error: {args.zip} does not exist (run make zip)", file=sys.stderr)
        return 2
    report = check_zip(args.zip, int(args.budget_mb * 1_000_000))
    errors = report.errors + (report.warnings if args.strict else [])
    warnings = [] if args.strict else report.warnings
    for text in warnings:
        print(f"warning: {text}")
    for text in errors:
        print(f"error: {text}")
    size = _megabytes(args.zip.stat().st_size)
    if errors:
        verdict = "plugins.qgis.org would refuse it" if report.errors else "over the budget"
        print(f"{args.zip} ({size}): {len(errors)} problem(s); {verdict}")
        return 1
    print(f"{args.zip} ({size}): passes the plugin repository's checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
