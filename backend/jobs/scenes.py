"""Several scenes as the input of a raster job (issue 13): the params fields and the mosaic.

A raster job's ``raster_path`` is its first scene; ``additional_raster_paths`` names more,
and ``target_crs`` the CRS of the run (default: the first scene's). With more than one
scene, or a target CRS other than the scene's, the job runs on a GDAL VRT mosaic
(:func:`backend.geo.mosaic.build_mosaic_vrt`): scenes in another CRS are warped by GDAL, the
outputs are on the mosaic's grid, in the target CRS. With one scene and no other CRS nothing
changes: the job reads the scene itself.

Every scene is checked before any work (readable, a CRS, the first scene's band count, a
footprint the target CRS can express); a failing scene raises ``RasterInputError`` (a
ValueError: HTTP 400) naming it, and nothing is written.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field
from rasterio.enums import Resampling

from backend.geo.mosaic import build_mosaic_vrt

ADDITIONAL_HELP = (
    "More scenes (rasters with a CRS, the first scene's bands) mosaicked with raster_path "
    "through a GDAL VRT; where scenes overlap, the earlier one wins."
)
TARGET_CRS_HELP = (
    "CRS of the run and its outputs, e.g. EPSG:32633; scenes in other CRSs are warped "
    "(default: raster_path's CRS)."
)


class SceneListParams(BaseModel):
    """The scene-list fields a raster job adds to its ``raster_path``."""

    additional_raster_paths: list[str] | None = Field(None, description=ADDITIONAL_HELP)
    target_crs: str | None = Field(None, description=TARGET_CRS_HELP)


_Params = TypeVar("_Params", bound=BaseModel)


def scene_paths(params) -> list[str]:
    """Every scene of a job: ``raster_path`` first, then ``additional_raster_paths``."""
    return [params.raster_path, *(params.additional_raster_paths or [])]


def needs_mosaic(params) -> bool:
    """True when the job must read a mosaic: several scenes or a target CRS was named
    (a target CRS equal to the scene's costs one VRT around it, nothing more)."""
    return bool(params.additional_raster_paths) or bool(params.target_crs)


@contextlib.contextmanager
def mosaic_input(
    params: _Params,
    folder: str | Path | None = None,
    resampling: Resampling = Resampling.bilinear,
) -> Iterator[_Params]:
    """The job's params with ``raster_path`` the scenes' mosaic, for the length of the block.

    Args:
        params: a job's params with the :class:`SceneListParams` fields.
        folder: where the VRT files go; None: a temporary folder removed on exit. A
            distributed run passes a folder beside its output, which the workers see (it is
            left in place; the run removes it when done).
        resampling: GDAL resampling of warped scenes (nearest for masks).

    Yields:
        ``params`` itself when there is nothing to mosaic, else a copy whose
        ``raster_path`` is the mosaic VRT and whose scene-list fields are empty.

    Raises:
        RasterInputError: a scene cannot be used (missing, unreadable, no CRS, other band
            count, outside the target CRS); the message names it.
        ValueError: ``target_crs`` is not a CRS.
    """
    if not needs_mosaic(params):
        yield params
        return
    paths = scene_paths(params)
    target_crs = params.target_crs  # type: ignore[attr-defined]
    if folder is not None:
        vrt = build_mosaic_vrt(paths, folder, target_crs, resampling)
        yield _on(params, vrt)
        return
    tmp = Path(tempfile.mkdtemp(prefix="roadextract-mosaic-"))
    try:
        yield _on(params, build_mosaic_vrt(paths, tmp, target_crs, resampling))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _on(params: _Params, vrt: Path) -> _Params:
    update = {"raster_path": str(vrt), "additional_raster_paths": None, "target_crs": None}
    return params.model_copy(update=update)


def mosaic_folder(output_path: str) -> Path:
    """Where a distributed run keeps the mosaic VRTs its workers read: beside the output."""
    out = Path(output_path).resolve()
    return out.with_name(out.name + ".scenes")


def remove_mosaic_folder(output_path: str) -> None:
    """Remove :func:`mosaic_folder` (after the outputs are published)."""
    shutil.rmtree(mosaic_folder(output_path), ignore_errors=True)
