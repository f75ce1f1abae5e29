"""Lengths and areas in metres for geometries in any CRS."""

from __future__ import annotations

from pyproj import CRS, Geod
from shapely.geometry.base import BaseGeometry


def _pyproj_crs(crs) -> CRS:
    return CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)


def lengths_m(geometries: list[BaseGeometry], crs) -> list[float]:
    """Length of each line in metres.

    Geographic CRSs: geodesic length on the CRS's ellipsoid (``pyproj.Geod``); projected
    CRSs: planar length times the CRS's linear unit in metres.

    Args:
        geometries: shapely (Multi)LineStrings in ``crs``; geographic ones in (lon, lat)
            order as GDAL writes them.
        crs: rasterio/pyproj CRS or user input.
    """
    pcrs = _pyproj_crs(crs)
    if pcrs.is_geographic:
        geod = pcrs.get_geod() or Geod(ellps="WGS84")
        return [float(geod.geometry_length(g)) for g in geometries]
    unit_m = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
    return [float(g.length) * unit_m for g in geometries]
