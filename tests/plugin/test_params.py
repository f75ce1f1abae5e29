"""Typed requests produce the JSON params of docs/backend_api.md."""

from __future__ import annotations

import pytest

CONTRACT_KEYS = {
    "raster_path",
    "output_path",
    "band",
    "threshold",
    "simplify_tolerance_m",
    "min_area_m2",
    "prune_spur_length_m",
    "tile_size_px",
    "polygons",
    "centerlines",
}


def test_road_mask_to_vectors_params(rx):
    request = rx.params.RoadMaskToVectorsRequest(
        raster_path="/data/mask.tif", output_path="/tmp/out.gpkg", band=2, threshold=0.3
    )
    params = request.to_params()
    assert request.KIND == "road_mask_to_vectors"
    assert set(params) == CONTRACT_KEYS
    assert params["band"] == 2 and isinstance(params["band"], int)
    assert params["threshold"] == pytest.approx(0.3)
    assert params["prune_spur_length_m"] == 10.0
    assert params["polygons"] is True and params["centerlines"] is True


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("band", 0, "band"),
        ("threshold", 1.5, "threshold"),
        ("threshold", float("nan"), "threshold"),
        ("min_area_m2", -1.0, "min_area_m2"),
        ("simplify_tolerance_m", -1.0, "simplify_tolerance_m"),
        ("output_path", "/tmp/out.shp", "output_path"),
        ("tile_size_px", 8, "tile_size_px"),
    ],
)
def test_invalid_values_name_the_field(rx, field, value, needle):
    request = rx.params.RoadMaskToVectorsRequest(raster_path="/m.tif", output_path="/o.gpkg")
    setattr(request, field, value)
    with pytest.raises(rx.params.RequestError, match=needle):
        request.to_params()


def test_needs_an_output(rx):
    request = rx.params.RoadMaskToVectorsRequest(
        raster_path="/m.tif", output_path="/o.gpkg", polygons=False, centerlines=False
    )
    with pytest.raises(rx.params.RequestError, match="polygons"):
        request.validate()


# The combinations the backend's params models refuse at submission (issue 15; backend side:
# tests/backend/service/test_submission_checks.py) are refused here first, naming the field.
def test_box_to_mask_chip_must_hold_the_context(rx):
    request = rx.params.BoxToMaskRequest(
        raster_path="/i.tif", boxes_path="/b.gpkg", output_path="/o.gpkg", chip_px=64,
        context_px=32,
    )  # fmt: skip
    with pytest.raises(rx.params.RequestError, match="chip_px"):
        request.validate()
    request.chip_px = 65
    request.validate()


@pytest.mark.parametrize("id_field", ["", "  "])
def test_evaluate_instance_masks_match_by_id_needs_a_field(rx, id_field):
    request = rx.params.EvaluateInstanceMasksRequest(
        predictions_path="/p.gpkg", raster_path="/i.tif", ground_truth_path="/g.tif",
        match="id", id_field=id_field,
    )  # fmt: skip
    with pytest.raises(rx.params.RequestError, match="id_field"):
        request.validate()
    request.match = "iou"
    request.validate()


def test_extract_road_graph_params(rx):
    request = rx.params.ExtractRoadGraphRequest(
        raster_path="/data/rgb.tif", output_path="/tmp/graph.gpkg"
    )
    params = request.to_params()
    assert request.KIND == "extract_road_graph"
    # Optional fields and device "auto" are left to the backend (its device, its defaults;
    # thresholds: the model card's validated values).
    assert set(params) == {"raster_path", "output_path", "model", "overlap_px", "merge_chains"}
    assert params["model"] == "linegraph2road_hiera_pico_1m"
    assert params["overlap_px"] == 96

    request = rx.params.ExtractRoadGraphRequest(
        raster_path="/data/rgb.tif",
        output_path="/tmp/graph.gpkg",
        checkpoint="/w/own.pt",
        device="cpu",
        bands=[3, 2, 1],
        gsd_m=0.5,
        window_px=512,
        overlap_px=128,
        edge_threshold=0.2,
        road_mask_model="none",
        road_mask_test_time_augmentation=4,
        border_extension_px=0,
        merge_chains=True,
    )
    params = request.to_params()
    assert params["border_extension_px"] == 0.0  # 0 is sent: off, not the card's default
    assert params["road_mask_model"] == "none"
    assert params["road_mask_test_time_augmentation"] == 4
    assert params["checkpoint"] == "/w/own.pt"
    assert params["device"] == "cpu"
    assert params["bands"] == [3, 2, 1]
    assert params["gsd_m"] == pytest.approx(0.5)
    assert params["window_px"] == 512 and isinstance(params["window_px"], int)
    assert params["overlap_px"] == 128
    assert params["edge_threshold"] == pytest.approx(0.2)
    assert params["merge_chains"] is True


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("output_path", "/tmp/out.shp", "output_path"),
        ("model", " ", "model"),
        ("device", "tpu", "device"),
        ("bands", [1, 2], "bands"),
        ("bands", [0, 1, 2], "bands"),
        ("gsd_m", 0.0, "gsd_m"),
        ("window_px", 64, "window_px"),
        ("overlap_px", 64, "d_nei"),
        ("edge_threshold", -0.1, "edge_threshold"),
        ("keypoint_threshold", float("nan"), "keypoint_threshold"),
        ("road_threshold", 2.0, "road_threshold"),
        ("border_extension_px", -1.0, "border_extension_px"),
    ],
)
def test_extract_road_graph_invalid_values_name_the_field(rx, field, value, needle):
    request = rx.params.ExtractRoadGraphRequest(raster_path="/m.tif", output_path="/o.gpkg")
    setattr(request, field, value)
    with pytest.raises(rx.params.RequestError, match=needle):
        request.to_params()


