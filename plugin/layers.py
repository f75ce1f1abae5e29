"""QGIS layers <-> files the backend reads and writes.

The backend reads rasters from local files only (windowed, with rasterio). A raster layer
that is a plain local file is passed by path; anything else (WMS/XYZ tiles, a GeoPackage
raster table, a remote or in-memory dataset) is exported to a GeoTIFF for the extent needed.
Vector layers likewise: a layer that is a local OGR file read as it is (no filter, no unsaved
edits, the file's own CRS) is passed by path and layer name; anything else (memory layers,
database tables, a selection, a filtered layer) is exported to a GeoPackage.
The backend writes vectors into GeoPackages, read back here as QgsVectorLayer.
"""

from __future__ import annotations

import math
from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsDataProvider,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFeatureSource,
    QgsFeedback,
    QgsField,
    QgsFields,
    QgsProcessingFeatureSource,
    QgsProviderRegistry,
    QgsRasterBlockFeedback,
    QgsRasterDataProvider,
    QgsRasterFileWriter,
    QgsRasterLayer,
    QgsRasterPipe,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from .i18n import tr

# Refuse exports larger than this many pixels per side: a typo in the GSD should not start
# a download of a continent from a tile server.
MAX_EXPORT_SIZE_PX = 40000


class LayerError(ValueError):
    """A layer cannot be turned into a file for the backend (or read back); says why."""


def local_raster_path(layer: QgsRasterLayer) -> str | None:
    """Return the local file behind a raster layer, or None when it has to be exported.

    A layer of the ``gdal`` provider whose source is an existing file counts as local;
    ``|option`` suffixes of the source are dropped. Subdatasets and tables inside a
    container (``GPKG:file.gpkg:table``, NetCDF variables), ``/vsi...`` paths and every
    other provider (wms for WMS/XYZ, ...) are not local.

    Args:
        layer: The raster layer.

    Returns:
        Absolute path of the file, or None.
    """
    if layer is None or not layer.isValid() or layer.providerType() != "gdal":
        return None
    parts = QgsProviderRegistry.instance().decodeUri("gdal", layer.source())
    path = str(parts.get("path") or "")
    if parts.get("layerName") or parts.get("vsiPrefix") or path.startswith("/vsi"):
        return None
    if not path:
        path = layer.source().split("|", 1)[0]
    file_path = Path(path)
    if not file_path.is_file():
        return None
    return str(file_path.resolve())


def export_size_px(
    layer: QgsRasterLayer, extent: QgsRectangle, gsd_map: float | None = None
) -> tuple[int, int]:
    """Pick the pixel size of an export of ``extent``.

    Args:
        layer: The raster layer.
        extent: Extent to export, in the layer CRS.
        gsd_map: Pixel size in map units of the layer CRS; None means the layer's native
            resolution (only for providers that have one).

    Returns:
        ``(width_px, height_px)``.

    Raises:
        LayerError: No GSD given and the layer has no native resolution (WMS/XYZ), or the
            result is empty or larger than :data:`MAX_EXPORT_SIZE_PX`.
    """
    if gsd_map is not None:
        if not gsd_map > 0:
            raise LayerError(tr("The pixel size must be positive, got {gsd}.").format(gsd=gsd_map))
        res_x = res_y = float(gsd_map)
    elif layer.dataProvider().capabilities() & QgsRasterDataProvider.Size:
        res_x = layer.rasterUnitsPerPixelX()
        res_y = layer.rasterUnitsPerPixelY()
    else:
        raise LayerError(
            tr(
                "Layer {name} has no native resolution (web service). Give a pixel size, or "
                "save the layer as a GeoTIFF first (right click > Export > Save As)."
            ).format(name=layer.name())
        )
    width_px = max(1, math.ceil(extent.width() / res_x - 1e-9))
    height_px = max(1, math.ceil(extent.height() / res_y - 1e-9))
    if extent.isEmpty() or width_px > MAX_EXPORT_SIZE_PX or height_px > MAX_EXPORT_SIZE_PX:
        raise LayerError(
            tr(
                "Export of layer {name} would be {width} x {height} pixels; use a smaller "
                "extent or a larger pixel size (at most {limit} pixels per side)."
            ).format(name=layer.name(), width=width_px, height=height_px, limit=MAX_EXPORT_SIZE_PX)
        )
    return width_px, height_px


