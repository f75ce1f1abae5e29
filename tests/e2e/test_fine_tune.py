""" "Build road training set" and "Fine-tune road model" through processing.run against the
real backend (issue 12): a set from a small UTM GeoTIFF and road lines in EPSG:4326 (a
memory layer, so the plugin exports it), a few training steps from the shipped Anchor-SAM,
then "Segment roads" with the new model, which every Anchor-SAM model list now shows; the
same set fine-tunes the shipped LineGraph2Road model for two steps and "Extract road graph"
runs with that one, and the shipped interactive road model (RoadGIE-style) for three steps,
which the interactive dock's model list (GET /models filtered by the road engine's methods)
then offers and an interactive session decodes a click with. Bad input is refused before
any work, with nothing written.

The backend of this module runs with a private model folder (``ROADEXTRACT_MODEL_DIR``), so
the user's own models are neither seen nor touched."""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

gdal.UseExceptions()

BUILD_ID = "roadextract:buildroadtrainingset"
FINE_TUNE_ID = "roadextract:finetuneroadmodel"
SEGMENT_ID = "roadextract:segmentroads"
GRAPH_ID = "roadextract:extractroadgraph"
NEW_MODEL = "my_area_roads"
NEW_GRAPH_MODEL = "my_area_graph"
NEW_CLICK_MODEL = "my_area_clicks"
# 320 x 240 px at 0.5 m in UTM 33N (160 m x 120 m), as tests/backend/conftest.py makes it.
WIDTH_PX, HEIGHT_PX, PIXEL_M = 320, 240, 0.5
ORIGIN = (500000.0, 5000000.0)


def _utm_raster(path: Path, crs: str | None = "EPSG:32633") -> Path:
    """A textured RGB GeoTIFF with two bright roads (row 60 and column 160)."""
    rng = np.random.default_rng(0)
    data = (rng.random((3, HEIGHT_PX, WIDTH_PX)) * 60 + 40).astype(np.uint8)
    data[:, 54:66, :] = 200
    data[:, :, 154:166] = 200
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), WIDTH_PX, HEIGHT_PX, 3, gdal.GDT_Byte)
    dataset.SetGeoTransform((ORIGIN[0], PIXEL_M, 0.0, ORIGIN[1], 0.0, -PIXEL_M))
    if crs is not None:
        srs = osr.SpatialReference()
        srs.SetFromUserInput(crs)
        dataset.SetProjection(srs.ExportToWkt())
    for band in range(3):
        dataset.GetRasterBand(band + 1).WriteArray(data[band])
    dataset = None
    return path


def _pixel_to_utm(col: float, row: float) -> QgsPointXY:
    return QgsPointXY(ORIGIN[0] + col * PIXEL_M, ORIGIN[1] - row * PIXEL_M)


def _roads_in_4326(crs: str | None = "EPSG:4326") -> QgsVectorLayer:
    """Both roads as a memory line layer in EPSG:4326 (or without CRS), widths in metres."""
    uri = f"LineString?crs={crs}" if crs else "LineString"
    layer = QgsVectorLayer(uri, "roads", "memory")
    layer.dataProvider().addAttributes([QgsField("width", QVariant.Double)])
    layer.updateFields()
    to_4326 = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:32633"),
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsProject.instance(),
    )
    features = []
    for ends, width in (([(0, 60), (320, 60)], 6.0), ([(160, 0), (160, 240)], 6.0)):
        points = [to_4326.transform(_pixel_to_utm(*end)) for end in ends]
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPolylineXY(points))
        feature.setAttributes([width])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    assert layer.featureCount() == 2
    if crs is None:  # QGIS gives a layer without CRS its default CRS: take it away again
        layer.setCrs(QgsCoordinateReferenceSystem())
    return layer


