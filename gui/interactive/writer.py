"""Accepting an interactive result into a vector layer.

What QGIS users expect from a digitising tool, so that is what happens here: the feature
goes into the layer's edit buffer as one undoable edit command (Edit > Undo takes it
back), editing is switched on when it was off, and nothing is committed: the user saves
with *Save Layer Edits* (or discards) as after any digitising. Missing attribute fields
are added in the same edit command when the provider can add fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsExpressionContextUtils,
    QgsField,
    QgsGeometry,
    QgsMapLayer,
    QgsVectorDataProvider,
    QgsVectorLayer,
    QgsVectorLayerUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDateTime, QVariant

from ...plugin.i18n import tr
from .geometry import GeometryError, transform

# Attribute fields written with every accepted object: name -> candidate types, best first
# (a provider that cannot store a datetime gets a date, then text).
RESULT_FIELDS: tuple[tuple[str, tuple[QVariant.Type, ...]], ...] = (
    ("label", (QVariant.String,)),
    ("engine", (QVariant.String,)),
    ("model", (QVariant.String,)),
    ("rounds", (QVariant.Int,)),
    ("score", (QVariant.Double,)),
    ("date", (QVariant.DateTime, QVariant.Date, QVariant.String)),
)


class WriteError(RuntimeError):
    """The result cannot be written into the target layer; the message says why and what to do."""


@dataclass
class ResultAttributes:
    """Attributes of an accepted object.

    Attributes:
        label: Class label typed by the user, e.g. ``"road"``.
        engine: ``"road"`` or ``"sam"``.
        model: Model id that made the mask, e.g. ``"roadgie_hiera_pico_1m"``.
        rounds: Interaction rounds (prompts) that led to the result.
        score: Backend score of the result (SAM: predicted IoU; road: mean probability).
        date: When it was accepted (local time); None means now.
    """

    label: str
    engine: str
    model: str
    rounds: int
    score: float
    date: QDateTime | None = None

    def values(self) -> dict[str, object]:
        """Field name -> value, ``date`` filled in with now when None."""
        return {
            "label": self.label,
            "engine": self.engine,
            "model": self.model,
            "rounds": int(self.rounds),
            "score": float(self.score),
            "date": self.date if self.date is not None else QDateTime.currentDateTime(),
        }


def is_target_layer(layer: QgsMapLayer | None, geometry_type: int) -> bool:
    """True for a vector layer of ``geometry_type`` whose provider can add features.

    Args:
        layer: Any map layer (or None).
        geometry_type: ``QgsWkbTypes.PolygonGeometry`` or ``QgsWkbTypes.LineGeometry``.
    """
    return (
        isinstance(layer, QgsVectorLayer)
        and layer.isValid()
        and layer.geometryType() == geometry_type
        and bool(layer.dataProvider().capabilities() & QgsVectorDataProvider.AddFeatures)
    )


def create_scratch_layer(
    geometry_type: int, crs: QgsCoordinateReferenceSystem, name: str | None = None
) -> QgsVectorLayer:
    """A new memory layer holding the result fields (not added to a project).

    Args:
        geometry_type: ``QgsWkbTypes.PolygonGeometry`` (MultiPolygon layer) or
            ``QgsWkbTypes.LineGeometry`` (MultiLineString layer).
        crs: CRS of the layer.
        name: Layer name; defaults to ``RoadExtract objects`` / ``RoadExtract centerlines``.

    Raises:
        WriteError: Unsupported geometry type.
    """
    if geometry_type == QgsWkbTypes.PolygonGeometry:
        wkb = "MultiPolygon"
    elif geometry_type == QgsWkbTypes.LineGeometry:
        wkb = "MultiLineString"
    else:
        raise WriteError(tr("Results are written into polygon or line layers only."))
    layer = QgsVectorLayer(f"{wkb}?crs={crs.authid() or 'EPSG:4326'}", name or "", "memory")
    if not crs.authid():
        layer.setCrs(crs)
    if not name:
        is_polygon = geometry_type == QgsWkbTypes.PolygonGeometry
        name = tr("RoadExtract objects") if is_polygon else tr("RoadExtract centerlines")
    layer.setName(name)
    fields = [QgsField(field_name, types[0]) for field_name, types in RESULT_FIELDS]
    layer.dataProvider().addAttributes(fields)
    layer.updateFields()
    return layer


def _add_missing_fields(layer: QgsVectorLayer) -> list[str]:
    """Add the result fields the layer lacks (edit buffer). Returns the ones it cannot hold."""
    provider = layer.dataProvider()
    can_add = bool(provider.capabilities() & QgsVectorDataProvider.AddAttributes)
    skipped = []
    for name, types in RESULT_FIELDS:
        if layer.fields().lookupField(name) >= 0:
            continue
        added = False
        if can_add:
            for field_type in types:
                field = QgsField(name, field_type)
                if provider.supportedType(field) and layer.addAttribute(field):
                    added = True
                    break
        if not added:
            skipped.append(name)
    return skipped


def _value_for(field: QgsField, value: object) -> object:
    """``value`` in the type of ``field`` (dates for date or text fields)."""
    if isinstance(value, QDateTime):
        if field.type() == QVariant.Date:
            return value.date()
        if field.type() == QVariant.String:
            return value.toString("yyyy-MM-ddTHH:mm:ss")
    return value


def add_result(
    layer: QgsVectorLayer,
    geometry: QgsGeometry,
    geometry_crs: QgsCoordinateReferenceSystem,
    attributes: ResultAttributes,
    transform_context: QgsCoordinateTransformContext,
) -> list[int]:
    """Add an accepted result to ``layer`` as one undoable edit command (not committed).

    Editing is started when the layer is not editable; the result fields the layer lacks
    are added when its provider allows (else those attributes are left out). A
    multi-part result goes into a single-part layer as one feature per part.

    Args:
        layer: Target polygon or line layer, any CRS.
        geometry: The result (MultiPolygon or MultiLineString) in ``geometry_crs``.
        geometry_crs: CRS of ``geometry`` (the raster's).
        attributes: Attribute values.
        transform_context: Usually ``QgsProject.instance().transformContext()``.

    Returns:
        Ids of the new features (negative until the edits are saved).

    Raises:
        WriteError: Empty geometry, wrong layer type, editing cannot start, the geometry
            cannot be transformed into the layer CRS, or the layer refused the features.
    """
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        raise WriteError(tr("There is no result to accept yet: add a prompt first."))
    if not is_target_layer(layer, geometry.type()):
        raise WriteError(
            tr("Layer {name} cannot take this result: choose an editable {kind} layer.").format(
                name=layer.name() if layer is not None else "?",
                kind=tr("polygon")
                if geometry.type() == QgsWkbTypes.PolygonGeometry
                else tr("line"),
            )
        )
    try:
        in_layer_crs = transform(geometry, geometry_crs, layer.crs(), transform_context)
    except GeometryError as exc:
        raise WriteError(str(exc)) from exc
    if not layer.isEditable() and not layer.startEditing():
        raise WriteError(
            tr("Editing cannot be started on layer {name} (read-only?).").format(name=layer.name())
        )
    layer.beginEditCommand(tr("RoadExtract: add extracted object"))
    try:
        _add_missing_fields(layer)
        fields = layer.fields()
        values = {}
        for name, value in attributes.values().items():
            index = fields.lookupField(name)
            if index >= 0:
                values[index] = _value_for(fields.at(index), value)
        context = layer.createExpressionContext()
        context.appendScope(QgsExpressionContextUtils.layerScope(layer))
        feature = QgsVectorLayerUtils.createFeature(layer, in_layer_crs, values, context)
        features = QgsVectorLayerUtils.makeFeatureCompatible(feature, layer)
        before = set(layer.editBuffer().addedFeatures())
        if not features or not layer.addFeatures(features):
            raise WriteError(tr("Layer {name} refused the new feature.").format(name=layer.name()))
    except WriteError:
        layer.destroyEditCommand()
        raise
    layer.endEditCommand()
    layer.triggerRepaint()
    return sorted(set(layer.editBuffer().addedFeatures()) - before)
