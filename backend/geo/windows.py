"""Sliding windows over rasters: overlapping tiles with weighted blending, and core tiles
with a halo for algorithms that must see past a tile's edge.

All sizes are in pixels of the grid being tiled. Tiles never extend past the raster, so a
raster smaller than one tile is one smaller tile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from rasterio.windows import Window


@dataclass(frozen=True)
class Tile:
    """A rectangle of pixels: columns [col_off, col_off + width), rows [row_off, ...)."""

    col_off: int
    row_off: int
    width: int
    height: int

    @property
    def window(self) -> Window:
        return Window(self.col_off, self.row_off, self.width, self.height)


def tile_starts(length_px: int, tile_px: int, overlap_px: int) -> list[int]:
    """Start offsets of tiles of ``tile_px`` covering [0, length_px) with at least
    ``overlap_px`` overlap; the last tile is shifted back to end exactly at ``length_px``.

    Raises:
        ValueError: non-positive sizes, or overlap_px >= tile_px.
    """
    if length_px <= 0 or tile_px <= 0:
        raise ValueError(f"Sizes must be positive (length {length_px}, tile {tile_px}).")
    if not 0 <= overlap_px < tile_px:
        raise ValueError(f"Overlap ({overlap_px} px) must be in [0, tile size {tile_px} px).")
    if length_px <= tile_px:
        return [0]
    stride = tile_px - overlap_px
    starts = list(range(0, length_px - tile_px, stride))
    starts.append(length_px - tile_px)
    return starts


def tile_grid(width_px: int, height_px: int, tile_px: int, overlap_px: int) -> list[list[Tile]]:
    """Overlapping tiles covering a raster, as rows of tiles (row-major order).

    Returns:
        A list of tile rows; every tile is at most ``tile_px`` square and inside the raster.
    """
    xs = tile_starts(width_px, tile_px, overlap_px)
    ys = tile_starts(height_px, tile_px, overlap_px)
    return [
        [Tile(x, y, min(tile_px, width_px - x), min(tile_px, height_px - y)) for x in xs]
        for y in ys
    ]


def blend_weights(height_px: int, width_px: int, ramp_px: int) -> np.ndarray:
    """Per-pixel weights of one tile for blending overlapping predictions.

    Weights rise linearly over ``ramp_px`` from each border towards the centre (separable
    product of two 1-D ramps) and never reach zero, so a pixel covered by a single tile
    still gets its prediction after normalisation by the summed weights.

    Returns:
        (height_px, width_px) float32 array in (0, 1].
    """

    def ramp(n: int) -> np.ndarray:
        idx = np.arange(n, dtype=np.float32)
        dist = np.minimum(idx, n - 1 - idx) + 1.0
        return np.minimum(dist / (ramp_px + 1.0), 1.0) if ramp_px > 0 else np.ones(n, np.float32)

    return np.outer(ramp(height_px), ramp(width_px)).astype(np.float32)


class StripBlender:
    """Blends overlapping tile predictions with bounded memory.

    Tiles must be added row of tiles by row of tiles (as :func:`tile_grid` orders them).
    Only a strip of ``tile_px`` rows by the raster width is held; rows that no later tile
    can touch are normalised by the summed weights and handed to ``write_rows``.

    Args:
        width_px, height_px: raster size.
        tile_px, overlap_px: the tiling (same as given to :func:`tile_grid`).
        channels: number of prediction channels.
        write_rows: callback ``write_rows(row_off, block)`` with block (C, rows, width_px)
            float32, called in increasing row order, covering every row exactly once.
    """

    def __init__(
        self,
        width_px: int,
        height_px: int,
        tile_px: int,
        overlap_px: int,
        channels: int,
        write_rows: Callable[[int, np.ndarray], None],
    ) -> None:
        self.width_px, self.height_px = width_px, height_px
        self.row_starts = tile_starts(height_px, tile_px, overlap_px)
        self.ramp_px = overlap_px
        strip_h = min(tile_px, height_px)
        self._values = np.zeros((channels, strip_h, width_px), np.float32)
        self._weights = np.zeros((strip_h, width_px), np.float32)
        self._strip_row0 = 0
        self._write_rows = write_rows
        self._row_index = 0

    def add(self, tile: Tile, prediction: np.ndarray) -> None:
        """Accumulate a tile's (C, tile.height, tile.width) prediction."""
        if prediction.shape[1:] != (tile.height, tile.width):
            raise ValueError(
                f"Prediction shape {prediction.shape[1:]} does not match tile "
                f"{(tile.height, tile.width)}."
            )
        weights = blend_weights(tile.height, tile.width, self.ramp_px)
        r0 = tile.row_off - self._strip_row0
        rows = slice(r0, r0 + tile.height)
        cols = slice(tile.col_off, tile.col_off + tile.width)
        self._values[:, rows, cols] += prediction * weights
        self._weights[rows, cols] += weights

    def finish_tile_row(self) -> None:
        """Flush the rows no later tile row touches and slide the strip down."""
        self._row_index += 1
        last = self._row_index >= len(self.row_starts)
        next_row0 = self.height_px if last else self.row_starts[self._row_index]
        n_done = next_row0 - self._strip_row0
        weights = np.maximum(self._weights[:n_done], np.float32(1e-12))
        self._write_rows(self._strip_row0, self._values[:, :n_done] / weights)
        # Slide the unfinished rows to the top of the strip.
        keep = self._weights.shape[0] - n_done
        self._values[:, :keep] = self._values[:, n_done:].copy()
        self._weights[:keep] = self._weights[n_done:].copy()
        self._values[:, keep:] = 0
        self._weights[keep:] = 0
        self._strip_row0 = next_row0


