"""Processing algorithm "Import DOTA / DIOR / FAIR1M / iSAID boxes" (job kind
``import_box_annotations``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterRasterLayer,
)

from ...plugin.layers import local_raster_path
from ...plugin.params import ImportBoxAnnotationsRequest
from .base import JOB_PROGRESS_END, ObjectsAlgorithm, SinkOutput


class ImportBoxAnnotations(ObjectsAlgorithm):
    """A detection annotation file as a box layer placed on its image."""

    ANNOTATIONS = "ANNOTATIONS"
    IMAGE = "IMAGE"
    FORMAT = "FORMAT"
    OUTPUT = "OUTPUT"
    N_BOXES = "N_BOXES"

    BOXES_LAYER = "boxes"

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "importboxannotations"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Import DOTA / DIOR / FAIR1M / iSAID boxes")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr("dota,dior,fair1m,isaid,voc,labeltxt,annotation,box,import,detection").split(
            ","
        )

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Reads a detection annotation file and writes its boxes as polygons placed on "
            "the image through the image's geotransform, with the fields class, difficult "
            "and box_id. An image without georeference gets its pixel frame (x = column, "
            "y = -row, no CRS), which is how QGIS shows such images.\n\n"
            "Formats: DOTA v1 / v1.5 / v2 labelTxt (.txt, oriented boxes), DIOR Pascal VOC "
            "XML (horizontal boxes), FAIR1M 2.0 XML (oriented boxes), and iSAID instance "
            "masks (*_instance_id_RGB.png: one horizontal box per instance, the class from "
            "the matching *_instance_color_RGB.png). 'auto' tells them apart by name and "
            "content.\n\nThe result feeds 'Boxes to masks (SAMRS)'."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        self.addParameter(
            QgsProcessingParameterFile(
                self.ANNOTATIONS,
                self.tr("Annotation file"),
                behavior=QgsProcessingParameterFile.File,
                fileFilter=self.tr(
                    "Annotations (*.txt *.xml *.png);;DOTA labelTxt (*.txt);;"
                    "DIOR / FAIR1M XML (*.xml);;iSAID instance ids (*.png);;All files (*)"
                ),
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.IMAGE, self.tr("Image of the annotations"))
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.FORMAT,
                self.tr("Format"),
                options=list(ImportBoxAnnotationsRequest.FORMATS),
                defaultValue=0,
            )
        )
        self.add_sink_outputs()

    def sink_outputs(self) -> tuple[SinkOutput, ...]:
        """The box layer."""
        return (
            SinkOutput(
                self.OUTPUT,
                self.tr("Boxes"),
                QgsProcessing.TypeVectorPolygon,
                self.BOXES_LAYER,
                self.N_BOXES,
                self.tr("Number of boxes"),
                "n_boxes",
            ),
        )

    def no_output_message(self) -> str:
        """Translated message for a run without the output."""
        return self.tr("Choose where to write the boxes.")

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Run the backend import and copy the boxes into the sink."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        annotation = self.parameterAsFile(parameters, self.ANNOTATIONS, context)
        if not annotation or not Path(annotation).is_file():
            raise QgsProcessingException(
                self.tr("Annotation file {path} does not exist.").format(path=annotation or "-")
            )
        layer = self.raster_layer(parameters, self.IMAGE, context)
        image = local_raster_path(layer)
        if image is None:
            raise QgsProcessingException(
                self.tr(
                    "The image must be a local raster file (the annotations are in its pixels)."
                )
            )
        fmt = ImportBoxAnnotationsRequest.FORMATS[
            self.parameterAsEnum(parameters, self.FORMAT, context)
        ]
        request = ImportBoxAnnotationsRequest(annotation, image, "boxes.gpkg", fmt)
        self.job_params(request)
        client = self.backend_client(feedback)
        work_dir = self.new_work_dir()
        try:
            request.output_path = str(work_dir / "boxes.gpkg")
            result = self.run_job(
                client, request.KIND, self.job_params(request), feedback, (0.0, JOB_PROGRESS_END)
            )
            results = self.copy_sink_outputs(
                result.outputs.get("gpkg", request.output_path),
                result.summary,
                parameters,
                context,
                layer.crs(),
                feedback,
            )
            counts = result.summary.get("class_counts") or {}
            feedback.pushInfo(
                self.tr("{n} box(es) ({fmt}): {classes}").format(
                    n=results[self.N_BOXES],
                    fmt=result.summary.get("format", fmt),
                    classes=", ".join(f"{k} {v}" for k, v in counts.items()) or "-",
                )
            )
            if result.summary.get("n_outside"):
                feedback.pushWarning(
                    self.tr("{n} box(es) lie outside the image.").format(
                        n=result.summary["n_outside"]
                    )
                )
            return results
        finally:
            self.remove_work_dir(work_dir)
