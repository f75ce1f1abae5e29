"""Processing algorithm "Evaluate road graph" (job kind ``evaluate_road_graph``)."""

from __future__ import annotations

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
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
)

from ...plugin.layers import LayerError, vector_file_for_backend
from ...plugin.params import EvaluateRoadGraphRequest
from .base import RoadExtractAlgorithm, number_range


class EvaluateRoadGraph(RoadExtractAlgorithm):
    """Score proposed road centerlines against ground-truth centerlines (APLS and TOPO)."""

    GROUND_TRUTH = "GROUND_TRUTH"
    PROPOSAL = "PROPOSAL"
    SNAP_TOLERANCE = "SNAP_TOLERANCE"
    APLS_LINESTRING_DELTA = "APLS_LINESTRING_DELTA"
    APLS_IS_CURVED_EPS = "APLS_IS_CURVED_EPS"
    APLS_NODE_SNAP_TOLERANCE = "APLS_NODE_SNAP_TOLERANCE"
    APLS_SNAP_BUFFER = "APLS_SNAP_BUFFER"
    TOPO_MATCH_RADIUS = "TOPO_MATCH_RADIUS"
    TOPO_INTERVAL = "TOPO_INTERVAL"
    TOPO_MAX_DISTANCE = "TOPO_MAX_DISTANCE"
    TOPO_NUM_SEEDS = "TOPO_NUM_SEEDS"
    SEED = "SEED"
    REPORT = "REPORT"
    APLS = "APLS"
    APLS_GT_TO_PROPOSAL = "APLS_GT_TO_PROPOSAL"
    APLS_PROPOSAL_TO_GT = "APLS_PROPOSAL_TO_GT"
    TOPO_PRECISION = "TOPO_PRECISION"
    TOPO_RECALL = "TOPO_RECALL"
    TOPO_F1 = "TOPO_F1"

    # Output name -> key of the job summary (backend/eval/compare.py).
    SCORES = {
        APLS: "apls",
        APLS_GT_TO_PROPOSAL: "apls_gt_to_proposal",
        APLS_PROPOSAL_TO_GT: "apls_proposal_to_gt",
        TOPO_PRECISION: "topo_precision",
        TOPO_RECALL: "topo_recall",
        TOPO_F1: "topo_f1",
    }

    def name(self) -> str:
        """Untranslated algorithm id."""
        return "evaluateroadgraph"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        """Translated name shown in the toolbox."""
        return self.tr("Evaluate road graph")

    def tags(self) -> list[str]:
        """Search keywords."""
        return self.tr("road,graph,centerline,evaluate,metric,accuracy,apls,topo").split(",")

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        """Translated help shown next to the parameters."""
        return self.tr(
            "Scores proposed road centerlines against ground-truth centerlines with two "
            "graph metrics, each between 0 (nothing right) and 1 (identical):\n\n"
            "APLS (average path length similarity) follows the SpaceNet definition, "
            "convention for convention: lines join only at shared vertices, a road drawn "
            "twice is dropped, pieces shorter than 5 m are dropped; control points sit on "
            "every node and on long curved roads; each control point snaps onto the other "
            "graph within the snap buffer (4 m) and shortest-path lengths are compared in "
            "both directions (ground truth to proposal and back). An empty proposal scores "
            "0. Changing an APLS setting from its default is reported with the score.\n\n"
            "TOPO samples the roads every 'interval' metres out to 'maximum distance' "
            "metres from random seed locations and matches samples within the match "
            "radius: precision, recall and F1; for TOPO, line ends closer than the snap "
            "tolerance are joined.\n\n"
            "Both layers are measured in metres, in the ground truth's CRS when "
            "it is projected in metres, else in its UTM zone; the proposal may be in any "
            "CRS. Layers that are not local files (memory layers, selections, database "
            "tables) are exported to a temporary GeoPackage first.\n\n"
            "The work runs in the RoadExtract backend, which is started on first use "
            "(see Raster > RoadExtract > Settings)."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare the parameters and outputs."""
        defaults = EvaluateRoadGraphRequest("", "")
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.GROUND_TRUTH,
                self.tr("Ground-truth road centerlines"),
                [QgsProcessing.TypeVectorLine],
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.PROPOSAL,
                self.tr("Proposed road centerlines"),
                [QgsProcessing.TypeVectorLine],
            )
        )
        metres = (
            (
                self.APLS_LINESTRING_DELTA,
                self.tr("APLS control point spacing on long curved roads (metres)"),
                defaults.apls_linestring_delta_m,
            ),
            (
                self.APLS_SNAP_BUFFER,
                self.tr("APLS snap buffer (metres)"),
                defaults.apls_snap_buffer_m,
            ),
            (
                self.TOPO_MATCH_RADIUS,
                self.tr("TOPO match radius (metres)"),
                defaults.topo_match_radius_m,
            ),
            (
                self.TOPO_INTERVAL,
                self.tr("TOPO sample interval (metres)"),
                defaults.topo_interval_m,
            ),
            (
                self.TOPO_MAX_DISTANCE,
                self.tr("TOPO maximum distance from a seed (metres)"),
                defaults.topo_max_distance_m,
            ),
        )
        for name, description, default in metres:
            self.addParameter(
                QgsProcessingParameterNumber(
                    name,
                    description,
                    type=QgsProcessingParameterNumber.Double,
                    defaultValue=default,
                    minValue=0.01,  # the request's bounds are > 0, which a widget cannot say
                )
            )
        advanced = [
            QgsProcessingParameterNumber(
                self.TOPO_NUM_SEEDS,
                self.tr("TOPO seed locations"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.topo_num_seeds,
                **number_range(EvaluateRoadGraphRequest, "topo_num_seeds"),
            ),
            QgsProcessingParameterNumber(
                self.SEED,
                self.tr("Random seed"),
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=defaults.seed,
            ),
            QgsProcessingParameterNumber(
                self.SNAP_TOLERANCE,
                self.tr("TOPO: join line ends closer than (metres)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.snap_tolerance_m,
                **number_range(EvaluateRoadGraphRequest, "snap_tolerance_m"),
            ),
            QgsProcessingParameterNumber(
                self.APLS_IS_CURVED_EPS,
                self.tr("APLS: roads straighter than this get no extra control points"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.apls_is_curved_eps,
            ),
            QgsProcessingParameterNumber(
                self.APLS_NODE_SNAP_TOLERANCE,
                self.tr("APLS: join line ends closer than (metres; SpaceNet: 0)"),
                type=QgsProcessingParameterNumber.Double,
                defaultValue=defaults.apls_node_snap_tolerance_m,
                **number_range(EvaluateRoadGraphRequest, "apls_node_snap_tolerance_m"),
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REPORT,
                self.tr("Report (JSON)"),
                self.tr("JSON files (*.json)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.add_number_outputs(
            (
                (self.APLS, self.tr("APLS")),
                (self.APLS_GT_TO_PROPOSAL, self.tr("APLS, ground truth to proposal")),
                (self.APLS_PROPOSAL_TO_GT, self.tr("APLS, proposal to ground truth")),
                (self.TOPO_PRECISION, self.tr("TOPO precision")),
                (self.TOPO_RECALL, self.tr("TOPO recall")),
                (self.TOPO_F1, self.tr("TOPO F1")),
            )
        )

    def processAlgorithm(  # noqa: N802 - QGIS API
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Pass both layers to the backend as files, run the job, return the scores."""
        feedback = feedback or QgsProcessingFeedback()  # alg.run() may pass none
        report_path = self.report_destination(parameters, context, self.REPORT)
        client = self.backend_client(feedback)
        work_dir = self.new_work_dir()
        try:
            gt_path, gt_layer = self._vector_file(
                parameters, self.GROUND_TRUTH, "ground_truth", context, work_dir, feedback
            )
            prop_path, prop_layer = self._vector_file(
                parameters, self.PROPOSAL, "proposal", context, work_dir, feedback
            )
            request = EvaluateRoadGraphRequest(
                ground_truth_path=gt_path,
                proposal_path=prop_path,
                ground_truth_layer=gt_layer,
                proposal_layer=prop_layer,
                report_path=report_path,
                snap_tolerance_m=self.parameterAsDouble(parameters, self.SNAP_TOLERANCE, context),
                apls_linestring_delta_m=self.parameterAsDouble(
                    parameters, self.APLS_LINESTRING_DELTA, context
                ),
                apls_is_curved_eps=self.parameterAsDouble(
                    parameters, self.APLS_IS_CURVED_EPS, context
                ),
                apls_node_snap_tolerance_m=self.parameterAsDouble(
                    parameters, self.APLS_NODE_SNAP_TOLERANCE, context
                ),
                apls_snap_buffer_m=self.parameterAsDouble(
                    parameters, self.APLS_SNAP_BUFFER, context
                ),
                topo_max_distance_m=self.parameterAsDouble(
                    parameters, self.TOPO_MAX_DISTANCE, context
                ),
                topo_interval_m=self.parameterAsDouble(parameters, self.TOPO_INTERVAL, context),
                topo_match_radius_m=self.parameterAsDouble(
                    parameters, self.TOPO_MATCH_RADIUS, context
                ),
                topo_num_seeds=self.parameterAsInt(parameters, self.TOPO_NUM_SEEDS, context),
                seed=self.parameterAsInt(parameters, self.SEED, context),
            )
            params = self.job_params(request)
            result = self.run_job(client, request.KIND, params, feedback, (0.0, 100.0))
            summary = result.summary
            results: dict[str, Any] = {
                name: float(summary.get(key) or 0.0) for name, key in self.SCORES.items()
            }
            feedback.pushInfo(self._summary_text(results, summary))
            if report_path is not None:
                results[self.REPORT] = result.outputs.get("report", report_path)
            return results
        finally:
            self.remove_work_dir(work_dir)

    def _vector_file(
        self,
        parameters: dict[str, Any],
        name: str,
        file_stem: str,
        context: QgsProcessingContext,
        work_dir: Path,
        feedback: QgsProcessingFeedback,
    ) -> tuple[str, str | None]:
        """Return ``(path, layer_name)`` of a local file with the features of parameter
        ``name``: the layer's own file when it is one and is used whole, else an export.

        Raises:
            QgsProcessingException: The layer is invalid, has no features, or the export
                failed.
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
        if source.featureCount() == 0:
            raise QgsProcessingException(
                self.tr(
                    "Layer {name} has no features (with 'Selected features only': nothing is "
                    "selected)."
                ).format(name=layer.name())
            )
        try:
            path, layer_name, exported = vector_file_for_backend(
                layer,
                work_dir,
                file_stem,
                features=None if whole_layer else source,
                transform_context=context.transformContext(),
                feedback=feedback,
            )
        except LayerError as exc:
            raise QgsProcessingException(str(exc)) from exc
        if exported:
            feedback.pushInfo(
                self.tr("Layer {name} was exported to {path} for the backend.").format(
                    name=layer.name(), path=path
                )
            )
        return path, layer_name

    def _summary_text(self, scores: dict[str, float], summary: dict[str, Any]) -> str:
        """A readable summary of the scores and of both graphs."""
        ground_truth = summary.get("ground_truth") or {}
        proposal = summary.get("proposal") or {}
        text = self.tr(
            "{definition}: {apls:.3f} (ground truth to proposal {gt_to_prop:.3f}, proposal to "
            "ground truth {prop_to_gt:.3f})\n"
            "TOPO: precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}\n"
            "Ground truth: {gt_edges} edge(s), {gt_km:.2f} km; proposal: {prop_edges} "
            "edge(s), {prop_km:.2f} km (measured in {crs})."
        ).format(
            definition=summary.get("apls_definition") or "APLS",
            apls=scores[self.APLS],
            gt_to_prop=scores[self.APLS_GT_TO_PROPOSAL],
            prop_to_gt=scores[self.APLS_PROPOSAL_TO_GT],
            precision=scores[self.TOPO_PRECISION],
            recall=scores[self.TOPO_RECALL],
            f1=scores[self.TOPO_F1],
            gt_edges=int(ground_truth.get("n_edges") or 0),
            gt_km=float(ground_truth.get("length_m") or 0.0) / 1000.0,
            prop_edges=int(proposal.get("n_edges") or 0),
            prop_km=float(proposal.get("length_m") or 0.0) / 1000.0,
            crs=summary.get("crs") or "?",
        )
        note = summary.get("note")
        return f"{text}\n{note}" if note else text
