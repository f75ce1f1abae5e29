"""The ``box_to_mask`` job: a raster and a layer of boxes with classes -> one polygon per box.

SAMRS pipeline (papers/samrs.txt Sec. 2.3-2.5, 3.1):

1. Boxes are read into the raster's pixel frame (reprojected from their CRS when needed);
   unusable boxes are skipped with the reason (:mod:`.geometry`).
2. Chips are planned so that each box lies whole in one chip (:mod:`.chips`); every chip is
   encoded once by the SAM-family image encoder.
3. Each box gets its SAMRS prompt (Table 1 mode; default H-Box for horizontal and RH-Box for
   rotated boxes, :mod:`.prompts`) and all boxes of a chip are decoded together in batches
   of ``decoder_batch_size`` (one call when the chip has no more boxes), single-mask output.
4. Each mask is upsampled only around its box (box + context), polygonised (largest part or
   all parts, holes kept) and moved to map coordinates: one polygon per box, carrying the
   class, the box id, SAM's predicted IoU and the prompt used.
5. Optionally: a semantic label raster (class index, 255 where no mask, Sec. 3.1), an
   instance id raster (0 = none), and a dataset export in SAMRS layout (image crops, label
   PNGs, instance PNGs, class list).

Outputs are written under temporary names and renamed when everything is done.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from PIL import Image
from pydantic import BaseModel, Field, model_validator
from rasterio.windows import Window

from backend.geo.outputs import JobOutputs, OutputPathError, check_not_input, check_output_path
from backend.geo.raster import ImageReader, open_raster
from backend.geo.windows import tile_starts
from backend.jobs.model_loading import check_weights_installed
from backend.jobs.output_checks import GpkgOutputParams, check_gpkg_output
from backend.methods.samrs.chips import Chip, plan_chips
from backend.methods.samrs.geometry import (
    BoxLayer,
    BoxRecord,
    check_box_fields,
    crs_name,
    pixel_to_map_geometry,
    raster_frame,
    read_box_frame,
    read_boxes,
)
from backend.methods.samrs.prompts import build_prompt_batches, parse_prompt_mode
from backend.methods.samrs.rasterize import (
    NO_INSTANCE,
    NO_MASK_LABEL,
    mask_to_polygon,
    rasterize_window,
)
from backend.models.registry import (
    SAM_V1_METHOD,
    SAM_V2_METHOD,
    get_weights_spec,
    sam_family_models,
)
from backend.runtime.device import resolve_device
from backend.runtime.progress import Progress, no_progress

DEFAULT_MODEL = "sam_vit_b"
LAYER_MASKS = "samrs_masks"
LAYER_CHIPS = "samrs_chips"
RASTER_SUFFIXES = (".tif", ".tiff")
# Rows/columns rasterised at a time when writing label and instance rasters.
RASTER_BLOCK_PX = 1024
# Boxes per decoder call when not chosen. Measured with SAM 2.1 Hiera-T: on a CPU the cost
# per box grows ~1.8x from batches of 4 to 8+ (the (N, 32, 256, 256) upscaling no longer
# fits the caches), while a GPU gains from large batches.
DECODER_BATCH_CPU = 4
DECODER_BATCH_GPU = 64
# At most this many skipped boxes are listed in the summary (all are counted).
MAX_SKIPPED_LISTED = 500


class BoxToMaskParams(GpkgOutputParams, BaseModel):
    """Parameters of ``box_to_mask`` (see the module docstring and docs/backend_api.md)."""

    raster_path: str = Field(description="Image (any GDAL raster; no CRS: its pixel frame).")
    boxes_path: str = Field(description="Polygon layer of boxes (axis-aligned or rotated).")
    boxes_layer: str | None = Field(None, description="Layer name in a multi-layer file.")
    class_field: str = Field("class", description="Field holding each box's class.")
    id_field: str | None = Field(None, description="Field holding box ids (default: fid).")
    output_path: str = Field(description="GeoPackage to write (.gpkg).")
    model: str = Field(DEFAULT_MODEL, description="SAM-family model id (sam_vit_b, sam2.1_...).")
    checkpoint: str | None = Field(
        None, description="Checkpoint file in the model's official format (no sha256 check)."
    )
    model_dir: str | None = Field(None, description="Folder of downloaded checkpoints.")
    device: str = Field("auto", description="auto, cpu, cuda or mps.")
    bands: list[int] | None = Field(None, description="1 or 3 band numbers (default 1,2,3).")
    prompt: str = Field(
        "auto",
        description="SAMRS Table 1 mode: auto (H-Box / RH-Box) or cp, hbox, rhbox, hbox_m, "
        "rbox_m, rhbox_m joined by '+'.",
    )
    parts: Literal["largest", "all"] = Field(
        "largest", description="Keep the largest part of each mask, or all parts."
    )
    chip_px: int | None = Field(
        None, ge=64, le=4096, description="Encoder chip side in pixels (default: the model's)."
    )
    context_px: int = Field(32, ge=0, le=512, description="Image kept around a box (px).")
    decoder_batch_size: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Boxes per decoder call (default: 4 on CPU, 64 on a GPU).",
    )
    simplify_tolerance_px: float = Field(
        0.0, ge=0, description="Polygon simplification tolerance in raster pixels (0: none)."
    )
    class_names: list[str] | None = Field(
        None, description="Classes in label-index order (default: the boxes' classes, sorted)."
    )
    label_raster_path: str | None = Field(
        None, description="Optional semantic label GeoTIFF (class index, 255 = no mask)."
    )
    instance_raster_path: str | None = Field(
        None, description="Optional instance id GeoTIFF (instance_id, 0 = none)."
    )
    dataset_dir: str | None = Field(
        None, description="Optional new folder for a SAMRS-layout dataset export."
    )
    dataset_crop_px: int = Field(1024, ge=64, le=8192, description="Dataset crop side (px).")
    dataset_keep_empty: bool = Field(False, description="Also export crops with no mask.")

    @model_validator(mode="after")
    def _chip_holds_context(self) -> BoxToMaskParams:
        """Raises ValueError when a given chip cannot hold the context on both sides (px)."""
        if self.chip_px is not None and self.chip_px <= 2 * self.context_px:
            raise ValueError(
                f"chip_px: must exceed twice context_px ({2 * self.context_px} px), got "
                f"{self.chip_px}."
            )
        return self


def validate(params: BoxToMaskParams) -> None:
    """Fail before a job starts: outputs writable, model known and installed, prompt mode,
    raster readable (a CRS is not required), box layer readable with its fields.

    Raises:
        RasterInputError, OutputPathError, BoxLayerError, ValueError: naming the problem.
    """
    inputs = (params.raster_path, params.boxes_path, params.checkpoint)
    with open_raster(params.raster_path, require_crs=False) as dataset:
        pixels = dataset.width * dataset.height
    check_gpkg_output(
        params.output_path,
        mode=params.output_mode,
        layers=(LAYER_MASKS, LAYER_CHIPS),
        inputs=inputs,
        estimate_bytes=max(2**20, pixels / 16),
    )
    outputs = [Path(params.output_path).resolve()]
    for path in (params.label_raster_path, params.instance_raster_path):
        if path:
            check_output_path(path, RASTER_SUFFIXES)
            check_not_input(path, inputs)
            outputs.append(Path(path).resolve())
    if params.dataset_dir:
        _check_dataset_dir(params.dataset_dir)
        outputs.append(Path(params.dataset_dir).resolve())
    if len(set(outputs)) != len(outputs):
        raise OutputPathError("Choose a different path for every output.")
    spec = get_weights_spec(params.model)
    if spec.method not in (SAM_V1_METHOD, SAM_V2_METHOD):
        raise ValueError(
            f"{params.model!r} is not a SAM-family model; choose one of: "
            f"{', '.join(sam_family_models())}."
        )
    check_weights_installed(spec, params.checkpoint, params.model_dir)
    resolve_device(params.device)
    parse_prompt_mode(params.prompt)
    if params.class_names is not None:
        names = [n.strip() for n in params.class_names]
        if len(set(names)) != len(names) or not all(names):
            raise ValueError("class_names must be distinct, non-empty names.")
        if len(names) > NO_MASK_LABEL:
            raise ValueError(f"At most {NO_MASK_LABEL} classes fit a label map (255 = no mask).")
    with open_raster(params.raster_path, require_crs=False) as dataset:
        ImageReader(dataset, tuple(params.bands) if params.bands else None)
    check_box_fields(
        read_box_frame(params.boxes_path, params.boxes_layer), params.class_field, params.id_field
    )


def _check_dataset_dir(path: str) -> None:
    folder = Path(path)
    if not folder.parent.is_dir():
        raise OutputPathError(f"Folder {folder.parent} does not exist; create it first.")
    if not os.access(folder.parent, os.W_OK):
        raise OutputPathError(f"Folder {folder.parent} is not writable.")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputPathError(
            f"Dataset folder {folder} exists and is not empty; choose a new or empty folder."
        )


@dataclass
class _MaskResult:
    polygon_px: object  # shapely Polygon / MultiPolygon in raster pixels
    score: float
    prompt: str
    chip_id: int


def run(params: BoxToMaskParams, report: Progress = no_progress) -> dict:
    """Run SAMRS box-to-mask (see the module docstring).

    Returns:
        ``{"outputs": {"gpkg", ["label_raster", "instance_raster", "dataset_dir"]},
        "summary": {...}}``; the summary lists skipped boxes with their reasons.

    Raises:
        RasterInputError, OutputPathError, BoxLayerError, ValueError: bad input (nothing
            written).
        JobCancelled: through ``report`` (nothing written).
    """
    # sam_family loads torch: imported when the job runs, not when the service starts.
    from backend.models.sam_family import LOW_RES_MASK_PX, load_segmenter

    validate(params)
    mode = parse_prompt_mode(params.prompt)
    device = resolve_device(params.device)
    report(1.0, "Reading the boxes")
    with open_raster(params.raster_path, require_crs=False) as dataset:
        frame = raster_frame(dataset)
        layer = read_boxes(
            params.boxes_path, frame, params.class_field, params.id_field, params.boxes_layer
        )
        classes = _class_list(layer, params.class_names)
        report(3.0, f"Loading {params.model} on {device}")
        segmenter = load_segmenter(
            params.model, device, params.checkpoint, model_dir=params.model_dir
        )
        chip_px = params.chip_px or segmenter.image_size
        chips = plan_chips(
            np.array([b.rh_box_px for b in layer.boxes]).reshape(-1, 4),
            frame.width_px,
            frame.height_px,
            chip_px,
            params.context_px,
        )
        reader = ImageReader(dataset, tuple(params.bands) if params.bands else None)
        results: dict[int, _MaskResult] = {}
        timing = {"read_s": 0.0, "encode_s": 0.0, "decode_s": 0.0, "vectorise_s": 0.0}
        for k, chip in enumerate(chips):
            _segment_chip(
                chip,
                [layer.boxes[i] for i in chip.members],
                reader,
                segmenter,
                mode,
                params,
                results,
                timing,
                LOW_RES_MASK_PX,
            )
            report(5.0 + 80.0 * (k + 1) / len(chips), f"Chip {k + 1}/{len(chips)}")

        report(86.0, "Writing the outputs")
        masked = [b for b in layer.boxes if b.index in results]
        empty = [b for b in layer.boxes if b.index not in results]
        skipped = layer.skipped + [
            {"index": b.index, "box_id": b.box_id, "reason": "SAM predicted an empty mask"}
            for b in empty
        ]
        skipped.sort(key=lambda s: s["index"])
        masks_frame = _masks_layer(masked, results, classes, frame, params)
        chips_frame = _chips_layer(chips, frame)
        outputs, n_crops = _write_outputs(
            params,
            dataset,
            frame,
            masks_frame,
            chips_frame,
            masked,
            results,
            classes,
            reader,
            report,
        )
    n_boxes = len(layer.boxes)
    total_s = sum(timing.values())
    summary = {
        "n_features": layer.n_features,
        "n_boxes_valid": n_boxes,
        "n_masks": len(masked),
        "n_empty_masks": len(empty),
        "n_skipped": len(skipped),
        "skipped": skipped[:MAX_SKIPPED_LISTED],
        "warnings": layer.warnings,
        "n_chips": len(chips),
        "n_resampled_chips": sum(c.resampled for c in chips),
        "classes": classes,
        "crs": crs_name(frame.crs_wkt),
        "georeferenced": frame.georeferenced,
        "model": params.model,
        "device": device,
        "prompt": params.prompt,
        "timing_s": {k: round(v, 3) for k, v in timing.items()},
        "n_dataset_crops": n_crops,
        "boxes_per_s": round(n_boxes / total_s, 3) if total_s > 0 else None,
    }
    return {"outputs": outputs, "summary": summary}


def _class_list(layer: BoxLayer, class_names: list[str] | None) -> list[str]:
    """Label-index order of the classes; boxes of classes not listed are skipped."""
    if class_names is None:
        if len(layer.classes) > NO_MASK_LABEL:
            raise ValueError(
                f"{len(layer.classes)} classes do not fit a label map (at most {NO_MASK_LABEL})."
            )
        return list(layer.classes)
    names = [n.strip() for n in class_names]
    kept = []
    for box in layer.boxes:
        if box.class_name in names:
            kept.append(box)
        else:
            layer.skipped.append(
                {
                    "index": box.index,
                    "box_id": box.box_id,
                    "reason": f"class {box.class_name!r} is not in class_names",
                }
            )
    for i, box in enumerate(kept):
        box.instance_id = i + 1
    layer.boxes[:] = kept
    return names


def _segment_chip(chip, boxes, reader, segmenter, mode, params, results, timing, low_res_px):
    """Encode one chip, decode its boxes in batches, polygonise the masks."""
    t0 = time.perf_counter()
    window = Window(chip.col_off, chip.row_off, chip.width, chip.height)
    image = reader.read_rgb(window, (chip.out_height, chip.out_width))
    valid = reader.read_valid_mask(window, (chip.out_height, chip.out_width))
    image[~valid] = 0
    t1 = time.perf_counter()
    embedding = segmenter.encode(image)
    t2 = time.perf_counter()
    timing["read_s"] += t1 - t0
    timing["encode_s"] += t2 - t1
    in_chip = [replace(box, polygon_px=chip.to_chip_px(box.polygon_px)) for box in boxes]
    sx, sy = chip.scale
    for batch in build_prompt_batches(in_chip, mode, embedding.low_res_per_px, low_res_px):
        step = params.decoder_batch_size or (
            DECODER_BATCH_CPU if segmenter.device == "cpu" else DECODER_BATCH_GPU
        )
        for start in range(0, len(batch.members), step):
            part = slice(start, start + step)
            t3 = time.perf_counter()
            low_res, iou = segmenter.decode_low_res(
                embedding,
                points=None if batch.points is None else batch.points[part],
                point_labels=None if batch.point_labels is None else batch.point_labels[part],
                boxes=None if batch.boxes is None else batch.boxes[part],
                mask_logits=None if batch.mask_logits is None else batch.mask_logits[part],
            )
            members = batch.members[part]
            regions = np.array(
                [_mask_region(in_chip[m], params.context_px * sx, chip) for m in members]
            ).reshape(-1, 4)
            logits = segmenter.logits_in_windows(embedding, low_res, regions)
            t4 = time.perf_counter()
            for j, m in enumerate(members):
                col0, row0 = regions[j, :2]
                polygon = mask_to_polygon(
                    logits[j] > segmenter.mask_threshold,
                    (chip.col_off + col0 / sx, chip.row_off + row0 / sy),
                    (1.0 / sx, 1.0 / sy),
                    params.parts,
                )
                if polygon is not None:
                    results[boxes[m].index] = _MaskResult(
                        polygon, float(iou[j]), batch.labels[start + j], chip.chip_id
                    )
            timing["decode_s"] += t4 - t3
            timing["vectorise_s"] += time.perf_counter() - t4


def _mask_region(box: BoxRecord, context_chip_px: float, chip: Chip) -> list[int]:
    """(col0, row0, col1, row1) chip pixels where a box's mask is kept: its box plus
    context, inside the chip."""
    x0, y0, x1, y1 = box.rh_box_px
    return [
        max(int(np.floor(x0 - context_chip_px)), 0),
        max(int(np.floor(y0 - context_chip_px)), 0),
        min(int(np.ceil(x1 + context_chip_px)), chip.out_width),
        min(int(np.ceil(y1 + context_chip_px)), chip.out_height),
    ]


def _id_column(values: list) -> np.ndarray:
    """Box ids as one column type: integers when all are, else text."""
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    return np.asarray(["" if v is None else str(v) for v in values], dtype=object)


def _masks_layer(masked, results, classes, frame, params) -> gpd.GeoDataFrame:
    index = {name: i for i, name in enumerate(classes)}
    geoms = []
    for box in masked:
        polygon = results[box.index].polygon_px
        if params.simplify_tolerance_px > 0:
            polygon = polygon.simplify(params.simplify_tolerance_px, preserve_topology=True)
        geoms.append(pixel_to_map_geometry(polygon, frame))
    data = gpd.GeoDataFrame(
        {
            "box_id": _id_column([b.box_id for b in masked]),
            "class": np.asarray([b.class_name for b in masked], dtype=object),
            "class_index": np.asarray([index[b.class_name] for b in masked], dtype=np.int64),
            "instance_id": np.asarray([b.instance_id for b in masked], dtype=np.int64),
            "score": np.asarray([results[b.index].score for b in masked], dtype=np.float64),
            "prompt": np.asarray([results[b.index].prompt for b in masked], dtype=object),
            "rotated_box": np.asarray([b.rotated for b in masked], dtype=bool),
            "chip_id": np.asarray([results[b.index].chip_id for b in masked], dtype=np.int64),
            "area_px": np.asarray(
                [results[b.index].polygon_px.area for b in masked], dtype=np.float64
            ),
        },
        geometry=geoms,
        crs=frame.crs_wkt,
    )
    data.attrs["geometry_type"] = "Polygon" if params.parts == "largest" else "MultiPolygon"
    return data


def _chips_layer(chips: list[Chip], frame) -> gpd.GeoDataFrame:
    data = gpd.GeoDataFrame(
        {
            "chip_id": np.asarray([c.chip_id for c in chips], dtype=np.int64),
            "n_boxes": np.asarray([len(c.members) for c in chips], dtype=np.int64),
            "resampled": np.asarray([c.resampled for c in chips], dtype=bool),
            "chip_px_per_raster_px": np.asarray([c.scale[0] for c in chips], dtype=np.float64),
        },
        geometry=[pixel_to_map_geometry(shapely.box(*c.bounds_px), frame) for c in chips],
        crs=frame.crs_wkt,
    )
    data.attrs["geometry_type"] = "Polygon"
    return data


def _write_outputs(
    params, dataset, frame, masks_frame, chips_frame, masked, results, classes, reader, report
) -> tuple[dict, int | None]:
    """Write every requested output under temporary names; rename all at the end.

    Returns:
        (output name -> path, number of dataset crops or None)."""
    polygons = [results[b.index].polygon_px for b in masked]
    index = {name: i for i, name in enumerate(classes)}
    labels = [index[b.class_name] for b in masked]
    instances = [b.instance_id for b in masked]
    outputs = {"gpkg": str(Path(params.output_path))}
    n_crops = None
    size = {"width": dataset.width, "height": dataset.height, "count": 1}
    with JobOutputs() as staged:
        if params.label_raster_path:
            tmp = staged.stage_geotiff(params.label_raster_path, **size)
            _write_raster(tmp, dataset, polygons, labels, NO_MASK_LABEL, "uint8")
            outputs["label_raster"] = params.label_raster_path
        if params.instance_raster_path:
            tmp = staged.stage_geotiff(params.instance_raster_path, **size)
            _write_raster(tmp, dataset, polygons, instances, NO_INSTANCE, "uint32")
            outputs["instance_raster"] = params.instance_raster_path
        if params.dataset_dir:
            tmp_dir = staged.stage_dir(params.dataset_dir, _check_dataset_written)
            n_crops = export_samrs_dataset(
                tmp_dir,
                reader,
                frame,
                polygons,
                labels,
                instances,
                classes,
                params.dataset_crop_px,
                params.dataset_keep_empty,
                Path(params.raster_path).stem,
                report,
            )
            outputs["dataset_dir"] = params.dataset_dir
        report(97.0, "Writing the GeoPackage")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*'crs' was not provided")
            staged.stage_gpkg(
                params.output_path,
                {LAYER_MASKS: masks_frame, LAYER_CHIPS: chips_frame},
                mode=params.output_mode,
            )
        staged.publish(report)
    return outputs, n_crops


def _check_dataset_written(folder: Path) -> None:
    """The dataset export is complete when its meta.json parses (it is written last)."""
    json.loads((folder / "meta.json").read_text())


def _write_raster(path, dataset, polygons, values, fill, dtype) -> None:
    """A single-band GeoTIFF on the input raster's grid (same transform and CRS)."""
    profile = {
        "driver": "GTiff",
        "width": dataset.width,
        "height": dataset.height,
        "count": 1,
        "dtype": dtype,
        "nodata": fill,
        "crs": dataset.crs,
        "transform": dataset.transform,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as out:
        for row0 in range(0, dataset.height, RASTER_BLOCK_PX):
            for col0 in range(0, dataset.width, RASTER_BLOCK_PX):
                col1 = min(col0 + RASTER_BLOCK_PX, dataset.width)
                row1 = min(row0 + RASTER_BLOCK_PX, dataset.height)
                block = rasterize_window(polygons, values, (col0, row0, col1, row1), fill, dtype)
                out.write(block, 1, window=Window(col0, row0, col1 - col0, row1 - row0))


def export_samrs_dataset(
    out_dir: Path,
    reader: ImageReader,
    frame,
    polygons_px: list,
    labels: list[int],
    instances: list[int],
    classes: list[str],
    crop_px: int,
    keep_empty: bool,
    stem: str,
    report: Progress = no_progress,
) -> int:
    """Write a segmentation dataset in the SAMRS layout (Sec. 2.5, 3.1).

    Layout::

        images/<stem>_<row>_<col>.png     RGB crops, crop_px x crop_px (padded with 0)
        labels/<stem>_<row>_<col>.png     uint8 class index per pixel, 255 = no mask
        instances/<stem>_<row>_<col>.png  uint16 instance number within the crop, 0 = none
        classes.txt                       one class name per line; line i = label i
        meta.json                         classes, ignore index, each crop's raster window
                                          and map transform

    Crops tile the raster without overlap (the last row/column is shifted back inside when
    the raster is larger than a crop). Crops without any mask are left out unless
    ``keep_empty``.

    Returns:
        The number of crops written.
    """
    for sub in ("images", "labels", "instances"):
        (out_dir / sub).mkdir()
    width, height = frame.width_px, frame.height_px
    crops = []
    windows = [
        (col0, row0)
        for row0 in tile_starts(height, crop_px, 0)
        for col0 in tile_starts(width, crop_px, 0)
    ]
    for k, (col0, row0) in enumerate(windows):
        box = (col0, row0, col0 + crop_px, row0 + crop_px)
        label = rasterize_window(polygons_px, labels, box, NO_MASK_LABEL, "uint8")
        if not keep_empty and not (label != NO_MASK_LABEL).any():
            continue
        instance = rasterize_window(polygons_px, instances, box, NO_INSTANCE, "uint32")
        ids, inverse = np.unique(instance, return_inverse=True)
        if len(ids) > 65535:
            raise ValueError("More than 65535 instances in one crop; choose a smaller crop.")
        numbered = inverse.reshape(instance.shape).astype(np.uint16)
        if ids[0] != NO_INSTANCE:
            numbered += 1
        image = reader.read_rgb(Window(col0, row0, crop_px, crop_px))
        valid = reader.read_valid_mask(Window(col0, row0, crop_px, crop_px))
        image[~valid] = 0
        name = f"{stem}_{row0}_{col0}.png"
        Image.fromarray(image).save(out_dir / "images" / name)
        Image.fromarray(label).save(out_dir / "labels" / name)
        Image.fromarray(numbered).save(out_dir / "instances" / name)
        t = frame.transform * frame.transform.translation(col0, row0)
        crops.append(
            {
                "file": name,
                "window_px": [col0, row0, crop_px, crop_px],
                "transform": list(t)[:6],
                "n_instances": int((ids != NO_INSTANCE).sum()),
            }
        )
        report(88.0 + 8.0 * (k + 1) / len(windows), f"Dataset crop {k + 1}/{len(windows)}")
    (out_dir / "classes.txt").write_text("".join(f"{name}\n" for name in classes))
    meta = {
        "layout": "SAMRS (Wang et al. 2023, Sec. 3.1)",
        "classes": classes,
        "ignore_index": NO_MASK_LABEL,
        "crop_px": crop_px,
        "crs": frame.crs_wkt,
        "georeferenced": frame.georeferenced,
        "crops": crops,
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))
    return len(crops)
