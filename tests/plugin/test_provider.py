"""The Processing provider loads without a backend; algorithms fail with what to run."""

from __future__ import annotations

import json

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
)


def test_provider_lists_its_algorithms(provider, env):
    assert provider is not None
    assert provider.id() == env.PROVIDER_ID
    assert provider.name() == "RoadExtract"
    assert not provider.icon().isNull()
    ids = {alg.id() for alg in provider.algorithms()}
    all_ids = (env.ROAD_MASK_ALG_ID, env.EXTRACT_ROAD_GRAPH_ALG_ID, env.EVALUATE_ROAD_GRAPH_ALG_ID)
    assert set(all_ids) <= ids
    registry = QgsApplication.processingRegistry()
    for alg_id in all_ids:
        assert registry.algorithmById(alg_id) is not None, alg_id


def test_road_mask_to_vectors_definition(provider, env):
    alg = QgsApplication.processingRegistry().createAlgorithmById(env.ROAD_MASK_ALG_ID)
    assert alg.name() == "roadmasktovectors"
    assert alg.displayName() == "Road mask to vectors"
    assert alg.group() == "Roads" and alg.groupId() == "roads"
    assert alg.shortHelpString()
    names = [p.name() for p in alg.parameterDefinitions()]
    for name in (
        "INPUT",
        "BAND",
        "THRESHOLD",
        "SIMPLIFY_TOLERANCE",
        "MIN_AREA",
        "PRUNE_SPUR_LENGTH",
        "OUTPUT_POLYGONS",
        "OUTPUT_CENTERLINES",
        "OUTPUT_NODES",
    ):
        assert name in names
    sinks = [
        p for p in alg.parameterDefinitions() if isinstance(p, QgsProcessingParameterFeatureSink)
    ]
    assert {p.name() for p in sinks} == {"OUTPUT_POLYGONS", "OUTPUT_CENTERLINES", "OUTPUT_NODES"}
    assert {o.name() for o in alg.outputDefinitions()} >= {"N_POLYGONS", "N_EDGES", "N_NODES"}


def _mask_path(env):
    path = env.SHARED_DATA / "roads" / "spacenet_vegas_pan" / "roadmask_partial.tif"
    if not path.is_file():
        pytest.skip(f"shared data not found: {path}")
    return path


def test_algorithm_without_backend_says_what_to_run(provider, env, rx, state_dir, tmp_path):
    import processing

    missing_python = tmp_path / "no-venv" / "bin" / "python"
    # A stale state file of a backend that is gone must not be taken for a running one.
    (state_dir / "backend.json").write_text(
        json.dumps({"url": "http://127.0.0.1:9", "port": 9, "token": "t", "pid": 999999})
    )
    env.save_plugin_settings(
        rx.package, backend_python=str(missing_python), state_dir=str(state_dir)
    )
    outputs = {name: str(tmp_path / f"{name}.gpkg") for name in ("P", "C", "N")}
    with pytest.raises(QgsProcessingException) as info:
        processing.run(
            env.ROAD_MASK_ALG_ID,
            {
                "INPUT": str(_mask_path(env)),
                "OUTPUT_POLYGONS": outputs["P"],
                "OUTPUT_CENTERLINES": outputs["C"],
                "OUTPUT_NODES": outputs["N"],
            },
        )
    message = str(info.value)
    assert "make install" in message
    assert "make serve" in message
    assert "RoadExtract > Settings" in message
    assert str(missing_python) in message
    assert not any((tmp_path / f"{name}.gpkg").exists() for name in outputs)
    assert not env.processing_temp_leftovers()


def test_algorithm_refuses_to_write_nothing(provider, env):
    alg = QgsApplication.processingRegistry().createAlgorithmById(env.ROAD_MASK_ALG_ID)
    from qgis.core import QgsProcessingContext

    ok, message = alg.checkParameterValues({"INPUT": str(_mask_path(env))}, QgsProcessingContext())
    assert not ok
    assert "at least one output" in message


