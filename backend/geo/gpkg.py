"""Atomic output files: written under a temporary name, renamed into place when complete.

A reader (QGIS, a user) never sees a half-written file, and a failed or cancelled job
leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd


class OutputPathError(ValueError):
    """The output path cannot be written; the message says what to do."""


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...]) -> Path:
    """Validate an output path before any work starts.

    Raises:
        OutputPathError: wrong extension, or the folder does not exist / is not writable.
    """
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise OutputPathError(f"Output {out} must end with one of {', '.join(suffixes)}.")
    if not out.parent.is_dir():
        raise OutputPathError(f"Output folder {out.parent} does not exist; create it first.")
    if not os.access(out.parent, os.W_OK):
        raise OutputPathError(f"Output folder {out.parent} is not writable.")
    return out


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On an exception (including a job's cancellation) the temporary file is removed and
    ``path`` is left as it was.
    """
    final = Path(path)
    tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.part{final.suffix}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_gpkg_layers(path: str | os.PathLike, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write several layers into one GeoPackage atomically.

    Args:
        path: the ``.gpkg`` to create or replace.
        layers: layer name -> GeoDataFrame (with its CRS set; may be empty: the geometry
            type is then taken from the frame's ``attrs["geometry_type"]``).
    """
    with atomic_output(path) as tmp:
        for name, frame in layers.items():
            frame.to_file(
                tmp,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type=frame.attrs.get("geometry_type"),
            )
