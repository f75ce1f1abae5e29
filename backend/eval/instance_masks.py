"""mIoU_I and mIoU_P of predicted instance masks against ground-truth instance masks
(SAMRS Eq. 1, Sec. 2.4); the ``evaluate_instance_masks`` job (``backend/jobs/``) runs them.

    mIoU_I = (1/N) sum_i I_i / U_i        mIoU_P = sum_i I_i / sum_i U_i

over the N ground-truth instances, I_i and U_i being the pixel counts of the intersection
and union of instance i's true mask and the predicted mask matched to it. An instance with
no matched prediction counts with I_i = 0 (U_i = its area). Predictions matched to no
instance are reported separately (they are not instances of Eq. 1).

Ground truth: an instance-id raster on the image's grid, either one integer band (id per
pixel) or an RGB iSAID ``*_instance_id_RGB.png`` (id = R + 256 G + 65536 B); 0 = background.
Predictions: polygons (any OGR format) in the image's CRS (the image's pixel frame
x = column, y = -row when it has no geotransform), rasterised on the image grid (a pixel
belongs to a polygon when its centre is inside).

Matching: ``id`` pairs a prediction with the instance whose id equals its id field (boxes
derived from the ground truth carry it); ``iou`` pairs predictions and instances greedily
by decreasing IoU, one to one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio import features
from rasterio.windows import Window

# Rows of the ground-truth raster read at a time when scanning it.
SCAN_ROWS = 512


def miou(intersections: np.ndarray, unions: np.ndarray) -> tuple[float, float]:
    """SAMRS Eq. 1.

    Args:
        intersections: (N,) pixel counts I_i.
        unions: (N,) pixel counts U_i (> 0).

    Returns:
        (mIoU_I, mIoU_P), each in 0..1; (nan, nan) for N = 0.

    Raises:
        ValueError: shapes differ, or a union is not positive or smaller than its
            intersection.
    """
    inter = np.asarray(intersections, dtype=np.float64)
    union = np.asarray(unions, dtype=np.float64)
    if inter.shape != union.shape:
        raise ValueError(f"{inter.shape} intersections vs {union.shape} unions")
    if inter.size == 0:
        return float("nan"), float("nan")
    if np.any(union <= 0) or np.any(inter > union) or np.any(inter < 0):
        raise ValueError("every union must be > 0 and >= its intersection >= 0")
    return float(np.mean(inter / union)), float(inter.sum() / union.sum())


def read_instance_ids(dataset, window: Window | None = None) -> np.ndarray:
    """Instance ids of a window of an instance raster (1 band: ids; 3+ bands: iSAID RGB).

    Returns:
        (H, W) int64 array, 0 = background.
    """
    if dataset.count >= 3:
        rgb = dataset.read((1, 2, 3), window=window, boundless=window is not None, fill_value=0)
        rgb = rgb.astype(np.int64)
        return rgb[0] + 256 * rgb[1] + 65536 * rgb[2]
    return dataset.read(1, window=window, boundless=window is not None, fill_value=0).astype(
        np.int64
    )


@dataclass
class InstanceStats:
    """Pixel count and bounding window of every ground-truth instance.

    Attributes:
        ids: (N,) int64 instance ids, sorted.
        areas: (N,) int64 pixel counts.
        windows: (N, 4) int64 (col0, row0, col1, row1), end-exclusive.
    """

    ids: np.ndarray
    areas: np.ndarray
    windows: np.ndarray


def scan_instances(dataset) -> InstanceStats:
    """One pass over an instance raster in strips of :data:`SCAN_ROWS` rows."""
    found: dict[int, list[int]] = {}
    for row0 in range(0, dataset.height, SCAN_ROWS):
        rows = min(SCAN_ROWS, dataset.height - row0)
        ids = read_instance_ids(dataset, Window(0, row0, dataset.width, rows))
        r, c = np.nonzero(ids)
        if r.size == 0:
            continue
        values = ids[r, c]
        order = np.argsort(values, kind="stable")
        values, r, c = values[order], r[order] + row0, c[order]
        unique, starts = np.unique(values, return_index=True)
        ends = np.append(starts[1:], len(values))
        for v, s, e in zip(unique.tolist(), starts.tolist(), ends.tolist(), strict=True):
            cc, rr = c[s:e], r[s:e]
            box = [e - s, int(cc.min()), int(rr.min()), int(cc.max()) + 1, int(rr.max()) + 1]
            if v in found:
                old = found[v]
                found[v] = [
                    old[0] + box[0],
                    min(old[1], box[1]),
                    min(old[2], box[2]),
                    max(old[3], box[3]),
                    max(old[4], box[4]),
                ]
            else:
                found[v] = box
    keys = sorted(found)
    table = np.array([found[k] for k in keys], dtype=np.int64).reshape(-1, 5)
    return InstanceStats(np.asarray(keys, dtype=np.int64), table[:, 0], table[:, 1:])


def _overlaps(prediction_px, gt_dataset, width: int, height: int):
    """(area, {gt id: intersection}) of one prediction rasterised on the ground-truth grid."""
    x0, y0, x1, y1 = prediction_px.bounds
    col0, row0 = max(int(np.floor(x0)), 0), max(int(np.floor(y0)), 0)
    col1, row1 = min(int(np.ceil(x1)), width), min(int(np.ceil(y1)), height)
    if col1 <= col0 or row1 <= row0:
        return 0, {}
    mask = features.rasterize(
        [(prediction_px, 1)],
        out_shape=(row1 - row0, col1 - col0),
        transform=Affine.translation(col0, row0),
        fill=0,
        dtype="uint8",
    ).astype(bool)
    ids = read_instance_ids(gt_dataset, Window(col0, row0, col1 - col0, row1 - row0))[mask]
    values, counts = np.unique(ids[ids != 0], return_counts=True)
    return int(mask.sum()), dict(zip(values.tolist(), counts.tolist(), strict=True))


def evaluate_instance_masks(
    predictions_px: list,
    prediction_ids: list | None,
    gt_dataset,
    match: str = "iou",
) -> dict:
    """Match predictions to ground-truth instances and compute Eq. 1.

    Args:
        predictions_px: shapely polygons in the ground-truth raster's pixels.
        prediction_ids: the id of each prediction (``match="id"``), else None.
        gt_dataset: open rasterio dataset of the instance-id raster.
        match: ``"id"`` or ``"iou"`` (see the module docstring).

    Returns:
        ``{"miou_i", "miou_p", "n_instances", "n_predictions", "n_matched",
        "n_unmatched_instances", "n_unmatched_predictions", "instances": [{"gt_id", "area_px",
        "intersection_px", "union_px", "iou", "prediction"}]}``.

    Raises:
        ValueError: unknown match, ``id`` matching without ids, or no instances.
    """
    if match not in ("id", "iou"):
        raise ValueError(f"match must be 'id' or 'iou', got {match!r}")
    stats = scan_instances(gt_dataset)
    if len(stats.ids) == 0:
        raise ValueError("The ground-truth raster holds no instance (all pixels are 0).")
    area = dict(zip(stats.ids.tolist(), stats.areas.tolist(), strict=True))
    width, height = gt_dataset.width, gt_dataset.height
    overlaps = [_overlaps(p, gt_dataset, width, height) for p in predictions_px]
    assigned: dict[int, tuple[int, int, int]] = {}  # gt id -> (prediction, area, inter)
    if match == "id":
        if prediction_ids is None:
            raise ValueError("match='id' needs the predictions' ids")
        for k, (pid, (p_area, inter)) in enumerate(zip(prediction_ids, overlaps, strict=True)):
            try:
                gt_id = int(pid)
            except (TypeError, ValueError):
                continue
            if gt_id in area and gt_id not in assigned:
                assigned[gt_id] = (k, p_area, inter.get(gt_id, 0))
    else:
        pairs = []
        for k, (p_area, inter) in enumerate(overlaps):
            for gt_id, i in inter.items():
                pairs.append((i / (p_area + area[gt_id] - i), k, gt_id, p_area, i))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        used = set()
        for _, k, gt_id, p_area, i in pairs:
            if k in used or gt_id in assigned:
                continue
            used.add(k)
            assigned[gt_id] = (k, p_area, i)
    rows = []
    for gt_id in stats.ids.tolist():
        gt_area = area[gt_id]
        k, p_area, inter = assigned.get(gt_id, (None, 0, 0))
        union = gt_area + p_area - inter
        rows.append(
            {
                "gt_id": gt_id,
                "area_px": gt_area,
                "intersection_px": inter,
                "union_px": union,
                "iou": inter / union,
                "prediction": k,
            }
        )
    miou_i, miou_p = miou([r["intersection_px"] for r in rows], [r["union_px"] for r in rows])
    return {
        "miou_i": miou_i,
        "miou_p": miou_p,
        "n_instances": len(rows),
        "n_predictions": len(predictions_px),
        "n_matched": len(assigned),
        "n_unmatched_instances": len(rows) - len(assigned),
        "n_unmatched_predictions": len(predictions_px) - len(assigned),
        "instances": rows,
    }
