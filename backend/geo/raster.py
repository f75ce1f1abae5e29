"""Open GDAL rasters and read model-ready windows from them.

Frames: pixel coordinates are (x, y) = (column, row) of the raster, origin at the upper-left
corner of the upper-left pixel; a pixel's centre is at (col + 0.5, row + 0.5). Map
coordinates are in the raster's CRS, obtained through the raster's affine geotransform.

Nothing here reads a whole raster: statistics come from a decimated read (GDAL picks an
overview when one exists) and data are read one window at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.windows import Window

from backend.geo.gsd import ground_sample_distance_m

# Longest side of the decimated read used for percentile statistics.
_STATS_SAMPLE_PX = 1024


class RasterInputError(ValueError):
    """The input raster cannot be used; the message says what to do."""


@dataclass(frozen=True)
class RasterInfo:
    """What the backend needs to know about a raster, in its own frame.

    Attributes:
        path: file path (or GDAL dataset name).
        width_px, height_px: raster size in pixels.
        band_count: number of bands.
        dtype: numpy dtype name of band 1.
        crs_wkt: the CRS as WKT.
        crs_authid: "AUTH:CODE" when the CRS has one, else None.
        transform: GDAL-order geotransform coefficients (a, b, c, d, e, f) of the affine
            pixel -> map mapping x_map = a*x + b*y + c, y_map = d*x + e*y + f.
        gsd_m: (x, y) ground sample distance in metres per pixel.
        nodata: the nodata value of band 1, or None.
    """

    path: str
    width_px: int
    height_px: int
    band_count: int
    dtype: str
    crs_wkt: str
    crs_authid: str | None
    transform: tuple[float, float, float, float, float, float]
    gsd_m: tuple[float, float]
    nodata: float | None


def open_raster(path: str | os.PathLike, *, require_crs: bool = True):
    """Open a raster with rasterio, turning GDAL failures into actionable errors.

    Args:
        path: any raster GDAL can open.
        require_crs: raise when the raster has no CRS (outputs could not be placed on the
            map).

    Returns:
        An open ``rasterio.DatasetReader`` (caller closes it, e.g. with ``with``).

    Raises:
        RasterInputError: the file does not exist, is not a raster GDAL can read, is
            truncated or unreadable (GDAL's own message kept; checked before the CRS), or
            has no CRS while one is required.
    """
    path = os.fspath(path)
    if "://" not in path and not path.startswith("/vsi") and not os.path.exists(path):
        raise RasterInputError(f"Raster file not found: {path}. Check the path or layer source.")
    try:
        dataset = rasterio.open(path)
    except RasterioIOError as exc:
        raise RasterInputError(
            f"{path} is not a raster GDAL can read ({gdal_error_text(exc)}). Choose a raster "
            "layer (GeoTIFF, JPEG2000, VRT, ...)."
        ) from exc
    if dataset.count < 1:
        dataset.close()
        raise RasterInputError(f"{path} has no raster bands.")
    try:
        # A truncated file opens fine and fails only when its data is read: read the first
        # and the last block now, so the user hears it before any other check or work.
        windows = [w for _, w in dataset.block_windows(1)]
        for window in {0: windows[0], 1: windows[-1]}.values():
            dataset.read(1, window=window)
    except (RasterioError, IndexError) as exc:
        dataset.close()
        raise RasterInputError(
            f"{path} is truncated or unreadable: {gdal_error_text(exc)}. Copy or download the "
            "file again, or re-export it from its source."
        ) from exc
    if require_crs and dataset.crs is None:
        dataset.close()
        raise RasterInputError(
            f"{path} has no coordinate reference system, so results could not be placed on "
            "the map. Assign one first (QGIS: Raster > Projections > Assign Projection, or "
            "gdal_edit.py -a_srs EPSG:XXXX)."
        )
    return dataset


def gdal_error_text(exc: BaseException) -> str:
    """The most specific message in an exception chain from rasterio/GDAL.

    rasterio often raises "Read failed. See previous exception for details." with GDAL's
    actual cause (e.g. "IReadBlock failed at X offset 2 ...") chained below it.
    """
    messages = []
    current: BaseException | None = exc
    while current is not None and current not in messages:
        messages.append(current)
        current = current.__cause__ or current.__context__
    texts = [str(m).strip() for m in messages if str(m).strip()]
    useful = [t for t in texts if "see previous exception" not in t.lower()]
    return (useful or texts or [type(exc).__name__])[-1]


def raster_info(dataset) -> RasterInfo:
    """Summarise an open rasterio dataset as a :class:`RasterInfo`."""
    crs = dataset.crs
    authid = None
    if crs is not None:
        auth = crs.to_authority()
        authid = f"{auth[0]}:{auth[1]}" if auth else None
    return RasterInfo(
        path=dataset.name,
        width_px=dataset.width,
        height_px=dataset.height,
        band_count=dataset.count,
        dtype=dataset.dtypes[0],
        crs_wkt=crs.to_wkt() if crs is not None else "",
        crs_authid=authid,
        transform=tuple(dataset.transform)[:6],
        gsd_m=ground_sample_distance_m(crs, dataset.transform, dataset.width, dataset.height)
        if crs is not None
        else (abs(dataset.transform.a), abs(dataset.transform.e)),
        nodata=dataset.nodata,
    )


@dataclass(frozen=True)
class BandStretch:
    """How band values become 0..255 for a model that expects 8-bit RGB.

    Attributes:
        percentiles: (low, high) percentiles mapped to 0 and 255 for non-uint8 bands.
        uint8_as_is: leave uint8 bands unchanged (most aerial RGB already is display-ready).
    """

    percentiles: tuple[float, float] = (2.0, 98.0)
    uint8_as_is: bool = True


@dataclass
class ImageReader:
    """Reads (H, W, 3) uint8 windows from a raster for RGB models.

    Band choice: ``bands`` (1-based) when given, else the first three; a single band is
    replicated to three. Non-uint8 bands (uint16, float, ...) are stretched linearly between
    percentiles computed once on a decimated read (an overview when the file has one).

    Attributes:
        dataset: an open rasterio dataset.
        bands: 1-based band indices, length 1 or 3.
        stretch: the stretch settings.
    """

    dataset: object
    bands: tuple[int, ...] | None = None
    stretch: BandStretch = field(default_factory=BandStretch)
    _lows: np.ndarray | None = field(default=None, init=False, repr=False)
    _highs: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        count = self.dataset.count
        if self.bands is None:
            self.bands = (1, 2, 3) if count >= 3 else (1,)
        self.bands = tuple(int(b) for b in self.bands)
        if len(self.bands) not in (1, 3):
            raise ValueError(f"Choose 1 or 3 bands, got {list(self.bands)}.")
        bad = [b for b in self.bands if not 1 <= b <= count]
        if bad:
            raise ValueError(f"Band(s) {bad} do not exist: the raster has bands 1..{count}.")
        if not self._needs_stretch():
            return
        self._lows, self._highs = self._percentile_limits()

    def _needs_stretch(self) -> bool:
        dtypes = {self.dataset.dtypes[b - 1] for b in self.bands}
        return not (self.stretch.uint8_as_is and dtypes == {"uint8"})

    def _percentile_limits(self) -> tuple[np.ndarray, np.ndarray]:
        height, width = self.dataset.height, self.dataset.width
        scale = max(1.0, max(height, width) / _STATS_SAMPLE_PX)
        out_shape = (len(self.bands), max(1, int(height / scale)), max(1, int(width / scale)))
        sample = self.dataset.read(
            self.bands, out_shape=out_shape, resampling=Resampling.nearest, masked=True
        )
        lows, highs = [], []
        for band in sample:
            values = band.compressed().astype(np.float64)
            if values.size == 0:
                values = np.zeros(1)
            lo, hi = np.percentile(values, self.stretch.percentiles)
            lows.append(lo)
            highs.append(hi if hi > lo else lo + 1.0)
        return np.asarray(lows), np.asarray(highs)

    def read_rgb(self, window: Window, out_shape_hw: tuple[int, int] | None = None) -> np.ndarray:
        """Read a window as 8-bit RGB.

        Args:
            window: rasterio window in this raster's pixels.
            out_shape_hw: (height, width) to resample the window to (bilinear), e.g. to run
                at a model's GSD; None keeps the window's size.

        Returns:
            (H, W, 3) uint8 array, axis order row, column, channel.
        """
        shape = out_shape_hw or (int(window.height), int(window.width))
        data = self.dataset.read(
            self.bands,
            window=window,
            out_shape=(len(self.bands), *shape),
            resampling=Resampling.bilinear,
            boundless=True,
            fill_value=0,
        ).astype(np.float32)
        if self._lows is not None:
            lows = self._lows[:, None, None]
            highs = self._highs[:, None, None]
            data = (data - lows) / (highs - lows) * 255.0
        data = np.clip(data, 0, 255).astype(np.uint8)
        if data.shape[0] == 1:
            data = np.repeat(data, 3, axis=0)
        return np.ascontiguousarray(data.transpose(1, 2, 0))

    def read_valid_mask(
        self, window: Window, out_shape_hw: tuple[int, int] | None = None
    ) -> np.ndarray:
        """Pixels that hold data (not nodata, not transparent in an alpha band).

        Returns:
            (H, W) bool array; False where any chosen band is nodata/masked or the window
            lies outside the raster.
        """
        return valid_data_mask(self.dataset, window, out_shape_hw, self.bands)


def valid_data_mask(
    dataset,
    window: Window,
    out_shape_hw: tuple[int, int] | None = None,
    bands: tuple[int, ...] | None = None,
) -> np.ndarray:
    """GDAL's validity mask (nodata value, alpha band or internal mask) for a window.

    Args:
        dataset: open rasterio dataset.
        window: window in the dataset's pixels (may extend past the raster edge).
        out_shape_hw: (height, width) to resample to (nearest), None for the window's size.
        bands: 1-based bands to combine (a pixel is valid when valid in all); default all.

    Returns:
        (H, W) bool array, True where there is data.
    """
    shape = out_shape_hw or (int(window.height), int(window.width))
    bands = bands or tuple(range(1, dataset.count + 1))
    masks = dataset.read_masks(
        list(bands),
        window=window,
        out_shape=(len(bands), *shape),
        resampling=Resampling.nearest,
        boundless=True,
    )
    return np.all(masks > 0, axis=0)


def read_band_as_unit_interval(
    dataset, band: int, window: Window, scale_divisor: float
) -> np.ndarray:
    """Read one band scaled to 0..1 (mask and probability rasters).

    Args:
        dataset: open rasterio dataset.
        band: 1-based band index.
        window: window in the dataset's pixels (boundless: outside reads as 0).
        scale_divisor: value that maps to 1.0 (e.g. 255 for 8-bit probabilities).

    Returns:
        (H, W) float32 array.
    """
    data = dataset.read(band, window=window, boundless=True, fill_value=0)
    return data.astype(np.float32) / np.float32(scale_divisor)


def unit_scale_divisor(dataset, band: int) -> float:
    """The divisor that maps a mask/probability band to 0..1.

    uint8: 255, unless a decimated sample holds only 0 and 1 (a 0/1 mask); uint16: 65535
    unless the sample's maximum is <= 1; float: 1.

    Raises:
        ValueError: the band does not exist.
    """
    if not 1 <= band <= dataset.count:
        raise ValueError(f"Band {band} does not exist: the raster has bands 1..{dataset.count}.")
    dtype = np.dtype(dataset.dtypes[band - 1])
    if dtype.kind == "f":
        return 1.0
    scale = max(1.0, max(dataset.height, dataset.width) / _STATS_SAMPLE_PX)
    sample = dataset.read(
        band,
        out_shape=(max(1, int(dataset.height / scale)), max(1, int(dataset.width / scale))),
        resampling=Resampling.nearest,
    )
    if sample.max(initial=0) <= 1:
        return 1.0
    return float(np.iinfo(dtype).max) if dtype.kind in "ui" else 1.0
