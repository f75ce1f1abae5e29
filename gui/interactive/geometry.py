"""Geometries of interactive results: GeoJSON -> QgsGeometry, simplification in metres, CRS.

The backend answers with GeoJSON (Multi)Polygons and MultiLineStrings in the raster CRS
(``docs/backend_api.md``); they are converted here without going through OGR, so an empty
answer stays an empty geometry instead of an error.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsCsException,
    QgsGeometry,
    QgsPointXY,
    QgsUnitTypes,
    QgsWkbTypes,
)

from ...plugin.i18n import tr

# Metres per degree of latitude (mean); used to turn a tolerance in metres into degrees
# for rasters in a geographic CRS. Along a parallel a degree is shorter, so the tolerance
# there is at most this in metres, never more.
METRES_PER_DEGREE = 111_320.0


class GeometryError(ValueError):
    """A geometry of the backend cannot be used (unknown type, failed transform); says why."""


def _ring(coordinates: list[Any]) -> list[QgsPointXY]:
    return [QgsPointXY(float(p[0]), float(p[1])) for p in coordinates]


def geojson_to_geometry(data: dict[str, Any] | None) -> QgsGeometry:
    """Convert a GeoJSON geometry object into a QgsGeometry (coordinates unchanged).

    Args:
        data: ``{"type": "Polygon" | "MultiPolygon" | "LineString" | "MultiLineString",
            "coordinates": [...]}``; None or empty coordinates give an empty geometry.

    Returns:
        A multi-part geometry (MultiPolygon or MultiLineString), or a null QgsGeometry for
        an empty answer.

    Raises:
        GeometryError: Any other geometry type.
    """
    if not data or not data.get("coordinates"):
        return QgsGeometry()
    kind = data.get("type")
    coordinates = data["coordinates"]
    if kind == "Polygon":
        return QgsGeometry.fromMultiPolygonXY([[_ring(ring) for ring in coordinates]])
    if kind == "MultiPolygon":
        return QgsGeometry.fromMultiPolygonXY(
            [[_ring(ring) for ring in polygon] for polygon in coordinates if polygon]
        )
    if kind == "LineString":
        return QgsGeometry.fromMultiPolylineXY([_ring(coordinates)])
    if kind == "MultiLineString":
        return QgsGeometry.fromMultiPolylineXY([_ring(line) for line in coordinates if line])
    raise GeometryError(
        tr("Unexpected geometry type {kind} from the backend.").format(kind=str(kind))
    )


def metres_to_map_units(distance_m: float, crs: QgsCoordinateReferenceSystem) -> float:
    """A distance in metres expressed in map units of ``crs``.

    Args:
        distance_m: Distance in metres.
        crs: Target CRS; for a geographic CRS one degree counts as
            :data:`METRES_PER_DEGREE` metres.

    Returns:
        The distance in map units of ``crs``.
    """
    units = crs.mapUnits()
    if units == QgsUnitTypes.DistanceDegrees:
        return distance_m / METRES_PER_DEGREE
    if units == QgsUnitTypes.DistanceUnknownUnit:
        return distance_m
    return distance_m * QgsUnitTypes.fromUnitToUnitFactor(QgsUnitTypes.DistanceMeters, units)


def simplify(
    geometry: QgsGeometry, tolerance_m: float, crs: QgsCoordinateReferenceSystem
) -> QgsGeometry:
    """Douglas-Peucker simplification with a tolerance in metres.

    Args:
        geometry: Geometry in ``crs``.
        tolerance_m: Tolerance in metres (0 or less: the geometry is returned unchanged).
        crs: CRS of ``geometry`` (the tolerance is converted into its map units).

    Returns:
        The simplified geometry, made valid for polygons, as multi-part; the input when
        simplification would remove it entirely.
    """
    if tolerance_m <= 0 or geometry.isNull() or geometry.isEmpty():
        return geometry
    simplified = geometry.simplify(metres_to_map_units(tolerance_m, crs))
    if simplified.isNull() or simplified.isEmpty():
        return geometry
    if simplified.type() == QgsWkbTypes.PolygonGeometry and not simplified.isGeosValid():
        simplified = simplified.makeValid()
        simplified = simplified.convertToType(QgsWkbTypes.PolygonGeometry, True) or simplified
    simplified.convertToMultiType()
    return simplified


def transform(
    geometry: QgsGeometry,
    source_crs: QgsCoordinateReferenceSystem,
    target_crs: QgsCoordinateReferenceSystem,
    transform_context: QgsCoordinateTransformContext,
) -> QgsGeometry:
    """A copy of ``geometry`` transformed from ``source_crs`` into ``target_crs``.

    Raises:
        GeometryError: The transformation failed (geometry outside the target CRS's area).
    """
    out = QgsGeometry(geometry)
    if source_crs == target_crs or out.isNull():
        return out
    try:
        out.transform(QgsCoordinateTransform(source_crs, target_crs, transform_context))
    except QgsCsException as exc:
        raise GeometryError(
            tr("The result cannot be transformed into {crs} ({error}).").format(
                crs=target_crs.authid() or target_crs.description(), error=str(exc)
            )
        ) from exc
    return out


def crs_from_wkt(
    crs_wkt: str, fallback: QgsCoordinateReferenceSystem
) -> QgsCoordinateReferenceSystem:
    """The CRS of a backend answer (``crs_wkt``), or ``fallback`` when it is empty/invalid."""
    if crs_wkt:
        crs = QgsCoordinateReferenceSystem.fromWkt(crs_wkt)
        if crs.isValid():
            return crs
    return fallback
