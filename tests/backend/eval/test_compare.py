"""Tests of backend.eval.compare: file-level evaluation (CRS handling, real data)."""

from __future__ import annotations

import json

import pyogrio.raw
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString

from backend.eval.compare import evaluate_graphs, evaluate_road_graph_files
from backend.eval.graph import graph_from_lines, project_lines

from ._lines import grid_lines, write_lines

UTM11 = CRS.from_epsg(32611)
ORIGIN_UTM11 = (660_000.0, 4_000_000.0)  # Las Vegas area


def test_evaluate_graphs_identical():
    graph = graph_from_lines(grid_lines(2, 200.0))
    result = evaluate_graphs(graph, graph)
    assert result["apls"] == 1.0
    assert result["topo_f1"] == 1.0
    assert result["ground_truth"]["n_edges"] == 12
    json.dumps(result)  # serialisable for the HTTP API / CLI


def test_files_in_different_crs_are_compared_in_metres(tmp_path):
    # Same grid: ground truth in EPSG:4326 (GeoJSON), proposal in EPSG:3857 (GeoPackage)
    # -> both go to UTM 11N and match perfectly.
    lines = grid_lines(2, 200.0, origin=ORIGIN_UTM11)
    gt = write_lines(tmp_path / "gt.geojson", project_lines(lines, UTM11, "EPSG:4326"), "EPSG:4326")
    prop = write_lines(
        tmp_path / "prop.gpkg", project_lines(lines, UTM11, "EPSG:3857"), "EPSG:3857"
    )
    result = evaluate_road_graph_files(gt, prop)
    assert result["crs"] == "EPSG:32611"
    assert result["apls"] == pytest.approx(1.0, abs=1e-6)
    assert result["topo_f1"] == pytest.approx(1.0)
    assert result["proposal"]["length_m"] == pytest.approx(12 * 200.0, rel=1e-6)
    assert result["proposal"]["path"] == str(prop)


def test_layers_that_cannot_be_compared(tmp_path):
    lines = grid_lines(1, 200.0, origin=ORIGIN_UTM11)
    gt = write_lines(tmp_path / "gt.gpkg", lines, "EPSG:32611")
    no_crs = write_lines(tmp_path / "no_crs.gpkg", lines, None)
    with pytest.raises(ValueError, match="no_crs.gpkg has no CRS"):
        evaluate_road_graph_files(gt, no_crs)
    # UTM coordinates labelled as a different zone land ~500 km away.
    wrong = write_lines(tmp_path / "wrong.gpkg", lines, "EPSG:32615")
    with pytest.raises(ValueError, match="do not overlap.*check that each layer's CRS"):
        evaluate_road_graph_files(gt, wrong)


def test_spacenet_real_centerlines(spacenet_centerlines, tmp_path):
    # Real SpaceNet 3 Vegas centerlines (EPSG:4326) against themselves -> 1, and against a
    # copy without 3 of its 9 features -> less than 1.
    same = evaluate_road_graph_files(spacenet_centerlines, spacenet_centerlines)
    assert same["crs"] == "EPSG:32611"
    assert same["apls"] == pytest.approx(1.0)
    assert (same["topo_precision"], same["topo_recall"], same["topo_f1"]) == (1.0, 1.0, 1.0)

    meta, _, wkb, _ = pyogrio.raw.read(str(spacenet_centerlines), columns=[])
    lines = list(shapely.from_wkb(wkb))
    assert len(lines) == 9
    partial = write_lines(tmp_path / "partial.geojson", lines[3:], meta["crs"])
    missing = evaluate_road_graph_files(spacenet_centerlines, partial)
    assert missing["apls"] < 0.95
    assert missing["apls_gt_to_proposal"] < missing["apls_proposal_to_gt"]
    assert missing["topo_recall"] < 0.9
    assert missing["topo_precision"] > 0.95
    assert missing["topo_f1"] < 0.95


def test_proposal_with_short_gap_loses_both_metrics(tmp_path):
    # A 10 m gap in one inner street of a 2x2 grid: paths detour (APLS) and the TOPO walks
    # stop at the gap (recall), while every proposed point is still correct (precision).
    lines = grid_lines(2, 200.0, origin=(0.0, 0.0))
    gapped = [g for g in lines if list(g.coords) != [(200.0, 0.0), (200.0, 200.0)]]
    gapped.append(LineString([(200, 0), (200, 95)]))
    gapped.append(LineString([(200, 105), (200, 200)]))
    gt_path = write_lines(tmp_path / "gt.gpkg", lines, "EPSG:32611")
    prop_path = write_lines(tmp_path / "prop.gpkg", gapped, "EPSG:32611")
    result = evaluate_road_graph_files(gt_path, prop_path)
    assert result["apls"] < 0.95
    assert result["apls_proposal_to_gt"] < 1.0  # detours around the gap are too long
    assert result["topo_recall"] < 0.95
    assert result["topo_precision"] == pytest.approx(1.0)


def test_empty_proposal_scores_zero_with_a_note(tmp_path):
    lines = grid_lines(1, 200.0, origin=ORIGIN_UTM11)
    gt = write_lines(tmp_path / "gt.gpkg", lines, "EPSG:32611")
    empty = write_lines(tmp_path / "empty.gpkg", [], "EPSG:4326")
    result = evaluate_road_graph_files(gt, empty)
    assert result["apls"] == 0.0 and result["topo_recall"] == 0.0
    assert "empty proposal" in result["note"]
    assert result["apls_definition"] == "APLS (SpaceNet definition)"
    assert result["proposal"]["n_edges"] == 0
    json.dumps(result)