def blend_tiles(
    width_px: int,
    height_px: int,
    tile_px: int,
    overlap_px: int,
    channels: int,
    predict: Callable[[Tile], np.ndarray],
    write_block: Callable[[int, int, np.ndarray], None],
    on_tile: Callable[[int, int], None] | None = None,
    *,
    band_tiles: int = 8,
) -> None:
    """Run ``predict`` on every tile and stream the blended result to ``write_block``.

    Memory is bounded by the tile, not by the raster: the tile columns are processed in
    vertical bands of at most ``band_tiles`` tiles, each blended with a
    :class:`StripBlender` of one tile row by the band's width. Inside a band overlapping
    tiles are blended; between two bands the result switches at the middle of their
    overlap (both sides there come from tiles with context).

    Args:
        predict: maps a :class:`Tile` (raster pixels) to a (channels, tile.height,
            tile.width) array.
        write_block: ``write_block(col_off, row_off, block)`` with block (C, rows, cols)
            float32; every raster pixel is handed out exactly once.
        on_tile: called as ``on_tile(done, total)`` after each tile (progress, cancel).
        band_tiles: tile columns per band (>= 1); memory ~ channels x 2 x tile_px x
            band_tiles x tile_px x 4 bytes.

    Raises:
        ValueError: bad sizes (see :func:`tile_starts`) or ``band_tiles`` < 1.
    """
    if band_tiles < 1:
        raise ValueError(f"band_tiles must be >= 1, got {band_tiles}.")
    xs = tile_starts(width_px, tile_px, overlap_px)
    ys = tile_starts(height_px, tile_px, overlap_px)
    total = len(xs) * len(ys)
    bands = [xs[i : i + band_tiles] for i in range(0, len(xs), band_tiles)]
    # Column where band b hands over to band b + 1: the middle of their tiles' overlap.
    cuts = [0]
    for left, right in zip(bands[:-1], bands[1:], strict=True):
        left_end = min(left[-1] + tile_px, width_px)
        cuts.append((right[0] + left_end) // 2)
    cuts.append(width_px)
    done = 0
    for b, starts in enumerate(bands):
        x0 = starts[0]
        x1 = min(starts[-1] + tile_px, width_px)
        keep0, keep1 = cuts[b], cuts[b + 1]

        def write_rows(row_off: int, block: np.ndarray, x0=x0, keep0=keep0, keep1=keep1) -> None:
            write_block(keep0, row_off, block[:, :, keep0 - x0 : keep1 - x0])

        blender = StripBlender(x1 - x0, height_px, tile_px, overlap_px, channels, write_rows)
        for y in ys:
            for x in starts:
                tile = Tile(x, y, min(tile_px, width_px - x), min(tile_px, height_px - y))
                local = Tile(x - x0, y, tile.width, tile.height)
                blender.add(local, predict(tile))
                done += 1
                if on_tile is not None:
                    on_tile(done, total)
            blender.finish_tile_row()


@dataclass(frozen=True)
class CoreTile:
    """A tile's own pixels (``core``) and the larger region to read (``read``: core plus a
    halo, clipped to the raster). Cores partition the raster exactly."""

    core: Tile
    read: Tile

    def core_slices(self) -> tuple[slice, slice]:
        """(rows, cols) slices that cut the core out of an array read over ``read``."""
        r0 = self.core.row_off - self.read.row_off
        c0 = self.core.col_off - self.read.col_off
        return slice(r0, r0 + self.core.height), slice(c0, c0 + self.core.width)


def core_tiles(width_px: int, height_px: int, core_px: int, halo_px: int) -> Iterator[CoreTile]:
    """Non-overlapping core tiles in row-major order, each with a halo of ``halo_px``."""
    if core_px <= 0 or halo_px < 0:
        raise ValueError(f"core_px must be positive and halo_px >= 0 ({core_px}, {halo_px}).")
    for y in range(0, height_px, core_px):
        for x in range(0, width_px, core_px):
            core = Tile(x, y, min(core_px, width_px - x), min(core_px, height_px - y))
            x0, y0 = max(0, x - halo_px), max(0, y - halo_px)
            x1 = min(width_px, x + core.width + halo_px)
            y1 = min(height_px, y + core.height + halo_px)
            yield CoreTile(core, Tile(x0, y0, x1 - x0, y1 - y0))
