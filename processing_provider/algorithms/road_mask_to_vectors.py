"""Processing algorithm "Road mask to vectors" (job kind ``road_mask_to_vectors``)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterDistance,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.params import RequestError, RoadMaskToVectorsRequest
from .base import RoadExtractAlgorithm


class RoadMaskToVectors(RoadExtractAlgorithm):
    """Turn a road mask or probability raster into road polygons, centerlines and nodes."""

    INPUT = "INPUT"
    BAND = "BAND"
    THRESHOLD = "THRESHOLD"
    SIMPLIFY_TOLERANCE = "SIMPLIFY_TOLERANCE"
    MIN_AREA = "MIN_AREA"
    PRUNE_SPUR_LENGTH = "PRUNE_SPUR_LENGTH"
    TILE_SIZE = "TILE_SIZE"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"
    OUTPUT_CENTERLINES = "OUTPUT_CENTERLINES"
    OUTPUT_NODES = "OUTPUT_NODES"
    N_POLYGONS = "N_POLYGONS"
    N_EDGES = "N_EDGES"
    N_NODES = "N_NODES"

    # GeoPackage layers written by the backend (docs/backend_api.md).
    POLYGONS_LAYER = "road_polygons"
    CENTERLINES_LAYER = "road_centerlines"
    NODES_LAYER = "road_nodes"

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "roadmasktovectors"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Road mask to vectors")

    def group(self) -> str:
        """Translated group name."""
        return self.tr("Roads")

    def groupId(self) -> str:  # noqa: N802 - QGIS API
        """Untranslated group id."""
        return "roads"

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr("road,mask,vectorize,polygonize,skeleton,centerline,graph").split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Turns a road mask or road probability raster into vector layers: road polygons, "
            "road centerlines (a graph of edges) and the graph's nodes (junctions and dead "
            "ends), all in the raster's CRS.\n\n"
            "Pixels at or above the threshold are road. The threshold applies to values "
            "scaled to 0..1: 8-bit rasters are divided by 255 (unless they hold only 0 and "
            "1), 16-bit rasters by 65535, floating point rasters are used as they are.\n\n"
            "Simplify tolerance (map units) simplifies the polygon outlines; polygons smaller "
            "than the minimum area (square map units) are dropped; centerline spurs shorter "
            "than the spur length (metres) that end in nothing are pruned.\n\n"
            "The work runs in the RoadExtract backend, which is started on first use "
            "(see Raster > RoadExtract > Settings)."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.INPUT, self.tr("Road mask or road probability raster")
            )
        )
        # Optional with a default: QGIS 3.22 refuses a missing band value even with a
        # default, which would make BAND mandatory in processing.run and qgis_process.
        self.addParameter(
            QgsProcessingParameterBand(
                self.BAND,
                self.tr("Band"),
                defaultValue=1,
                parentLayerParameterName=self.INPUT,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Threshold (values scaled to 0..1)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=0.5,
                minValue=0.0,
                maxValue=1.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterDistance(
                self.SIMPLIFY_TOLERANCE,
                self.tr("Polygon simplify tolerance"),
                defaultValue=0.0,
                parentParameterName=self.INPUT,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_AREA,
                self.tr("Minimum polygon area (square map units)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PRUNE_SPUR_LENGTH,
                self.tr("Prune centerline spurs shorter than (metres)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=10.0,
                minValue=0.0,
            )
        )
        tile_size = QgsProcessingParameterNumber(
            self.TILE_SIZE,
            self.tr("Processing window size (pixels)"),
            type=QgsProcessingParameterNumber.Integer,
            defaultValue=2048,
            minValue=RoadMaskToVectorsRequest.MIN_TILE_SIZE_PX,
        )
        tile_size.setFlags(tile_size.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(tile_size)
        # Optional sinks: a skipped one is not computed (polygons) or not copied.
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_POLYGONS,
                self.tr("Road polygons"),
                QgsProcessing.TypeVectorPolygon,
                optional=True,
                createByDefault=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_CENTERLINES,
                self.tr("Road centerlines"),
                QgsProcessing.TypeVectorLine,
                optional=True,
                createByDefault=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_NODES,
                self.tr("Road graph nodes"),
                QgsProcessing.TypeVectorPoint,
                optional=True,
                createByDefault=True,
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.N_POLYGONS, self.tr("Number of polygons")))
        self.addOutput(QgsProcessingOutputNumber(self.N_EDGES, self.tr("Number of centerlines")))
        self.addOutput(QgsProcessingOutputNumber(self.N_NODES, self.tr("Number of nodes")))

    def checkParameterValues(  # noqa: N802 - QGIS API
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """Refuse a run that would write nothing, or an input that is not a raster."""
        problem = self.raster_input_problem(parameters, self.INPUT, context)
        if problem:
            return False, problem
        if not any(
            self.output_requested(parameters, name)
            for name in (self.OUTPUT_POLYGONS, self.OUTPUT_CENTERLINES, self.OUTPUT_NODES)
        ):
            return False, self.tr("Choose at least one output (polygons, centerlines or nodes).")
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Validate, run the backend job, and copy its layers into the sinks."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        layer = self.raster_layer_with_crs(parameters, self.INPUT, context)
        band = self.parameterAsInt(parameters, self.BAND, context) or 1
        self.check_bands(layer, [band])
        want_polygons = self.output_requested(parameters, self.OUTPUT_POLYGONS)
        want_centerlines = self.output_requested(parameters, self.OUTPUT_CENTERLINES)
        want_nodes = self.output_requested(parameters, self.OUTPUT_NODES)

        client = self.backend_client(feedback)
        work_dir = self.new_work_dir()
        try:
            raster_path = self.raster_for_backend(layer, work_dir, context, feedback)
            request = RoadMaskToVectorsRequest(
                raster_path=raster_path,
                output_path=str(work_dir / "road_mask_to_vectors.gpkg"),
                band=band,
                threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
                simplify_tolerance_map=self.parameterAsDouble(
                    parameters, self.SIMPLIFY_TOLERANCE, context
                ),
                min_area_map=self.parameterAsDouble(parameters, self.MIN_AREA, context),
                prune_spur_length_m=self.parameterAsDouble(
                    parameters, self.PRUNE_SPUR_LENGTH, context
                ),
                tile_size_px=self.parameterAsInt(parameters, self.TILE_SIZE, context),
                polygons=want_polygons,
                centerlines=want_centerlines or want_nodes,
            )
            try:
                params = request.to_params()
            except RequestError as exc:
                raise QgsProcessingException(str(exc)) from exc

            result = self.run_job(client, request.KIND, params, feedback, (0.0, 90.0))
            gpkg_path = result.outputs.get("gpkg", request.output_path)

            results: dict[str, Any] = {}
            # Counts of what the backend computed (also for outputs that were skipped),
            # replaced below by the number of features actually written.
            summary = result.summary
            counts = {
                self.N_POLYGONS: int(summary.get("n_polygons") or 0),
                self.N_EDGES: int(summary.get("n_edges") or 0),
                self.N_NODES: int(summary.get("n_nodes") or 0),
            }
            copies = (
                (want_polygons, self.POLYGONS_LAYER, self.OUTPUT_POLYGONS, self.N_POLYGONS),
                (want_centerlines, self.CENTERLINES_LAYER, self.OUTPUT_CENTERLINES, self.N_EDGES),
                (want_nodes, self.NODES_LAYER, self.OUTPUT_NODES, self.N_NODES),
            )
            for step, (wanted, layer_name, output_name, count_name) in enumerate(copies):
                if not wanted:
                    continue
                dest_id, count = self.copy_gpkg_layer_to_sink(
                    gpkg_path, layer_name, parameters, output_name, context, layer.crs(), feedback
                )
                results[output_name] = dest_id
                counts[count_name] = count
                feedback.setProgress(90.0 + 10.0 * (step + 1) / len(copies))
            feedback.pushInfo(
                self.tr("{polygons} polygon(s), {edges} centerline(s), {nodes} node(s).").format(
                    polygons=counts[self.N_POLYGONS],
                    edges=counts[self.N_EDGES],
                    nodes=counts[self.N_NODES],
                )
            )
            results.update(counts)
            return results
        finally:
            self.remove_work_dir(work_dir)
