"""Processing algorithm "Boxes to masks (SAMRS)" (job kind ``box_to_mask``)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.models import SAM_METHODS
from ...plugin.params import DEVICES, SAMRS_PARTS, SAMRS_PROMPT_MODES, BoxToMaskRequest
from .base import JOB_PROGRESS_END, ObjectsAlgorithm, SinkOutput, model_parameter, number_range


class BoxesToMasks(ObjectsAlgorithm):
    """One mask polygon per box of a detection layer, with its class (SAMRS)."""

    INPUT = "INPUT"
    BOXES = "BOXES"
    CLASS_FIELD = "CLASS_FIELD"
    ID_FIELD = "ID_FIELD"
    MODEL = "MODEL"
    CHECKPOINT = "CHECKPOINT"
    PROMPT = "PROMPT"
    PARTS = "PARTS"
    CHIP_SIZE = "CHIP_SIZE"
    CONTEXT = "CONTEXT"
    DEVICE = "DEVICE"
    DATASET_CROP = "DATASET_CROP"
    OUTPUT = "OUTPUT"
    OUTPUT_CHIPS = "OUTPUT_CHIPS"
    OUTPUT_LABELS = "OUTPUT_LABELS"
    OUTPUT_INSTANCES = "OUTPUT_INSTANCES"
    OUTPUT_DATASET = "OUTPUT_DATASET"
    N_MASKS = "N_MASKS"
    N_CHIPS = "N_CHIPS"
    N_SKIPPED = "N_SKIPPED"

    # GeoPackage layers written by the backend (backend/methods/samrs/box_to_mask.py).
    MASKS_LAYER = "samrs_masks"
    CHIPS_LAYER = "samrs_chips"

    RASTER_INPUT = INPUT

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "boxestomasks"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Boxes to masks (SAMRS)")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr(
            "box,boxes,mask,instance,segment,sam,samrs,segment anything,dota,detection,object"
        ).split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Turns detection boxes (axis-aligned or rotated polygons with a class) into one "
            "mask polygon per box with a Segment Anything model, as SAMRS does: each box "
            "prompts the model, the mask keeps the box's class and id, SAM's predicted IoU "
            "('score') and the prompt used. Outputs are in the raster's CRS (a raster "
            "without CRS: its pixel frame).\n\n"
            "Prompt: 'auto' uses the box (H-Box) for axis-aligned boxes and its enclosing "
            "horizontal box (RH-Box) for rotated ones, the paper's best settings; the other "
            "modes are the combinations of SAMRS Table 1 (CP = centre point, _m = mask "
            "prompt). Parts: keep each mask's largest part or all parts (holes are kept).\n\n"
            "Model: a SAM-family id the backend knows (sam_vit_b/l/h, sam2_hiera_t/s/b_plus/"
            "l, sam2.1_hiera_...); give the checkpoint file you downloaded, in its official "
            "format. The image is encoded once per chip (the model's 1024 pixels) and every "
            "box of a chip is decoded from it; boxes larger than a chip get a resampled chip.\n\n"
            "Optional: a label raster (class index per pixel, 255 = no mask), an instance "
            "raster, and a dataset folder in the SAMRS layout (image crops, label PNGs, "
            "classes.txt) to train a segmentation model. Boxes that cannot be used (outside "
            "the raster, zero area, self-intersecting, no class) are skipped and listed in "
            "the log."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = BoxToMaskRequest("", "", "")
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Image")))
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.BOXES, self.tr("Boxes"), [QgsProcessing.TypeVectorPolygon]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.CLASS_FIELD,
                self.tr("Class field"),
                defaultValue=defaults.class_field,
                parentLayerParameterName=self.BOXES,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.ID_FIELD,
                self.tr("Box id field (empty: feature id)"),
                parentLayerParameterName=self.BOXES,
                optional=True,
            )
        )
        self.addParameter(
            model_parameter(
                self.MODEL, self.tr("Model"), SAM_METHODS, BoxToMaskRequest.DEFAULT_MODEL
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.CHECKPOINT,
                self.tr("Checkpoint file (empty: the model's installed weights)"),
                behavior=QgsProcessingParameterFile.File,
                optional=True,
                fileFilter=self.tr("PyTorch weights (*.pt *.pth);;All files (*)"),
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.PROMPT,
                self.tr("Prompt (SAMRS Table 1)"),
                options=list(SAMRS_PROMPT_MODES),
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.PARTS,
                self.tr("Mask parts to keep"),
                options=list(SAMRS_PARTS),
                defaultValue=0,
            )
        )
        advanced = [
            QgsProcessingParameterNumber(
                self.CHIP_SIZE,
                self.tr("Chip size (pixels, 0: the model's)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=0,
                minValue=0,
                maxValue=BoxToMaskRequest.BOUNDS["chip_px"].maximum,
            ),
            QgsProcessingParameterNumber(
                self.CONTEXT,
                self.tr("Context around each box (pixels)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.context_px,
                **number_range(BoxToMaskRequest, "context_px"),
            ),
            QgsProcessingParameterNumber(
                self.DATASET_CROP,
                self.tr("Dataset crop size (pixels)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.dataset_crop_px,
                **number_range(BoxToMaskRequest, "dataset_crop_px"),
            ),
            QgsProcessingParameterEnum(
                self.DEVICE, self.tr("Device"), options=list(DEVICES), defaultValue=0
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.add_sink_outputs()
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_LABELS,
                self.tr("Label raster (class index, 255 = no mask)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_INSTANCES,
                self.tr("Instance raster (instance id, 0 = none)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.OUTPUT_DATASET,
                self.tr("SAMRS dataset folder (new or empty)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.add_number_outputs(((self.N_SKIPPED, self.tr("Number of skipped boxes")),))

    def sink_outputs(self) -> tuple[SinkOutput, ...]:
        """Mask polygons and the encoded chips."""
        return (
            SinkOutput(
                self.OUTPUT,
                self.tr("Masks"),
                QgsProcessing.TypeVectorPolygon,
                self.MASKS_LAYER,
                self.N_MASKS,
                self.tr("Number of masks"),
                "n_masks",
            ),
            SinkOutput(
                self.OUTPUT_CHIPS,
                self.tr("Encoded chips"),
                QgsProcessing.TypeVectorPolygon,
                self.CHIPS_LAYER,
                self.N_CHIPS,
                self.tr("Number of chips"),
                "n_chips",
            ),
        )

    def no_output_message(self) -> str:
        """Translated message for a run with every sink skipped."""
        return self.tr("Choose at least one output (masks or chips).")

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Export the boxes, run the backend job, copy its layers into the sinks."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        layer = self.raster_layer(parameters, self.INPUT, context)
        source = self.parameterAsSource(parameters, self.BOXES, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.BOXES))
        if source.featureCount() == 0:
            raise QgsProcessingException(self.tr("The box layer has no features."))
        class_field = (self.parameterAsFields(parameters, self.CLASS_FIELD, context) or [""])[0]
        if source.fields().indexFromName(class_field) < 0:
            raise QgsProcessingException(
                self.tr("The box layer has no class field {field}; its fields: {fields}.").format(
                    field=class_field or "-", fields=", ".join(source.fields().names()) or "-"
                )
            )
        id_field = (self.parameterAsFields(parameters, self.ID_FIELD, context) or [None])[0]
        checkpoint = self.own_checkpoint(parameters, context, self.CHECKPOINT)
        labels = self._optional_output(parameters, self.OUTPUT_LABELS, context)
        instances = self._optional_output(parameters, self.OUTPUT_INSTANCES, context)
        dataset = self._optional_output(parameters, self.OUTPUT_DATASET, context)
        chip_px = self.parameterAsInt(parameters, self.CHIP_SIZE, context)
        model = (self.parameterAsEnumString(parameters, self.MODEL, context) or "").strip()
        request = BoxToMaskRequest(
            raster_path=layer.source(),  # stand-ins until the files exist (below)
            boxes_path="boxes.gpkg",
            output_path="box_to_mask.gpkg",
            class_field="class",
            boxes_layer="boxes",
            id_field="box_id",
            model=model or BoxToMaskRequest.DEFAULT_MODEL,
            checkpoint=checkpoint,
            device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
            prompt=SAMRS_PROMPT_MODES[self.parameterAsEnum(parameters, self.PROMPT, context)],
            parts=SAMRS_PARTS[self.parameterAsEnum(parameters, self.PARTS, context)],
            chip_px=chip_px if chip_px > 0 else None,
            context_px=self.parameterAsInt(parameters, self.CONTEXT, context),
            label_raster_path=labels,
            instance_raster_path=instances,
            dataset_dir=dataset,
            dataset_crop_px=self.parameterAsInt(parameters, self.DATASET_CROP, context),
        )
        self.job_params(request)  # validates before starting the backend or exporting

        client = self.backend_client(feedback)
        work_dir = self.new_work_dir()
        try:
            request.raster_path = self.raster_for_backend(layer, work_dir, context, feedback)
            request.boxes_path = self.features_for_backend(
                source,
                work_dir / "boxes.gpkg",
                "boxes",
                {"class": class_field, "box_id": id_field},
                feedback,
            )
            request.output_path = str(work_dir / "box_to_mask.gpkg")
            params = self.job_params(request)
            result = self.run_job(client, request.KIND, params, feedback, (0.0, JOB_PROGRESS_END))
            summary = result.summary
            results = self.copy_sink_outputs(
                result.outputs.get("gpkg", request.output_path),
                summary,
                parameters,
                context,
                layer.crs(),
                feedback,
            )
            for warning in summary.get("warnings") or []:
                feedback.pushWarning(warning)
            for entry in summary.get("skipped") or []:
                feedback.pushInfo(
                    self.tr("Box {box_id} skipped: {reason}").format(
                        box_id=entry.get("box_id"), reason=entry.get("reason")
                    )
                )
            feedback.pushInfo(
                self.tr(
                    "{masks} mask(s) from {valid} valid box(es) of {features}; {skipped} "
                    "skipped; {chips} chip(s) encoded with {model} on {device}."
                ).format(
                    masks=results[self.N_MASKS],
                    valid=summary.get("n_boxes_valid", 0),
                    features=summary.get("n_features", 0),
                    skipped=summary.get("n_skipped", 0),
                    chips=summary.get("n_chips", 0),
                    model=summary.get("model") or request.model,
                    device=summary.get("device") or "?",
                )
            )
            results[self.N_SKIPPED] = int(summary.get("n_skipped") or 0)
            for name, key in (
                (self.OUTPUT_LABELS, "label_raster"),
                (self.OUTPUT_INSTANCES, "instance_raster"),
                (self.OUTPUT_DATASET, "dataset_dir"),
            ):
                if key in result.outputs:
                    results[name] = result.outputs[key]
            return results
        finally:
            self.remove_work_dir(work_dir)

    def _optional_output(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> str | None:
        """The path of an optional raster/folder destination, or None when skipped."""
        if not self.output_requested(parameters, name):
            return None
        if name == self.OUTPUT_DATASET:
            return self.parameterAsString(parameters, name, context) or None
        return self.parameterAsOutputLayer(parameters, name, context) or None
