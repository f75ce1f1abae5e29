"""The ``build_training_set`` job: the user's imagery and road layer -> a road training set.

Road lines (with a width in metres per feature, or a default width) or road polygons are
reprojected to each raster's CRS and burnt into label masks on chips resampled to one
GSD, so the training command lines (``backend.train``) can read the folder directly:

    images/<split>_<raster>_<row>_<col>.tif   RGB uint8 chip, georeferenced (raster CRS)
    labels/<same name>.png                     road mask, 0 / 255
    centerlines/<same name>.geojson            the road lines clipped to the chip (raster CRS)
    manifest.json                              CRS, GSD, chip size, sources, split, per chip:
                                               window, road fraction, split

``<split>`` is ``tr`` or ``va``. The split is **by area**, not by random chip: the last
``validation_fraction`` of each raster along its longer axis (a stripe) is validation, so
neighbouring chips do not leak into each other's split (chips are assigned by their centre).
Chips do not overlap; a strip narrower than a chip at the right and bottom edges is left out.
Chips without any road are kept up to ``empty_chip_ratio`` times the number of road chips
(evenly spread); the others are left out. Roads thickened in metres follow the RoadGIE
supplement's WorldRoadSeg recipe (A.3: OpenStreetMap lines thickened into masks).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from PIL import Image
from pydantic import BaseModel, Field, model_validator
from rasterio.features import rasterize
from rasterio.windows import Window
from shapely.affinity import affine_transform

from backend.geo.gsd import ground_sample_distance_m
from backend.geo.outputs import JobOutputs, OutputPathError, check_free_space, check_not_input
from backend.geo.raster import ImageReader, open_raster
from backend.runtime.progress import Progress, no_progress


class BuildTrainingSetParams(BaseModel):
    """Parameters of ``build_training_set`` (see the module docstring)."""

    raster_paths: list[str] = Field(min_length=1, description="Aerial images (need a CRS).")
    roads_path: str = Field(description="Road lines or polygons (any OGR format, any CRS).")
    roads_layer: str | None = Field(None, description="Layer in a multi-layer road file.")
    width_field: str | None = Field(None, description="Numeric road width field (metres).")
    default_width_m: float = Field(
        6.0, gt=0, le=100, description="Width of lines without a width (metres)."
    )
    aoi_path: str | None = Field(None, description="Optional area-of-interest polygons.")
    output_dir: str = Field(description="New or empty folder to write the set into.")
    chip_px: int = Field(512, ge=64, le=4096, description="Chip side (px at gsd_m).")
    gsd_m: float | None = Field(
        None, gt=0, description="Metres per chip pixel (default: the first raster's)."
    )
    validation_fraction: float = Field(
        0.2, ge=0, lt=1, description="Share of each raster's area kept for validation."
    )
    empty_chip_ratio: float = Field(
        0.1, ge=0, description="Road-free chips kept per chip with roads."
    )

    @model_validator(mode="after")
    def _one_name_per_raster(self) -> BuildTrainingSetParams:
        stems = [Path(p).stem for p in self.raster_paths]
        if len(set(stems)) != len(stems):
            raise ValueError("raster_paths: every raster needs its own file name (chips use it)")
        return self


def validate(params: BuildTrainingSetParams) -> None:
    """Fail before any work: rasters readable with a CRS, a road layer with a CRS, usable
    widths and features over the rasters, an output folder that is new or empty.

    Raises:
        RasterInputError, OutputPathError, ValueError: naming the problem.
    """
    _check_output_dir(params.output_dir, params)
    roads = _read_roads(params)
    total = 0
    pixels = 0
    for path in params.raster_paths:
        with open_raster(path) as dataset:
            ImageReader(dataset)
            extent = shapely.box(*dataset.bounds)
            total += int(roads.to_crs(dataset.crs).intersects(extent).sum())
            pixels += dataset.width * dataset.height
    if total == 0:
        raise ValueError(
            f"No road of {params.roads_path} lies over the raster(s): check the layers' CRS "
            "and that they cover the same area."
        )
    # PNG masks and GeoTIFF chips: about 1.5 bytes per pixel at worst.
    check_free_space(Path(params.output_dir).parent, pixels * 1.5)


def _check_output_dir(path: str, params: BuildTrainingSetParams) -> None:
    folder = Path(path)
    if not folder.parent.is_dir():
        raise OutputPathError(f"Folder {folder.parent} does not exist; create it first.")
    if not os.access(folder.parent, os.W_OK):
        raise OutputPathError(f"Folder {folder.parent} is not writable.")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputPathError(f"{folder} exists and is not empty; choose a new or empty folder.")
    check_not_input(folder, [*params.raster_paths, params.roads_path, params.aoi_path])


def _read_roads(params: BuildTrainingSetParams) -> gpd.GeoDataFrame:
    """The road layer with a ``width_m`` column, clipped to the AOI (in the road CRS)."""
    if not Path(params.roads_path).exists():
        raise ValueError(f"Road layer not found: {params.roads_path}.")
    roads = gpd.read_file(params.roads_path, layer=params.roads_layer, engine="pyogrio")
    roads = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    if roads.crs is None:
        raise ValueError(
            f"{params.roads_path} has no CRS; assign the right one (QGIS: Layer Properties > "
            "Source) and retry."
        )
    if len(roads) == 0:
        raise ValueError(f"{params.roads_path} has no road features.")
    kinds = set(roads.geometry.geom_type)
    if not kinds <= {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}:
        raise ValueError(f"Roads must be lines or polygons, {params.roads_path} has {kinds}.")
    if params.width_field is not None:
        if params.width_field not in roads.columns:
            raise ValueError(
                f"{params.roads_path} has no field {params.width_field!r}; fields: "
                f"{', '.join(c for c in roads.columns if c != 'geometry')}."
            )
        widths = roads[params.width_field]
        numeric = widths.map(lambda v: v is None or _is_number(v))
        if not numeric.all():
            bad = widths[~numeric].iloc[0]
            raise ValueError(
                f"Width field {params.width_field!r} holds a non-number ({bad!r}); use a "
                "numeric field in metres."
            )
        roads = roads.assign(
            width_m=[
                float(v)
                if v is not None and _is_number(v) and float(v) > 0
                else params.default_width_m
                for v in widths
            ]
        )
    else:
        roads = roads.assign(width_m=params.default_width_m)
    if params.aoi_path:
        aoi = gpd.read_file(params.aoi_path, engine="pyogrio")
        if aoi.crs is None:
            raise ValueError(f"{params.aoi_path} has no CRS; assign the right one and retry.")
        area = shapely.union_all(aoi.to_crs(roads.crs).geometry.values)
        roads = roads[roads.intersects(area)]
        roads = roads.assign(geometry=roads.intersection(area))
        if len(roads) == 0:
            raise ValueError("No road lies inside the area of interest.")
    return roads[["width_m", "geometry"]]


def _is_number(value) -> bool:
    try:
        return np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def run(params: BuildTrainingSetParams, report: Progress = no_progress) -> dict:
    """Build the training set (see the module docstring).

    Returns:
        ``{"outputs": {"folder": path}, "summary": {n_chips, n_train, n_validation,
        n_empty_kept, gsd_m, chip_px, ...}}``.

    Raises:
        RasterInputError, OutputPathError, ValueError: bad input (nothing written).
        JobCancelled: through ``report`` (nothing written).
    """
    validate(params)
    roads = _read_roads(params)
    gsd_m = params.gsd_m
    chips: list[dict] = []
    with JobOutputs() as outputs:
        folder = outputs.stage_dir(params.output_dir, _check_manifest)
        for sub in ("images", "labels", "centerlines"):
            (folder / sub).mkdir()
        for r, path in enumerate(params.raster_paths):
            with open_raster(path) as dataset:
                gsd_xy = ground_sample_distance_m(
                    dataset.crs, dataset.transform, dataset.width, dataset.height
                )
                gsd_m = gsd_m or float(np.mean(gsd_xy))
                local = roads.to_crs(dataset.crs)
                chips += _raster_chips(
                    dataset,
                    Path(path).stem,
                    local,
                    gsd_xy,
                    gsd_m,
                    params,
                    folder,
                    report,
                    (r, len(params.raster_paths)),
                )
        kept = _drop_empty_chips(chips, params.empty_chip_ratio, folder)
        manifest = {
            "layout": "images/NAME.tif + labels/NAME.png (+ centerlines/NAME.geojson)",
            "gsd_m": gsd_m,
            "chip_px": params.chip_px,
            "split": "by area: the last validation_fraction of each raster along its "
            "longer axis is validation (prefix va_), the rest training (prefix tr_)",
            "validation_fraction": params.validation_fraction,
            "sources": {
                "rasters": params.raster_paths,
                "roads": params.roads_path,
                "width_field": params.width_field,
                "default_width_m": params.default_width_m,
                "aoi": params.aoi_path,
            },
            "chips": kept,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
        outputs.publish(report)
    summary = {
        "n_chips": len(kept),
        "n_train": sum(c["split"] == "tr" for c in kept),
        "n_validation": sum(c["split"] == "va" for c in kept),
        "n_empty_kept": sum(c["road_fraction"] == 0 for c in kept),
        "gsd_m": gsd_m,
        "chip_px": params.chip_px,
    }
    return {"outputs": {"folder": str(Path(params.output_dir))}, "summary": summary}


def _raster_chips(dataset, stem, roads, gsd_xy, gsd_m, params, folder, report, position):
    """Write every chip of one raster; returns the chip records (module docstring)."""
    index, n_rasters = position
    reader = ImageReader(dataset)
    # A chip covers chip_px * gsd_m metres per side: that many raster pixels along x and y.
    win_w = max(1, round(params.chip_px * gsd_m / gsd_xy[0]))
    win_h = max(1, round(params.chip_px * gsd_m / gsd_xy[1]))
    cols = range(0, max(1, dataset.width - win_w + 1), win_w)
    rows = range(0, max(1, dataset.height - win_h + 1), win_h)
    horizontal = dataset.width >= dataset.height
    split_at = (dataset.width if horizontal else dataset.height) * (1 - params.validation_fraction)
    sindex = roads.sindex
    records = []
    total = len(cols) * len(rows)
    done = 0
    for row0 in rows:
        for col0 in cols:
            done += 1
            window = Window(col0, row0, win_w, win_h)
            centre = (col0 + win_w / 2) if horizontal else (row0 + win_h / 2)
            split = "va" if centre >= split_at else "tr"
            name = f"{split}_{stem}_{row0}_{col0}"
            record = _write_chip(
                dataset, reader, window, name, roads, sindex, gsd_m, params, folder
            )
            record["split"] = split
            records.append(record)
            share = (index + done / total) / n_rasters
            report(95.0 * share, f"{stem}: chip {done}/{total}")
    return records


def _write_chip(dataset, reader, window, name, roads, sindex, gsd_m, params, folder) -> dict:
    size = (params.chip_px, params.chip_px)
    image = reader.read_rgb(window, size)
    valid = reader.read_valid_mask(window, size)
    image[~valid] = 0
    transform = dataset.window_transform(window) * rasterio.Affine.scale(
        window.width / params.chip_px, window.height / params.chip_px
    )
    bounds = rasterio.windows.bounds(window, dataset.transform)
    hits = roads.iloc[sindex.query(shapely.box(*bounds), predicate="intersects")]
    # Chip pixels are gsd_m metres square: thicken in pixels there.
    to_px = ~transform
    coeffs = [to_px.a, to_px.b, to_px.d, to_px.e, to_px.xoff, to_px.yoff]
    shapes = []
    for geom, width_m in zip(hits.geometry, hits["width_m"], strict=True):
        geom_px = affine_transform(geom, coeffs)
        if geom_px.geom_type in ("Polygon", "MultiPolygon"):
            shapes.append((geom_px, 255))
        else:
            shapes.append((geom_px.buffer(width_m / gsd_m / 2.0, cap_style="flat"), 255))
    label = (
        rasterize(shapes, out_shape=size, fill=0, dtype="uint8")
        if shapes
        else np.zeros(size, np.uint8)
    )
    label[~valid] = 0
    profile = {
        "driver": "GTiff",
        "width": size[1],
        "height": size[0],
        "count": 3,
        "dtype": "uint8",
        "crs": dataset.crs,
        "transform": transform,
        "compress": "deflate",
    }
    with rasterio.open(folder / "images" / f"{name}.tif", "w", **profile) as out:
        out.write(np.moveaxis(image, -1, 0))
    Image.fromarray(label).save(folder / "labels" / f"{name}.png")
    lines = hits[hits.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    clipped = lines.assign(geometry=lines.intersection(shapely.box(*bounds)))
    clipped = clipped[clipped.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    target = folder / "centerlines" / f"{name}.geojson"
    if len(clipped):
        clipped.to_file(target, driver="GeoJSON", engine="pyogrio")
    else:  # GDAL cannot create a layer without a geometry type: an empty collection
        target.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    return {
        "name": name,
        "window_px": [
            int(window.col_off),
            int(window.row_off),
            int(window.width),
            int(window.height),
        ],
        "road_fraction": float((label > 0).mean()),
    }


def _drop_empty_chips(chips: list[dict], ratio: float, folder: Path) -> list[dict]:
    """Keep road-free chips up to ``ratio`` x road chips (evenly spread); delete the rest."""
    with_roads = [c for c in chips if c["road_fraction"] > 0]
    empty = [c for c in chips if c["road_fraction"] == 0]
    n_keep = min(len(empty), int(round(ratio * len(with_roads))))
    keep = {id(empty[int(i)]) for i in np.linspace(0, len(empty) - 1, n_keep)} if n_keep else set()
    for chip in empty:
        if id(chip) in keep:
            continue
        for sub, ext in (("images", ".tif"), ("labels", ".png"), ("centerlines", ".geojson")):
            (folder / sub / f"{chip['name']}{ext}").unlink(missing_ok=True)
    return [c for c in chips if c["road_fraction"] > 0 or id(c) in keep]


def _check_manifest(folder: Path) -> None:
    """The set is complete when its manifest (written last) parses and lists its chips."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for chip in manifest["chips"]:
        if not (folder / "labels" / f"{chip['name']}.png").is_file():
            raise OSError(f"chip {chip['name']} is missing its label")