def export_raster(
    layer: QgsRasterLayer,
    out_path: str | Path,
    extent: QgsRectangle | None = None,
    gsd_map: float | None = None,
    size_px: tuple[int, int] | None = None,
    transform_context: QgsCoordinateTransformContext | None = None,
    feedback: QgsFeedback | None = None,
) -> str:
    """Write ``extent`` of a raster layer to a GeoTIFF in the layer CRS.

    Raw values for data providers (GDAL, ...); rendered RGBA bytes for providers that
    deliver colour images (WMS/XYZ), which is what QgsRasterFileWriter does for ARGB data.

    Args:
        layer: The raster layer.
        out_path: GeoTIFF to write.
        extent: Extent in the layer CRS; None means the whole layer.
        gsd_map: Pixel size in map units of the layer CRS (see :func:`export_size_px`).
        size_px: ``(width_px, height_px)``; overrides ``gsd_map``.
        transform_context: Transform context (pass ``context.transformContext()`` from a
            Processing algorithm); None means a default context.
        feedback: Cancelling it stops the export.

    Returns:
        ``out_path`` as a string.

    Raises:
        LayerError: The layer is invalid, the size cannot be chosen, or writing failed.
    """
    if layer is None or not layer.isValid():
        raise LayerError(tr("The raster layer is not valid."))
    extent = QgsRectangle(extent) if extent is not None else layer.extent()
    if size_px is not None:
        width_px, height_px = int(size_px[0]), int(size_px[1])
    else:
        width_px, height_px = export_size_px(layer, extent, gsd_map)

    pipe = QgsRasterPipe()
    if not pipe.set(layer.dataProvider().clone()):
        raise LayerError(tr("Cannot read layer {name}.").format(name=layer.name()))
    writer = QgsRasterFileWriter(str(out_path))
    writer.setOutputFormat("GTiff")
    writer.setCreateOptions(["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER"])
    block_feedback = QgsRasterBlockFeedback()
    if feedback is not None:
        feedback.canceled.connect(block_feedback.cancel)
    error = writer.writeRaster(
        pipe,
        width_px,
        height_px,
        extent,
        layer.crs(),
        transform_context or QgsCoordinateTransformContext(),
        block_feedback,
    )
    if error != QgsRasterFileWriter.NoError or block_feedback.isCanceled():
        Path(out_path).unlink(missing_ok=True)
        if block_feedback.isCanceled():
            raise LayerError(
                tr("The export of layer {name} was cancelled.").format(name=layer.name())
            )
        raise LayerError(
            tr("Cannot export layer {name} to {path} (error {code}).").format(
                name=layer.name(), path=out_path, code=int(error)
            )
        )
    return str(out_path)


def raster_file_for_backend(
    layer: QgsRasterLayer,
    work_dir: str | Path,
    extent: QgsRectangle | None = None,
    gsd_map: float | None = None,
    transform_context: QgsCoordinateTransformContext | None = None,
    feedback: QgsFeedback | None = None,
) -> tuple[str, bool]:
    """Return a local raster file the backend can read for ``layer``.

    Args:
        layer: The raster layer.
        work_dir: Folder for an export (the caller deletes it).
        extent: Extent needed, in the layer CRS, used only for an export; None means the
            whole layer.
        gsd_map: Pixel size of an export in map units; None means native resolution.
        transform_context: Transform context for the export.
        feedback: Cancelling it stops an export.

    Returns:
        ``(path, exported)``: the file, and True when it was exported into ``work_dir``.

    Raises:
        LayerError: See :func:`export_raster`.
    """
    path = local_raster_path(layer)
    if path is not None:
        return path, False
    out_path = Path(work_dir) / "input_export.tif"
    return (
        export_raster(
            layer,
            out_path,
            extent=extent,
            gsd_map=gsd_map,
            transform_context=transform_context,
            feedback=feedback,
        ),
        True,
    )


def gpkg_vector_layer(
    gpkg_path: str | Path, layer_name: str, display_name: str | None = None
) -> QgsVectorLayer:
    """Open one layer of a GeoPackage written by the backend.

    Args:
        gpkg_path: The GeoPackage.
        layer_name: Table name, e.g. ``road_centerlines``.
        display_name: Layer name shown in QGIS; defaults to ``layer_name``.

    Returns:
        A valid vector layer (ogr provider).

    Raises:
        LayerError: The file or the layer does not exist.
    """
    uri = f"{gpkg_path}|layername={layer_name}"
    layer = QgsVectorLayer(uri, display_name or layer_name, "ogr")
    if not layer.isValid():
        raise LayerError(
            tr("Layer {layer} not found in {path}.").format(layer=layer_name, path=gpkg_path)
        )
    return layer