@pytest.fixture(scope="module")
def model_dir(backend_session, tmp_path_factory):
    """The session backend restarted with a private model folder for this module."""
    folder = tmp_path_factory.mktemp("models")
    # Training and scoring (the backend's child processes) on one CPU thread.
    previous = {k: os.environ.get(k) for k in ("ROADEXTRACT_MODEL_DIR", "OMP_NUM_THREADS")}
    backend_session.manager.stop()
    os.environ["ROADEXTRACT_MODEL_DIR"] = str(folder)
    os.environ["OMP_NUM_THREADS"] = "1"
    backend_session.client = backend_session.manager.ensure_running(backend_session.settings)
    yield folder
    backend_session.manager.stop()  # the next test's backend runs with the usual folder
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def tuned_backend(model_dir, backend, rx):
    base = importlib.import_module(f"{rx.package.__name__}.processing_provider.algorithms.base")
    base.forget_model_rows()
    yield backend
    base.forget_model_rows()


@pytest.fixture(scope="module")
def fine_tuned(model_dir, backend_session, roadextract, tmp_path_factory, env):
    """Build a set, fine-tune on it, segment with the new model: one run shared below."""
    import processing

    env.ensure_provider_registered(roadextract)
    backend_session.client = backend_session.manager.ensure_running(backend_session.settings)
    backend_session.settings.save()
    folder = tmp_path_factory.mktemp("fine_tune")
    raster = _utm_raster(folder / "area.tif")
    roads = _roads_in_4326()
    built = processing.run(
        BUILD_ID,
        {
            "RASTERS": [str(raster)],
            "ROADS": roads,
            "WIDTH_FIELD": "width",
            "CHIP_SIZE": 64,
            "GSD": 1.0,
            "VALIDATION_FRACTION": 0.5,
            "EMPTY_CHIP_RATIO": 0.0,
            "OUTPUT": str(folder / "set"),
        },
    )
    messages: list[str] = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
            messages.append(info)
            super().pushInfo(info)

    tuned = processing.run(
        FINE_TUNE_ID,
        {
            "TRAINING_SET": built["OUTPUT"],
            "MODEL_NAME": NEW_MODEL,
            "TIME_LIMIT": 5.0,
            "MAX_STEPS": 3,
            "DEVICE": 1,  # cpu
            "CROP_SIZE": 64,
            "BATCH_SIZE": 2,
        },
        feedback=Feedback(),
    )
    base = importlib.import_module(f"{roadextract.__name__}.processing_provider.algorithms.base")
    base.forget_model_rows()
    segmented = processing.run(
        SEGMENT_ID,
        {
            "INPUT": str(raster),
            "MODEL": NEW_MODEL,
            "THRESHOLD": 0.2,
            "OUTPUT_PROBABILITY": str(folder / "probability.tif"),
            "OUTPUT_POLYGONS": str(folder / "polygons.gpkg"),
        },
    )
    return SimpleNamespace(
        folder=folder, raster=raster, built=built, tuned=tuned, segmented=segmented,
        messages=messages,
    )  # fmt: skip


@pytest.fixture(scope="module")
def graph_tuned(fine_tuned, backend_session, roadextract):
    """The shipped LineGraph2Road model fine-tuned for two steps on the same set, then
    "Extract road graph" with it."""
    import processing

    messages: list[str] = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
            messages.append(info)
            super().pushInfo(info)

    tuned = processing.run(
        FINE_TUNE_ID,
        {
            "TRAINING_SET": fine_tuned.built["OUTPUT"],
            "BASE_MODEL": "linegraph2road_hiera_pico_1m",
            "MODEL_NAME": NEW_GRAPH_MODEL,
            "TIME_LIMIT": 5.0,
            "MAX_STEPS": 2,
            "DEVICE": 1,  # cpu
            "BATCH_SIZE": 1,
        },
        feedback=Feedback(),
    )
    base = importlib.import_module(f"{roadextract.__name__}.processing_provider.algorithms.base")
    base.forget_model_rows()
    graph = processing.run(
        GRAPH_ID,
        {
            "INPUT": str(fine_tuned.raster),
            "MODEL": NEW_GRAPH_MODEL,
            "DEVICE": 1,  # cpu
            "OUTPUT_EDGES": str(fine_tuned.folder / "edges.gpkg"),
            "OUTPUT_NODES": str(fine_tuned.folder / "nodes.gpkg"),
        },
    )
    return SimpleNamespace(tuned=tuned, graph=graph, messages=messages)