def test_extract_road_graph_overlap_below_window(rx):
    request = rx.params.ExtractRoadGraphRequest(
        raster_path="/m.tif", output_path="/o.gpkg", window_px=128, overlap_px=128
    )
    with pytest.raises(rx.params.RequestError, match="smaller than the window"):
        request.validate()


def test_evaluate_road_graph_params(rx):
    request = rx.params.EvaluateRoadGraphRequest(
        ground_truth_path="/gt.geojson", proposal_path="/p.gpkg", proposal_layer="proposal"
    )
    params = request.to_params()
    assert request.KIND == "evaluate_road_graph"
    assert params == {
        "ground_truth_path": "/gt.geojson",
        "proposal_path": "/p.gpkg",
        "proposal_layer": "proposal",
        "snap_tolerance_m": 1.0,
        "apls_linestring_delta_m": 200.0,
        "apls_is_curved_eps": 0.12,
        "apls_snap_buffer_m": 4.0,
        "apls_node_snap_tolerance_m": 0.0,
        "topo_max_distance_m": 300.0,
        "topo_interval_m": 5.0,
        "topo_match_radius_m": 10.0,
        "topo_num_seeds": 100,
        "seed": 0,
    }
    request.report_path = "/tmp/report.json"
    assert request.to_params()["report_path"] == "/tmp/report.json"


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("ground_truth_path", "", "ground_truth_path"),
        ("proposal_path", "", "proposal_path"),
        ("report_path", "/tmp/report.txt", "report_path"),
        ("snap_tolerance_m", -1.0, "snap_tolerance_m"),
        ("apls_linestring_delta_m", 0.0, "apls_linestring_delta_m"),
        ("apls_is_curved_eps", float("nan"), "apls_is_curved_eps"),
        ("apls_node_snap_tolerance_m", -1.0, "apls_node_snap_tolerance_m"),
        ("topo_match_radius_m", float("nan"), "topo_match_radius_m"),
        ("topo_num_seeds", 0, "topo_num_seeds"),
    ],
)
def test_evaluate_road_graph_invalid_values_name_the_field(rx, field, value, needle):
    request = rx.params.EvaluateRoadGraphRequest(ground_truth_path="/g", proposal_path="/p")
    setattr(request, field, value)
    with pytest.raises(rx.params.RequestError, match=needle):
        request.to_params()


def test_scheduler_is_sent_only_when_given(rx):
    for request_class in (
        rx.params.RoadMaskToVectorsRequest,
        rx.params.SegmentRoadsRequest,
        rx.params.ExtractRoadGraphRequest,
    ):
        request = request_class(raster_path="/r.tif", output_path="/o.gpkg")
        if hasattr(request, "probability_path"):
            request.probability_path = "/p.tif"
        assert "scheduler" not in request.to_params()
        request.scheduler = ""
        assert "scheduler" not in request.to_params()
        request.scheduler = "local:2"
        assert request.to_params()["scheduler"] == "local:2"


