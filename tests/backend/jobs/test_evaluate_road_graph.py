import json

import pytest

from backend.jobs.evaluate_road_graph import EvaluateRoadGraphParams, run
from backend.jobs.road_mask_to_vectors import RoadMaskToVectorsParams
from backend.jobs.road_mask_to_vectors import run as mask_to_vectors


def test_mask_to_vectors_output_scores_high_against_the_real_centerlines(shared_data, tmp_path):
    base = shared_data / "roads/spacenet_vegas_pan"
    gpkg = tmp_path / "roads.gpkg"
    mask_to_vectors(
        RoadMaskToVectorsParams(
            raster_path=str(base / "roadmask_partial.tif"), output_path=str(gpkg)
        )
    )
    report = tmp_path / "report.json"
    result = run(
        EvaluateRoadGraphParams(
            ground_truth_path=str(base / "centerlines_partial.geojson"),
            proposal_path=str(gpkg),
            proposal_layer="road_centerlines",
            report_path=str(report),
        )
    )
    # The mask was rasterised from these centerlines: the skeleton graph must match closely.
    assert result["summary"]["apls"] > 0.95 and result["summary"]["topo_f1"] > 0.95
    assert json.loads(report.read_text())["apls"] == result["summary"]["apls"]


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        run(
            EvaluateRoadGraphParams(
                ground_truth_path=str(tmp_path / "a.gpkg"), proposal_path=str(tmp_path / "b.gpkg")
            )
        )