@pytest.fixture(scope="module")
def click_tuned(fine_tuned, backend_session, roadextract):
    """The shipped interactive road model fine-tuned for three steps on the same set."""
    import processing

    messages: list[str] = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
            messages.append(info)
            super().pushInfo(info)

    tuned = processing.run(
        FINE_TUNE_ID,
        {
            "TRAINING_SET": fine_tuned.built["OUTPUT"],
            "BASE_MODEL": "roadgie_hiera_pico_1m",
            "MODEL_NAME": NEW_CLICK_MODEL,
            "TIME_LIMIT": 5.0,
            "MAX_STEPS": 3,
            "DEVICE": 1,  # cpu
            "BATCH_SIZE": 2,  # crops: the 64 px chips (the crop size is capped by them)
        },
        feedback=Feedback(),
    )
    base = importlib.import_module(f"{roadextract.__name__}.processing_provider.algorithms.base")
    base.forget_model_rows()
    return SimpleNamespace(tuned=tuned, messages=messages)


def test_training_set_from_roads_in_another_crs(fine_tuned):
    built = fine_tuned.built
    manifest = json.loads((Path(built["OUTPUT"]) / "manifest.json").read_text())
    assert built["N_CHIPS"] == len(manifest["chips"]) == built["N_TRAIN"] + built["N_VALIDATION"]
    assert built["N_TRAIN"] > 0 and built["N_VALIDATION"] > 0
    # The memory layer was exported with its width as a number; chips are in the raster CRS.
    assert manifest["sources"]["width_field"] == "width_m"
    chip = next(iter(sorted((Path(built["OUTPUT"]) / "images").glob("*.tif"))))
    layer = QgsRasterLayer(str(chip), "chip", "gdal")
    assert layer.crs().authid() == "EPSG:32633" and layer.width() == 64
    assert all(c["road_fraction"] > 0 for c in manifest["chips"])  # both roads cross each


def test_fine_tuned_model_reports_iou_and_joins_the_model_lists(fine_tuned, model_dir):
    tuned = fine_tuned.tuned
    assert tuned["MODEL"] == NEW_MODEL
    assert Path(tuned["WEIGHTS"]) == model_dir / "user" / f"{NEW_MODEL}.pt"
    assert Path(tuned["WEIGHTS"]).is_file()
    assert 0.0 <= tuned["IOU_BEFORE"] <= 1.0 and 0.0 <= tuned["IOU_AFTER"] <= 1.0
    assert 1 <= tuned["STEPS"] <= 3
    log = "\n".join(fine_tuned.messages)
    assert "held-out IoU" in log  # the backend's progress lines (loss, validation)
    assert f"Held-out road IoU: {tuned['IOU_BEFORE']:.3f} before" in log
    card = json.loads((model_dir / "user" / f"{NEW_MODEL}.json").read_text())
    assert card["validation"]["held_out_iou_after"] == pytest.approx(tuned["IOU_AFTER"])
    # Every Anchor-SAM model list shows it; the graph algorithm's does not (other family).
    for alg_id, name, listed in (
        (SEGMENT_ID, "MODEL", True),
        (FINE_TUNE_ID, "BASE_MODEL", True),
        ("roadextract:extractroadgraph", "MODEL", False),
    ):
        alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
        assert (NEW_MODEL in alg.parameterDefinition(name).options()) == listed, alg_id


