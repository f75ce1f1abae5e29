"""Processing algorithm "Extract road graph (LineGraph2Road)" (job kind ``extract_road_graph``)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.params import DEVICES, ExtractRoadGraphRequest
from .base import JOB_PROGRESS_END, RoadExtractAlgorithm, SinkOutput, model_parameter, number_range

# The method of the models this algorithm can run (``GET /models``, field ``method``).
MODEL_METHOD = "linegraph2road"


class ExtractRoadGraph(RoadExtractAlgorithm):
    """Extract a road graph (centerline edges and their nodes) from an aerial image."""

    INPUT = "INPUT"
    BANDS = "BANDS"
    MODEL = "MODEL"
    CHECKPOINT = "CHECKPOINT"
    GSD = "GSD"
    WINDOW_SIZE = "WINDOW_SIZE"
    OVERLAP = "OVERLAP"
    EDGE_THRESHOLD = "EDGE_THRESHOLD"
    KEYPOINT_THRESHOLD = "KEYPOINT_THRESHOLD"
    ROAD_THRESHOLD = "ROAD_THRESHOLD"
    OWN_ROAD_MASK = "OWN_ROAD_MASK"
    ROAD_MASK_TEST_TIME_AUGMENTATION = "ROAD_MASK_TEST_TIME_AUGMENTATION"
    MERGE_CHAINS = "MERGE_CHAINS"
    BORDER_EXTENSION = "BORDER_EXTENSION"
    DEVICE = "DEVICE"
    OUTPUT_EDGES = "OUTPUT_EDGES"
    OUTPUT_NODES = "OUTPUT_NODES"
    N_EDGES = "N_EDGES"
    N_NODES = "N_NODES"

    # GeoPackage layers written by the backend (backend/jobs/extract_road_graph.py).
    EDGES_LAYER = "road_graph_edges"
    NODES_LAYER = "road_graph_nodes"

    RASTER_INPUT = INPUT

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "extractroadgraph"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Extract road graph (LineGraph2Road)")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr(
            "road,graph,centerline,network,extract,detect,linegraph2road,deep learning,aerial"
        ).split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Extracts the road network of an aerial image as a graph with the LineGraph2Road "
            "method: road centerline edges (with the model's connection probability and "
            "their length in metres) and the graph's nodes (degree, keypoint and overpass "
            "flags, score), both in the raster's CRS.\n\n"
            "Bands: 3 bands (red, green, blue) or 1 band (grey); empty means bands 1, 2, 3. "
            "Model: the id of a LineGraph2Road model the backend knows (a wrong id fails "
            "with the list of known ones); a checkpoint file replaces its weights with your "
            "own. The image is resampled to the model's ground sample distance unless you "
            "give one (metres per pixel; 0 = the model's).\n\n"
            "The image is processed in sliding windows (0 = the model's window size) that "
            "overlap by more than the 64 pixel candidate-edge radius. Edges below the edge "
            "threshold are dropped; the keypoint and road thresholds steer which vertices "
            "are found. The shipped model takes its road mask from the shipped Anchor-SAM "
            "road segmentation model (its model card says so); tick 'Use the model's own "
            "road mask' to use the LineGraph2Road decoder's. 'Merge chains' joins runs of "
            "edges through degree-2 nodes into longer lines. Roads that end a little short "
            "of the raster's edge are continued to it (the model's validated distance; 0 "
            "turns this off), so the graphs of neighbouring areas can be joined.\n\n"
            "The work runs in the RoadExtract backend, which is started on first use "
            "(see Raster > RoadExtract > Settings); 'auto' runs on the backend's device."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = ExtractRoadGraphRequest("", "")  # defaults and bounds come from the request
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Aerial image")))
        self.add_scene_parameters()
        self.addParameter(
            QgsProcessingParameterBand(
                self.BANDS,
                self.tr("Bands (3 for red, green, blue, or 1; empty: 1, 2, 3)"),
                parentLayerParameterName=self.INPUT,
                optional=True,
                allowMultiple=True,
            )
        )
        self.addParameter(
            model_parameter(
                self.MODEL,
                self.tr("Model"),
                (MODEL_METHOD,),
                ExtractRoadGraphRequest.DEFAULT_MODEL,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.CHECKPOINT,
                self.tr("Own checkpoint for the model"),
                behavior=QgsProcessingParameterFile.File,
                optional=True,
                fileFilter=self.tr("PyTorch weights (*.pt *.pth);;All files (*)"),
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.EDGE_THRESHOLD,
                self.tr("Edge probability threshold (empty: the model's validated value)"),
                type=QgsProcessingParameterNumber.Double,
                **number_range(ExtractRoadGraphRequest, "edge_threshold"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.MERGE_CHAINS,
                self.tr("Merge chains of edges through degree-2 nodes"),
                defaultValue=defaults.merge_chains,
            )
        )
        advanced = [
            QgsProcessingParameterNumber(
                self.GSD,
                self.tr("Ground sample distance to run at (metres per pixel, 0: the model's)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=0.0,
                minValue=0.0,
                optional=True,
            ),
            QgsProcessingParameterNumber(
                self.WINDOW_SIZE,
                self.tr("Window size (model pixels, 0: the model's)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=0,
                minValue=0,
                maxValue=ExtractRoadGraphRequest.BOUNDS["window_px"].maximum,
                optional=True,
            ),
            QgsProcessingParameterNumber(
                self.OVERLAP,
                self.tr("Window overlap (model pixels, more than 64)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.overlap_px,
                **number_range(ExtractRoadGraphRequest, "overlap_px"),
            ),
            QgsProcessingParameterNumber(
                self.KEYPOINT_THRESHOLD,
                self.tr("Keypoint threshold (empty: the model's validated value)"),
                type=QgsProcessingParameterNumber.Double,
                **number_range(ExtractRoadGraphRequest, "keypoint_threshold"),
                optional=True,
            ),
            QgsProcessingParameterNumber(
                self.ROAD_THRESHOLD,
                self.tr("Road threshold (empty: the model's validated value)"),
                type=QgsProcessingParameterNumber.Double,
                **number_range(ExtractRoadGraphRequest, "road_threshold"),
                optional=True,
            ),
            QgsProcessingParameterBoolean(
                self.OWN_ROAD_MASK,
                self.tr(
                    "Use the model's own road mask (not the road segmentation model its card names)"
                ),
                defaultValue=False,
                # Optional: graphical models and scripts saved before it existed still run.
                optional=True,
            ),
            self.test_time_augmentation_parameter(
                self.ROAD_MASK_TEST_TIME_AUGMENTATION,
                self.tr("Test-time augmentation of the road mask: views of each window averaged"),
            ),
            QgsProcessingParameterNumber(
                self.BORDER_EXTENSION,
                self.tr(
                    "Continue roads that end this close to the raster edge on to it (model "
                    "pixels, 0: never; empty: the model's validated value)"
                ),
                type=QgsProcessingParameterNumber.Double,
                **number_range(ExtractRoadGraphRequest, "border_extension_px"),
                optional=True,
            ),
            QgsProcessingParameterEnum(
                self.DEVICE,
                self.tr("Device"),
                options=list(DEVICES),
                defaultValue=0,
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.add_scheduler_parameter()
        # A skipped sink is not copied.
        self.add_sink_outputs()

    def sink_outputs(self) -> tuple[SinkOutput, ...]:
        """Edges and nodes, each counted by a number output."""
        return (
            SinkOutput(
                self.OUTPUT_EDGES,
                self.tr("Road graph edges"),
                QgsProcessing.TypeVectorLine,
                self.EDGES_LAYER,
                self.N_EDGES,
                self.tr("Number of edges"),
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
        return self.tr("Choose at least one output (edges or nodes).")

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Validate, run the backend job, and copy its layers into the sinks."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        layer, bands, checkpoint = self.model_inputs(
            parameters, context, self.INPUT, self.BANDS, self.CHECKPOINT
        )
        scenes, target_crs, output_crs = self.scene_values(parameters, context, layer)
        model = (self.parameterAsEnumString(parameters, self.MODEL, context) or "").strip()
        gsd_m = self.parameterAsDouble(parameters, self.GSD, context)
        window_px = self.parameterAsInt(parameters, self.WINDOW_SIZE, context)
        request = ExtractRoadGraphRequest(
            # Stand-ins until the raster file and the work folder exist (below).
            raster_path=layer.source(),
            output_path="extract_road_graph.gpkg",
            model=model or ExtractRoadGraphRequest.DEFAULT_MODEL,
            checkpoint=checkpoint,
            device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
            bands=bands,
            gsd_m=gsd_m if gsd_m > 0 else None,
            window_px=window_px if window_px > 0 else None,
            overlap_px=self.parameterAsInt(parameters, self.OVERLAP, context),
            edge_threshold=self.optional_double(parameters, self.EDGE_THRESHOLD, context),
            keypoint_threshold=self.optional_double(parameters, self.KEYPOINT_THRESHOLD, context),
            road_threshold=self.optional_double(parameters, self.ROAD_THRESHOLD, context),
            road_mask_model=(
                ExtractRoadGraphRequest.OWN_ROAD_MASK
                if self.parameterAsBoolean(parameters, self.OWN_ROAD_MASK, context)
                else None
            ),
            road_mask_test_time_augmentation=self.test_time_augmentation(
                parameters, self.ROAD_MASK_TEST_TIME_AUGMENTATION, context
            ),
            border_extension_px=self.optional_double(parameters, self.BORDER_EXTENSION, context),
            merge_chains=self.parameterAsBoolean(parameters, self.MERGE_CHAINS, context),
            scheduler=self.scheduler_value(parameters, context),
            target_crs=target_crs,
        )
        self.job_params(request)  # validates before starting the backend or exporting

        client = self.backend_client(feedback)
        self.check_model(client, request.model, checkpoint, MODEL_METHOD)
        work_dir = self.new_work_dir()
        try:
            request.raster_path = self.raster_for_backend(layer, work_dir, context, feedback)
            request.additional_raster_paths = self.scenes_for_backend(
                scenes, work_dir, context, feedback
            )
            request.output_path = str(work_dir / "extract_road_graph.gpkg")
            params = self.job_params(request)
            result = self.run_job(client, request.KIND, params, feedback, (0.0, JOB_PROGRESS_END))
            summary = result.summary
            # Sink destinations and counts: features written, or for a skipped output
            # the number the backend computed.
            results = self.copy_sink_outputs(
                result.outputs.get("gpkg", request.output_path),
                summary,
                parameters,
                context,
                output_crs,
                feedback,
            )
            feedback.pushInfo(
                self.tr(
                    "{edges} edge(s), {nodes} node(s), {length_km:.2f} km of road; model "
                    "{model} on {device} at {gsd_m:.2f} m per pixel."
                ).format(
                    edges=results[self.N_EDGES],
                    nodes=results[self.N_NODES],
                    length_km=float(summary.get("length_m") or 0.0) / 1000.0,
                    model=summary.get("model") or request.model,
                    device=summary.get("device") or "?",
                    gsd_m=float(summary.get("gsd_m") or 0.0),
                )
            )
            if results[self.N_EDGES] == 0:
                feedback.pushWarning(
                    self.tr(
                        "No road edges were found. Lower the edge, keypoint and road "
                        "thresholds, check the bands, or set the ground sample distance the "
                        "model should see."
                    )
                )
            return results
        finally:
            self.remove_work_dir(work_dir)
