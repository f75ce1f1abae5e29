""" "Extract road graph (LineGraph2Road)" through processing.run against the real backend.

Runs on the shared SpaceNet Vegas RGB sample (EPSG:4326, 4 bands RGBA). With the shipped
model (``backend/models/weights/linegraph2road_hiera_pico_1m.pt``) the defaults apply; while
that file does not exist yet, a checkpoint with random weights is made once per session
with the backend's own Python and all thresholds are 0, so the graph is not empty either.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from qgis.core import (
    QgsPointXY,
    QgsProcessingException,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)

ALG_ID = "roadextract:extractroadgraph"
MODEL_ID = "linegraph2road_hiera_pico_1m"
SHIPPED_WEIGHTS = Path("backend") / "models" / "weights" / f"{MODEL_ID}.pt"
EDGE_FIELDS = {"edge_id", "node_u", "node_v", "probability", "length_m"}
NODE_FIELDS = {"node_id", "degree", "is_keypoint", "is_overpass", "score"}
# Edge ends and their nodes are the same vertex; allow for float rounding only (degrees).
ENDPOINT_TOLERANCE = 1e-9
MAKE_RANDOM_CHECKPOINT = (
    "import sys, torch\n"
    "from backend.models.registry import get_model\n"
    "model = get_model(sys.argv[1], load_weights=False)\n"
    "torch.save(model.state_dict(), sys.argv[2])\n"
)


@pytest.fixture(scope="session")
def model_params(backend_session, env, tmp_path_factory) -> dict:
    """Parameters that make the model find roads: the shipped model with its defaults, or
    random weights (made here with the backend's Python) and all thresholds at 0; those run
    at 2 m per pixel, since random weights see vertices everywhere and scoring the dense
    candidate graph at the model's 1 m takes four times as long."""
    if (env.REPO_ROOT / SHIPPED_WEIGHTS).is_file():
        return {"MODEL": MODEL_ID}
    checkpoint = tmp_path_factory.mktemp("checkpoint") / "random_weights.pt"
    done = subprocess.run(
        [str(backend_session.python), "-c", MAKE_RANDOM_CHECKPOINT, MODEL_ID, str(checkpoint)],
        cwd=env.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {
        "MODEL": MODEL_ID,
        "CHECKPOINT": str(checkpoint),
        "EDGE_THRESHOLD": 0.0,
        "KEYPOINT_THRESHOLD": 0.0,
        "ROAD_THRESHOLD": 0.0,
        "GSD": 2.0,
    }


def _outputs(tmp_path: Path) -> dict[str, str]:
    return {
        "OUTPUT_EDGES": str(tmp_path / "edges.gpkg"),
        "OUTPUT_NODES": str(tmp_path / "nodes.gpkg"),
    }


@pytest.fixture(scope="module")
def graph_run(backend_session, roadextract, rgb_path, model_params, tmp_path_factory, env):
    """One run of the algorithm on the sample with default settings otherwise, shared by
    the checks below (it is the slow part: the model runs on CPU)."""
    import processing

    # What the per-test `provider` and `backend` fixtures do, for this module-wide run.
    env.ensure_provider_registered(roadextract)
    backend_session.client = backend_session.manager.ensure_running(backend_session.settings)
    backend_session.settings.save()
    outputs = _outputs(tmp_path_factory.mktemp("graph"))
    results = processing.run(ALG_ID, {"INPUT": str(rgb_path), **model_params, **outputs})
    edges = QgsVectorLayer(results["OUTPUT_EDGES"], "edges", "ogr")
    nodes = QgsVectorLayer(results["OUTPUT_NODES"], "nodes", "ogr")
    return SimpleNamespace(results=results, edges=edges, nodes=nodes)


def test_layers_in_raster_crs_inside_extent_and_not_empty(graph_run, rgb_path, env):
    raster = QgsRasterLayer(str(rgb_path), "rgb", "gdal")
    extent = raster.extent().buffered(raster.rasterUnitsPerPixelX() / 2)
    for layer, geometry_type, fields in (
        (graph_run.edges, QgsWkbTypes.LineGeometry, EDGE_FIELDS),
        (graph_run.nodes, QgsWkbTypes.PointGeometry, NODE_FIELDS),
    ):
        assert layer.isValid(), layer.name()
        assert layer.crs().authid() == "EPSG:4326", layer.name()
        assert layer.geometryType() == geometry_type, layer.name()
        assert fields <= set(layer.fields().names()), layer.name()
        assert layer.featureCount() > 0, layer.name()
        assert extent.contains(layer.extent()), layer.name()
    assert graph_run.results["N_EDGES"] == graph_run.edges.featureCount()
    assert graph_run.results["N_NODES"] == graph_run.nodes.featureCount()
    assert not env.processing_temp_leftovers()


def test_edge_ends_are_their_nodes(graph_run):
    nodes = {
        feature["node_id"]: feature.geometry().asPoint()
        for feature in graph_run.nodes.getFeatures()
    }
    assert len(nodes) == graph_run.nodes.featureCount(), "node ids are not unique"
    degree = dict.fromkeys(nodes, 0)
    for feature in graph_run.edges.getFeatures():
        line = feature.geometry().constGet()
        start = QgsPointXY(line.startPoint())
        end = QgsPointXY(line.endPoint())
        for point, node_id in ((start, feature["node_u"]), (end, feature["node_v"])):
            assert node_id in nodes, f"edge {feature['edge_id']}: no node {node_id}"
            assert point.distance(nodes[node_id]) <= ENDPOINT_TOLERANCE, (
                f"edge {feature['edge_id']} ends at {point.asWkt()}, node {node_id} is at "
                f"{nodes[node_id].asWkt()}"
            )
            degree[node_id] += 1
        assert 0.0 <= feature["probability"] <= 1.0
        assert feature["length_m"] > 0.0
    # Every node is an end of as many edges as its degree says (no isolated nodes).
    for feature in graph_run.nodes.getFeatures():
        assert feature["degree"] == degree[feature["node_id"]] > 0


def test_request_matches_the_backend_params_schema(params_schema_properties, rx):
    """Every key the plugin sends is a field of the backend's params model."""
    request = rx.params.ExtractRoadGraphRequest(
        raster_path="/r.tif",
        output_path="/o.gpkg",
        checkpoint="/c.pt",
        device="cpu",
        bands=[1, 2, 3],
        gsd_m=1.0,
        window_px=256,
        road_mask_model=rx.params.ExtractRoadGraphRequest.OWN_ROAD_MASK,
    )
    properties = params_schema_properties(request)
    # The algorithm's defaults are the backend's.
    defaults = dataclasses.asdict(rx.params.ExtractRoadGraphRequest("", ""))
    for name in ("model", "overlap_px", "edge_threshold", "keypoint_threshold", "road_threshold"):
        assert properties[name]["default"] == defaults[name], name
    assert properties["merge_chains"]["default"] is defaults["merge_chains"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"BANDS": [1, 2]}, r"3 bands .* or 1 band"),
        ({"BANDS": [1, 2, 5]}, r"Band 5 does not exist"),
        # The model picker lists the registered LineGraph2Road models only (issue 16).
        ({"MODEL": "no_such_model"}, r"Incorrect parameter value for MODEL"),
        ({"CHECKPOINT": "/nonexistent/weights.pt"}, r"Checkpoint .* does not exist"),
        ({"WINDOW_SIZE": 100}, r"window_px"),
    ],
)
def test_bad_input_fails_cleanly(
    backend, rgb_path, tmp_path, assert_failed_cleanly, params, needle
):
    import processing

    outputs = _outputs(tmp_path)
    with pytest.raises(QgsProcessingException, match=needle):
        processing.run(ALG_ID, {"INPUT": str(rgb_path), **params, **outputs})
    assert_failed_cleanly(outputs)


def test_cancel_leaves_nothing_behind(
    backend, rgb_path, model_params, tmp_path, cancel_once_job_runs, assert_failed_cleanly
):
    import processing

    feedback = cancel_once_job_runs
    outputs = _outputs(tmp_path)
    # The job is cancelled between raster blocks; a coarse GSD keeps it short either way.
    params = {"INPUT": str(rgb_path), **model_params, "GSD": 4.0, **outputs}
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        processing.run(ALG_ID, params, feedback=feedback)
    assert_failed_cleanly(outputs, cancelled_by=feedback)