def test_build_training_set_params(rx):
    request = rx.params.BuildTrainingSetRequest(
        raster_paths=["/a/area.tif", "/b/other.tif"], roads_path="/r.gpkg", output_dir="/set"
    )
    params = request.to_params()
    assert request.KIND == "build_training_set"
    # Unset optional fields are left to the backend (gsd_m: the first raster's).
    assert set(params) == {
        "raster_paths", "roads_path", "output_dir", "default_width_m", "chip_px",
        "validation_fraction", "empty_chip_ratio", "consistency_iou_min",
    }  # fmt: skip
    request.width_field, request.gsd_m, request.aoi_path = "width", 0.5, "/aoi.gpkg"
    request.refine_model = "anchor_sam_pico_1m"
    params = request.to_params()
    assert params["width_field"] == "width" and params["gsd_m"] == pytest.approx(0.5)
    assert params["refine_model"] == "anchor_sam_pico_1m"
    assert params["consistency_iou_min"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("raster_paths", [], "raster_paths"),
        ("raster_paths", ["/a/area.tif", "/b/area.tif"], "own file name"),
        ("chip_px", 32, "chip_px"),
        ("default_width_m", 0.0, "default_width_m"),
        ("validation_fraction", 1.0, "validation_fraction: must be >= 0 and < 1"),
        ("empty_chip_ratio", -0.1, "empty_chip_ratio"),
        ("consistency_iou_min", 1.5, "consistency_iou_min"),
    ],
)
def test_build_training_set_invalid_values_name_the_field(rx, field, value, needle):
    request = rx.params.BuildTrainingSetRequest(["/a.tif"], "/r.gpkg", "/set")
    setattr(request, field, value)
    with pytest.raises(rx.params.RequestError, match=needle):
        request.to_params()


def test_fine_tune_params(rx):
    request = rx.params.FineTuneRequest(dataset_dir="/set", model_name="my_area_roads")
    params = request.to_params()
    assert request.KIND == "fine_tune"
    assert params["base_model"] == "anchor_sam_pico_1m" and params["learning_rate"] == "normal"
    assert isinstance(params["max_steps"], int) and isinstance(params["time_limit_min"], float)


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("model_name", "My Model", "model_name"),
        ("model_name", "ab", "model_name"),
        ("base_model", " ", "model"),
        ("learning_rate", "fast", "learning_rate"),
        ("device", "tpu", "device"),
        ("time_limit_min", 0.0, "time_limit_min"),
        ("crop_px", 100, "multiple of 32"),
        ("batch_size", 0, "batch_size"),
    ],
)
def test_fine_tune_invalid_values_name_the_field(rx, field, value, needle):
    request = rx.params.FineTuneRequest(dataset_dir="/set", model_name="my_area_roads")
    setattr(request, field, value)
    with pytest.raises(rx.params.RequestError, match=needle):
        request.to_params()


def test_interactive_encode_takes_one_start_and_only_for_the_road_engine(rx):
    encode = rx.params.InteractiveEncodeRequest
    params = encode(raster_path="/data/view.tif", initial_model="anchor_sam_pico_1m").to_params()
    assert params["initial_model"] == "anchor_sam_pico_1m"
    assert "initial_probability_raster" not in params
    with pytest.raises(rx.params.RequestError, match="not both"):
        encode(
            raster_path="/data/view.tif",
            initial_model="anchor_sam_pico_1m",
            initial_probability_raster="/data/p.tif",
        ).to_params()
    with pytest.raises(rx.params.RequestError, match="initial_model: only the road engine"):
        encode(
            raster_path="/data/view.tif", engine="sam", initial_model="anchor_sam_pico_1m"
        ).to_params()


@pytest.mark.parametrize(
    ("request_class", "field"),
    [
        ("SegmentRoadsRequest", "test_time_augmentation"),
        ("ExtractRoadGraphRequest", "road_mask_test_time_augmentation"),
    ],
)
def test_test_time_views_are_sent_only_when_chosen_and_checked(rx, request_class, field):
    paths = {"raster_path": "/r.tif", "output_path": "/o.gpkg"}
    if request_class == "SegmentRoadsRequest":
        paths["probability_path"] = "/p.tif"
    request = getattr(rx.params, request_class)(**paths)
    assert field not in request.to_params()  # the model card's choice
    for views in rx.params.TEST_TIME_AUGMENTATIONS:
        setattr(request, field, views)
        assert request.to_params()[field] == views
    setattr(request, field, 3)
    with pytest.raises(rx.params.RequestError, match=f"{field}: must be one of 1, 2, 4, 8"):
        request.to_params()
