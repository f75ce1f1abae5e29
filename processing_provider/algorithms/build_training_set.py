"""Processing algorithm "Build road training set" (job kind ``build_training_set``, issue 12)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsRasterLayer,
)

from ...plugin.layers import LayerError, export_raster, export_vector, local_raster_path
from ...plugin.layers import local_vector_path as layer_file
from ...plugin.params import BuildTrainingSetRequest
from .base import RoadExtractAlgorithm, model_parameter, number_range

# Field of an exported road layer that holds the width (metres).
WIDTH_FIELD_EXPORTED = "width_m"
# Registry method of the models that can check the labels (refine_model).
REFINE_METHOD = "anchor_sam"
REFINE_DEFAULT_MODEL = "anchor_sam_pico_1m"


class BuildRoadTrainingSet(RoadExtractAlgorithm):
    """Imagery + a road layer (lines with widths, or polygons) -> a road training set."""

    RASTERS = "RASTERS"
    ROADS = "ROADS"
    WIDTH_FIELD = "WIDTH_FIELD"
    DEFAULT_WIDTH = "DEFAULT_WIDTH"
    AOI = "AOI"
    CHIP_SIZE = "CHIP_SIZE"
    GSD = "GSD"
    VALIDATION_FRACTION = "VALIDATION_FRACTION"
    EMPTY_CHIP_RATIO = "EMPTY_CHIP_RATIO"
    REFINE_MODEL = "REFINE_MODEL"
    CONSISTENCY_IOU_MIN = "CONSISTENCY_IOU_MIN"
    OUTPUT = "OUTPUT"
    N_CHIPS = "N_CHIPS"
    N_TRAIN = "N_TRAIN"
    N_VALIDATION = "N_VALIDATION"
    N_FLAGGED = "N_FLAGGED"

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "buildroadtrainingset"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Build road training set")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr(
            "road,training,dataset,chips,labels,mask,fine-tune,osm,deep learning,aerial"
        ).split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Turns aerial images and a road layer of the same area into a training set for "
            "'Fine-tune road model' (and the training command lines).\n\n"
            "Roads are lines, thickened into road masks by the width field (metres; empty "
            "or zero values take the default width), or road polygons. The road layer may "
            "be in any CRS: it is reprojected to each image's CRS. An optional "
            "area-of-interest layer limits the roads used.\n\n"
            "The images are cut into chips of 'chip size' pixels at the ground sample "
            "distance (metres per pixel; 0: the first image's). The output folder gets "
            "images/*.tif (georeferenced chips), labels/*.png (road masks), "
            "centerlines/*.geojson and manifest.json. The held-out part is a stripe of each "
            "image (split by area, so neighbouring chips do not leak into it); road-free "
            "chips are kept up to the empty-chip ratio.\n\n"
            "Advanced: 'Check the labels with a model' runs an Anchor-SAM model on every "
            "chip with roads and compares its road mask with the label (IoU, written to "
            "manifest.json); chips below the minimum IoU (roads misplaced or missing in the "
            "road layer, or imagery that does not match it) are flagged: they stay listed, "
            "but their files go to the flagged/ subfolder, so fine-tuning leaves them "
            "out.\n\n"
            "Images and roads need a CRS; every image needs its own file name. Layers that "
            "are not local files (memory layers, selections, web layers) are exported to "
            "temporary files first. The output folder must be new or empty.\n\n"
            "The work runs in the RoadExtract backend, which is started on first use "
            "(see Raster > RoadExtract > Settings)."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = BuildTrainingSetRequest([], "", "")
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.RASTERS, self.tr("Aerial images"), QgsProcessing.TypeRaster
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.ROADS,
                self.tr("Roads (lines or polygons)"),
                [QgsProcessing.TypeVectorLine, QgsProcessing.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.WIDTH_FIELD,
                self.tr("Road width field (metres; lines only)"),
                parentLayerParameterName=self.ROADS,
                type=QgsProcessingParameterField.Numeric,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.DEFAULT_WIDTH,
                self.tr("Default road width (metres)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.default_width_m,
                minValue=0.1,  # the request's bound is > 0, which a widget cannot say
                maxValue=number_range(BuildTrainingSetRequest, "default_width_m")["maxValue"],
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.AOI,
                self.tr("Area of interest"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CHIP_SIZE,
                self.tr("Chip size (pixels)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.chip_px,
                **number_range(BuildTrainingSetRequest, "chip_px"),
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.GSD,
                self.tr("Ground sample distance of the chips (metres per pixel, 0: the image's)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=0.0,
                minValue=0.0,
            )
        )
        advanced = [
            QgsProcessingParameterNumber(
                self.VALIDATION_FRACTION,
                self.tr("Share of each image held out for validation (0 to 0.9)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.validation_fraction,
                minValue=0.0,
                maxValue=0.9,  # the request's bound is < 1, which a widget cannot say
            ),
            QgsProcessingParameterNumber(
                self.EMPTY_CHIP_RATIO,
                self.tr("Road-free chips kept per chip with roads"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.empty_chip_ratio,
                **number_range(BuildTrainingSetRequest, "empty_chip_ratio"),
            ),
        ]
        refine = model_parameter(
            self.REFINE_MODEL,
            self.tr("Check the labels with a model (optional)"),
            (REFINE_METHOD,),
            REFINE_DEFAULT_MODEL,
        )
        refine.setFlags(refine.flags() | QgsProcessingParameterDefinition.FlagOptional)
        refine.setDefaultValue(None)
        advanced.append(refine)
        advanced.append(
            QgsProcessingParameterNumber(
                self.CONSISTENCY_IOU_MIN,
                self.tr("Minimum IoU of label and model mask (below: chip flagged)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.consistency_iou_min,
                **number_range(BuildTrainingSetRequest, "consistency_iou_min"),
            )
        )
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT, self.tr("Training set folder"))
        )
        self.add_number_outputs(
            (
                (self.N_CHIPS, self.tr("Number of chips")),
                (self.N_TRAIN, self.tr("Number of training chips")),
                (self.N_VALIDATION, self.tr("Number of held-out chips")),
                (self.N_FLAGGED, self.tr("Number of chips flagged by the model check")),
            )
        )

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Check the layers, pass them to the backend as files and run the job."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        rasters = self._raster_layers(parameters, context)
        roads_layer, roads_source, whole_roads = self._vector_input(parameters, self.ROADS, context)
        aoi = None
        if parameters.get(self.AOI) not in (None, ""):
            aoi = self._vector_input(parameters, self.AOI, context)
        width_field = self.parameterAsString(parameters, self.WIDTH_FIELD, context) or None
        output_dir = self.parameterAsString(parameters, self.OUTPUT, context)
        output = Path(output_dir)
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise QgsProcessingException(
                self.tr("{path} exists and is not empty; choose a new or empty folder.").format(
                    path=output
                )
            )
        gsd_m = self.parameterAsDouble(parameters, self.GSD, context)
        request = BuildTrainingSetRequest(
            # Stand-ins until the layer files exist (below).
            raster_paths=[f"{self._file_stem(layer, i)}.tif" for i, layer in enumerate(rasters)],
            roads_path="roads.gpkg",
            output_dir=str(output),
            width_field=width_field,
            default_width_m=self.parameterAsDouble(parameters, self.DEFAULT_WIDTH, context),
            chip_px=self.parameterAsInt(parameters, self.CHIP_SIZE, context),
            gsd_m=gsd_m if gsd_m > 0 else None,
            validation_fraction=self.parameterAsDouble(
                parameters, self.VALIDATION_FRACTION, context
            ),
            empty_chip_ratio=self.parameterAsDouble(parameters, self.EMPTY_CHIP_RATIO, context),
            refine_model=(
                self.parameterAsEnumString(parameters, self.REFINE_MODEL, context) or ""
            ).strip()
            or None,
            consistency_iou_min=self.parameterAsDouble(
                parameters, self.CONSISTENCY_IOU_MIN, context
            ),
        )
        self.job_params(request)  # validates before starting the backend or exporting

        client = self.backend_client(feedback)
        if request.refine_model is not None:
            self.check_model(client, request.refine_model, None, REFINE_METHOD)
        work_dir = self.new_work_dir()
        try:
            request.raster_paths = [
                self._raster_file(layer, i, work_dir, context, feedback)
                for i, layer in enumerate(rasters)
            ]
            self.job_params(request)  # two images with one file name
            request.roads_path, request.roads_layer, exported = self._vector_file(
                roads_layer,
                roads_source,
                whole_roads,
                "roads",
                work_dir,
                context,
                feedback,
                width_field,
            )
            if width_field is not None and exported:
                request.width_field = WIDTH_FIELD_EXPORTED
            if aoi is not None:
                # The backend reads the first layer of the AOI file: always an export.
                request.aoi_path, _, _ = self._vector_file(
                    aoi[0], aoi[1], False, "area_of_interest", work_dir, context, feedback
                )
            params = self.job_params(request)
            result = self.run_job(client, request.KIND, params, feedback, (0.0, 100.0))
            summary = result.summary
            results: dict[str, Any] = {
                self.OUTPUT: result.outputs.get("folder", output_dir),
                self.N_CHIPS: int(summary.get("n_chips") or 0),
                self.N_TRAIN: int(summary.get("n_train") or 0),
                self.N_VALIDATION: int(summary.get("n_validation") or 0),
                self.N_FLAGGED: int(summary.get("n_flagged") or 0),
            }
            feedback.pushInfo(
                self.tr(
                    "{chips} chip(s) of {chip_px} px at {gsd_m:.2f} m per pixel: {train} for "
                    "training, {validation} held out, {empty} without roads; written to "
                    "{path}."
                ).format(
                    chips=results[self.N_CHIPS],
                    chip_px=int(summary.get("chip_px") or request.chip_px),
                    gsd_m=float(summary.get("gsd_m") or 0.0),
                    train=results[self.N_TRAIN],
                    validation=results[self.N_VALIDATION],
                    empty=int(summary.get("n_empty_kept") or 0),
                    path=results[self.OUTPUT],
                )
            )
            if request.refine_model is not None:
                median = summary.get("consistency_iou_median")
                feedback.pushInfo(
                    self.tr(
                        "Label check with {model}: median IoU of label and model mask "
                        "{median}; {flagged} chip(s) below {minimum} flagged and moved to "
                        "{folder} (listed in manifest.json, left out of fine-tuning)."
                    ).format(
                        model=request.refine_model,
                        median="-" if median is None else f"{float(median):.3f}",
                        flagged=results[self.N_FLAGGED],
                        minimum=request.consistency_iou_min,
                        folder=str(Path(results[self.OUTPUT]) / "flagged"),
                    )
                )
            if results[self.N_TRAIN] == 0 or results[self.N_VALIDATION] == 0:
                feedback.pushWarning(
                    self.tr(
                        "Fine-tuning needs training and held-out chips with roads: use a "
                        "larger area, smaller chips or another validation share."
                    )
                )
            return results
        finally:
            self.remove_work_dir(work_dir)

    # -- inputs ----------------------------------------------------------------------------

    def _raster_layers(
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> list[QgsRasterLayer]:
        """The images, each valid with a CRS.

        Raises:
            QgsProcessingException: None given, not a raster, or a raster without CRS.
        """
        layers = self.parameterAsLayerList(parameters, self.RASTERS, context)
        if not layers:
            raise QgsProcessingException(self.tr("Choose at least one aerial image."))
        rasters = []
        for layer in layers:
            if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
                raise QgsProcessingException(
                    self.tr("{name} is not a raster layer.").format(name=layer.name())
                )
            if not layer.crs().isValid():
                raise QgsProcessingException(
                    self.tr(
                        "Raster {name} has no coordinate reference system. Assign one (Raster "
                        "> Projections > Assign Projection, or the layer properties) and run "
                        "again."
                    ).format(name=layer.name())
                )
            rasters.append(layer)
        return rasters

    def _vector_input(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext):
        """``(layer, source, whole_layer)`` of feature-source parameter ``name``.

        Raises:
            QgsProcessingException: Invalid layer, no features, or no CRS.
        """
        value = parameters.get(name)
        whole_layer = True
        layer_parameters = parameters
        if isinstance(value, QgsProcessingFeatureSourceDefinition):
            whole_layer = not (
                value.selectedFeaturesOnly
                or value.featureLimit >= 0
                or getattr(value, "filterExpression", "")  # QGIS >= 3.32
            )
            # parameterAsVectorLayer does not take a source definition, only its layer.
            layer_parameters = {**parameters, name: value.source}
        layer = self.parameterAsVectorLayer(layer_parameters, name, context)
        source = self.parameterAsSource(parameters, name, context)
        if layer is None or source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, name))
        if not source.sourceCrs().isValid():
            raise QgsProcessingException(
                self.tr(
                    "Layer {name} has no coordinate reference system. Assign one (Layer "
                    "Properties > Source) and run again."
                ).format(name=layer.name())
            )
        if source.featureCount() == 0:
            raise QgsProcessingException(
                self.tr(
                    "Layer {name} has no features (with 'Selected features only': nothing is "
                    "selected)."
                ).format(name=layer.name())
            )
        return layer, source, whole_layer

    @staticmethod
    def _file_stem(layer: QgsRasterLayer, index: int) -> str:
        """The file name (without suffix) of a local image, else one made from its name."""
        path = local_raster_path(layer)
        if path is not None:
            return Path(path).stem
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", layer.name()).strip("_") or "image"
        return f"{safe}_{index + 1}"

    def _raster_file(
        self,
        layer: QgsRasterLayer,
        index: int,
        work_dir: Path,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> str:
        """A local file of image ``index`` for the backend (its own file, or an export named
        after the layer so that chips keep a recognisable name)."""
        path = local_raster_path(layer)
        if path is not None:
            return path
        out_path = work_dir / f"{self._file_stem(layer, index)}.tif"
        try:
            export_raster(
                layer, out_path, transform_context=context.transformContext(), feedback=feedback
            )
        except LayerError as exc:
            if feedback.isCanceled():
                raise QgsProcessingException(self.tr("Cancelled; nothing was written.")) from exc
            raise QgsProcessingException(str(exc)) from exc
        feedback.pushInfo(
            self.tr("Layer {name} is not a local file; exported it to {path}.").format(
                name=layer.name(), path=out_path
            )
        )
        return str(out_path)

    def _vector_file(
        self,
        layer,
        source,
        whole_layer: bool,
        file_stem: str,
        work_dir: Path,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
        width_field: str | None = None,
    ) -> tuple[str, str | None, bool]:
        """``(path, layer_name, exported)`` of a local file with the features: the layer's
        own file when it is one and is used whole, else a GeoPackage export (with the width
        field as :data:`WIDTH_FIELD_EXPORTED`, a real number)."""
        if whole_layer:
            local = layer_file(layer)
            if local is not None:
                return local[0], local[1], False
        out_path = work_dir / f"{file_stem}.gpkg"
        try:
            export_vector(
                source,
                out_path,
                file_stem,
                crs=source.sourceCrs(),
                transform_context=context.transformContext(),
                feedback=feedback,
                name=layer.name(),
                attributes={WIDTH_FIELD_EXPORTED: width_field} if width_field else None,
                real_numbers=True,
            )
        except LayerError as exc:
            if feedback.isCanceled():
                raise QgsProcessingException(self.tr("Cancelled; nothing was written.")) from exc
            raise QgsProcessingException(str(exc)) from exc
        feedback.pushInfo(
            self.tr("Layer {name} was exported to {path} for the backend.").format(
                name=layer.name(), path=out_path
            )
        )
        return str(out_path), file_stem, True
