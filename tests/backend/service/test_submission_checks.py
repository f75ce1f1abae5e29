"""Parameter combinations that can never work are refused when the job is created (issue 15,
case 7): the real backend answers 400 naming the field at once, instead of 201 and a failed
job later. Every other part of each request is valid (real files), so only the combination
is at fault; the plugin's requests refuse the same (tests/plugin/test_params.py)."""

import httpx
import pytest

from backend.jobs.kinds import get_job_kind


def _cases(data_dir, tmp_path):
    raster = str(data_dir / "roads_utm33n.tif")
    return [
        # Nothing to write: the job used to run and then fail (or publish an empty file).
        ("road_mask_to_vectors", "polygons, centerlines", {
            "raster_path": raster, "output_path": str(tmp_path / "a.gpkg"),
            "polygons": False, "centerlines": False}),
        # The sliding window must be larger than its overlap (checked only after the model
        # loaded before).
        ("extract_road_graph", "overlap_px", {
            "raster_path": raster, "output_path": str(tmp_path / "b.gpkg"),
            "window_px": 128, "overlap_px": 128}),
        # A chip must hold a box plus its context on both sides (chips.py raised in run()).
        ("box_to_mask", "chip_px", {
            "raster_path": raster, "boxes_path": raster, "output_path": str(tmp_path / "c.gpkg"),
            "chip_px": 64, "context_px": 32}),
        # Matching by id needs a field to match by (failed after reading the predictions).
        ("evaluate_instance_masks", "id_field", {
            "predictions_path": raster, "raster_path": raster, "ground_truth_path": raster,
            "match": "id", "id_field": " "}),
    ]  # fmt: skip


def test_params_models_refuse_the_combinations(data_dir, tmp_path):
    for kind, field, params in _cases(data_dir, tmp_path):
        model = get_job_kind(kind).params_model
        with pytest.raises(ValueError, match=field):
            model.model_validate(params)


def test_real_backend_answers_400_naming_the_field(live_backend, data_dir, tmp_path):
    auth = {"Authorization": f"Bearer {live_backend['token']}"}
    for kind, field, params in _cases(data_dir, tmp_path):
        r = httpx.post(
            f"{live_backend['url']}/jobs", headers=auth, json={"kind": kind, "params": params}
        )
        assert r.status_code == 400, (kind, r.text)
        assert field in r.json()["detail"], (kind, r.text)
    assert list(tmp_path.iterdir()) == []