def test_linegraph2road_fine_tune_reports_graph_scores(graph_tuned, model_dir):
    tuned = graph_tuned.tuned
    assert tuned["MODEL"] == NEW_GRAPH_MODEL and tuned["STEPS"] == 2
    assert Path(tuned["WEIGHTS"]) == model_dir / "user" / f"{NEW_GRAPH_MODEL}.pt"
    assert tuned["IOU_BEFORE"] is None and tuned["IOU_AFTER"] is None  # Anchor-SAM's score
    assert 0.0 <= tuned["ROAD_F1_BEFORE"] <= 1.0 and 0.0 <= tuned["ROAD_F1_AFTER"] <= 1.0
    for name in ("APLS_BEFORE", "APLS_AFTER", "TOPO_F1_BEFORE", "TOPO_F1_AFTER"):
        assert tuned[name] is None or 0.0 <= tuned[name] <= 1.0, name
    log = "\n".join(graph_tuned.messages)
    assert "road-mask F1" in log  # the backend's scores of the base model
    assert f"Held-out road-mask F1: {tuned['ROAD_F1_BEFORE']:.3f} before" in log
    card = json.loads((model_dir / "user" / f"{NEW_GRAPH_MODEL}.json").read_text())
    assert card["method"] == "linegraph2road" and "t_r" in card["inference_defaults"]
    # The graph algorithm's model list shows it (refreshed after fine-tuning), Segment
    # roads' does not (other family); the base-model picker offers it for another round.
    for alg_id, name, listed in (
        (GRAPH_ID, "MODEL", True),
        (FINE_TUNE_ID, "BASE_MODEL", True),
        (SEGMENT_ID, "MODEL", False),
    ):
        alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
        assert (NEW_GRAPH_MODEL in alg.parameterDefinition(name).options()) == listed, alg_id


def test_interactive_model_fine_tune_reports_click_scores(click_tuned, model_dir):
    tuned = click_tuned.tuned
    assert tuned["MODEL"] == NEW_CLICK_MODEL and tuned["STEPS"] == 3
    assert Path(tuned["WEIGHTS"]) == model_dir / "user" / f"{NEW_CLICK_MODEL}.pt"
    assert tuned["IOU_BEFORE"] is None and tuned["ROAD_F1_BEFORE"] is None  # other families
    for name in ("DICE_1", "DICE_3", "DICE_5", "CLICK_CONSISTENCY"):
        for when in ("BEFORE", "AFTER"):
            assert 0.0 <= tuned[f"{name}_{when}"] <= 1.0, (name, when)
    log = "\n".join(click_tuned.messages)
    assert "held-out Dice after 1 click" in log  # the backend's scores of the base model
    assert (
        f"Held-out Dice after 1 / 3 / 5 clicks: {tuned['DICE_1_BEFORE']:.3f} / "
        f"{tuned['DICE_3_BEFORE']:.3f} / {tuned['DICE_5_BEFORE']:.3f} before" in log
    )
    card = json.loads((model_dir / "user" / f"{NEW_CLICK_MODEL}.json").read_text())
    assert card["method"] == "roadgie" and card["base_model"] == "roadgie_hiera_pico_1m"
    assert card["inference_defaults"]["threshold"] == 0.5  # the base model's
    assert card["validation"]["held_out_dice_5_after"] == pytest.approx(tuned["DICE_5_AFTER"])
    # The base-model picker offers it for another round; the algorithms do not (no
    # Processing algorithm runs the interactive model).
    for alg_id, name, listed in (
        (FINE_TUNE_ID, "BASE_MODEL", True),
        (SEGMENT_ID, "MODEL", False),
        (GRAPH_ID, "MODEL", False),
    ):
        alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
        assert (NEW_CLICK_MODEL in alg.parameterDefinition(name).options()) == listed, alg_id