def _definitions(alg) -> dict:
    return {p.name(): p for p in alg.parameterDefinitions()}


def _assert_test_time_augmentation_choice(parameter) -> None:
    """First the model card's choice (the default), then 1, 2, 4 and 8 views; advanced and
    optional (graphical models saved before it existed still run)."""
    assert isinstance(parameter, QgsProcessingParameterEnum)
    assert len(parameter.options()) == 5 and parameter.defaultValue() == 0
    assert [option.split()[0] for option in parameter.options()[1:]] == ["1", "2", "4", "8"]
    assert parameter.flags() & QgsProcessingParameterDefinition.FlagAdvanced
    assert parameter.flags() & QgsProcessingParameterDefinition.FlagOptional


def test_extract_road_graph_definition(provider, env):
    alg = QgsApplication.processingRegistry().createAlgorithmById(env.EXTRACT_ROAD_GRAPH_ALG_ID)
    assert alg.name() == "extractroadgraph"
    assert alg.displayName() == "Extract road graph (LineGraph2Road)"
    assert alg.group() == "Roads" and alg.groupId() == "roads"
    assert alg.shortHelpString()
    params = _definitions(alg)
    assert set(params) == {
        "INPUT",
        "BANDS",
        "MODEL",
        "CHECKPOINT",
        "GSD",
        "WINDOW_SIZE",
        "OVERLAP",
        "EDGE_THRESHOLD",
        "KEYPOINT_THRESHOLD",
        "ROAD_THRESHOLD",
        "OWN_ROAD_MASK",
        "ROAD_MASK_TEST_TIME_AUGMENTATION",
        "BORDER_EXTENSION",
        "MERGE_CHAINS",
        "DEVICE",
        "SCHEDULER",
        "ADDITIONAL_SCENES",
        "TARGET_CRS",
        "OUTPUT_EDGES",
        "OUTPUT_NODES",
    }
    advanced = QgsProcessingParameterDefinition.FlagAdvanced
    assert params["SCHEDULER"].flags() & advanced
    assert params["SCHEDULER"].flags() & QgsProcessingParameterDefinition.FlagOptional
    bands = params["BANDS"]
    assert isinstance(bands, QgsProcessingParameterBand)
    assert bands.allowMultiple() and bands.parentLayerParameterName() == "INPUT"
    optional = QgsProcessingParameterDefinition.FlagOptional
    for name in ("BANDS", "CHECKPOINT", "GSD", "WINDOW_SIZE", "OUTPUT_EDGES", "OUTPUT_NODES"):
        assert params[name].flags() & optional, name
    assert params["MODEL"].defaultValue() == "linegraph2road_hiera_pico_1m"
    assert params["OVERLAP"].defaultValue() == 96 and params["OVERLAP"].minimum() == 65
    for name in ("EDGE_THRESHOLD", "KEYPOINT_THRESHOLD", "ROAD_THRESHOLD"):
        # Empty by default: the backend uses the model card's validated thresholds.
        assert params[name].defaultValue() is None, name
        assert params[name].flags() & optional, name
        assert (params[name].minimum(), params[name].maximum()) == (0.0, 1.0), name
    assert params["MERGE_CHAINS"].defaultValue() is False
    # Unticked: the backend uses the road mask model the card names.
    assert params["OWN_ROAD_MASK"].defaultValue() is False
    assert params["OWN_ROAD_MASK"].flags() & advanced
    assert params["OWN_ROAD_MASK"].flags() & optional  # older saved models lack it
    _assert_test_time_augmentation_choice(params["ROAD_MASK_TEST_TIME_AUGMENTATION"])
    # Empty by default: the card's validated extension; 0 switches it off.
    border = params["BORDER_EXTENSION"]
    assert border.defaultValue() is None and border.minimum() == 0.0
    assert border.flags() & advanced and border.flags() & optional
    device = params["DEVICE"]
    assert isinstance(device, QgsProcessingParameterEnum)
    assert device.options() == ["auto", "cpu", "cuda", "mps"] and device.defaultValue() == 0
    sinks = {
        p.name(): p
        for p in alg.parameterDefinitions()
        if isinstance(p, QgsProcessingParameterFeatureSink)
    }
    assert set(sinks) == {"OUTPUT_EDGES", "OUTPUT_NODES"}
    assert sinks["OUTPUT_EDGES"].dataType() == QgsProcessing.TypeVectorLine
    assert sinks["OUTPUT_NODES"].dataType() == QgsProcessing.TypeVectorPoint
    assert {o.name() for o in alg.outputDefinitions()} >= {"N_EDGES", "N_NODES"}


