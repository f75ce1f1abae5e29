"""Chip planning: which image windows are encoded and which boxes each one decodes.

The image encoder is the expensive part of SAM (seconds per 1024 px chip on a CPU), the
decoder is cheap and batched. So every chip is encoded once and all of its boxes are
decoded from that one embedding (SAMRS Sec. 2.5 crops DOTA to 1024 px tiles the same way).

Rules:
    * A box always lies whole inside its chip, with ``context_px`` of image around it where
      the raster allows: boxes near the border of one chip get a chip that contains them.
    * Chips are placed greedily where boxes are (sweep in reading order: the top-left
      unassigned box anchors a chip, every unassigned box that fits goes with it), so empty
      parts of a large raster are never read or encoded.
    * A box (with its context) larger than a chip gets its own chip around it, resampled to
      ``chip_px``: the model then sees the whole object at a coarser resolution.

Frames: windows are in raster pixels (col, row); a chip's pixels relate to raster pixels by
``raster = window_origin + chip / scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Chip:
    """One encoded window.

    Attributes:
        chip_id: running number.
        col_off, row_off: upper-left corner of the window, raster pixels.
        width, height: window size, raster pixels.
        out_width, out_height: size of the chip image given to the encoder, chip pixels.
        members: indices of the boxes (into the planner's input) decoded on this chip.
        resampled: True for a chip made for one box larger than a chip.
    """

    chip_id: int
    col_off: int
    row_off: int
    width: int
    height: int
    out_width: int
    out_height: int
    members: tuple[int, ...]
    resampled: bool = False

    @property
    def scale(self) -> tuple[float, float]:
        """(sx, sy) chip pixels per raster pixel (1 for normal chips)."""
        return self.out_width / self.width, self.out_height / self.height

    def to_chip_px(self, geometry):
        """A shapely geometry from raster pixels to this chip's pixels."""
        sx, sy = self.scale
        return shapely.affinity.affine_transform(
            geometry, (sx, 0.0, 0.0, sy, -self.col_off * sx, -self.row_off * sy)
        )

    def to_raster_px(self, geometry):
        """A shapely geometry from this chip's pixels to raster pixels."""
        sx, sy = self.scale
        return shapely.affinity.affine_transform(
            geometry, (1.0 / sx, 0.0, 0.0, 1.0 / sy, self.col_off, self.row_off)
        )

    @property
    def bounds_px(self) -> tuple[int, int, int, int]:
        """(col0, row0, col1, row1) of the window in raster pixels, end-exclusive."""
        return self.col_off, self.row_off, self.col_off + self.width, self.row_off + self.height


def plan_chips(
    boxes_xyxy_px: np.ndarray,
    raster_width_px: int,
    raster_height_px: int,
    chip_px: int = 1024,
    context_px: int = 32,
) -> list[Chip]:
    """Assign every box to one chip (see the module docstring for the rules).

    Args:
        boxes_xyxy_px: (N, 4) float (x0, y0, x1, y1) raster pixels of each box's enclosing
            horizontal box, inside the raster.
        raster_width_px, raster_height_px: raster size.
        chip_px: side of an encoder chip (the model's input size, 1024 for SAM).
        context_px: image kept around a box inside its chip, raster pixels.

    Returns:
        Chips in processing order; each box index appears in exactly one chip.

    Raises:
        ValueError: chip_px smaller than 2 * context_px + 1.
    """
    if chip_px <= 2 * context_px:
        raise ValueError(f"chip_px ({chip_px}) must exceed twice context_px ({context_px}).")
    boxes = np.asarray(boxes_xyxy_px, dtype=np.float64).reshape(-1, 4)
    width, height = int(raster_width_px), int(raster_height_px)
    chip_w, chip_h = min(chip_px, width), min(chip_px, height)
    # Context actually available around each box (the raster edge cuts it).
    need = np.column_stack(
        (
            np.maximum(np.floor(boxes[:, 0]) - context_px, 0),
            np.maximum(np.floor(boxes[:, 1]) - context_px, 0),
            np.minimum(np.ceil(boxes[:, 2]) + context_px, width),
            np.minimum(np.ceil(boxes[:, 3]) + context_px, height),
        )
    )
    fits = ((need[:, 2] - need[:, 0]) <= chip_w) & ((need[:, 3] - need[:, 1]) <= chip_h)
    chips: list[Chip] = []
    unassigned = np.zeros(len(boxes), bool)
    unassigned[fits] = True
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))  # rows first, then columns
    for anchor in order:
        if not unassigned[anchor]:
            continue
        col0 = int(min(max(need[anchor, 0], 0), width - chip_w))
        row0 = int(min(max(need[anchor, 1], 0), height - chip_h))
        inside = (
            unassigned
            & (need[:, 0] >= col0)
            & (need[:, 1] >= row0)
            & (need[:, 2] <= col0 + chip_w)
            & (need[:, 3] <= row0 + chip_h)
        )
        members = tuple(int(i) for i in np.flatnonzero(inside))
        unassigned[inside] = False
        chips.append(Chip(len(chips), col0, row0, chip_w, chip_h, chip_w, chip_h, members))
    for i in np.flatnonzero(~fits):
        chips.append(_resampled_chip(len(chips), int(i), boxes[i], width, height, chip_px,
                                     context_px))
    return chips


def _resampled_chip(chip_id, index, box, width, height, chip_px, context_px) -> Chip:
    """A chip around one large box, its side shrunk to chip_px (context scaled alike)."""
    side = max(box[2] - box[0], box[3] - box[1])
    # Keep the same share of context as a normal chip would give: context grows with the box.
    margin = context_px * side / max(chip_px - 2 * context_px, 1)
    col0 = max(int(math.floor(box[0] - margin)), 0)
    row0 = max(int(math.floor(box[1] - margin)), 0)
    col1 = min(int(math.ceil(box[2] + margin)), width)
    row1 = min(int(math.ceil(box[3] + margin)), height)
    w, h = col1 - col0, row1 - row0
    factor = chip_px / max(w, h)
    out_w, out_h = max(1, round(w * factor)), max(1, round(h * factor))
    return Chip(chip_id, col0, row0, w, h, out_w, out_h, (index,), resampled=True)
