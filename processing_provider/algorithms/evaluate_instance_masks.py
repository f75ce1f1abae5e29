"""Processing algorithm "Evaluate instance masks (mIoU)" (job kind
``evaluate_instance_masks``)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.layers import local_raster_path
from ...plugin.params import EvaluateInstanceMasksRequest
from .base import ObjectsAlgorithm


class EvaluateInstanceMasks(ObjectsAlgorithm):
    """mIoU_I and mIoU_P of mask polygons against ground-truth instance masks (SAMRS Eq. 1)."""

    PREDICTIONS = "PREDICTIONS"
    IMAGE = "IMAGE"
    GROUND_TRUTH = "GROUND_TRUTH"
    MATCH = "MATCH"
    ID_FIELD = "ID_FIELD"
    REPORT = "REPORT"
    MIOU_I = "MIOU_I"
    MIOU_P = "MIOU_P"
    N_INSTANCES = "N_INSTANCES"
    N_MATCHED = "N_MATCHED"

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "evaluateinstancemasks"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Evaluate instance masks (mIoU)")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr("miou,iou,instance,mask,evaluate,metric,accuracy,samrs,isaid").split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Scores predicted mask polygons against ground-truth instance masks with the two "
            "metrics of SAMRS (Eq. 1): mIoU_I, the mean IoU over instances, and mIoU_P, the "
            "summed intersections over the summed unions (pixel-weighted).\n\n"
            "Ground truth: a raster of instance ids on the image's grid, one band of ids or an "
            "iSAID *_instance_id_RGB.png (id = R + 256 G + 65536 B); 0 is background. The "
            "polygons are rasterised on that grid. Matching 'iou' pairs predictions and "
            "instances one to one by best IoU; 'id' pairs a prediction with the instance "
            "whose id is in its id field (boxes imported from iSAID carry it in box_id). An "
            "instance without a prediction counts with IoU 0."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = EvaluateInstanceMasksRequest("", "", "")
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.PREDICTIONS, self.tr("Predicted masks"), [QgsProcessing.TypeVectorPolygon]
            )
        )
        self.addParameter(QgsProcessingParameterRasterLayer(self.IMAGE, self.tr("Image")))
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.GROUND_TRUTH, self.tr("Ground-truth instance ids (raster)")
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.MATCH,
                self.tr("Match predictions to instances by"),
                options=list(EvaluateInstanceMasksRequest.MATCHES),
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.ID_FIELD,
                self.tr("Instance id field (matching by id)"),
                defaultValue=defaults.id_field,
                parentLayerParameterName=self.PREDICTIONS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REPORT,
                self.tr("Report (JSON, every instance)"),
                self.tr("JSON files (*.json)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.add_number_outputs(
            (
                (self.MIOU_I, self.tr("mIoU_I (mean over instances)")),
                (self.MIOU_P, self.tr("mIoU_P (pixel-weighted)")),
                (self.N_INSTANCES, self.tr("Number of ground-truth instances")),
                (self.N_MATCHED, self.tr("Number of matched instances")),
            )
        )

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Export the predictions, run the backend job, return the scores."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        source = self.parameterAsSource(parameters, self.PREDICTIONS, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.PREDICTIONS))
        image, truth = (
            local_raster_path(self.raster_layer(parameters, name, context))
            for name in (self.IMAGE, self.GROUND_TRUTH)
        )
        if image is None or truth is None:
            raise QgsProcessingException(
                self.tr("The image and the ground truth must be local raster files.")
            )
        match = EvaluateInstanceMasksRequest.MATCHES[
            self.parameterAsEnum(parameters, self.MATCH, context)
        ]
        id_field = (self.parameterAsFields(parameters, self.ID_FIELD, context) or [None])[0]
        if match == "id" and (id_field is None or source.fields().indexFromName(id_field) < 0):
            raise QgsProcessingException(
                self.tr("Matching by id needs an id field of the predictions; fields: {f}.").format(
                    f=", ".join(source.fields().names()) or "-"
                )
            )
        report_path = self.report_destination(parameters, context, self.REPORT)
        request = EvaluateInstanceMasksRequest(
            "predictions.gpkg", image, truth, "predictions", match, "box_id", report_path
        )
        self.job_params(request)
        client = self.backend_client(feedback)
        work_dir = self.new_work_dir()
        try:
            request.predictions_path = self.features_for_backend(
                source,
                work_dir / "predictions.gpkg",
                "predictions",
                {"box_id": id_field} if match == "id" else {},
                feedback,
            )
            result = self.run_job(client, request.KIND, self.job_params(request), feedback,
                                  (0.0, 100.0))
            summary = result.summary
            results: dict[str, Any] = {
                self.MIOU_I: float(summary.get("miou_i") or 0.0),
                self.MIOU_P: float(summary.get("miou_p") or 0.0),
                self.N_INSTANCES: int(summary.get("n_instances") or 0),
                self.N_MATCHED: int(summary.get("n_matched") or 0),
            }
            feedback.pushInfo(
                self.tr(
                    "mIoU_I {i:.4f}, mIoU_P {p:.4f} over {n} instance(s); {m} matched, {u} "
                    "prediction(s) unmatched."
                ).format(
                    i=results[self.MIOU_I], p=results[self.MIOU_P], n=results[self.N_INSTANCES],
                    m=results[self.N_MATCHED], u=int(summary.get("n_unmatched_predictions") or 0),
                )
            )
            if report_path is not None:
                results[self.REPORT] = result.outputs.get("report", report_path)
            return results
        finally:
            self.remove_work_dir(work_dir)
