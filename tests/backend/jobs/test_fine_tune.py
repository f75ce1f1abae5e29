"""The ``fine_tune`` job end to end: a training set built from a GeoTIFF + roads in another
CRS, a few training steps from the shipped Anchor-SAM, the new model in the registry, and
``segment_roads`` running with it (issue 12); the same for LineGraph2Road
(``extract_road_graph``) and the interactive road model (an interactive session through the
app decodes a click with it)."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("sam2")

from backend.jobs import extract_road_graph, fine_tune_roadgie, segment_roads  # noqa: E402
from backend.jobs.build_training_set import BuildTrainingSetParams  # noqa: E402
from backend.jobs.build_training_set import run as build_set  # noqa: E402
from backend.jobs.fine_tune import FineTuneParams, run, validate  # noqa: E402
from backend.models.registry import get_weights_spec, list_models, model_status  # noqa: E402

from .test_build_training_set import _roads_4326  # noqa: E402


@pytest.fixture
def user_model_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ROADEXTRACT_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path / "models" / "user"


def _training_set(utm_raster, tmp_path):
    out = tmp_path / "set"
    build_set(BuildTrainingSetParams(
        raster_paths=[str(utm_raster)], roads_path=str(_roads_4326(utm_raster, tmp_path)),
        width_field="width", output_dir=str(out), chip_px=64, gsd_m=1.0,
        validation_fraction=0.5, empty_chip_ratio=0.0,
    ))
    return out


def test_fine_tuned_model_joins_the_registry_and_runs(utm_raster, tmp_path, user_model_dir):
    dataset = _training_set(utm_raster, tmp_path)
    messages = []
    result = run(
        FineTuneParams(dataset_dir=str(dataset), model_name="my_area_roads", max_steps=3,
                       time_limit_min=5, device="cpu", crop_px=64, batch_size=2),
        lambda p, m="": messages.append(m),
    )
    summary = result["summary"]
    assert summary["steps"] >= 1 and not summary["stopped_early"]
    assert 1 <= summary["checkpoint_step"] <= summary["steps"]
    assert 0.0 <= summary["iou_before"] <= 1.0 and 0.0 <= summary["iou_after"] <= 1.0
    assert any("held-out IoU" in m for m in messages)
    card = json.loads((user_model_dir / "my_area_roads.json").read_text())
    assert card["base_model"] == "anchor_sam_pico_1m"
    assert card["validation"]["held_out_iou_before"] == summary["iou_before"]
    # The registry lists it with the shipped models, /models shows it, jobs can use it.
    assert "my_area_roads" in list_models()
    assert get_weights_spec("my_area_roads").path() == user_model_dir / "my_area_roads.pt"
    assert any(row["id"] == "my_area_roads" and row["installed"] for row in model_status())
    seg = segment_roads.run(segment_roads.SegmentRoadsParams(
        raster_path=str(utm_raster), probability_path=str(tmp_path / "p.tif"),
        output_path=str(tmp_path / "roads.gpkg"), model="my_area_roads", device="cpu",
    ))
    assert seg["summary"]["model"] == "my_area_roads"
    # The name is now taken.
    with pytest.raises(ValueError, match="exists"):
        validate(FineTuneParams(dataset_dir=str(dataset), model_name="my_area_roads"))


def test_bad_requests_are_refused(utm_raster, tmp_path, user_model_dir):
    dataset = _training_set(utm_raster, tmp_path)
    with pytest.raises(ValueError, match="not a training set"):
        validate(FineTuneParams(dataset_dir=str(tmp_path), model_name="abc"))
    with pytest.raises(ValueError, match="not available yet"):
        validate(FineTuneParams(dataset_dir=str(dataset), model_name="abc",
                                base_model="sam_vit_b"))
    manifest = json.loads((dataset / "manifest.json").read_text())
    (dataset / "manifest.json").write_text(json.dumps({**manifest, "gsd_m": 0.3}))
    with pytest.raises(ValueError, match="ground sample distance of 1 m"):
        validate(FineTuneParams(dataset_dir=str(dataset), model_name="abc"))
    (dataset / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="use 3-64 characters"):
        validate(FineTuneParams(dataset_dir=str(dataset), model_name="My Model"))
    with pytest.raises(ValueError, match="unknown model"):
        validate(FineTuneParams(dataset_dir=str(dataset), model_name="abc", base_model="nope"))
    assert not user_model_dir.exists()


def test_linegraph2road_model_fine_tunes_and_extracts_graphs(
    utm_raster, tmp_path, user_model_dir, monkeypatch
):
    """A LineGraph2Road base: a few steps (1 thread), road F1 / APLS / TOPO before and after,
    a card with the base's inference defaults, then extract_road_graph with the new model."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the training and scoring child processes
    dataset = _training_set(utm_raster, tmp_path)
    messages = []
    result = run(
        FineTuneParams(dataset_dir=str(dataset), model_name="my_area_graph",
                       base_model="linegraph2road_hiera_pico_1m", max_steps=2,
                       time_limit_min=5, device="cpu", batch_size=2),
        lambda p, m="": messages.append(m),
    )
    summary = result["summary"]
    assert summary["method"] == "linegraph2road" and summary["steps"] == 2
    assert summary["checkpoint_step"] == 2  # best.pt of the one validation (the last step)
    for key in ("road_f1", "apls", "topo_f1"):
        for when in ("before", "after"):
            value = summary[f"{key}_{when}"]
            assert value is None or 0.0 <= value <= 1.0, (key, when, value)
    assert summary["road_f1_before"] is not None
    assert any("road-mask F1" in m for m in messages), messages
    card = json.loads((user_model_dir / "my_area_graph.json").read_text())
    base = get_weights_spec("linegraph2road_hiera_pico_1m")
    assert card["registry_architecture"] == "linegraph2road_hiera_pico"
    assert card["variant"] == "hiera_pico"
    # The fine-tuned decoder's own road mask, at the thresholds the base validated with it.
    own = extract_road_graph.inference_defaults(base, own_road_mask=True)
    assert card["inference_defaults"] == own and "road_mask_model" not in own
    assert card["validation"]["held_out_road_f1_after"] == summary["road_f1_after"]
    spec = get_weights_spec("my_area_graph")
    assert spec.method == "linegraph2road"
    assert any(row["id"] == "my_area_graph" and row["method"] == "linegraph2road"
               for row in model_status())  # fmt: skip
    graph = extract_road_graph.run(extract_road_graph.ExtractRoadGraphParams(
        raster_path=str(utm_raster), output_path=str(tmp_path / "graph.gpkg"),
        model="my_area_graph", device="cpu",
    ))  # fmt: skip
    assert graph["summary"]["model"] == "my_area_graph"


