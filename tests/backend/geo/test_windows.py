import numpy as np
import pytest

from backend.geo.windows import blend_tiles, blend_weights, core_tiles, tile_grid, tile_starts


@pytest.mark.parametrize(
    "length,tile,overlap", [(1, 64, 8), (64, 64, 8), (65, 64, 8), (1000, 256, 64), (1023, 100, 99)]
)
def test_tile_starts_cover_the_axis(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    covered = np.zeros(length, int)
    for s in starts:
        covered[s : s + tile] += 1
    assert covered.min() >= 1
    assert starts[-1] + min(tile, length) == length
    # consecutive tiles overlap by at least the requested amount
    assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:], strict=False))


def test_tile_starts_rejects_overlap_not_smaller_than_tile():
    with pytest.raises(ValueError, match="Overlap"):
        tile_starts(100, 32, 32)


def _blend(width, height, tile, overlap, predict, channels=1, band_tiles=8):
    out = np.full((channels, height, width), np.nan, np.float32)
    written = np.zeros((height, width), int)
    rows_written = []

    def write_block(col_off, row_off, block):
        if col_off == 0:
            rows_written.append((row_off, block.shape[1]))
        rows, cols = (
            slice(row_off, row_off + block.shape[1]),
            slice(col_off, col_off + block.shape[2]),
        )
        out[:, rows, cols] = block
        written[rows, cols] += 1

    blend_tiles(width, height, tile, overlap, channels, predict, write_block, band_tiles=band_tiles)
    assert (written == 1).all()  # every pixel handed out exactly once
    return out, rows_written


@pytest.mark.parametrize(
    "width,height,tile,overlap", [(300, 211, 64, 16), (50, 40, 64, 8), (257, 513, 128, 100)]
)
def test_blending_covers_every_pixel_exactly_once(width, height, tile, overlap):
    # Constant predictions blend to exactly that constant: weights sum to one everywhere.
    out, rows = _blend(
        width, height, tile, overlap, lambda t: np.ones((1, t.height, t.width), np.float32)
    )
    np.testing.assert_allclose(out, 1.0, rtol=0, atol=1e-6)
    # Rows are handed out once each, in order, covering the raster.
    starts = [r for r, _ in rows]
    assert starts == sorted(starts) and starts[0] == 0
    assert sum(n for _, n in rows) == height


def test_blending_reproduces_the_raster_without_seams():
    rng = np.random.default_rng(1)
    raster = rng.random((2, 190, 333)).astype(np.float32)

    def predict(t):
        return raster[:, t.row_off : t.row_off + t.height, t.col_off : t.col_off + t.width]

    out, _ = _blend(333, 190, 64, 24, predict, channels=2)
    np.testing.assert_allclose(out, raster, atol=1e-5)


@pytest.mark.parametrize("band_tiles", [1, 2, 3])
def test_bands_bound_memory_and_match_the_full_width_blend(band_tiles):
    # 333 px wide in 64 px tiles (overlap 24): 8 tile columns, so 1-3 tiles per band split
    # the raster into 8/4/3 bands. Constant and smooth predictions come out exactly as the
    # single-band blend; only the columns around a hand-over may differ for rough ones.
    rng = np.random.default_rng(2)
    raster = rng.random((1, 190, 333)).astype(np.float32)

    def predict(t):
        return raster[:, t.row_off : t.row_off + t.height, t.col_off : t.col_off + t.width]

    out, _ = _blend(333, 190, 64, 24, predict, band_tiles=band_tiles)
    np.testing.assert_allclose(out, raster, atol=1e-5)
    ones, _ = _blend(
        333,
        190,
        64,
        24,
        lambda t: np.ones((1, t.height, t.width), np.float32),
        band_tiles=band_tiles,
    )
    np.testing.assert_allclose(ones, 1.0, atol=1e-6)


def test_strip_memory_does_not_grow_with_the_raster_width():
    # A 200,000 px wide, 8 px high raster in 8 px tiles: the widest block handed out is
    # one band (8 tiles), not the raster width; together the blocks cover the raster once.
    blocks = []

    def write_block(col_off, row_off, block):
        blocks.append(block.shape[1:])

    blend_tiles(
        200_000, 8, 8, 2, 1, lambda t: np.zeros((1, t.height, t.width), np.float32), write_block
    )
    assert max(w for _, w in blocks) <= 8 * 8
    assert sum(h * w for h, w in blocks) == 8 * 200_000


def test_blend_weights_are_positive_and_peak_in_the_middle():
    w = blend_weights(32, 48, 8)
    assert w.min() > 0 and w.max() == pytest.approx(1.0)
    assert w[16, 24] == pytest.approx(1.0) and w[0, 0] < w[4, 4]


def test_core_tiles_partition_the_raster_and_halo_stays_inside():
    width, height = 517, 300
    seen = np.zeros((height, width), int)
    for t in core_tiles(width, height, 128, 20):
        c, r = t.core, t.read
        seen[c.row_off : c.row_off + c.height, c.col_off : c.col_off + c.width] += 1
        assert r.col_off >= 0 and r.row_off >= 0
        assert r.col_off + r.width <= width and r.row_off + r.height <= height
        rows, cols = t.core_slices()
        assert rows.stop - rows.start == c.height and cols.stop - cols.start == c.width
    assert (seen == 1).all()


def test_tile_grid_rows_are_row_major():
    grid = tile_grid(100, 100, 40, 10)
    assert [row[0].row_off for row in grid] == sorted(row[0].row_off for row in grid)
