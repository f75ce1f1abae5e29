"""A list of scenes as one raster: a GDAL VRT mosaic in one target CRS (issue 13).

Frames: every scene is placed on one grid in the target CRS, the *mosaic grid*: the first
scene's pixel size (in the target CRS) and pixel origin, extended to the union of all
scenes' footprints. A scene already on that grid (same CRS, same pixel size, origin on a
whole pixel) is referenced as it is; any other scene is warped by GDAL onto its window of
the mosaic grid (a ``VRTWarpedDataset`` written by rasterio's ``WarpedVRT``, no resampling
of our own). The mosaic VRT places each scene's window by whole pixels.

Validity: the mosaic has one dataset mask (``<MaskBand>``) built from every scene's GDAL
mask (nodata value, alpha band, or the warped scene's alpha outside its footprint), so
``read_masks`` says "no data" between and around scenes. Where scenes overlap, the earlier
scene in the list wins (its valid pixels are drawn last).

Nothing here reads pixels: building a mosaic opens the scenes' headers and writes small
XML files. Readers of the mosaic read only the windows they ask for.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import CRSError
from rasterio.shutil import copy as copy_dataset
from rasterio.vrt import WarpedVRT
from rasterio.warp import calculate_default_transform, transform_bounds
from rasterio.windows import Window

from backend.geo.raster import RasterInputError, open_raster

MOSAIC_NAME = "mosaic.vrt"
# GDAL data type names of the numpy dtypes a scene may have.
_GDAL_TYPES = {
    "uint8": "Byte",
    "int8": "Int8",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "uint64": "UInt64",
    "int64": "Int64",
    "float32": "Float32",
    "float64": "Float64",
}
# Pixel size and origin agree with the grid to this fraction of a pixel: no warp needed.
_GRID_TOLERANCE = 1e-6


def parse_crs(value: str) -> CRS:
    """A CRS from what a user types: ``EPSG:32633``, a WKT or PROJ string, ``OGC:CRS84``.

    Raises:
        ValueError: naming the value and the accepted forms.
    """
    try:
        crs = CRS.from_user_input(value.strip())
    except (CRSError, ValueError, TypeError) as exc:
        raise ValueError(
            f"target_crs: {value!r} is not a coordinate reference system GDAL knows ({exc}); "
            "give an authority code such as EPSG:32633, or a WKT string."
        ) from None
    return crs


@dataclass(frozen=True)
class SceneInfo:
    """What placing one scene needs from its header.

    Attributes:
        path: the scene's resolved path.
        crs: its CRS.
        transform: its pixel -> map affine in its own CRS.
        width_px, height_px: its size.
        count: band count.
        dtype: numpy dtype name of band 1.
        bounds_in_target: (left, bottom, right, top) of its footprint in the target CRS.
    """

    path: str
    crs: CRS
    transform: Affine
    width_px: int
    height_px: int
    count: int
    dtype: str
    bounds_in_target: tuple[float, float, float, float]


def read_scenes(paths: list[str], target_crs: str | None = None) -> tuple[list[SceneInfo], CRS]:
    """Open every scene's header and check that they can form one mosaic.

    Args:
        paths: the scenes (any GDAL raster with a CRS), the first one first.
        target_crs: the mosaic's CRS (anything :func:`parse_crs` accepts); None: the first
            scene's CRS.

    Returns:
        ``(scenes, target CRS)``.

    Raises:
        RasterInputError: a scene is missing, unreadable, has no CRS, has another band
            count than the first scene, or its footprint cannot be expressed in the target
            CRS (the message names the scene).
        ValueError: ``target_crs`` is not a CRS.
    """
    if not paths:
        raise RasterInputError("No scene given: name at least one raster.")
    target = parse_crs(target_crs) if target_crs else None
    scenes: list[SceneInfo] = []
    first_count = None
    for number, path in enumerate(paths, start=1):
        try:
            dataset = open_raster(path)
        except RasterInputError as exc:
            raise RasterInputError(f"Scene {number} of {len(paths)}: {exc}") from None
        with dataset:
            crs, count = dataset.crs, dataset.count
            if target is None:
                target = crs
            if first_count is None:
                first_count = count
            elif count != first_count:
                raise RasterInputError(
                    f"Scene {number} of {len(paths)} ({path}) has {count} band(s), the first "
                    f"scene {first_count}: scenes of one run must have the same bands. Leave "
                    "it out, or make a raster of the same bands first (gdal_translate -b)."
                )
            try:
                bounds = transform_bounds(crs, target, *dataset.bounds, densify_pts=21)
            except Exception as exc:  # noqa: BLE001 - GDAL/PROJ raise several kinds
                raise RasterInputError(
                    f"Scene {number} of {len(paths)} ({path}) cannot be reprojected to the "
                    f"target CRS {target.to_string()} ({exc}); choose a target CRS that "
                    "covers every scene."
                ) from None
            if not all(math.isfinite(v) for v in bounds) or bounds[0] >= bounds[2]:
                raise RasterInputError(
                    f"Scene {number} of {len(paths)} ({path}) lies outside the area of the "
                    f"target CRS {target.to_string()}; choose a target CRS that covers every "
                    "scene."
                )
            scenes.append(
                SceneInfo(
                    str(Path(path).resolve()),
                    crs,
                    dataset.transform,
                    dataset.width,
                    dataset.height,
                    count,
                    dataset.dtypes[0],
                    tuple(bounds),
                )
            )
    assert target is not None
    return scenes, target


def mosaic_grid(scenes: list[SceneInfo], target: CRS) -> tuple[Affine, int, int]:
    """The mosaic grid: ``(transform, width_px, height_px)`` in the target CRS.

    Pixel size and origin are the first scene's (its own when it is in the target CRS, else
    GDAL's suggested warp grid for it); the extent is the union of the footprints, widened
    to whole pixels.
    """
    first = scenes[0]
    if first.crs == target:
        base = first.transform
    else:
        left, bottom, right, top = _own_bounds(first)
        base, _, _ = calculate_default_transform(
            first.crs, target, first.width_px, first.height_px, left, bottom, right, top
        )
    if base.b != 0 or base.d != 0:
        raise RasterInputError(
            f"{first.path} is rotated (its geotransform has rotation terms); warp it to a "
            "north-up raster first (gdalwarp)."
        )
    px, py = base.a, base.e  # py < 0 for north-up
    lefts, bottoms, rights, tops = zip(*(s.bounds_in_target for s in scenes), strict=True)
    col0 = math.floor((min(lefts) - base.c) / px + _GRID_TOLERANCE)
    col1 = math.ceil((max(rights) - base.c) / px - _GRID_TOLERANCE)
    row0 = math.floor((max(tops) - base.f) / py + _GRID_TOLERANCE)
    row1 = math.ceil((min(bottoms) - base.f) / py - _GRID_TOLERANCE)
    transform = base * Affine.translation(col0, row0)
    return transform, max(1, col1 - col0), max(1, row1 - row0)


def _own_bounds(scene: SceneInfo) -> tuple[float, float, float, float]:
    t = scene.transform
    xs = (t.c, t.c + t.a * scene.width_px)
    ys = (t.f, t.f + t.e * scene.height_px)
    return min(xs), min(ys), max(xs), max(ys)


def _scene_window(scene: SceneInfo, grid: Affine, width: int, height: int) -> Window:
    """The scene's footprint on the mosaic grid, whole pixels, clipped to the grid."""
    left, bottom, right, top = scene.bounds_in_target
    inv = ~grid
    c0, r0 = inv * (left, top)
    c1, r1 = inv * (right, bottom)
    col0 = max(0, math.floor(min(c0, c1) + _GRID_TOLERANCE))
    row0 = max(0, math.floor(min(r0, r1) + _GRID_TOLERANCE))
    col1 = min(width, math.ceil(max(c0, c1) - _GRID_TOLERANCE))
    row1 = min(height, math.ceil(max(r0, r1) - _GRID_TOLERANCE))
    return Window(col0, row0, max(1, col1 - col0), max(1, row1 - row0))


