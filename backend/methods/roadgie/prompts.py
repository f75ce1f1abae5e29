"""Prompt maps of the road model: clicks as small disks, scribbles as lines (RoadGIE Sec. B.8).

Frame: continuous pixel coordinates of the map being drawn, x = column, y = row, origin at
the top-left corner of the top-left pixel; pixel ``(c, r)`` covers ``[c, c+1) x [r, r+1)``
and is "inside" a disk or line when its centre ``(c + 0.5, r + 0.5)`` is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

CLICK_RADIUS_PX = 3.0
SCRIBBLE_WIDTH_PX = 3.0


@dataclass(frozen=True)
class Scribble:
    """A polyline prompt.

    Attributes:
        points_xy_px: ``(M, 2)`` float array of (x, y) vertices, M >= 1 (one vertex = a dot).
        label: 1 positive (road), 0 negative (not road).
    """

    points_xy_px: np.ndarray
    label: int


def draw_disk(canvas: np.ndarray, x: float, y: float, radius_px: float, value: float = 1.0) -> None:
    """Set to ``value`` the pixels of ``canvas`` ``(H, W)`` whose centres lie within
    ``radius_px`` of ``(x, y)``; at least the pixel holding the point is set when it is
    inside the map."""
    h, w = canvas.shape
    r = max(float(radius_px), 0.0)
    c0, c1 = max(int(np.floor(x - r - 0.5)), 0), min(int(np.ceil(x + r + 0.5)), w)
    r0, r1 = max(int(np.floor(y - r - 0.5)), 0), min(int(np.ceil(y + r + 0.5)), h)
    if c0 < c1 and r0 < r1:
        cy, cx = np.mgrid[r0:r1, c0:c1]
        inside = (cx + 0.5 - x) ** 2 + (cy + 0.5 - y) ** 2 <= r * r
        canvas[r0:r1, c0:c1][inside] = value
    ci, ri = int(np.floor(x)), int(np.floor(y))
    if 0 <= ci < w and 0 <= ri < h:
        canvas[ri, ci] = value


def draw_polyline(
    canvas: np.ndarray, points_xy_px: np.ndarray, width_px: float, value: float = 1.0
) -> None:
    """Set to ``value`` the pixels of ``canvas`` ``(H, W)`` whose centres lie within
    ``width_px / 2`` of the polyline ``(M, 2)`` (x, y); every vertex also gets its pixel
    (see :func:`draw_disk`)."""
    pts = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    half = max(float(width_px) / 2.0, 0.5)
    h, w = canvas.shape
    for x, y in pts:
        draw_disk(canvas, float(x), float(y), half, value)
    for (xa, ya), (xb, yb) in zip(pts[:-1], pts[1:], strict=False):
        c0 = max(int(np.floor(min(xa, xb) - half - 0.5)), 0)
        c1 = min(int(np.ceil(max(xa, xb) + half + 0.5)), w)
        r0 = max(int(np.floor(min(ya, yb) - half - 0.5)), 0)
        r1 = min(int(np.ceil(max(ya, yb) + half + 0.5)), h)
        if c0 >= c1 or r0 >= r1:
            continue
        cy, cx = np.mgrid[r0:r1, c0:c1]
        px, py = cx + 0.5 - xa, cy + 0.5 - ya
        dx, dy = xb - xa, yb - ya
        seg2 = dx * dx + dy * dy
        t = np.clip((px * dx + py * dy) / seg2, 0.0, 1.0) if seg2 > 0 else np.zeros_like(px)
        d2 = (px - t * dx) ** 2 + (py - t * dy) ** 2
        canvas[r0:r1, c0:c1][d2 <= half * half] = value


def rasterize_prompts(
    shape_hw: tuple[int, int],
    points_xy_px: np.ndarray | Sequence[Sequence[float]] = (),
    point_labels: np.ndarray | Sequence[int] = (),
    scribbles: Iterable[Scribble] = (),
    click_radius_px: float = CLICK_RADIUS_PX,
    scribble_width_px: float = SCRIBBLE_WIDTH_PX,
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative prompt maps (RoadGIE input channels 4 and 5).

    Args:
        shape_hw: ``(H, W)`` of the maps in pixels.
        points_xy_px: ``(N, 2)`` click positions (x, y) in the map's pixel frame.
        point_labels: ``(N,)`` 1 positive, 0 negative.
        scribbles: polylines with their labels.
        click_radius_px: disk radius of a click, pixels.
        scribble_width_px: line width of a scribble, pixels.

    Returns:
        ``(pos, neg)``: two ``(H, W)`` float32 maps with values 0 or 1. Prompts partly or
        wholly outside the map are clipped.

    Raises:
        ValueError: labels not 0/1, or points and labels of different lengths.
    """
    h, w = int(shape_hw[0]), int(shape_hw[1])
    maps = (np.zeros((h, w), np.float32), np.zeros((h, w), np.float32))  # neg, pos by label
    pts = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(point_labels, dtype=np.int64).reshape(-1)
    if len(pts) != len(labels):
        raise ValueError(f"{len(pts)} points but {len(labels)} labels")
    if np.any((labels != 0) & (labels != 1)):
        raise ValueError(f"point labels must be 0 or 1, got {sorted(set(labels.tolist()))}")
    for (x, y), lab in zip(pts, labels, strict=True):
        draw_disk(maps[int(lab)], float(x), float(y), click_radius_px)
    for s in scribbles:
        if s.label not in (0, 1):
            raise ValueError(f"scribble labels must be 0 or 1, got {s.label}")
        draw_polyline(maps[int(s.label)], s.points_xy_px, scribble_width_px)
    return maps[1], maps[0]


