"""Output parameters and submission-time output checks shared by the job kinds.

Every job validates its outputs the same way before it is accepted: the path is
writable with the right extension, it is not one of the job's inputs (for GeoPackages:
not one of the input's layers), and the folder has room for the estimated size. The
files themselves go through :class:`backend.geo.outputs.JobOutputs`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from backend.geo.outputs import (
    GpkgMode,
    check_free_space,
    check_not_input,
    check_output_path,
)


class GpkgOutputParams(BaseModel):
    """``output_mode`` of a job that writes a GeoPackage."""

    output_mode: GpkgMode = Field(
        "add",
        description=(
            "'add': an existing GeoPackage keeps its other layers, ours are added or "
            "replaced; 'replace': the whole file is replaced."
        ),
    )


def check_gpkg_output(
    path: str | os.PathLike,
    *,
    mode: GpkgMode,
    layers: tuple[str, ...],
    inputs: tuple[str | os.PathLike | None, ...],
    estimate_bytes: float,
) -> Path:
    """All submission-time checks of one GeoPackage output.

    Args:
        path: the ``.gpkg`` to write.
        mode: "add" or "replace" (see :class:`GpkgOutputParams`).
        layers: the layer names the job writes.
        inputs: the job's input files.
        estimate_bytes: expected size of what the job writes, bytes (rough is fine).

    Raises:
        OutputPathError: with a message that says what to do.
    """
    out = check_output_path(path, (".gpkg",))
    check_not_input(out, inputs, layers=layers, mode=mode)
    existing = out.stat().st_size if mode == "add" and out.is_file() else 0
    # "add" copies the existing file before changing it: room for both.
    check_free_space(out.parent, existing + estimate_bytes)
    return out


def check_file_output(
    path: str | os.PathLike,
    suffixes: tuple[str, ...],
    *,
    inputs: tuple[str | os.PathLike | None, ...],
    estimate_bytes: float,
) -> Path:
    """Submission-time checks of a single-file output (GeoTIFF, JSON report).

    Raises:
        OutputPathError: with a message that says what to do.
    """
    out = check_output_path(path, suffixes)
    check_not_input(out, inputs)
    check_free_space(out.parent, estimate_bytes)
    return out


def vector_estimate_bytes(width_px: int, height_px: int) -> float:
    """Rough GeoPackage size of vectors traced from a ``width_px`` x ``height_px`` raster:
    about 1/16 byte per pixel, 1 MB at least (road vectors are sparse)."""
    return max(2**20, width_px * height_px / 16)