def _on_grid(scene: SceneInfo, target: CRS, grid: Affine) -> Window | None:
    """The scene's window when it lies on the mosaic grid as it is (no warp), else None."""
    t = scene.transform
    if scene.crs != target or t.b != 0 or t.d != 0:
        return None
    if not (
        math.isclose(t.a, grid.a, rel_tol=_GRID_TOLERANCE)
        and math.isclose(t.e, grid.e, rel_tol=_GRID_TOLERANCE)
    ):
        return None
    col, row = ~grid * (t.c, t.f)
    if abs(col - round(col)) > 1e-3 or abs(row - round(row)) > 1e-3:
        return None
    return Window(round(col), round(row), scene.width_px, scene.height_px)


def build_mosaic_vrt(
    paths: list[str],
    folder: str | os.PathLike,
    target_crs: str | None = None,
    resampling: Resampling = Resampling.bilinear,
) -> Path:
    """Write the mosaic of ``paths`` (see the module docstring) into ``folder``.

    Args:
        paths: the scenes, the first one first (it sets the grid and wins overlaps).
        folder: where ``mosaic.vrt`` and one ``scene_NNN.vrt`` per warped scene go
            (created; readers of the mosaic must see this folder and the scenes at the same
            paths).
        target_crs: the mosaic's CRS; None: the first scene's.
        resampling: GDAL resampling of warped scenes (nearest for masks and class
            rasters, bilinear for images).

    Returns:
        The path of ``mosaic.vrt``.

    Raises:
        RasterInputError, ValueError: as :func:`read_scenes`.
    """
    scenes, target = read_scenes(paths, target_crs)
    grid, width, height = mosaic_grid(scenes, target)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    dtype = np.result_type(*(np.dtype(s.dtype) for s in scenes)).name
    if dtype not in _GDAL_TYPES:
        raise RasterInputError(f"Scenes of type {dtype} cannot be mosaicked; convert them.")
    count = scenes[0].count
    placed: list[tuple[str, Window, int, int]] = []  # (file, window, file width, height)
    for index, scene in enumerate(scenes):
        window = _on_grid(scene, target, grid)
        if window is not None:
            placed.append((scene.path, window, scene.width_px, scene.height_px))
            continue
        window = _scene_window(scene, grid, width, height)
        warped = out / f"scene_{index:03d}.vrt"
        _write_warped(scene, target, grid, window, resampling, warped)
        placed.append((str(warped.resolve()), window, int(window.width), int(window.height)))
    # Drawn in reverse order, so the first scene's valid pixels are drawn last (on top).
    placed.reverse()
    bands = [_band_xml(band, _GDAL_TYPES[dtype], placed, str(band)) for band in range(1, count + 1)]
    mask = _band_xml(None, "Byte", placed, "mask,1")
    xml = (
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">\n'
        f"  <SRS>{escape(target.to_wkt())}</SRS>\n"
        f"  <GeoTransform>{', '.join(repr(v) for v in grid.to_gdal())}</GeoTransform>\n"
        + "".join(bands)
        + f"  <MaskBand>\n{mask}  </MaskBand>\n"
        + "</VRTDataset>\n"
    )
    path = out / MOSAIC_NAME
    tmp = out / f".{MOSAIC_NAME}.{os.getpid()}.part"
    tmp.write_text(xml)
    os.replace(tmp, path)
    return path


