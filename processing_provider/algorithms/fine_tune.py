"""Processing algorithm "Fine-tune road model" (job kind ``fine_tune``, issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputFile,
    QgsProcessingOutputString,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ...plugin.client import BackendClient, BackendError
from ...plugin.params import DEVICES, LEARNING_RATE_PRESETS, FineTuneRequest
from .base import RoadExtractAlgorithm, forget_model_rows, model_parameter, number_range

# How long a cancelled fine-tuning may take to stop: after a cancel the job still exports
# the best checkpoint so far and scores it on the held-out chips.
CANCEL_TIMEOUT_S = 30 * 60.0


class FineTuneRoadModel(RoadExtractAlgorithm):
    """Fine-tune a road model on a training set of "Build road training set"."""

    TRAINING_SET = "TRAINING_SET"
    BASE_MODEL = "BASE_MODEL"
    MODEL_NAME = "MODEL_NAME"
    TIME_LIMIT = "TIME_LIMIT"
    MAX_STEPS = "MAX_STEPS"
    LEARNING_RATE = "LEARNING_RATE"
    DEVICE = "DEVICE"
    CROP_SIZE = "CROP_SIZE"
    BATCH_SIZE = "BATCH_SIZE"
    MODEL = "MODEL"
    WEIGHTS = "WEIGHTS"
    IOU_BEFORE = "IOU_BEFORE"
    IOU_AFTER = "IOU_AFTER"
    ROAD_F1_BEFORE = "ROAD_F1_BEFORE"
    ROAD_F1_AFTER = "ROAD_F1_AFTER"
    APLS_BEFORE = "APLS_BEFORE"
    APLS_AFTER = "APLS_AFTER"
    TOPO_F1_BEFORE = "TOPO_F1_BEFORE"
    TOPO_F1_AFTER = "TOPO_F1_AFTER"
    DICE_1_BEFORE = "DICE_1_BEFORE"
    DICE_1_AFTER = "DICE_1_AFTER"
    DICE_3_BEFORE = "DICE_3_BEFORE"
    DICE_3_AFTER = "DICE_3_AFTER"
    DICE_5_BEFORE = "DICE_5_BEFORE"
    DICE_5_AFTER = "DICE_5_AFTER"
    CLICK_CONSISTENCY_BEFORE = "CLICK_CONSISTENCY_BEFORE"
    CLICK_CONSISTENCY_AFTER = "CLICK_CONSISTENCY_AFTER"
    STEPS = "STEPS"
    # Number outputs of the LineGraph2Road family: (before, after, summary key).
    GRAPH_SCORES = (
        (ROAD_F1_BEFORE, ROAD_F1_AFTER, "road_f1"),
        (APLS_BEFORE, APLS_AFTER, "apls"),
        (TOPO_F1_BEFORE, TOPO_F1_AFTER, "topo_f1"),
    )
    # Number outputs of the interactive road model: (before, after, summary key).
    CLICK_SCORES = (
        (DICE_1_BEFORE, DICE_1_AFTER, "dice_1"),
        (DICE_3_BEFORE, DICE_3_AFTER, "dice_3"),
        (DICE_5_BEFORE, DICE_5_AFTER, "dice_5"),
        (CLICK_CONSISTENCY_BEFORE, CLICK_CONSISTENCY_AFTER, "click_consistency"),
    )

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "finetuneroadmodel"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Fine-tune road model")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr(
            "road,fine-tune,training,transfer learning,model,anchor-sam,linegraph2road,graph,"
            "roadgie,interactive,clicks,deep learning,aerial"
        ).split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Adapts a road model to your imagery with a training set made by 'Build road "
            "training set'.\n\n"
            "The base model is an Anchor-SAM model (Segment roads), a LineGraph2Road "
            "model (Extract road graph) or an interactive road model (the road engine of "
            "the interactive extraction dock), shipped or fine-tuned before. It is first "
            "scored on the held-out chips (Anchor-SAM: road IoU at 0.5; LineGraph2Road: "
            "road-mask F1, APLS and TOPO F1 at the model's own thresholds; interactive "
            "model: mean Dice after 1, 3 and 5 simulated clicks and click consistency), then "
            "trained from its weights for the time budget (or the maximum number of steps), "
            "keeping the checkpoint that scores best on the held-out chips; the log shows "
            "the loss and the held-out scores as training goes. The new model is saved "
            "under its name in the backend's user model folder with a model card, scored "
            "again, and appears in the model lists of its family (algorithms or the "
            "interactive dock). Results: the model id and the held-out scores before and "
            "after.\n\n"
            "Cancelling while training stops it and still saves the best checkpoint so far. "
            "Learning rate: gentle (1e-4) changes the model least, strong (1e-3) most. The "
            "training crop size applies to Anchor-SAM and the interactive model (at most the "
            "chip size); LineGraph2Road trains on crops of its window size.\n\n"
            "The work runs in the RoadExtract backend, which is started on first use "
            "(see Raster > RoadExtract > Settings); 'auto' runs on the backend's device."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = FineTuneRequest("", "")
        self.addParameter(
            QgsProcessingParameterFile(
                self.TRAINING_SET,
                self.tr("Training set folder (from 'Build road training set')"),
                behavior=QgsProcessingParameterFile.Folder,
            )
        )
        self.addParameter(
            model_parameter(
                self.BASE_MODEL,
                self.tr("Base model"),
                FineTuneRequest.METHODS,
                FineTuneRequest.DEFAULT_MODEL,
            )
        )
        name = QgsProcessingParameterString(self.MODEL_NAME, self.tr("Name of the new model"))
        name.setHelp(
            self.tr("3 to 64 characters a-z, 0-9 and _, starting with a letter; not taken yet.")
        )
        self.addParameter(name)
        self.addParameter(
            QgsProcessingParameterNumber(
                self.TIME_LIMIT,
                self.tr("Training time budget (minutes)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.time_limit_min,
                minValue=0.1,  # the request's bound is > 0, which a widget cannot say
                maxValue=number_range(FineTuneRequest, "time_limit_min")["maxValue"],
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.LEARNING_RATE,
                self.tr("Learning rate"),
                options=[
                    self.tr("gentle (1e-4)"),
                    self.tr("normal (3e-4)"),
                    self.tr("strong (1e-3)"),
                ],
                defaultValue=LEARNING_RATE_PRESETS.index(defaults.learning_rate),
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.DEVICE, self.tr("Device"), options=list(DEVICES), defaultValue=0
            )
        )
        advanced = [
            QgsProcessingParameterNumber(
                self.MAX_STEPS,
                self.tr("Maximum training steps"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.max_steps,
                **number_range(FineTuneRequest, "max_steps"),
            ),
            QgsProcessingParameterNumber(
                self.CROP_SIZE,
                self.tr("Training crop size (pixels, a multiple of 32)"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.crop_px,
                **number_range(FineTuneRequest, "crop_px"),
            ),
            QgsProcessingParameterNumber(
                self.BATCH_SIZE,
                self.tr("Crops per training step"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.batch_size,
                **number_range(FineTuneRequest, "batch_size"),
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.addOutput(QgsProcessingOutputString(self.MODEL, self.tr("New model id")))
        self.addOutput(QgsProcessingOutputFile(self.WEIGHTS, self.tr("New model weights")))
        self.add_number_outputs(
            (
                (self.IOU_BEFORE, self.tr("Held-out road IoU of the base model")),
                (self.IOU_AFTER, self.tr("Held-out road IoU of the new model")),
                (self.ROAD_F1_BEFORE, self.tr("Held-out road-mask F1 of the base model")),
                (self.ROAD_F1_AFTER, self.tr("Held-out road-mask F1 of the new model")),
                (self.APLS_BEFORE, self.tr("Held-out APLS of the base model")),
                (self.APLS_AFTER, self.tr("Held-out APLS of the new model")),
                (self.TOPO_F1_BEFORE, self.tr("Held-out TOPO F1 of the base model")),
                (self.TOPO_F1_AFTER, self.tr("Held-out TOPO F1 of the new model")),
                (self.DICE_1_BEFORE, self.tr("Held-out Dice after 1 click, base model")),
                (self.DICE_1_AFTER, self.tr("Held-out Dice after 1 click, new model")),
                (self.DICE_3_BEFORE, self.tr("Held-out Dice after 3 clicks, base model")),
                (self.DICE_3_AFTER, self.tr("Held-out Dice after 3 clicks, new model")),
                (self.DICE_5_BEFORE, self.tr("Held-out Dice after 5 clicks, base model")),
                (self.DICE_5_AFTER, self.tr("Held-out Dice after 5 clicks, new model")),
                (self.CLICK_CONSISTENCY_BEFORE, self.tr("Click consistency of the base model")),
                (self.CLICK_CONSISTENCY_AFTER, self.tr("Click consistency of the new model")),
                (self.STEPS, self.tr("Training steps")),
            )
        )

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Check the inputs, run the backend job, report the held-out scores before and
        after."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        dataset_dir = self.parameterAsFile(parameters, self.TRAINING_SET, context) or ""
        if not (Path(dataset_dir) / "manifest.json").is_file():
            raise QgsProcessingException(
                self.tr(
                    "{path} is not a training set (no manifest.json); make one with 'Build "
                    "road training set' first."
                ).format(path=dataset_dir)
            )
        base_model = (
            self.parameterAsEnumString(parameters, self.BASE_MODEL, context) or ""
        ).strip()
        request = FineTuneRequest(
            dataset_dir=dataset_dir,
            model_name=(self.parameterAsString(parameters, self.MODEL_NAME, context) or "").strip(),
            base_model=base_model or FineTuneRequest.DEFAULT_MODEL,
            time_limit_min=self.parameterAsDouble(parameters, self.TIME_LIMIT, context),
            max_steps=self.parameterAsInt(parameters, self.MAX_STEPS, context),
            learning_rate=LEARNING_RATE_PRESETS[
                self.parameterAsEnum(parameters, self.LEARNING_RATE, context)
            ],
            device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
            crop_px=self.parameterAsInt(parameters, self.CROP_SIZE, context),
            batch_size=self.parameterAsInt(parameters, self.BATCH_SIZE, context),
        )
        params = self.job_params(request)  # validates before starting the backend

        client = self.backend_client(feedback)
        self.check_model(client, request.base_model, None, FineTuneRequest.METHODS)
        self._check_name_is_free(client, request.model_name)
        result = self.run_job(
            client,
            request.KIND,
            params,
            feedback,
            (0.0, 100.0),
            cancel_timeout_s=CANCEL_TIMEOUT_S,
            keep_result_on_cancel=True,
        )
        # Every model list (Segment roads, Extract road graph, this one) shows the new model
        # from now on: the pickers are filled from a fresh GET /models.
        forget_model_rows()
        summary = result.summary
        results: dict[str, Any] = {
            self.MODEL: str(summary.get("model") or request.model_name),
            self.WEIGHTS: str(result.outputs.get("weights") or ""),
            self.IOU_BEFORE: _number(summary.get("iou_before")),
            self.IOU_AFTER: _number(summary.get("iou_after")),
            self.STEPS: int(summary.get("steps") or 0),
        }
        for before, after, key in self.GRAPH_SCORES + self.CLICK_SCORES:
            results[before] = _number(summary.get(f"{key}_before"))
            results[after] = _number(summary.get(f"{key}_after"))
        text = self.tr(
            "New model {model} ({steps} step(s) from {base} in {minutes:.1f} min on {device})."
        ).format(
            model=results[self.MODEL],
            steps=results[self.STEPS],
            base=summary.get("base_model") or request.base_model,
            minutes=float(summary.get("minutes") or 0.0),
            device=summary.get("device") or "?",
        )
        graph = summary.get("method") == "linegraph2road"
        clicks = summary.get("method") == "roadgie"
        if clicks:
            text += " " + self.tr(
                "Held-out Dice after 1 / 3 / 5 clicks: {d1_before} / {d3_before} / "
                "{d5_before} before, {d1_after} / {d3_after} / {d5_after} after; click "
                "consistency: {c_before} before, {c_after} after."
            ).format(
                d1_before=_text(results[self.DICE_1_BEFORE]),
                d3_before=_text(results[self.DICE_3_BEFORE]),
                d5_before=_text(results[self.DICE_5_BEFORE]),
                d1_after=_text(results[self.DICE_1_AFTER]),
                d3_after=_text(results[self.DICE_3_AFTER]),
                d5_after=_text(results[self.DICE_5_AFTER]),
                c_before=_text(results[self.CLICK_CONSISTENCY_BEFORE]),
                c_after=_text(results[self.CLICK_CONSISTENCY_AFTER]),
            )
        elif graph:
            text += " " + self.tr(
                "Held-out road-mask F1: {f1_before} before, {f1_after} after; APLS: "
                "{apls_before} before, {apls_after} after; TOPO F1: {topo_before} before, "
                "{topo_after} after."
            ).format(
                f1_before=_text(results[self.ROAD_F1_BEFORE]),
                f1_after=_text(results[self.ROAD_F1_AFTER]),
                apls_before=_text(results[self.APLS_BEFORE]),
                apls_after=_text(results[self.APLS_AFTER]),
                topo_before=_text(results[self.TOPO_F1_BEFORE]),
                topo_after=_text(results[self.TOPO_F1_AFTER]),
            )
        else:
            text += " " + self.tr("Held-out road IoU: {before} before, {after} after.").format(
                before=_text(results[self.IOU_BEFORE]), after=_text(results[self.IOU_AFTER])
            )
        feedback.pushInfo(text)
        if summary.get("stopped_early"):
            feedback.pushWarning(
                self.tr(
                    "Training was cancelled; the best checkpoint so far was saved as {model}."
                ).format(model=results[self.MODEL])
            )
        pairs = [(self.IOU_BEFORE, self.IOU_AFTER)]
        if graph:  # APLS where both were scored, else the road-mask F1
            pairs = [(self.APLS_BEFORE, self.APLS_AFTER), (self.ROAD_F1_BEFORE, self.ROAD_F1_AFTER)]
        elif clicks:  # Dice after 5 clicks
            pairs = [(self.DICE_5_BEFORE, self.DICE_5_AFTER)]
        scored = [(results[b], results[a]) for b, a in pairs if results[b] is not None]
        scored = [(b, a) for b, a in scored if a is not None]
        if scored and scored[0][1] < scored[0][0]:
            feedback.pushWarning(
                self.tr(
                    "The new model scores lower on the held-out chips than {base}: train "
                    "longer, use a gentler learning rate or more data."
                ).format(base=request.base_model)
            )
        return results

    def _check_name_is_free(self, client: BackendClient, name: str) -> None:
        """Refuse a model name the backend already lists (it refuses it too).

        Raises:
            QgsProcessingException: The name is taken.
        """
        try:
            rows = client.models().get("models", [])
        except BackendError:
            return  # the job's own check then answers
        if any(isinstance(row, dict) and row.get("id") == name for row in rows):
            raise QgsProcessingException(
                self.tr("A model named {name} exists already; choose another name.").format(
                    name=name
                )
            )


def _number(value: Any) -> float | None:
    """A score of the job summary as a float; None where the family does not give it."""
    return None if value is None else float(value)


def _text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