def test_interactive_road_model_fine_tunes_and_decodes_clicks(
    utm_raster, tmp_path, user_model_dir, monkeypatch
):
    """The shipped RoadGIE-style model: a few steps (1 thread), Dice after 1/3/5 simulated
    clicks and click consistency before and after, a card with the base's inference
    defaults; then GET /models lists it as a roadgie model (the interactive dock's filter)
    and an interactive session of the road engine decodes a click with it."""
    from fastapi.testclient import TestClient

    from backend.jobs.manager import JobManager
    from backend.service.app import create_app

    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the training and scoring child processes
    dataset = _training_set(utm_raster, tmp_path)
    messages = []
    result = run(
        FineTuneParams(dataset_dir=str(dataset), model_name="my_area_clicks",
                       base_model="roadgie_hiera_pico_1m", max_steps=3, time_limit_min=5,
                       device="cpu", batch_size=2),  # crop_px 256 -> the 64 px chips
        lambda p, m="": messages.append(m),
    )
    summary = result["summary"]
    assert summary["method"] == "roadgie" and summary["steps"] == 3
    assert summary["checkpoint_step"] == 3  # best.pt of the validation at the end
    for key in ("dice_1", "dice_3", "dice_5", "click_consistency"):
        for when in ("before", "after"):
            value = summary[f"{key}_{when}"]
            assert value is not None and 0.0 <= value <= 1.0, (key, when, value)
    assert any("held-out Dice after 1 click" in m for m in messages), messages
    history = [{"step": 5, "loss": 0.8, "elapsed_s": 30.0},
               {"step": 5, "val": {"rounds": {"5": {"dice": 0.5}}}, "best": True}]  # fmt: skip
    assert fine_tune_roadgie.progress_text(history) == (
        0.5, "step 5, loss 0.800, held-out Dice after 5 clicks 0.500"
    )
    card = json.loads((user_model_dir / "my_area_clicks.json").read_text())
    base = get_weights_spec("roadgie_hiera_pico_1m").model_card
    assert card["method"] == "roadgie" and card["registry_architecture"] == "roadgie_hiera_pico"
    assert card["variant"] == "hiera_pico" and card["base_model"] == "roadgie_hiera_pico_1m"
    assert card["inference_defaults"] == base["inference_defaults"]
    assert card["normalisation"] == base["normalisation"]
    assert card["training"]["steps"] == 3 and card["training"]["checkpoint_step"] == 3
    assert card["validation"]["held_out_dice_5_after"] == summary["dice_5_after"]
    assert get_weights_spec("my_area_clicks").method == "roadgie"

    import backend.interactive.cache as cache_mod

    monkeypatch.setenv("ROADEXTRACT_EMBEDDING_CACHE_DIR", str(tmp_path / "embeddings"))
    monkeypatch.setattr(cache_mod, "_CACHE", None)
    jobs = JobManager()
    app = create_app("token", "cpu", user_model_dir.parent, jobs)
    auth = {"Authorization": "Bearer token"}
    try:
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            rows = client.get("/models", headers=auth).json()["models"]
            road_models = [r["id"] for r in rows if r["method"] == "roadgie" and r["installed"]]
            assert {"roadgie_hiera_pico_1m", "my_area_clicks"} <= set(road_models)
            created = client.post("/jobs", headers=auth, json={
                "kind": "interactive_encode",
                "params": {"raster_path": str(utm_raster), "engine": "road",
                           "model": "my_area_clicks", "device": "cpu"},
            })  # fmt: skip
            assert created.status_code == 201, created.text
            job_id = created.json()["job_id"]
            deadline = time.monotonic() + 120
            while client.get(f"/jobs/{job_id}", headers=auth).json()["status"] not in (
                "succeeded", "failed", "cancelled"
            ) and time.monotonic() < deadline:  # fmt: skip
                time.sleep(0.05)
            encoded = client.get(f"/jobs/{job_id}/result", headers=auth).json()["summary"]
            assert encoded["engine"] == "road" and encoded["model"] == "my_area_clicks"
            # A positive click on the horizontal road (row 60 of the 0.5 m raster).
            click = {"x": 40.5, "y": 60.5, "label": 1}
            decoded = client.post(f"/interactive/{encoded['session_id']}/predict",
                                  headers=auth, json={"points": [click]})  # fmt: skip
            assert decoded.status_code == 200, decoded.text
            out = decoded.json()
            assert out["round"] == 1 and out["geometry"]["type"] == "MultiPolygon"
            assert out["area_m2"] > 0  # the engine keeps the clicked pixel road
    finally:
        jobs.shutdown()
