"""Processing algorithm "Segment roads (Anchor-SAM)" (job kind ``segment_roads``)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterBand,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.params import DEVICES, SegmentRoadsRequest
from .base import (
    JOB_PROGRESS_END,
    RoadExtractAlgorithm,
    SinkOutput,
    model_parameter,
    number_range,
    present_output,
)

# The method of the models this algorithm can run (``GET /models``, field ``method``).
MODEL_METHOD = "anchor_sam"


class SegmentRoads(RoadExtractAlgorithm):
    """Road probability raster and road polygons (optionally centerlines) of an image."""

    INPUT = "INPUT"
    BANDS = "BANDS"
    MODEL = "MODEL"
    CHECKPOINT = "CHECKPOINT"
    GSD = "GSD"
    TILE_SIZE = "TILE_SIZE"
    OVERLAP = "OVERLAP"
    THRESHOLD = "THRESHOLD"
    TEST_TIME_AUGMENTATION = "TEST_TIME_AUGMENTATION"
    DEVICE = "DEVICE"
    MIN_AREA = "MIN_AREA"
    SIMPLIFY_TOLERANCE = "SIMPLIFY_TOLERANCE"
    OUTPUT_PROBABILITY = "OUTPUT_PROBABILITY"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"
    OUTPUT_CENTERLINES = "OUTPUT_CENTERLINES"
    N_POLYGONS = "N_POLYGONS"
    N_CENTERLINES = "N_CENTERLINES"

    # GeoPackage layers written by the backend (backend/methods/road_mask_to_vectors.py).
    POLYGONS_LAYER = "road_polygons"
    CENTERLINES_LAYER = "road_centerlines"

    RASTER_INPUT = INPUT

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "segmentroads"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Segment roads (Anchor-SAM)")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr(
            "road,segmentation,mask,probability,polygon,centerline,anchor-sam,sam2,deep "
            "learning,aerial"
        ).split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Segments the roads of an aerial image with the Anchor-SAM method (SAM2 Hiera "
            "encoder, multiscale deformable context perceiver, Bayesian skip connections). "
            "Writes a road probability raster (GeoTIFF, 0 to 1, on the input's grid and in "
            "its CRS), road polygons where the probability reaches the threshold and, if "
            "requested, road centerlines.\n\n"
            "Bands: 3 bands (red, green, blue) or 1 band (grey); empty means bands 1, 2, 3. "
            "The image is resampled to the model's ground sample distance unless you give "
            "one (metres per pixel; 0 = the model's), processed in overlapping tiles that "
            "are blended, and the probability is resampled back to the input's pixels.\n\n"
            "The work runs in the RoadExtract backend, which is started on first use "
            "(see Raster > RoadExtract > Settings); 'auto' runs on the backend's device."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = SegmentRoadsRequest("", "")  # defaults and bounds come from the request
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
                self.MODEL, self.tr("Model"), (MODEL_METHOD,), SegmentRoadsRequest.DEFAULT_MODEL
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Road probability threshold (0 to 1; empty: the model's validated value)"),
                type=QgsProcessingParameterNumber.Double,
                **number_range(SegmentRoadsRequest, "threshold"),
                optional=True,
            )
        )
        advanced = [
            QgsProcessingParameterFile(
                self.CHECKPOINT,
                self.tr("Own checkpoint for the model"),
                behavior=QgsProcessingParameterFile.File,
                optional=True,
                fileFilter=self.tr("PyTorch weights (*.pt *.pth);;All files (*)"),
            ),
            QgsProcessingParameterNumber(
                self.GSD,
                self.tr("Ground sample distance to run at (metres per pixel, 0: the model's)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=0.0,
                minValue=0.0,
                optional=True,
            ),
            QgsProcessingParameterNumber(
                self.TILE_SIZE,
                self.tr("Tile size (model pixels)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.tile_px,
                **number_range(SegmentRoadsRequest, "tile_px"),
            ),
            QgsProcessingParameterNumber(
                self.OVERLAP,
                self.tr("Tile overlap (model pixels)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.overlap_px,
                **number_range(SegmentRoadsRequest, "overlap_px"),
            ),
            self.test_time_augmentation_parameter(
                self.TEST_TIME_AUGMENTATION,
                self.tr("Test-time augmentation: views of each tile averaged"),
            ),
            QgsProcessingParameterEnum(
                self.DEVICE, self.tr("Device"), options=list(DEVICES), defaultValue=0
            ),
            # Metres and square metres on the ground whatever the raster CRS (issue 16).
            QgsProcessingParameterNumber(
                self.MIN_AREA,
                self.tr("Minimum polygon area (m²)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.min_area_m2,
                **number_range(SegmentRoadsRequest, "min_area_m2"),
            ),
            QgsProcessingParameterNumber(
                self.SIMPLIFY_TOLERANCE,
                self.tr("Polygon simplify tolerance (metres, 0: none)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.simplify_tolerance_m,
                **number_range(SegmentRoadsRequest, "simplify_tolerance_m"),
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.add_scheduler_parameter()
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_PROBABILITY, self.tr("Road probability")
            )
        )
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
                createByDefault=False,
            )
        )
        self.add_number_outputs(
            (sink.count_name, sink.count_description) for sink in self.sink_outputs()
        )

    def sink_outputs(self) -> tuple[SinkOutput, ...]:
        """Polygons and centerlines, each counted by a number output."""
        return (
            SinkOutput(
                self.OUTPUT_POLYGONS,
                self.tr("Road polygons"),
                QgsProcessing.TypeVectorPolygon,
                self.POLYGONS_LAYER,
                self.N_POLYGONS,
                self.tr("Number of road polygons"),
                "n_polygons",
            ),
            SinkOutput(
                self.OUTPUT_CENTERLINES,
                self.tr("Road centerlines"),
                QgsProcessing.TypeVectorLine,
                self.CENTERLINES_LAYER,
                self.N_CENTERLINES,
                self.tr("Number of centerline edges"),
                "n_edges",
            ),
        )

    def checkParameterValues(  # noqa: N802 - QGIS API
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """Refuse an input that is not a raster; the probability raster is always written,
        so skipping both vector outputs is allowed."""
        problem = self.raster_input_problem(parameters, self.INPUT, context)
        if problem:
            return False, problem
        return QgsProcessingAlgorithm.checkParameterValues(self, parameters, context)

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
        probability_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_PROBABILITY, context)
        if not probability_path.lower().endswith((".tif", ".tiff")):
            raise QgsProcessingException(
                self.tr(
                    "The road probability raster is written as GeoTIFF: choose a file name "
                    "ending in .tif, not {path}."
                ).format(path=probability_path)
            )
        model = (self.parameterAsEnumString(parameters, self.MODEL, context) or "").strip()
        gsd_m = self.parameterAsDouble(parameters, self.GSD, context)
        request = SegmentRoadsRequest(
            # Stand-ins until the raster file and the work folder exist (below).
            raster_path=layer.source(),
            output_path="segment_roads.gpkg",
            probability_path=probability_path,
            model=model or SegmentRoadsRequest.DEFAULT_MODEL,
            checkpoint=checkpoint,
            device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
            bands=bands,
            gsd_m=gsd_m if gsd_m > 0 else None,
            tile_px=self.parameterAsInt(parameters, self.TILE_SIZE, context),
            overlap_px=self.parameterAsInt(parameters, self.OVERLAP, context),
            threshold=self.optional_double(parameters, self.THRESHOLD, context),
            test_time_augmentation=self.test_time_augmentation(
                parameters, self.TEST_TIME_AUGMENTATION, context
            ),
            centerlines=self.output_requested(parameters, self.OUTPUT_CENTERLINES),
            min_area_m2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
            simplify_tolerance_m=self.parameterAsDouble(
                parameters, self.SIMPLIFY_TOLERANCE, context
            ),
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
            request.output_path = str(work_dir / "segment_roads.gpkg")
            params = self.job_params(request)
            result = self.run_job(client, request.KIND, params, feedback, (0.0, JOB_PROGRESS_END))
            summary = result.summary
            results = self.copy_sink_outputs(
                result.outputs.get("gpkg", request.output_path),
                summary,
                parameters,
                context,
                output_crs,
                feedback,
            )
            results[self.OUTPUT_PROBABILITY] = result.outputs.get("probability", probability_path)
            present_output(context, probability_path, self.tr("Road probability"), "probability")
            feedback.pushInfo(
                self.tr(
                    "{polygons} road polygon(s), {fraction:.1%} of the valid area is road; "
                    "model {model} on {device} at {gsd_m:.2f} m per pixel."
                ).format(
                    polygons=results[self.N_POLYGONS],
                    fraction=float(summary.get("road_fraction") or 0.0),
                    model=summary.get("model") or request.model,
                    device=summary.get("device") or "?",
                    gsd_m=float(summary.get("gsd_m") or 0.0),
                )
            )
            if results[self.N_POLYGONS] == 0:
                feedback.pushWarning(
                    self.tr(
                        "No road reached the threshold. Lower the threshold, check the bands, "
                        "or set the ground sample distance the model should see."
                    )
                )
            return results
        finally:
            self.remove_work_dir(work_dir)
