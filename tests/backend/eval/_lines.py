"""Synthetic inputs for the road graph metric tests (coordinates in metres)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString


def grid_lines(n_blocks: int = 3, block_m: float = 200.0, origin=(0.0, 0.0)) -> list[LineString]:
    """Street grid of n_blocks x n_blocks blocks: one LineString per block side, metres."""
    x0, y0 = origin
    lines = []
    for i in range(n_blocks + 1):
        for j in range(n_blocks):
            lines.append(
                LineString(
                    [
                        (x0 + i * block_m, y0 + j * block_m),
                        (x0 + i * block_m, y0 + (j + 1) * block_m),
                    ]
                )
            )
            lines.append(
                LineString(
                    [
                        (x0 + j * block_m, y0 + i * block_m),
                        (x0 + (j + 1) * block_m, y0 + i * block_m),
                    ]
                )
            )
    return lines


def write_lines(
    path: Path,
    lines: list,
    crs: str | None,
    layer: str | None = None,
    driver: str | None = None,
    append: bool = False,
) -> Path:
    """Write shapely lines (no attributes) to a vector file with pyogrio."""
    import pyogrio.raw

    geometry = shapely.to_wkb(np.asarray(lines, dtype=object))
    geometry_type = (
        "MultiLineString"
        if any(g.geom_type == "MultiLineString" for g in lines)
        else (lines[0].geom_type if lines else "LineString")
    )
    with warnings.catch_warnings():
        # Writing a layer without CRS on purpose (error-path tests) warns.
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        pyogrio.raw.write(
            str(path),
            geometry,
            [],
            [],
            geometry_type=geometry_type,
            crs=crs,
            layer=layer,
            driver=driver,
            append=append,
        )
    return path
