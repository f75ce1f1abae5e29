"""The ``evaluate_road_graph`` job: APLS and TOPO of a proposed line layer against a
ground-truth line layer (the "Evaluate road graph" algorithm and ``run evaluate-road-graph``).
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from backend.eval.apls import AplsParams
from backend.eval.compare import evaluate_road_graph_files
from backend.eval.topo import TopoParams
from backend.geo.outputs import JobOutputs
from backend.jobs.output_checks import check_file_output
from backend.runtime.progress import Progress, no_progress


class EvaluateRoadGraphParams(BaseModel):
    """Parameters of ``evaluate_road_graph``; distances in metres (both layers are measured
    in the ground truth's metric CRS, or its UTM zone when it is geographic)."""

    ground_truth_path: str = Field(description="Ground-truth centerlines (any OGR format).")
    proposal_path: str = Field(description="Proposed centerlines (any OGR format, any CRS).")
    ground_truth_layer: str | None = Field(None, description="Layer name in a multi-layer file.")
    proposal_layer: str | None = Field(None, description="Layer name in a multi-layer file.")
    report_path: str | None = Field(None, description="Optional JSON report to write.")
    snap_tolerance_m: float = Field(
        1.0, ge=0, description="Endpoint snapping when noding the TOPO graphs (m)."
    )
    apls_linestring_delta_m: float = Field(
        200.0,
        gt=0,
        description="APLS control-point spacing on long curved edges (m; SpaceNet 200).",
    )
    apls_is_curved_eps: float = Field(
        0.12,
        description="APLS: edges straighter than this get no extra control points (SpaceNet 0.12).",
    )
    apls_snap_buffer_m: float = Field(
        4.0, gt=0, description="APLS snapping buffer (m; SpaceNet 4)."
    )
    apls_node_snap_tolerance_m: float = Field(
        0.0,
        ge=0,
        description=(
            "APLS: join line ends within this distance (m; SpaceNet 0: shared vertices only)."
        ),
    )
    topo_max_distance_m: float = Field(300.0, gt=0, description="TOPO propagation distance (m).")
    topo_interval_m: float = Field(5.0, gt=0, description="TOPO sample spacing (m).")
    topo_match_radius_m: float = Field(10.0, gt=0, description="TOPO matching radius (m).")
    topo_num_seeds: int = Field(100, ge=1, description="TOPO seed locations.")
    seed: int = Field(0, description="Random seed of APLS/TOPO sampling.")


def validate(params: EvaluateRoadGraphParams) -> None:
    """Both files exist; the report path (if any) is writable. Raises ValueError."""
    for path in (params.ground_truth_path, params.proposal_path):
        if not os.path.exists(path):
            raise ValueError(f"Vector file not found: {path}.")
    if params.report_path:
        check_file_output(
            params.report_path,
            (".json",),
            inputs=(params.ground_truth_path, params.proposal_path),
            estimate_bytes=2**20,
        )


def run(params: EvaluateRoadGraphParams, report: Progress = no_progress) -> dict:
    """Compute the metrics; ``summary`` holds the scores (see backend.eval.compare)."""
    validate(params)
    report(5.0, "Reading and noding both layers")
    result = evaluate_road_graph_files(
        params.ground_truth_path,
        params.proposal_path,
        ground_truth_layer=params.ground_truth_layer,
        proposal_layer=params.proposal_layer,
        snap_tolerance_m=params.snap_tolerance_m,
        apls_params=AplsParams(
            linestring_delta_m=params.apls_linestring_delta_m,
            is_curved_eps=params.apls_is_curved_eps,
            snap_buffer_m=params.apls_snap_buffer_m,
            node_snap_tolerance_m=params.apls_node_snap_tolerance_m,
            seed=params.seed,
        ),
        topo_params=TopoParams(
            max_distance_m=params.topo_max_distance_m,
            interval_m=params.topo_interval_m,
            match_radius_m=params.topo_match_radius_m,
            num_seeds=params.topo_num_seeds,
            seed=params.seed,
        ),
    )
    report(
        95.0,
        f"{result['apls_definition']}: {result['apls']:.3f}, TOPO F1 {result['topo_f1']:.3f}"
        + (f" ({result['note']})" if result["note"] else ""),
    )
    outputs = {}
    if params.report_path:
        with JobOutputs() as staged:
            staged.stage_json(params.report_path, result)
            staged.publish(report)
        outputs["report"] = params.report_path
    return {"outputs": outputs, "summary": result}