def test_interactive_dock_lists_the_new_model_and_a_session_decodes_with_it(
    click_tuned, backend_session, rx, tmp_path
):
    """The dock fills its road-engine model list from GET /models filtered by the engine's
    methods (``model_choices(ENGINE_METHODS["road"], rows)``); an ``interactive_encode`` job
    with the new model opens a session that decodes a click on a road."""
    params = importlib.import_module(f"{rx.package.__name__}.plugin.params")
    models = importlib.import_module(f"{rx.package.__name__}.plugin.models")
    client = backend_session.client
    rows = client.models()["models"]
    road = [c.id for c in models.model_choices(params.ENGINE_METHODS["road"], rows)]
    assert NEW_CLICK_MODEL in road and "roadgie_hiera_pico_1m" in road
    sam = [c.id for c in models.model_choices(params.ENGINE_METHODS["sam"], rows)]
    assert NEW_CLICK_MODEL not in sam
    raster = _utm_raster(tmp_path / "area.tif")
    status = client.create_job(
        "interactive_encode",
        {"raster_path": str(raster), "engine": "road", "model": NEW_CLICK_MODEL, "device": "cpu"},
    )
    status = client.wait_for_job(status, lambda: False, cancel_timeout_s=5.0)
    assert status.status == "succeeded", status
    session = client.job_result(status.job_id).summary
    assert session["engine"] == "road" and session["model"] == NEW_CLICK_MODEL
    # A positive click on the horizontal road (rows 54-65 of the 0.5 m raster).
    answer = client.interactive_predict(
        session["session_id"], {"points": [{"x": 40.5, "y": 60.5, "label": 1}]}
    )
    assert answer["round"] == 1 and answer["geometry"]["type"] == "MultiPolygon"
    assert answer["area_m2"] > 0  # the clicked pixel is road (the engine enforces it)
    client.delete_interactive_session(session["session_id"])


def test_extract_road_graph_runs_with_the_new_graph_model(graph_tuned):
    graph = graph_tuned.graph
    edges = QgsVectorLayer(graph["OUTPUT_EDGES"], "edges", "ogr")
    assert edges.isValid() and edges.crs().authid() == "EPSG:32633"
    assert graph["N_EDGES"] == edges.featureCount()


def test_segment_roads_runs_with_the_new_model(fine_tuned):
    segmented = fine_tuned.segmented
    probability = QgsRasterLayer(segmented["OUTPUT_PROBABILITY"], "p", "gdal")
    assert probability.isValid() and probability.crs().authid() == "EPSG:32633"
    assert (probability.width(), probability.height()) == (WIDTH_PX, HEIGHT_PX)
    polygons = QgsVectorLayer(segmented["OUTPUT_POLYGONS"], "polygons", "ogr")
    assert polygons.isValid() and polygons.crs().authid() == "EPSG:32633"
    assert segmented["N_POLYGONS"] == polygons.featureCount()


