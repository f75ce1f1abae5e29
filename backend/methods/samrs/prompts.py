"""SAMRS prompt modes (Sec. 2.3, Table 1) turned into SAM decoder prompts.

Six basic prompts, alone or combined as in Table 1:

    cp       CP        the box's centre as one foreground point
    hbox     H-Box     the horizontal box
    rhbox    RH-Box    the minimum enclosing horizontal box of a rotated box
    hbox_m   H-Box-M   mask prompt: the H-Box region +1000 logits, elsewhere -1000
    rbox_m   R-Box-M   mask prompt: the rotated box region
    rhbox_m  RH-Box-M  mask prompt: the RH-Box region

Mask prompts are drawn in the decoder's low-resolution frame (256 x 256 logits covering
the padded model input; a pixel is inside when its centre is inside the region). A box
prompt must be one of hbox/rhbox and a mask prompt one of the three: SAM takes one box and
one mask per prediction. ``auto`` follows the paper's finding (Sec. 2.4, 2.5): H-Box for
horizontal boxes, RH-Box for rotated ones.

An input polygon is the only box an object has, so its H-Box is its bounding box: for an
axis-aligned box that is the box itself, for a rotated box it equals its RH-Box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from rasterio import features

from backend.methods.samrs.geometry import BoxRecord

# Basic prompt names -> the paper's names.
BASIC_PROMPTS = {
    "cp": "CP",
    "hbox": "H-Box",
    "hbox_m": "H-Box-M",
    "rbox_m": "R-Box-M",
    "rhbox": "RH-Box",
    "rhbox_m": "RH-Box-M",
}
BOX_PROMPTS = ("hbox", "rhbox")
MASK_PROMPTS = ("hbox_m", "rbox_m", "rhbox_m")
AUTO = "auto"
# Logit values of mask prompts inside / outside the box region (Sec. 2.3).
MASK_INSIDE_LOGIT = 1000.0
MASK_OUTSIDE_LOGIT = -1000.0

# The combinations of Table 1, with the paper's mIoU_I / mIoU_P on HRSC2016 (SAM ViT-H).
TABLE_1 = {
    "cp": (16.14, 2.72),
    "hbox": (89.97, 79.40),
    "hbox_m": (40.54, 36.71),
    "cp+hbox": (86.67, 77.35),
    "hbox+hbox_m": (74.21, 62.25),
    "cp+hbox_m": (24.54, 5.41),
    "cp+hbox+hbox_m": (59.71, 49.30),
    "rbox_m": (65.54, 59.78),
    "cp+rbox_m": (26.49, 4.97),
    "rhbox": (88.85, 76.42),
    "rhbox_m": (34.63, 31.81),
    "cp+rhbox": (83.55, 72.67),
    "rhbox+rhbox_m": (66.23, 52.75),
    "cp+rhbox_m": (23.71, 5.10),
    "cp+rhbox+rhbox_m": (49.24, 39.03),
}
_ORDER = tuple(BASIC_PROMPTS)


def parse_prompt_mode(mode: str) -> tuple[str, ...] | str:
    """Parse a prompt mode: ``auto`` or basic prompts joined by ``+``.

    Paper spellings are accepted too (``CP+H-Box``, ``RH-Box-M``), in any order and case.

    Args:
        mode: e.g. ``"hbox"``, ``"cp+rhbox"``, ``"H-Box+H-Box-M"``, ``"auto"``.

    Returns:
        ``"auto"`` or the basic prompt names in canonical order, e.g. ``("cp", "rhbox")``.

    Raises:
        ValueError: unknown name, a repeated name, two box prompts or two mask prompts
            (the message lists the valid names and Table 1's combinations).
    """
    text = mode.strip().lower()
    if text == AUTO:
        return AUTO
    by_paper_name = {v.lower(): k for k, v in BASIC_PROMPTS.items()}
    names = []
    for part in text.split("+"):
        part = part.strip()
        name = by_paper_name.get(part, part.replace("-", "_"))
        if name not in BASIC_PROMPTS:
            raise ValueError(
                f"Unknown prompt {part!r} in {mode!r}; use 'auto' or basic prompts "
                f"{', '.join(BASIC_PROMPTS)} joined by '+' (Table 1: {', '.join(TABLE_1)})."
            )
        if name in names:
            raise ValueError(f"Prompt {name!r} appears twice in {mode!r}.")
        names.append(name)
    if sum(n in BOX_PROMPTS for n in names) > 1:
        raise ValueError(f"{mode!r} has two box prompts; SAM takes one box (hbox or rhbox).")
    if sum(n in MASK_PROMPTS for n in names) > 1:
        raise ValueError(f"{mode!r} has two mask prompts; SAM takes one mask prompt.")
    return tuple(sorted(names, key=_ORDER.index))


def prompt_label(names: tuple[str, ...]) -> str:
    """The paper's name of a combination, e.g. ``("cp", "hbox") -> "CP+H-Box"``."""
    return "+".join(BASIC_PROMPTS[n] for n in names)


def prompts_for_box(mode: tuple[str, ...] | str, box: BoxRecord) -> tuple[str, ...]:
    """The basic prompts used for one box: ``mode`` itself, or for ``auto`` H-Box
    (horizontal box) or RH-Box (rotated box)."""
    if mode == AUTO:
        return ("rhbox",) if box.rotated else ("hbox",)
    return mode


@dataclass
class PromptBatch:
    """Prompts of N boxes with the same prompt structure, in one chip's pixels.

    Attributes:
        members: positions of the boxes in the list given to :func:`build_prompt_batches`.
        labels: the paper's name of each box's prompt combination.
        points: (N, 1, 2) float32 (x, y) chip pixels of the centre points, or None.
        point_labels: (N, 1) int32 ones (foreground), or None.
        boxes: (N, 4) float32 (x0, y0, x1, y1) chip pixels, or None.
        mask_logits: (N, 1, S, S) float32 low-resolution mask prompts, or None.
    """

    members: list[int]
    labels: list[str]
    points: np.ndarray | None
    point_labels: np.ndarray | None
    boxes: np.ndarray | None
    mask_logits: np.ndarray | None


def mask_prompt(
    region_px: shapely.Geometry, low_res_per_px: tuple[float, float], size: int
) -> np.ndarray:
    """A SAMRS mask prompt: +1000 inside the region, -1000 elsewhere (Sec. 2.3).

    Args:
        region_px: the box region (a polygon) in pixels of the encoded image.
        low_res_per_px: (sx, sy) low-resolution pixels per image pixel
            (:attr:`ImageEmbedding.low_res_per_px`).
        size: side of the low-resolution frame (256 for SAM and SAM 2).

    Returns:
        (size, size) float32 logits. A region smaller than one low-resolution pixel still
        gets the pixels it touches.
    """
    sx, sy = low_res_per_px
    region = shapely.affinity.scale(region_px, xfact=sx, yfact=sy, origin=(0, 0))
    inside = features.rasterize(
        [(region, 1)], out_shape=(size, size), transform=Affine.identity(), fill=0, dtype="uint8"
    )
    if not inside.any():
        inside = features.rasterize(
            [(region, 1)], out_shape=(size, size), transform=Affine.identity(), fill=0,
            dtype="uint8", all_touched=True,
        )
    return np.where(inside > 0, MASK_INSIDE_LOGIT, MASK_OUTSIDE_LOGIT).astype(np.float32)


def build_prompt_batches(
    boxes_chip_px: list[BoxRecord],
    mode: tuple[str, ...] | str,
    low_res_per_px: tuple[float, float],
    low_res_size: int,
) -> list[PromptBatch]:
    """Group boxes by prompt structure and build their decoder prompts.

    Boxes whose prompts have the same parts (point / box / mask) go into one batch, i.e.
    one decoder call; with a fixed mode (and with ``auto``) that is every box of a chip.

    Args:
        boxes_chip_px: boxes whose ``polygon_px`` is in the chip's pixels.
        mode: from :func:`parse_prompt_mode`.
        low_res_per_px: (sx, sy) low-resolution pixels per chip pixel.
        low_res_size: side of the low-resolution frame.

    Returns:
        The batches; every box is in exactly one.
    """
    groups: dict[tuple[bool, bool, bool], list[int]] = {}
    chosen = [prompts_for_box(mode, box) for box in boxes_chip_px]
    for i, names in enumerate(chosen):
        key = (
            "cp" in names,
            any(n in BOX_PROMPTS for n in names),
            any(n in MASK_PROMPTS for n in names),
        )
        groups.setdefault(key, []).append(i)
    batches = []
    for (has_point, has_box, has_mask), members in groups.items():
        points = labels = boxes = masks = None
        if has_point:
            points = np.array(
                [[boxes_chip_px[i].centre_px] for i in members], dtype=np.float32
            )
            labels = np.ones((len(members), 1), dtype=np.int32)
        if has_box:
            # hbox and rhbox are both the box's bounds (see the module docstring).
            boxes = np.array([boxes_chip_px[i].rh_box_px for i in members], dtype=np.float32)
        if has_mask:
            masks = np.stack(
                [
                    mask_prompt(
                        _mask_region(chosen[i], boxes_chip_px[i]), low_res_per_px, low_res_size
                    )[None]
                    for i in members
                ]
            )
        batches.append(
            PromptBatch(members, [prompt_label(chosen[i]) for i in members], points, labels,
                        boxes, masks)
        )
    return batches


def _mask_region(names: tuple[str, ...], box: BoxRecord):
    if "rbox_m" in names:
        return box.polygon_px
    return shapely.box(*box.rh_box_px)  # hbox_m, rhbox_m