def local_vector_path(layer: QgsVectorLayer) -> tuple[str, str | None] | None:
    """Return the local file and layer name behind a vector layer, or None to export it.

    A valid layer of the ``ogr`` provider counts as local when its source is an existing
    file read as it is: no subset filter (``|subset=`` or a layer filter), no unsaved edits,
    no geometry-type filter, and the CRS the file declares (a CRS set on the layer in QGIS
    is not in the file). ``/vsi...`` paths and every other provider (memory, postgres,
    WFS, ...) are not local.

    Args:
        layer: The vector layer.

    Returns:
        ``(path, layer_name)``: absolute path of the file and the layer inside it (None for
        a single-layer file opened without a name), or None.
    """
    if layer is None or not layer.isValid() or layer.providerType() != "ogr":
        return None
    if layer.subsetString() or layer.isModified():
        return None
    if layer.crs() != layer.dataProvider().crs():
        return None
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path = str(parts.get("path") or "")
    if parts.get("vsiPrefix") or path.startswith("/vsi") or parts.get("geometryType"):
        return None
    file_path = Path(path)
    if not path or not file_path.is_file():
        return None
    layer_name = str(parts.get("layerName") or "") or None
    layer_id = parts.get("layerId")
    if layer_name is None and layer_id is not None:
        layer_name = _sublayer_name(layer, int(layer_id))
        if layer_name is None:
            return None
    return str(file_path.resolve()), layer_name


def _sublayer_name(layer: QgsVectorLayer, layer_id: int) -> str | None:
    """Name of sublayer ``layer_id`` of an OGR layer's file (``|layerid=N`` sources)."""
    separator = QgsDataProvider.sublayerSeparator()
    for entry in layer.dataProvider().subLayers():
        fields = entry.split(separator)
        if len(fields) > 1 and fields[0] == str(layer_id) and fields[1]:
            return fields[1]
    return None


def export_vector(
    source: QgsFeatureSource,
    out_path: str | Path,
    layer_name: str,
    crs: QgsCoordinateReferenceSystem | None = None,
    transform_context: QgsCoordinateTransformContext | None = None,
    feedback: QgsFeedback | None = None,
    name: str = "",
    attributes: dict[str, str | None] | None = None,
    real_numbers: bool = False,
) -> str:
    """Write the features of a feature source to a new GeoPackage, in the source's CRS.

    Geometries are written as their multi-part type, so a source mixing single and
    multi-part features fits one layer. Without ``attributes`` only geometries are written
    (features without one are skipped): the backend reads nothing else, and attribute types
    a GeoPackage cannot hold (lists, maps, a clashing ``fid``) cannot break the export that
    way.

    Args:
        source: A vector layer, or a Processing feature source (a selection, a feature
            limit, ...).
        out_path: GeoPackage to write; an existing file is replaced.
        layer_name: Name of the layer inside the GeoPackage.
        crs: CRS of the source; None means ``source.sourceCrs()``.
        transform_context: Transform context; None means a default context.
        feedback: Cancelling it stops the export.
        name: Layer name for messages; defaults to ``source.sourceName()``.
        attributes: Output field name -> source field name (None: the feature id) to write
            as well. A source field is written as text unless it is an integer field (kept
            integer), the feature id as an integer. With attributes every feature is written,
            without a geometry or with an invalid one too (the backend reports such boxes).
        real_numbers: Also keep floating-point source fields as real numbers (widths in
            metres, ...) instead of writing them as text.

    Returns:
        ``out_path`` as a string.

    Raises:
        LayerError: A field in ``attributes`` does not exist, the file cannot be created or
            written, or the export was cancelled (nothing is left behind then).
    """
    name = name or source.sourceName()
    crs = crs if crs is not None else source.sourceCrs()
    fields, columns = _export_fields(source, attributes or {}, real_numbers)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = layer_name
    options.fileEncoding = "UTF-8"
    writer = QgsVectorFileWriter.create(
        str(out_path),
        fields,
        QgsWkbTypes.multiType(source.wkbType()),
        crs,
        transform_context or QgsCoordinateTransformContext(),
        options,
    )
    try:
        if writer.hasError() != QgsVectorFileWriter.NoError:
            raise LayerError(
                tr("Cannot export layer {name} to {path}: {error}").format(
                    name=name, path=out_path, error=writer.errorMessage()
                )
            )
        if attributes is None:
            features = source.getFeatures(QgsFeatureRequest().setNoAttributes())
        elif isinstance(source, QgsProcessingFeatureSource):
            # Invalid boxes go to the backend, which skips them with the reason.
            features = source.getFeatures(
                QgsFeatureRequest(), QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks
            )
        else:
            features = source.getFeatures(QgsFeatureRequest())
        for feature in features:
            if feedback is not None and feedback.isCanceled():
                raise LayerError(tr("The export of layer {name} was cancelled.").format(name=name))
            if attributes is None and not feature.hasGeometry():
                continue
            out = QgsFeature(fields)
            if feature.hasGeometry():
                geometry = feature.geometry()
                geometry.convertToMultiType()  # one layer type for single and multi parts
                out.setGeometry(geometry)
            out.setAttributes([_export_value(feature, column) for column in columns])
            if not writer.addFeature(out, QgsFeatureSink.FastInsert):
                raise LayerError(
                    tr("Cannot export layer {name} to {path}: {error}").format(
                        name=name, path=out_path, error=writer.errorMessage()
                    )
                )
    except LayerError:
        del writer
        Path(out_path).unlink(missing_ok=True)
        raise
    del writer  # flush and close the file
    return str(out_path)