def _write_warped(scene, target, grid, window, resampling, path: Path) -> None:
    """A ``VRTWarpedDataset`` of ``scene`` on ``window`` of the mosaic grid (GDAL's warper;
    an alpha band marks its footprint unless the scene has a nodata value)."""
    transform = grid * Affine.translation(window.col_off, window.row_off)
    with rasterio.open(scene.path) as src:
        options = {"add_alpha": True} if src.nodata is None else {}
        with WarpedVRT(
            src,
            crs=target,
            transform=transform,
            width=int(window.width),
            height=int(window.height),
            resampling=resampling,
            **options,
        ) as vrt:
            copy_dataset(vrt, path, driver="VRT")


def _band_xml(band: int | None, gdal_type: str, placed, source_band: str) -> str:
    """One ``VRTRasterBand`` (``band`` None: the dataset mask) of the placed scenes. A
    source's masked pixels (its mask band; for the mask, its zeros) leave what lies below."""
    head = "    " if band is None else "  "
    number = "" if band is None else f' band="{band}"'
    sources = []
    for filename, window, file_w, file_h in placed:
        skip = "<NODATA>0</NODATA>" if band is None else "<UseMaskBand>true</UseMaskBand>"
        sources.append(
            f"{head}  <ComplexSource>\n"
            f'{head}    <SourceFilename relativeToVRT="0">{escape(filename)}</SourceFilename>\n'
            f"{head}    <SourceBand>{source_band}</SourceBand>\n"
            f'{head}    <SrcRect xOff="0" yOff="0" xSize="{file_w}" ySize="{file_h}"/>\n'
            f'{head}    <DstRect xOff="{int(window.col_off)}" yOff="{int(window.row_off)}" '
            f'xSize="{int(window.width)}" ySize="{int(window.height)}"/>\n'
            f"{head}    {skip}\n"
            f"{head}  </ComplexSource>\n"
        )
    return (
        f"{head}<VRTRasterBand dataType={quoteattr(gdal_type)}{number}>\n"
        + "".join(sources)
        + f"{head}</VRTRasterBand>\n"
    )
