"""Simulated user interaction for training and validation (RoadGIE Sec. B.4, Table 12).

Each new prompt goes into an error region of the current prediction: a false-negative region
(road missed) gets a positive prompt, a false-positive region (road hallucinated) a negative
one. The region is the largest connected error component; the click is placed far from its
border (maximum of the distance transform, as a user clicks in the middle of a mistake), a
scribble follows the component's skeleton.

Frame: ``(x, y)`` pixel coordinates, x = column, y = row, corner origin; a pixel's centre is
``(c + 0.5, r + 0.5)``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class SimulatedPrompt:
    """One simulated prompt.

    Attributes:
        label: 1 positive (in a false-negative region), 0 negative (false positive).
        points_xy_px: ``(M, 2)`` (x, y) pixel-centre coordinates; M = 1 for a click, more
            for a scribble (ordered along the skeleton).
        region_area_px: area of the error component it was placed in, pixels.
    """

    label: int
    points_xy_px: np.ndarray
    region_area_px: int

    @property
    def is_click(self) -> bool:
        return len(self.points_xy_px) == 1


def error_regions(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(false_negative, false_positive)`` boolean maps of two ``(H, W)`` masks."""
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    return gt & ~pred, pred & ~gt


def next_error_prompt(
    pred: np.ndarray,
    gt: np.ndarray,
    rng: np.random.Generator | None = None,
    *,
    valid: np.ndarray | None = None,
    scribble_prob: float = 0.0,
    min_area_px: int = 4,
    max_scribble_px: int = 48,
    random_position: bool = False,
) -> SimulatedPrompt | None:
    """The next prompt a user would give, placed in the largest error component.

    Args:
        pred: ``(H, W)`` bool current prediction.
        gt: ``(H, W)`` bool ground truth.
        rng: random generator (scribble choice, tie breaks, random positions); None =
            deterministic (clicks at the distance-transform maximum).
        valid: ``(H, W)`` bool, errors outside it are ignored (padding, no-data); None = all.
        scribble_prob: probability of a scribble instead of a click.
        min_area_px: components smaller than this are not worth a prompt.
        max_scribble_px: longest scribble, in skeleton pixels.
        random_position: draw the click among pixels whose distance to the component
            border is at least half the maximum, instead of the maximum itself.

    Returns:
        The prompt, or None when no error component reaches ``min_area_px``.
    """
    fn, fp = error_regions(pred, gt)
    if valid is not None:
        fn, fp = fn & valid, fp & valid
    best = None
    for label, err in ((1, fn), (0, fp)):
        if not err.any():
            continue
        lab, n = ndimage.label(err, structure=_EIGHT)
        areas = np.bincount(lab.ravel(), minlength=n + 1)
        areas[0] = 0
        k = int(np.argmax(areas))
        if areas[k] >= min_area_px and (best is None or areas[k] > best[0]):
            best = (int(areas[k]), label, lab == k)
    if best is None:
        return None
    area, label, comp = best
    # Distance to the component border; the map edge counts as border (users click inside).
    dist = ndimage.distance_transform_edt(np.pad(comp, 1))[1:-1, 1:-1]
    if rng is not None and scribble_prob > 0 and rng.random() < scribble_prob:
        path = _skeleton_path(comp, rng, max_scribble_px)
        if path is not None and len(path) >= 2:
            return SimulatedPrompt(label, path + 0.5, area)
    if random_position and rng is not None:
        ys, xs = np.nonzero(dist >= 0.5 * dist.max())
        i = int(rng.integers(len(ys)))
        y, x = ys[i], xs[i]
    else:
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return SimulatedPrompt(label, np.array([[x + 0.5, y + 0.5]]), area)


def _skeleton_path(
    comp: np.ndarray, rng: np.random.Generator, max_len_px: int
) -> np.ndarray | None:
    """An ordered (x, y) pixel path along the skeleton of ``comp`` (corner frame, no +0.5)."""
    skel = skeletonize(comp)
    ys, xs = np.nonzero(skel)
    if len(ys) < 2:
        return None
    index = {(int(y), int(x)): i for i, (y, x) in enumerate(zip(ys, xs, strict=True))}
    start = int(rng.integers(len(ys)))
    parent = {start: -1}
    depth = {start: 0}
    queue = deque([start])
    far = start
    while queue:
        i = queue.popleft()
        if depth[i] > depth[far]:
            far = i
        if depth[i] >= max_len_px:
            continue
        y, x = int(ys[i]), int(xs[i])
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                j = index.get((y + dy, x + dx))
                if j is not None and j not in parent:
                    parent[j] = i
                    depth[j] = depth[i] + 1
                    queue.append(j)
    path = []
    i = far
    while i != -1:
        path.append((float(xs[i]), float(ys[i])))
        i = parent[i]
    return np.asarray(path[::-1])