def _export_fields(
    source: QgsFeatureSource, attributes: dict[str, str | None], real_numbers: bool = False
) -> tuple[QgsFields, list[tuple[str, int]]]:
    """Fields of an export and, per field, how to read its value: ``("fid", -1)``,
    ``("int", index)``, ``("real", index)`` (with ``real_numbers``) or ``("text", index)``."""
    fields = QgsFields()
    columns: list[tuple[str, int]] = []
    source_fields = source.fields()
    for out_name, source_name in attributes.items():
        if source_name is None:
            columns.append(("fid", -1))
            fields.append(QgsField(out_name, QVariant.LongLong))
            continue
        index = source_fields.indexFromName(source_name)
        if index < 0:
            raise LayerError(tr("The layer has no field {field}.").format(field=source_name))
        kind = source_fields.at(index).type()
        if kind in (QVariant.Int, QVariant.LongLong):
            columns.append(("int", index))
            fields.append(QgsField(out_name, QVariant.LongLong))
        elif real_numbers and kind == QVariant.Double:
            columns.append(("real", index))
            fields.append(QgsField(out_name, QVariant.Double))
        else:
            columns.append(("text", index))
            fields.append(QgsField(out_name, QVariant.String))
    return fields, columns


def _export_value(feature: QgsFeature, column: tuple[str, int]) -> float | int | str | None:
    kind, index = column
    if kind == "fid":
        return int(feature.id())
    value = feature.attribute(index)
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    if kind == "real":
        return float(value)
    return int(value) if kind == "int" else str(value)


def vector_file_for_backend(
    layer: QgsVectorLayer,
    work_dir: str | Path,
    file_stem: str,
    features: QgsFeatureSource | None = None,
    transform_context: QgsCoordinateTransformContext | None = None,
    feedback: QgsFeedback | None = None,
) -> tuple[str, str | None, bool]:
    """Return a local vector file (and layer name) the backend can read for ``layer``.

    Args:
        layer: The vector layer.
        work_dir: Folder for an export (the caller deletes it).
        file_stem: File and layer name of an export, e.g. ``"ground_truth"``.
        features: The features to pass when they are not the whole layer (a selection, a
            Processing source with a feature limit); forces an export of these. None
            means the whole layer.
        transform_context: Transform context for the export.
        feedback: Cancelling it stops an export.

    Returns:
        ``(path, layer_name, exported)``: the file, the layer inside it (None for a
        single-layer file), and True when it was exported into ``work_dir``.

    Raises:
        LayerError: The layer is invalid, or see :func:`export_vector`.
    """
    if layer is None or not layer.isValid():
        raise LayerError(tr("The vector layer is not valid."))
    if features is None:
        local = local_vector_path(layer)
        if local is not None:
            return local[0], local[1], False
    out_path = Path(work_dir) / f"{file_stem}.gpkg"
    export_vector(
        features if features is not None else layer,
        out_path,
        file_stem,
        crs=layer.crs(),
        transform_context=transform_context,
        feedback=feedback,
        name=layer.name(),
    )
    return str(out_path), file_stem, True