def test_build_checks_the_labels_with_a_model(tuned_backend, tmp_path):
    """Advanced "Check the labels with a model": every road chip gets the IoU of the
    Anchor-SAM mask and its label; at a minimum of 1 all of them are flagged and moved to
    flagged/, still listed in the manifest."""
    import processing

    raster = _utm_raster(tmp_path / "area.tif")
    built = processing.run(
        BUILD_ID,
        {
            "RASTERS": [str(raster)],
            "ROADS": _roads_in_4326(),
            "WIDTH_FIELD": "width",
            "CHIP_SIZE": 64,
            "GSD": 1.0,
            "VALIDATION_FRACTION": 0.5,
            "EMPTY_CHIP_RATIO": 0.0,
            "REFINE_MODEL": "anchor_sam_pico_1m",
            "CONSISTENCY_IOU_MIN": 1.0,
            "OUTPUT": str(tmp_path / "set"),
        },
    )
    manifest = json.loads((Path(built["OUTPUT"]) / "manifest.json").read_text())
    assert manifest["refine"]["model"] == "anchor_sam_pico_1m"
    assert built["N_FLAGGED"] == len(manifest["chips"]) > 0  # every chip has roads here
    assert built["N_TRAIN"] == built["N_VALIDATION"] == 0
    for chip in manifest["chips"]:
        assert chip["flagged"] and 0.0 <= chip["consistency_iou"] < 1.0
        assert (Path(built["OUTPUT"]) / "flagged" / "images" / f"{chip['name']}.tif").is_file()
    assert not list((Path(built["OUTPUT"]) / "images").glob("*.tif"))


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("raster_without_crs", r"Raster .* has no coordinate reference system"),
        ("roads_without_crs", r"Layer .* has no coordinate reference system"),
        ("non_empty_output", r"is not empty"),
        ("roads_elsewhere", r"backend refused the job: No road"),
    ],
)
def test_build_refuses_bad_input_before_any_work(tuned_backend, env, tmp_path, case, needle):
    import processing

    raster = _utm_raster(tmp_path / "area.tif", None if case == "raster_without_crs" else
                         "EPSG:32633")  # fmt: skip
    roads = _roads_in_4326(None if case == "roads_without_crs" else "EPSG:4326")
    if case == "roads_elsewhere":  # the lines, shifted by 10 degrees
        roads.startEditing()
        for feature in roads.getFeatures():
            geometry = feature.geometry()
            geometry.translate(10.0, 0.0)
            roads.changeGeometry(feature.id(), geometry)
        roads.commitChanges()
    output = tmp_path / "set"
    if case == "non_empty_output":
        output.mkdir()
        (output / "notes.txt").write_text("mine\n")
    with pytest.raises(QgsProcessingException, match=needle):
        processing.run(BUILD_ID, {"RASTERS": [str(raster)], "ROADS": roads, "OUTPUT": str(output)})
    leftovers = sorted(p.name for p in output.iterdir()) if output.exists() else []
    assert leftovers == (["notes.txt"] if case == "non_empty_output" else []), leftovers
    assert not env.processing_temp_leftovers()


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"BASE_MODEL": "no_such_model"}, r"Incorrect parameter value for BASE_MODEL"),
        # A shipped model's id is taken (the backend lists it).
        ({"MODEL_NAME": "anchor_sam_pico_1m"}, r"A model named anchor_sam_pico_1m exists"),
        ({"MODEL_NAME": "My Model"}, r"model_name: use 3-64 characters"),
        ({"TRAINING_SET": "not_a_set"}, r"is not a training set"),
        ({"CROP_SIZE": 100}, r"crop_px: must be a multiple of 32"),
    ],
)
def test_fine_tune_refuses_bad_input_before_any_work(
    tuned_backend, model_dir, tmp_path, params, needle
):
    import processing

    training_set = tmp_path / "set"
    training_set.mkdir()
    (training_set / "manifest.json").write_text(json.dumps({"chips": []}))
    if params.get("TRAINING_SET") == "not_a_set":
        params = {"TRAINING_SET": str(tmp_path)}
    models_before = len(tuned_backend.client.models()["models"])
    with pytest.raises(QgsProcessingException, match=needle):
        processing.run(
            FINE_TUNE_ID,
            {"TRAINING_SET": str(training_set), "MODEL_NAME": "another_model", **params},
        )
    assert not (model_dir / "user" / "another_model.pt").exists()
    assert len(tuned_backend.client.models()["models"]) == models_before


class CancelAfterValidation(QgsProcessingFeedback):
    """Cancels once training has gone past its first validation (step 20, where the best
    checkpoint is saved), and keeps the warnings."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        super().pushInfo(info)
        step = re.match(r"step (\d+), loss .*held-out IoU", info)
        if step and int(step.group(1)) > 20 and not self.isCanceled():
            self.cancel()

    def pushWarning(self, warning: str) -> None:  # noqa: N802 - QGIS API
        super().pushWarning(warning)
        self.warnings.append(warning)


def test_cancel_while_training_keeps_the_best_checkpoint(fine_tuned, tuned_backend, model_dir):
    import processing

    feedback = CancelAfterValidation()
    results = processing.run(
        FINE_TUNE_ID,
        {
            "TRAINING_SET": fine_tuned.built["OUTPUT"],
            "MODEL_NAME": "cancelled_roads",
            "TIME_LIMIT": 30.0,
            "DEVICE": 1,  # cpu
            "CROP_SIZE": 64,
            "BATCH_SIZE": 1,  # cheap steps: at least 21 of them run before the cancel
        },
        feedback=feedback,
    )
    assert feedback.isCanceled()
    assert results["MODEL"] == "cancelled_roads" and Path(results["WEIGHTS"]).is_file()
    assert 20 <= results["STEPS"] < 100
    assert any("best checkpoint so far was saved" in w for w in feedback.warnings)
    card = json.loads((model_dir / "user" / "cancelled_roads.json").read_text())
    assert card["training"]["stopped_early_by_cancel"] is True
    rows = tuned_backend.client.models()["models"]
    assert any(row["id"] == "cancelled_roads" and row["installed"] for row in rows)
