"""Processing algorithm "Road mask to vectors" (job kind ``road_mask_to_vectors``)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterBand,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.params import RoadMaskToVectorsRequest
from .base import JOB_PROGRESS_END, RoadExtractAlgorithm, SinkOutput, number_range


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

    RASTER_INPUT = INPUT

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "roadmasktovectors"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Road mask to vectors")

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
        defaults = RoadMaskToVectorsRequest("", "")  # defaults and bounds come from the request
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.INPUT, self.tr("Road mask or road probability raster")
            )
        )
        self.add_scene_parameters()
        # Optional with a default: QGIS 3.22 refuses a missing band value even with a
        # default, which would make BAND mandatory in processing.run and qgis_process.
        self.addParameter(
            QgsProcessingParameterBand(
                self.BAND,
                self.tr("Band"),
                defaultValue=defaults.band,
                parentLayerParameterName=self.INPUT,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Threshold (values scaled to 0..1)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.threshold,
                **number_range(RoadMaskToVectorsRequest, "threshold"),
            )
        )
        # Metres and square metres on the ground whatever the raster CRS (issue 16): in
        # map units, 20 meant as m² dropped every polygon of an EPSG:4326 raster.
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SIMPLIFY_TOLERANCE,
                self.tr("Polygon simplify tolerance (metres, 0: none)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.simplify_tolerance_m,
                **number_range(RoadMaskToVectorsRequest, "simplify_tolerance_m"),
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_AREA,
                self.tr("Minimum polygon area (m²)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.min_area_m2,
                **number_range(RoadMaskToVectorsRequest, "min_area_m2"),
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PRUNE_SPUR_LENGTH,
                self.tr("Prune centerline spurs shorter than (metres)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.prune_spur_length_m,
                **number_range(RoadMaskToVectorsRequest, "prune_spur_length_m"),
            )
        )
        tile_size = QgsProcessingParameterNumber(
            self.TILE_SIZE,
            self.tr("Processing window size (pixels)"),
            type=QgsProcessingParameterNumber.Integer,
            defaultValue=defaults.tile_size_px,
            **number_range(RoadMaskToVectorsRequest, "tile_size_px"),
        )
        tile_size.setFlags(tile_size.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(tile_size)
        self.add_scheduler_parameter()
        # A skipped sink is not computed (polygons) or not copied.
        self.add_sink_outputs()

    def sink_outputs(self) -> tuple[SinkOutput, ...]:
        """Polygons, centerlines and nodes, each counted by a number output."""
        return (
            SinkOutput(
                self.OUTPUT_POLYGONS,
                self.tr("Road polygons"),
                QgsProcessing.TypeVectorPolygon,
                self.POLYGONS_LAYER,
                self.N_POLYGONS,
                self.tr("Number of polygons"),
                "n_polygons",
            ),
            SinkOutput(
                self.OUTPUT_CENTERLINES,
                self.tr("Road centerlines"),
                QgsProcessing.TypeVectorLine,
                self.CENTERLINES_LAYER,
                self.N_EDGES,
                self.tr("Number of centerlines"),
                "n_edges",
            ),
            SinkOutput(
                self.OUTPUT_NODES,
                self.tr("Road graph nodes"),
                QgsProcessing.TypeVectorPoint,
                self.NODES_LAYER,
                self.N_NODES,
                self.tr("Number of nodes"),
                "n_nodes",
            ),
        )

    def no_output_message(self) -> str:
        """Translated message for a run with every sink skipped."""
        return self.tr("Choose at least one output (polygons, centerlines or nodes).")

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
        scenes, target_crs, output_crs = self.scene_values(parameters, context, layer)
        want_polygons = self.output_requested(parameters, self.OUTPUT_POLYGONS)
        want_centerlines = self.output_requested(parameters, self.OUTPUT_CENTERLINES)
        want_nodes = self.output_requested(parameters, self.OUTPUT_NODES)

        client = self.backend_client(feedback)
        work_dir = self.new_work_dir()
        try:
            raster_path = self.raster_for_backend(layer, work_dir, context, feedback)
            scene_paths = self.scenes_for_backend(scenes, work_dir, context, feedback)
            request = RoadMaskToVectorsRequest(
                raster_path=raster_path,
                output_path=str(work_dir / "road_mask_to_vectors.gpkg"),
                band=band,
                threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
                simplify_tolerance_m=self.parameterAsDouble(
                    parameters, self.SIMPLIFY_TOLERANCE, context
                ),
                min_area_m2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
                prune_spur_length_m=self.parameterAsDouble(
                    parameters, self.PRUNE_SPUR_LENGTH, context
                ),
                tile_size_px=self.parameterAsInt(parameters, self.TILE_SIZE, context),
                polygons=want_polygons,
                centerlines=want_centerlines or want_nodes,
                scheduler=self.scheduler_value(parameters, context),
                additional_raster_paths=scene_paths,
                target_crs=target_crs,
            )
            params = self.job_params(request)
            result = self.run_job(client, request.KIND, params, feedback, (0.0, JOB_PROGRESS_END))
            # Sink destinations and counts: features written, or for a skipped output
            # the number the backend computed.
            results = self.copy_sink_outputs(
                result.outputs.get("gpkg", request.output_path),
                result.summary,
                parameters,
                context,
                output_crs,
                feedback,
            )
            feedback.pushInfo(
                self.tr("{polygons} polygon(s), {edges} centerline(s), {nodes} node(s).").format(
                    polygons=results[self.N_POLYGONS],
                    edges=results[self.N_EDGES],
                    nodes=results[self.N_NODES],
                )
            )
            return results
        finally:
            self.remove_work_dir(work_dir)