def test_extract_road_graph_refuses_to_write_nothing(provider, env):
    alg = QgsApplication.processingRegistry().createAlgorithmById(env.EXTRACT_ROAD_GRAPH_ALG_ID)
    ok, message = alg.checkParameterValues({"INPUT": str(_mask_path(env))}, QgsProcessingContext())
    assert not ok
    assert "at least one output" in message


def test_evaluate_road_graph_definition(provider, env):
    alg = QgsApplication.processingRegistry().createAlgorithmById(env.EVALUATE_ROAD_GRAPH_ALG_ID)
    assert alg.name() == "evaluateroadgraph"
    assert alg.displayName() == "Evaluate road graph"
    assert alg.group() == "Roads" and alg.groupId() == "roads"
    assert alg.shortHelpString()
    params = _definitions(alg)
    for name in ("GROUND_TRUTH", "PROPOSAL"):
        assert isinstance(params[name], QgsProcessingParameterFeatureSource), name
        assert params[name].dataTypes() == [QgsProcessing.TypeVectorLine], name
    # The backend's defaults (backend/jobs/evaluate_road_graph.py).
    expected_defaults = {
        "APLS_LINESTRING_DELTA": 200.0,
        "APLS_IS_CURVED_EPS": 0.12,
        "APLS_NODE_SNAP_TOLERANCE": 0.0,
        "APLS_SNAP_BUFFER": 4.0,
        "TOPO_MATCH_RADIUS": 10.0,
        "TOPO_INTERVAL": 5.0,
        "TOPO_MAX_DISTANCE": 300.0,
        "TOPO_NUM_SEEDS": 100,
        "SEED": 0,
        "SNAP_TOLERANCE": 1.0,
    }
    for name, default in expected_defaults.items():
        assert params[name].defaultValue() == default, name
    report = params["REPORT"]
    assert isinstance(report, QgsProcessingParameterFileDestination)
    assert report.flags() & QgsProcessingParameterDefinition.FlagOptional
    assert not report.createByDefault()
    assert report.defaultFileExtension() == "json"
    assert {o.name() for o in alg.outputDefinitions()} >= {
        "APLS",
        "APLS_GT_TO_PROPOSAL",
        "APLS_PROPOSAL_TO_GT",
        "TOPO_PRECISION",
        "TOPO_RECALL",
        "TOPO_F1",
    }


@pytest.mark.parametrize("name", ["roadmasktovectors", "segmentroads", "extractroadgraph"])
def test_raster_algorithms_take_optional_scenes_and_a_target_crs(provider, env, name):
    alg = QgsApplication.processingRegistry().createAlgorithmById(f"{env.PROVIDER_ID}:{name}")
    params = _definitions(alg)
    scenes, target = params["ADDITIONAL_SCENES"], params["TARGET_CRS"]
    assert isinstance(scenes, QgsProcessingParameterMultipleLayers)
    assert scenes.layerType() == QgsProcessing.TypeRaster
    assert isinstance(target, QgsProcessingParameterCrs)
    for parameter in (scenes, target):
        assert parameter.flags() & QgsProcessingParameterDefinition.FlagOptional
        assert parameter.help()


def test_segment_roads_offers_the_test_time_views(provider, env):
    alg = QgsApplication.processingRegistry().createAlgorithmById(f"{env.PROVIDER_ID}:segmentroads")
    _assert_test_time_augmentation_choice(_definitions(alg)["TEST_TIME_AUGMENTATION"])
