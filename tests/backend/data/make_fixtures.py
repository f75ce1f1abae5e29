"""Generate the tiny raster fixtures next to this file (seeded, reproducible).

    python tests/backend/data/make_fixtures.py

- ``roads_utm33n.tif``: EPSG:32633, 0.5 m pixels, 200 x 160 uint8 road mask (0/255): a
  horizontal road, a vertical road crossing it, a square ring (a polygon with a hole) and a
  short spur; nodata = 7 on a 10-column strip at the right edge.
- ``roads_4326.tif``: the same mask in EPSG:4326 (about 0.5 m at 45 deg N).
- ``no_crs.tif``: the same mask without a CRS.
- ``rgb_uint16_alpha.tif``: EPSG:32633, 64 x 48, three uint16 bands + alpha (alpha 0 on
  the left 8 columns), seeded random values.
"""

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).resolve().parent
UTM_ORIGIN = (500000.0, 5000000.0)  # upper-left corner, metres
UTM_GSD_M = 0.5
NODATA_COLUMNS = 10


def road_mask() -> np.ndarray:
    """(160, 200) uint8 mask, rows x columns."""
    mask = np.zeros((160, 200), np.uint8)
    mask[78:84, :] = 255  # horizontal road, rows 78..83
    mask[:, 98:104] = 255  # vertical road, cols 98..103
    mask[20:50, 20:50] = 255  # ring: outer 30 x 30 ...
    mask[26:44, 26:44] = 0  # ... with an 18 x 18 hole
    mask[84:90, 150:154] = 255  # a 6-px spur below the horizontal road
    return mask


def write(path: Path, data: np.ndarray, crs, transform, nodata=None) -> None:
    count = 1 if data.ndim == 2 else data.shape[0]
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[-1], height=data.shape[-2], count=count,
        dtype=data.dtype, crs=crs, transform=transform, nodata=nodata, compress="deflate",
    ) as dst:
        dst.write(data if data.ndim == 3 else data[None])


def main() -> None:
    mask = road_mask()
    with_nodata = mask.copy()
    with_nodata[:, -NODATA_COLUMNS:] = 7
    utm = from_origin(*UTM_ORIGIN, UTM_GSD_M, UTM_GSD_M)
    write(HERE / "roads_utm33n.tif", with_nodata, "EPSG:32633", utm, nodata=7)
    deg = 0.5 / 111_320.0
    write(HERE / "roads_4326.tif", mask, "EPSG:4326", from_origin(10.0, 45.0, deg, deg))
    write(HERE / "no_crs.tif", mask, None, from_origin(0, 0, 1, 1))
    rng = np.random.default_rng(0)
    rgb = rng.integers(1000, 3000, size=(3, 48, 64), dtype=np.uint16)
    alpha = np.full((1, 48, 64), 65535, np.uint16)
    alpha[:, :, :8] = 0
    path = HERE / "rgb_uint16_alpha.tif"
    write(path, np.concatenate((rgb, alpha)), "EPSG:32633", utm)
    with rasterio.open(path, "r+") as dst:
        dst.colorinterp = [
            rasterio.enums.ColorInterp.red, rasterio.enums.ColorInterp.green,
            rasterio.enums.ColorInterp.blue, rasterio.enums.ColorInterp.alpha,
        ]


if __name__ == "__main__":
    main()
