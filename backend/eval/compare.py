"""Compare a proposed road graph with a ground truth: APLS and TOPO in one call.

Entry points for the CLI and the "Evaluate road graph" Processing algorithm. APLS follows
the SpaceNet definition (``backend.eval.apls``): it builds its graphs from the lines
themselves, joining them only at shared vertices; TOPO uses the noded graph of
``graph_from_lines`` (ends within ``snap_tolerance_m`` joined).
"""

from __future__ import annotations

from os import PathLike

import networkx as nx
import numpy as np
import shapely
from pyproj import CRS

from backend.eval.apls import AplsParams, AplsResult, compute_apls, compute_apls_from_lines
from backend.eval.graph import (
    graph_from_lines,
    metric_crs_for,
    project_lines,
    read_lines,
    total_length_m,
)
from backend.eval.topo import TopoParams, compute_topo


def evaluate_graphs(
    gt_graph: nx.Graph,
    proposal_graph: nx.Graph,
    *,
    apls_params: AplsParams | None = None,
    topo_params: TopoParams | None = None,
) -> dict:
    """APLS and TOPO of ``proposal_graph`` against ``gt_graph``.

    Args:
        gt_graph: ground-truth road graph in metres (``backend.eval.graph``).
        proposal_graph: proposed road graph in the same metric frame.
        apls_params: APLS parameters (default :class:`AplsParams` ()).
        topo_params: TOPO parameters (default :class:`TopoParams` ()).

    Returns:
        JSON-serialisable dict. Headline scores in [0, 1]: ``apls``,
        ``apls_gt_to_proposal``, ``apls_proposal_to_gt``, ``topo_precision``,
        ``topo_recall``, ``topo_f1``; ``details`` holds the full results with counts and
        parameters (``details["apls"]``, ``details["topo"]``); ``ground_truth`` and
        ``proposal`` hold node/edge counts and total length in metres.

    Raises:
        ValueError: see :func:`~backend.eval.apls.compute_apls` and
            :func:`~backend.eval.topo.compute_topo` (empty ground truth, different frames).
    """
    apls_result = compute_apls(gt_graph, proposal_graph, apls_params)
    return _scores(apls_result, gt_graph, proposal_graph, topo_params)


def _scores(
    apls_result: AplsResult,
    gt_graph: nx.Graph,
    proposal_graph: nx.Graph,
    topo_params: TopoParams | None,
) -> dict:
    topo_result = compute_topo(gt_graph, proposal_graph, topo_params)
    return {
        "apls_definition": apls_result.definition,
        "note": apls_result.note,
        "apls": apls_result.apls,
        "apls_gt_to_proposal": apls_result.gt_to_proposal.score,
        "apls_proposal_to_gt": apls_result.proposal_to_gt.score,
        "topo_precision": topo_result.precision,
        "topo_recall": topo_result.recall,
        "topo_f1": topo_result.f1,
        "ground_truth": _graph_summary(gt_graph),
        "proposal": _graph_summary(proposal_graph),
        "details": {"apls": apls_result.to_dict(), "topo": topo_result.to_dict()},
    }


def _graph_summary(graph: nx.Graph) -> dict:
    return {
        "n_nodes": graph.number_of_nodes(),
        "n_edges": graph.number_of_edges(),
        "length_m": total_length_m(graph),
    }


def evaluate_road_graph_files(
    ground_truth_path: str | PathLike,
    proposal_path: str | PathLike,
    *,
    ground_truth_layer: str | int | None = None,
    proposal_layer: str | int | None = None,
    snap_tolerance_m: float = 1.0,
    apls_params: AplsParams | None = None,
    topo_params: TopoParams | None = None,
) -> dict:
    """APLS and TOPO of a proposed centerline layer against a ground-truth layer.

    Both layers are reprojected into one metric frame: the ground-truth CRS when it is
    projected in metres, else the local UTM zone of the ground truth (e.g. for
    EPSG:4326). APLS builds its graphs from the lines (SpaceNet definition); TOPO uses
    the graphs noded by ``graph_from_lines``. A proposal layer without any line feature
    scores 0, with a note.

    Args:
        ground_truth_path: vector file (any OGR format) of ground-truth centerlines.
        proposal_path: vector file of proposed centerlines (any CRS).
        ground_truth_layer: layer name/index, needed for multi-layer files.
        proposal_layer: layer name/index, needed for multi-layer files.
        snap_tolerance_m: endpoint snapping distance when building the TOPO graphs, metres
            (APLS: ``apls_params.node_snap_tolerance_m``).
        apls_params: APLS parameters (default :class:`AplsParams` ()).
        topo_params: TOPO parameters (default :class:`TopoParams` ()).

    Returns:
        The dict of :func:`evaluate_graphs`, plus ``crs`` (authority code or name of
        the metric frame) and ``path``/``layer`` under ``ground_truth`` and ``proposal``.

    Raises:
        ValueError: a layer has no CRS, no line features, non-line geometries, several
            layers and none named; the two layers do not overlap in the metric frame
            (wrong CRS or different areas); or the metrics' own errors.
    """
    gt_lines, gt_crs = read_lines(ground_truth_path, layer=ground_truth_layer)
    prop_lines, prop_crs = read_lines(proposal_path, layer=proposal_layer, allow_empty=True)
    frame = metric_crs_for(gt_crs, gt_lines)
    gt_lines = project_lines(gt_lines, gt_crs, frame)
    prop_lines = project_lines(prop_lines, prop_crs, frame)
    if prop_lines:
        _check_overlap(gt_lines, prop_lines, ground_truth_path, proposal_path, gt_crs, prop_crs)

    gt_graph = graph_from_lines(gt_lines, snap_tolerance_m=snap_tolerance_m, crs=frame)
    prop_graph = graph_from_lines(prop_lines, snap_tolerance_m=snap_tolerance_m, crs=frame)
    apls_result = compute_apls_from_lines(gt_lines, prop_lines, apls_params)
    result = _scores(apls_result, gt_graph, prop_graph, topo_params)
    authority = frame.to_authority()
    result["crs"] = ":".join(authority) if authority else frame.name
    result["ground_truth"].update(path=str(ground_truth_path), layer=ground_truth_layer)
    result["proposal"].update(path=str(proposal_path), layer=proposal_layer)
    return result


def _check_overlap(
    gt_lines: list,
    prop_lines: list,
    gt_path: str | PathLike,
    prop_path: str | PathLike,
    gt_crs: CRS,
    prop_crs: CRS,
) -> None:
    """Raise when the two layers' extents are disjoint (almost always a CRS mistake)."""
    gt_box = shapely.box(*shapely.total_bounds(np.asarray(gt_lines, dtype=object)))
    prop_box = shapely.box(*shapely.total_bounds(np.asarray(prop_lines, dtype=object)))
    # A few metres of slack: a straight road's extent is a degenerate box.
    if gt_box.buffer(10.0).intersects(prop_box.buffer(10.0)):
        return
    gap_km = gt_box.distance(prop_box) / 1000.0
    raise ValueError(
        f"the layers do not overlap: {prop_path} ({prop_crs.name}) lies {gap_km:.1f} km from "
        f"{gt_path} ({gt_crs.name}); check that each layer's CRS is right and that both "
        "cover the same area"
    )
