"""Ground sample distance (GSD) in metres, and resampling factors to a model's GSD."""

from __future__ import annotations

import math

from pyproj import CRS, Geod


def ground_sample_distance_m(crs, transform, width_px: int, height_px: int) -> tuple[float, float]:
    """Metres per pixel along x (columns) and y (rows) at the raster's centre.

    Projected CRSs: pixel size times the CRS's linear unit in metres (feet and US survey
    feet handled). Geographic CRSs: geodesic length (WGS84 ellipsoid of the CRS, via
    pyproj.Geod) of one pixel step east and one pixel step south at the raster centre.

    Args:
        crs: rasterio or pyproj CRS (or anything ``pyproj.CRS.from_user_input`` takes).
        transform: the raster's affine pixel -> map transform (rasterio ``Affine``).
        width_px, height_px: raster size in pixels.

    Returns:
        (gsd_x_m, gsd_y_m), both positive.

    Raises:
        ValueError: the CRS is neither projected nor geographic (e.g. an engineering CRS
            with unknown units).
    """
    pcrs = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    step_x = math.hypot(transform.a, transform.d)
    step_y = math.hypot(transform.b, transform.e)
    if pcrs.is_geographic:
        geod = pcrs.get_geod() or Geod(ellps="WGS84")
        cx, cy = width_px / 2.0, height_px / 2.0
        lon0, lat0 = transform @ (cx, cy)
        lon_x, lat_x = transform @ (cx + 1, cy)
        lon_y, lat_y = transform @ (cx, cy + 1)
        # GDAL keeps geographic rasters in (lon, lat) order whatever the CRS axis order says.
        _, _, dx = geod.inv(lon0, lat0, lon_x, lat_x)
        _, _, dy = geod.inv(lon0, lat0, lon_y, lat_y)
        return abs(dx), abs(dy)
    if pcrs.is_projected:
        unit_m = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
        return step_x * unit_m, step_y * unit_m
    raise ValueError(
        f"Cannot compute metres per pixel for CRS {pcrs.name!r}: it is neither projected nor "
        "geographic. Reproject the raster to a projected CRS first."
    )


def resample_factor(raster_gsd_m: float, model_gsd_m: float) -> float:
    """How many model pixels one raster pixel becomes (raster_gsd_m / model_gsd_m).

    A 0.3 m raster run by a 1.0 m model gives 0.3: the image is shrunk to 30 % per side.

    Raises:
        ValueError: a GSD is not positive.
    """
    if raster_gsd_m <= 0 or model_gsd_m <= 0:
        raise ValueError(f"GSDs must be positive, got {raster_gsd_m} and {model_gsd_m} m.")
    return raster_gsd_m / model_gsd_m