def prompt_label_map(
    shape_hw: tuple[int, int],
    points_xy_px: np.ndarray | Sequence[Sequence[float]] = (),
    point_labels: np.ndarray | Sequence[int] = (),
    scribbles: Iterable[Scribble] = (),
    click_radius_px: float = CLICK_RADIUS_PX,
    scribble_width_px: float = SCRIBBLE_WIDTH_PX,
) -> np.ndarray:
    """The label every prompt asks for, per pixel: the hard click constraint's map.

    The same disks and lines as :func:`rasterize_prompts`. Where prompts overlap, the later
    one wins: scribbles in their order first, then clicks in their order (a click is the
    more precise statement), so each click's own pixel carries that click's label unless a
    later click was put on the very same pixel.

    Args:
        shape_hw: ``(H, W)`` of the map in pixels.
        points_xy_px: ``(N, 2)`` (x, y) click positions in the map's pixel frame.
        point_labels: ``(N,)`` 1 positive, 0 negative.
        scribbles: polylines with their labels.
        click_radius_px: disk radius of a click, pixels.
        scribble_width_px: line width of a scribble, pixels.

    Returns:
        ``(H, W)`` int8: 1 = must be road, 0 = must be background, -1 = free.
    """
    h, w = int(shape_hw[0]), int(shape_hw[1])
    out = np.full((h, w), -1, np.int8)
    pts = np.asarray(points_xy_px, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(point_labels, dtype=np.int64).reshape(-1)
    for s in scribbles:
        draw_polyline(out, s.points_xy_px, scribble_width_px, int(s.label))
    for (x, y), lab in zip(pts, labels, strict=True):
        draw_disk(out, float(x), float(y), click_radius_px, int(lab))
    return out


def apply_prompt_constraint(
    prob: np.ndarray, label_map: np.ndarray, threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Enforce the prompts on a network output: a hard constraint on top of the network.

    RoadGIE (Sec. B.8) treats the prompts as inputs only; a user, though, expects a positive
    click's pixel to be road and a negative one's to be background. Pixels that a prompt
    covers (:func:`prompt_label_map`) get probability 1 (positive) or 0 (negative), whatever
    the network said; all other pixels keep the network's value. A positive click therefore
    always leaves at least its disk marked road.

    Args:
        prob: ``(H, W)`` float road probability in [0, 1].
        label_map: ``(H, W)`` int8 from :func:`prompt_label_map` (same frame).
        threshold: mask threshold (values above 1 are treated as 1).

    Returns:
        ``(prob, mask)``: the constrained float32 probability (a copy) and its ``(H, W)`` bool
        mask ``prob >= threshold`` with the prompt pixels set exactly.
    """
    prob = np.array(prob, dtype=np.float32, copy=True)
    prob[label_map == 1], prob[label_map == 0] = 1.0, 0.0
    return prob, enforce_prompts(prob >= min(float(threshold), 1.0), label_map)


def enforce_prompts(mask: np.ndarray, label_map: np.ndarray) -> np.ndarray:
    """A copy of the ``(H, W)`` bool ``mask`` with the pixels of ``label_map`` (same frame,
    :func:`prompt_label_map`) set to their prompt's label: 1 road, 0 background."""
    mask = np.array(mask, dtype=bool, copy=True)
    mask[label_map == 1], mask[label_map == 0] = True, False
    return mask
