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

Refining with a model (the same supplement, A.3: OSM masks checked against a model's
prediction): with ``refine_model`` (an Anchor-SAM model) every chip with roads is segmented
(road where the probability >= the model card's ``inference_defaults.threshold``, else 0.5)
and the mask is compared with the label: the chip's ``consistency_iou`` goes into the
manifest. Chips below ``consistency_iou_min`` (misplaced, missing or extra roads in the road
layer, or imagery that does not match it) are ``flagged``: they stay listed in the manifest,
but their files go to ``flagged/images``, ``flagged/labels`` and ``flagged/centerlines``, so
training and the held-out scores leave them out (move them back to use them). Road-free
chips are not scored and never flagged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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
from backend.models.registry import get_weights_spec, how_to_install
from backend.runtime.progress import Progress, no_progress

FLAGGED_DIR = "flagged"
_CHIP_FILES = (("images", ".tif"), ("labels", ".png"), ("centerlines", ".geojson"))


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
    refine_model: str | None = Field(
        None, description="Anchor-SAM model that checks each chip's label (flags disagreement)."
    )
    consistency_iou_min: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Chips whose label and refine_model mask overlap less (IoU) are flagged.",
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
    if params.refine_model:
        spec = get_weights_spec(params.refine_model)  # ValueError naming the models
        if spec.method != "anchor_sam":
            raise ValueError(
                f"refine_model {params.refine_model} is a {spec.method} model; choose an "
                "Anchor-SAM (road segmentation) model."
            )
        if not spec.path().is_file():
            raise ValueError(
                f"The weights of {params.refine_model} are not installed. {how_to_install(spec)}"
            )
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
        ``{"outputs": {"folder": path}, "summary": {n_chips (all listed), n_train,
        n_validation (chips not flagged), n_empty_kept, n_flagged, consistency_iou_median
        (None without refine_model), gsd_m, chip_px}}``.

    Raises:
        RasterInputError, OutputPathError, ValueError: bad input (nothing written).
        JobCancelled: through ``report`` (nothing written).
    """
    validate(params)
    roads = _read_roads(params)
    gsd_m = params.gsd_m
    chips: list[dict] = []
    refiner = _Refiner(params.refine_model, report) if params.refine_model else None
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
                    refiner,
                )
        kept = _drop_empty_chips(chips, params.empty_chip_ratio, folder)
        if refiner is not None:
            _flag_chips(kept, params.consistency_iou_min, folder)
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
        if refiner is not None:
            manifest["refine"] = {
                "model": params.refine_model,
                "threshold": refiner.threshold,
                "consistency_iou_min": params.consistency_iou_min,
                "flagged": f"chips with consistency_iou below the minimum; files under "
                f"{FLAGGED_DIR}/, left out of training and of the held-out scores",
            }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
        outputs.publish(report)
    used = [c for c in kept if not c.get("flagged")]
    scored = [c["consistency_iou"] for c in kept if "consistency_iou" in c]
    summary = {
        "n_chips": len(kept),
        "n_train": sum(c["split"] == "tr" for c in used),
        "n_validation": sum(c["split"] == "va" for c in used),
        "n_empty_kept": sum(c["road_fraction"] == 0 for c in kept),
        "n_flagged": len(kept) - len(used),
        "consistency_iou_median": float(np.median(scored)) if scored else None,
        "gsd_m": gsd_m,
        "chip_px": params.chip_px,
    }
    return {"outputs": {"folder": str(Path(params.output_dir))}, "summary": summary}


def _raster_chips(dataset, stem, roads, gsd_xy, gsd_m, params, folder, report, position, refiner):
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
                dataset, reader, window, name, roads, sindex, gsd_m, params, folder, refiner
            )
            record["split"] = split
            records.append(record)
            share = (index + done / total) / n_rasters
            report(95.0 * share, f"{stem}: chip {done}/{total}")
    return records


def _write_chip(
    dataset, reader, window, name, roads, sindex, gsd_m, params, folder, refiner
) -> dict:
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
    record = {
        "name": name,
        "window_px": [
            int(window.col_off),
            int(window.row_off),
            int(window.width),
            int(window.height),
        ],
        "road_fraction": float((label > 0).mean()),
    }
    if refiner is not None and label.any():
        record["consistency_iou"] = refiner.consistency_iou(image, label > 0, valid, gsd_m)
    return record


class _Refiner:
    """An Anchor-SAM model that scores how well a chip's label matches the imagery."""

    def __init__(self, model_id: str, report: Progress) -> None:
        from backend.jobs.segment_roads import model_threshold
        from backend.models.registry import get_model
        from backend.runtime.device import resolve_device

        self.device = resolve_device("auto")
        report(0.0, f"Loading {model_id} on {self.device} to check the labels")
        self.module: Any = get_model(model_id, device=self.device)  # an AnchorSAM
        self.model_gsd_m = get_weights_spec(model_id).gsd_m
        self.threshold = model_threshold(model_id)

    def consistency_iou(
        self, image: np.ndarray, label: np.ndarray, valid: np.ndarray, gsd_m: float
    ) -> float:
        """IoU of the model's road mask and ``label`` over the valid pixels of a chip.

        Args:
            image: (H, W, 3) uint8 RGB chip at ``gsd_m`` metres per pixel.
            label: (H, W) bool road label (the thickened lines or polygons).
            valid: (H, W) bool, False where the raster has no data.
            gsd_m: ground sample distance of the chip, metres per pixel; the chip is
                resampled to the model's GSD and the probability back.
        """
        import torch

        from backend.methods.anchor_sam.predict import predict_probability

        height, width = label.shape
        scale = gsd_m / (self.model_gsd_m or gsd_m)
        shape = (max(32, round(height * scale)), max(32, round(width * scale)))
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
        if shape != (height, width):
            x = torch.nn.functional.interpolate(x, size=shape, mode="bilinear", align_corners=False)
        rgb = x[0].permute(1, 2, 0).clamp(0, 255).round().to(torch.uint8).numpy()
        with torch.inference_mode():
            prob = predict_probability(self.module, rgb, self.device, amp=True)
        if prob.shape != (height, width):
            prob = torch.nn.functional.interpolate(
                torch.from_numpy(prob)[None, None], size=(height, width), mode="bilinear",
                align_corners=False,
            )[0, 0].numpy()  # fmt: skip
        pred = (prob >= self.threshold) & valid
        truth = label & valid
        union = int((pred | truth).sum())
        return float((pred & truth).sum() / union) if union else 1.0


def _flag_chips(chips: list[dict], iou_min: float, folder: Path) -> None:
    """Flag the chips whose ``consistency_iou`` is below ``iou_min``; move their files to
    ``flagged/`` (module docstring)."""
    for chip in chips:
        if "consistency_iou" not in chip or chip["consistency_iou"] >= iou_min:
            continue  # road-free chips are not scored
        chip["flagged"] = True
        for sub, ext in _CHIP_FILES:
            source = folder / sub / f"{chip['name']}{ext}"
            if source.exists():
                (folder / FLAGGED_DIR / sub).mkdir(parents=True, exist_ok=True)
                source.rename(folder / FLAGGED_DIR / sub / source.name)


def _drop_empty_chips(chips: list[dict], ratio: float, folder: Path) -> list[dict]:
    """Keep road-free chips up to ``ratio`` x road chips (evenly spread); delete the rest."""
    with_roads = [c for c in chips if c["road_fraction"] > 0]
    empty = [c for c in chips if c["road_fraction"] == 0]
    n_keep = min(len(empty), int(round(ratio * len(with_roads))))
    keep = {id(empty[int(i)]) for i in np.linspace(0, len(empty) - 1, n_keep)} if n_keep else set()
    for chip in empty:
        if id(chip) in keep:
            continue
        for sub, ext in _CHIP_FILES:
            (folder / sub / f"{chip['name']}{ext}").unlink(missing_ok=True)
    return [c for c in chips if c["road_fraction"] > 0 or id(c) in keep]


def _check_manifest(folder: Path) -> None:
    """The set is complete when its manifest (written last) parses and lists its chips."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for chip in manifest["chips"]:
        labels = folder / FLAGGED_DIR / "labels" if chip.get("flagged") else folder / "labels"
        if not (labels / f"{chip['name']}.png").is_file():
            raise OSError(f"chip {chip['name']} is missing its label")
