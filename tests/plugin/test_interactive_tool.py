"""Interactive extraction on a REAL QgsMapCanvas: mouse events -> prompts in raster pixels,
rounds, undo/redo/clear, and accepting into a layer in a third CRS.

The backend is an in-process HTTP fake (``interactive_fake_backend.py``) whose "model" is
geometric (squares around the prompt vertices), so every answer can be predicted. Expected
pixel positions come from an independent chain: the canvas extent and scale for the screen
-> map step, GDAL/OSR for the CRS step and GDAL's InvGeoTransform for map -> pixel.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import math
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QPoint, Qt, QVariant
from qgis.PyQt.QtGui import QKeyEvent
from qgis.PyQt.QtWidgets import QApplication

DATA = Path(__file__).resolve().parents[1] / "backend" / "data"
RASTER_4326 = "roads_4326.tif"
RASTER_UTM = "roads_utm33n.tif"


def _load(name: str):
    module_name = f"roadextract_tests_{name}"
    if module_name not in sys.modules:
        path = Path(__file__).with_name(f"{name}.py")
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


helpers = _load("interactive_helpers")
fake_module = helpers.load("interactive_fake_backend")
wait_for, make_canvas, Oracle = helpers.wait_for, helpers.make_canvas, helpers.Oracle
mouse, click, drag, key = helpers.mouse, helpers.click, helpers.drag, helpers.key


@pytest.fixture(scope="module")
def ix(roadextract) -> SimpleNamespace:
    """The plugin's interactive modules."""
    names = ("frame", "session", "geometry", "writer", "controller", "map_tool")
    return SimpleNamespace(
        params=importlib.import_module(f"{roadextract.__name__}.plugin.params"),
        **{
            name: importlib.import_module(f"{roadextract.__name__}.gui.interactive.{name}")
            for name in names
        },
    )


@pytest.fixture(scope="module")
def rasters(tmp_path_factory) -> Path:
    """Copies of the fixture rasters (QGIS writes statistics next to what it opens)."""
    folder = tmp_path_factory.mktemp("rasters")
    for name in (RASTER_4326, RASTER_UTM):
        shutil.copy(DATA / name, folder / name)
    return folder


@pytest.fixture
def fake():
    with fake_module.FakeInteractiveBackend() as backend:
        yield backend


@pytest.fixture
def setup(ix, fake, roadextract, rasters, qgis_app):
    """Factory: canvas in ``canvas_crs`` on ``raster``, controller on the fake, tool set."""
    made = []

    def build(canvas_crs: str = "EPSG:3857", raster: str = RASTER_4326, engine: str = "road"):
        raster = rasters / raster
        canvas = make_canvas(canvas_crs, raster)
        layer = QgsRasterLayer(str(raster), "image")
        assert layer.isValid()
        controller = ix.controller.InteractiveController(
            canvas, client_factory=lambda _is_cancelled: fake.client(roadextract)
        )
        controller.set_engine(engine)
        controller.set_raster_layer(layer)
        accepted = []
        tool = ix.map_tool.InteractiveMapTool(
            canvas, controller, on_accept=lambda: accepted.append(True)
        )
        canvas.setMapTool(tool)
        messages: list[str] = []
        controller.message.connect(lambda text, _level: messages.append(text))
        env = SimpleNamespace(
            canvas=canvas,
            layer=layer,
            controller=controller,
            tool=tool,
            oracle=Oracle(canvas, raster),
            messages=messages,
            accepted=accepted,
        )
        made.append(env)
        return env

    yield build
    for env in made:
        env.controller.shutdown()
        env.canvas.unsetMapTool(env.tool)
        env.tool.remove_drawings()
        env.canvas.close()
        env.canvas.deleteLater()
    QCoreApplication.processEvents()
    # Layers must go while QGIS is up (not in the garbage collection at interpreter exit).
    made.clear()
    gc.collect()


def settle(env) -> None:
    """Wait until no encode and no prediction is in flight."""
    wait_for(lambda: not env.controller.is_encoding and not env.controller.is_predicting)


# -- pixel frame ------------------------------------------------------------------------------


def test_geotransform_inverse_round_trips(ix):
    gt = (500000.0, 0.5, 0.1, 5000000.0, 0.05, -0.5)  # rotated, to exercise every term
    inv = ix.frame.invert_geotransform(gt)
    assert inv == pytest.approx(gdal.InvGeoTransform(gt), rel=1e-12, abs=1e-9)
    frame = ix.frame.RasterPixelFrame(QgsCoordinateReferenceSystem("EPSG:32633"), gt, 200, 160)
    x, y = frame.pixel_to_map(12.25, 99.75)
    assert frame.map_to_pixel(x, y) == pytest.approx((12.25, 99.75), abs=1e-9)
    with pytest.raises(ix.frame.FrameError):
        ix.frame.invert_geotransform((0, 0, 0, 0, 0, 0))


def test_frame_of_layer_matches_gdal(ix, rasters):
    layer = QgsRasterLayer(str(rasters / RASTER_UTM), "utm")
    frame = ix.frame.RasterPixelFrame.from_layer(layer)
    expected = gdal.Open(str(rasters / RASTER_UTM)).GetGeoTransform()
    assert frame.geotransform == pytest.approx(expected)
    assert (frame.width_px, frame.height_px) == (200, 160)
    assert frame.window_around(5, 150, 64) == (0, 96, 64, 64)
    assert frame.window_around(100, 80, 1024) == (0, 0, 200, 160)
    assert frame.clip_window(-3.5, 10.2, 20.1, 400) == (0, 10, 21, 150)
    assert frame.clip_window(300, 0, 400, 10) is None


# -- mouse events -> prompts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canvas_crs", "raster"),
    [
        ("EPSG:3857", RASTER_4326),  # canvas CRS differs from the raster's
        ("EPSG:4326", RASTER_4326),  # same CRS
        ("EPSG:3857", RASTER_UTM),  # projected raster, other projected canvas
    ],
)
def test_clicks_become_prompts_in_raster_pixels(setup, ix, fake, canvas_crs, raster):
    env = setup(canvas_crs, raster)
    targets = [(50.5, 40.5), (120.25, 81.0), (10.0, 150.5)]
    positions = [env.oracle.pixel_to_screen(*t) for t in targets]
    click(env.canvas, positions[0])
    click(env.canvas, positions[1], Qt.RightButton)
    click(env.canvas, positions[2])
    prompts = env.controller.session.prompts
    assert [type(p) for p in prompts] == [ix.session.PointPrompt] * 3
    assert [p.positive for p in prompts] == [True, False, True]
    for prompt, target, pos in zip(prompts, targets, positions, strict=True):
        # within 0.5 px of the map point aimed at (the click lands on a whole screen pixel)
        assert math.dist((prompt.x_px, prompt.y_px), target) < 0.5
        # and exactly where the independent chain puts that screen pixel
        assert (prompt.x_px, prompt.y_px) == pytest.approx(
            env.oracle.screen_to_pixel(pos), abs=1e-6
        )
    settle(env)
    body = fake.predict_bodies()[-1]
    assert [(p["x"], p["y"], p["label"]) for p in body["points"]] == [
        (p.x_px, p.y_px, 1 if p.positive else 0) for p in prompts
    ]


def test_first_click_encodes_the_visible_window(setup, fake):
    env = setup()
    click(env.canvas, env.oracle.pixel_to_screen(60.5, 60.5))
    settle(env)
    (params,) = fake.encode_params()
    assert params["engine"] == "road"
    assert params["raster_path"] == str(env.layer.source())
    assert params["window_px"] == [0, 0, 200, 160]  # the view covers the whole raster
    assert "device" not in params  # auto: the backend's own device
    assert env.controller.encoded.window_px == (0, 0, 200, 160)
    assert env.controller.health is not None and env.controller.health.device_name == "Fake CPU"
    assert env.controller.current_result is not None


def test_shrunk_window_is_encoded_again_around_the_click(ix, roadextract, rasters, qgis_app):
    raster = rasters / RASTER_4326
    with fake_module.FakeInteractiveBackend(max_window_px=64) as fake:
        canvas = make_canvas("EPSG:3857", raster)
        controller = ix.controller.InteractiveController(
            canvas, client_factory=lambda _c: fake.client(roadextract)
        )
        controller.set_raster_layer(QgsRasterLayer(str(raster), "image"))
        oracle = Oracle(canvas, raster)
        x, y = oracle.screen_to_pixel(oracle.pixel_to_screen(10.5, 150.5))
        assert controller.add_point(
            QgsPointXY(*oracle.screen_to_map(oracle.pixel_to_screen(10.5, 150.5)))
        )
        wait_for(lambda: not controller.is_encoding and not controller.is_predicting)
        windows = [p["window_px"] for p in fake.encode_params()]
        # the view (whole raster) was shrunk to 64 x 64 about its centre, which misses the
        # click; the second window is 64 x 64 around the click, shifted into the raster
        assert windows == [[0, 0, 200, 160], [0, 96, 64, 64]]
        assert controller.encoded.window_px == (0, 96, 64, 64)
        assert controller.current_result is not None
        assert fake.deleted  # the first session was freed
        controller.shutdown()
        canvas.deleteLater()


def test_scribbles_and_modifiers(setup, ix, fake):
    env = setup()
    path = [env.oracle.pixel_to_screen(20 + 6 * i, 81.0) for i in range(10)]
    drag(env.canvas, path, modifiers=Qt.ShiftModifier)
    drag(
        env.canvas,
        [env.oracle.pixel_to_screen(101, 10 + 5 * i) for i in range(8)],
        modifiers=Qt.ShiftModifier | Qt.ControlModifier,
    )
    first, second = env.controller.session.prompts
    assert isinstance(first, ix.session.ScribblePrompt) and first.positive
    assert isinstance(second, ix.session.ScribblePrompt) and not second.positive
    assert len(first.points_px) >= 5
    for vertex in (first.points_px[0], first.points_px[-1]):
        assert min(math.dist(vertex, (20 + 6 * i, 81.0)) for i in range(10)) < 0.5
    for vertex in first.points_px:
        assert abs(vertex[1] - 81.0) < 0.5
    settle(env)
    body = fake.predict_bodies()[-1]
    assert [s["label"] for s in body["scribbles"]] == [1, 0]
    assert body["scribbles"][0]["points"] == [list(v) for v in first.points_px]
    assert body["box"] is None


def test_drag_is_a_box_for_sam_only(setup, ix, fake):
    env = setup(engine="road")
    a, b = env.oracle.pixel_to_screen(20, 30), env.oracle.pixel_to_screen(60, 70)
    drag(env.canvas, [a, QPoint((a.x() + b.x()) // 2, a.y()), b])
    assert env.controller.session.prompts == ()
    assert any("SAM" in m for m in env.messages)

    env = setup(engine="sam")
    drag(env.canvas, [a, QPoint((a.x() + b.x()) // 2, a.y()), b])
    (box,) = env.controller.session.prompts
    assert isinstance(box, ix.session.BoxPrompt)
    assert (box.x0_px, box.y0_px) == pytest.approx(env.oracle.screen_to_pixel(a), abs=1e-6)
    # a reprojected box: its pixel extent spans all four corners of what was drawn
    assert box.x1_px == pytest.approx(env.oracle.screen_to_pixel(b)[0], abs=0.05)
    assert box.y1_px == pytest.approx(env.oracle.screen_to_pixel(b)[1], abs=0.05)
    settle(env)
    assert fake.predict_bodies()[-1]["box"] == [box.x0_px, box.y0_px, box.x1_px, box.y1_px]


def test_click_outside_the_raster_is_refused(setup):
    env = setup()
    click(env.canvas, QPoint(3, 3))  # the canvas shows a 5 % margin around the raster
    assert env.controller.session.prompts == ()
    assert any("outside the raster" in m for m in env.messages)


# -- rounds, undo, redo, clear ----------------------------------------------------------------


def test_rounds_undo_redo_clear(setup, ix, fake):
    env = setup()
    c = env.controller
    targets = [(30.5, 80.5), (100.5, 20.5), (150.5, 81.5)]
    for target in targets:
        click(env.canvas, env.oracle.pixel_to_screen(*target))
        settle(env)
    bodies = fake.predict_bodies()
    assert [b["previous_round"] for b in bodies] == [None, 1, 2]
    assert [len(b["points"]) for b in bodies] == [1, 2, 3]
    assert c.current_result.round == 3 and c.session.round_count == 3

    # undo: the 2-prompt result shows at once, no request
    key(env.canvas, Qt.Key_Z, Qt.ControlModifier)
    settle(env)
    assert c.session.round_count == 2 and c.current_result.round == 2
    assert len(fake.predict_bodies()) == 3
    assert c.session.can_redo()
    # redo: back to round 3, no request
    key(env.canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    settle(env)
    assert c.session.round_count == 3 and c.current_result.round == 3
    assert len(fake.predict_bodies()) == 3

    # undo, then a new prompt refines round 2 and the redo history is gone
    key(env.canvas, Qt.Key_Z, Qt.ControlModifier)
    click(env.canvas, env.oracle.pixel_to_screen(101.5, 120.5), Qt.RightButton)
    settle(env)
    body = fake.predict_bodies()[-1]
    assert body["previous_round"] == 2
    assert [(p["label"]) for p in body["points"]] == [1, 1, 0]
    assert c.current_result.round == 4
    assert not c.session.can_redo()

    # Esc drops the object; redo has nothing to bring back
    key(env.canvas, Qt.Key_Escape)
    assert c.session.prompts == () and c.current_result is None
    assert not c.session.can_undo() and not c.session.can_redo()
    assert env.tool.mask_band.numberOfVertices() == 0


def test_preview_and_prompt_markers_are_drawn_in_canvas_crs(setup):
    env = setup()
    target = (100.5, 81.5)
    click(env.canvas, env.oracle.pixel_to_screen(*target))
    settle(env)
    band = env.tool.mask_band
    assert band.numberOfVertices() >= 4
    box = band.asGeometry().boundingBox()  # canvas CRS (EPSG:3857)
    x, y = env.oracle.screen_to_map(env.oracle.pixel_to_screen(*target))
    assert box.contains(QgsPointXY(x, y))
    assert box.width() < 1000  # metres, not degrees
    marker = env.tool.positive_points.asGeometry().asMultiPoint()[0]
    assert marker.distance(QgsPointXY(x, y)) < env.oracle.mupp  # within one screen pixel


def test_expired_session_is_encoded_again(setup, fake):
    env = setup()
    click(env.canvas, env.oracle.pixel_to_screen(30.5, 80.5))
    settle(env)
    first = env.controller.encoded.session_id
    with fake.lock:
        del fake.sessions[first]  # the backend dropped it (LRU)
    click(env.canvas, env.oracle.pixel_to_screen(40.5, 80.5))
    settle(env)
    assert env.controller.encoded.session_id != first
    assert env.controller.current_result is not None
    assert len(env.controller.current_result.prompts) == 2
    assert fake.predict_bodies()[-1]["previous_round"] is None  # rounds are per session


def test_refused_prompt_is_dropped(setup, fake):
    env = setup()
    click(env.canvas, env.oracle.pixel_to_screen(30.5, 80.5))
    settle(env)
    with fake.lock:  # the backend shrinks the window behind our back
        fake.sessions[env.controller.encoded.session_id].window_px = [0, 0, 40, 160]
    click(env.canvas, env.oracle.pixel_to_screen(150.5, 80.5))
    settle(env)
    assert env.controller.session.round_count == 1
    assert any("refused" in m for m in env.messages)


def test_centerlines_are_requested_when_enabled(setup, fake):
    env = setup()
    click(env.canvas, env.oracle.pixel_to_screen(30.5, 80.5))
    settle(env)
    assert fake.predict_bodies()[-1]["centerlines"] is False
    env.controller.set_centerlines(True)
    settle(env)
    assert fake.predict_bodies()[-1]["centerlines"] is True
    assert env.controller.current_result.centerlines is not None
    geometry = env.controller.result_geometry()
    assert geometry.type() == QgsWkbTypes.LineGeometry
    assert env.tool.centerline_band.numberOfVertices() == 2


# -- accept -----------------------------------------------------------------------------------


def _third_crs_layer() -> QgsVectorLayer:
    layer = QgsVectorLayer("Polygon?crs=EPSG:3035&field=name:string", "targets", "memory")
    assert layer.isValid()
    return layer


def test_accept_writes_feature_in_third_crs(setup, ix, fake):
    env = setup()
    target = (100.5, 81.5)
    pos = env.oracle.pixel_to_screen(*target)
    click(env.canvas, pos)
    click(env.canvas, env.oracle.pixel_to_screen(104.5, 81.5))
    settle(env)
    result = env.controller.current_result
    layer = _third_crs_layer()
    QgsProject.instance().addMapLayer(layer)
    try:
        out_layer, ids = env.controller.accept(layer, "road")
        assert out_layer is layer and len(ids) == 1
        assert layer.isEditable() and layer.isModified()  # in the edit buffer, not committed
        feature = layer.getFeature(ids[0])
        names = layer.fields().names()
        assert {"label", "engine", "model", "rounds", "score", "date"} <= set(names)
        assert feature["label"] == "road"
        assert feature["engine"] == "road"
        assert feature["model"] == "roadgie_hiera_pico_1m"
        assert feature["rounds"] == 2
        assert feature["score"] == pytest.approx(result.score)
        assert feature["date"].isValid()
        # at the right place: the click, taken to EPSG:3035 independently with OSR
        lon, lat = gdal.ApplyGeoTransform(env.oracle.gt, *env.oracle.screen_to_pixel(pos))
        src, dst = osr.SpatialReference(), osr.SpatialReference()
        src.ImportFromEPSG(4326)
        dst.ImportFromEPSG(3035)
        for ref in (src, dst):
            ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        x, y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(lon, lat)
        geometry = feature.geometry()
        assert geometry.contains(QgsPointXY(x, y))
        # the fake's mask: two 10 x 10 px squares 4 px apart -> 14 x 10 px of ~0.39 x 0.5 m
        assert 10 < geometry.area() < 60
        # the object is done: prompts cleared; Edit > Undo takes the feature back
        assert env.controller.session.prompts == ()
        layer.undoStack().undo()
        assert layer.featureCount() == 0
        layer.rollBack()
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


def test_accept_creates_missing_fields_in_a_geopackage(setup, tmp_path, fake):
    path = tmp_path / "targets.gpkg"
    fields = QgsFields()
    fields.append(QgsField("name", QVariant.String))
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    writer = QgsVectorFileWriter.create(
        str(path),
        fields,
        QgsWkbTypes.MultiPolygon,
        QgsCoordinateReferenceSystem("EPSG:32632"),
        QgsProject.instance().transformContext(),
        options,
    )
    del writer
    layer = QgsVectorLayer(str(path), "gpkg", "ogr")
    assert layer.isValid()
    env = setup()
    click(env.canvas, env.oracle.pixel_to_screen(100.5, 81.5))
    settle(env)
    _, ids = env.controller.accept(layer, "track")
    assert layer.commitChanges(), layer.commitErrors()
    reopened = QgsVectorLayer(str(path), "again", "ogr")
    assert {"label", "engine", "model", "rounds", "score", "date"} <= set(reopened.fields().names())
    (feature,) = list(reopened.getFeatures())
    assert feature["label"] == "track" and feature["rounds"] == 1
    assert reopened.crs().authid() == "EPSG:32632"
    assert feature.geometry().boundingBox().xMinimum() > 500000  # UTM 32N metres


def test_accept_into_new_scratch_layer_and_centerlines(setup, fake):
    env = setup()
    click(env.canvas, env.oracle.pixel_to_screen(100.5, 81.5))
    settle(env)
    env.controller.set_centerlines(True)
    settle(env)
    layer, ids = env.controller.accept(None, "road")
    try:
        assert QgsProject.instance().mapLayer(layer.id()) is layer
        assert layer.geometryType() == QgsWkbTypes.LineGeometry
        assert layer.crs() == env.layer.crs()
        assert layer.getFeature(ids[0])["rounds"] == 1
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


def test_accept_without_result_refuses(setup, ix):
    env = setup()
    with pytest.raises(ix.writer.WriteError):
        env.controller.accept(_third_crs_layer(), "road")


def test_keys_enter_and_ctrl_y(setup):
    env = setup()
    # our keys win over QGIS's global shortcuts (Edit > Undo is Ctrl+Z too) ...
    override = QKeyEvent(QEvent.ShortcutOverride, Qt.Key_Z, Qt.ControlModifier)
    override.ignore()
    QApplication.sendEvent(env.canvas, override)
    assert override.isAccepted()
    # ... and only ours
    other = QKeyEvent(QEvent.ShortcutOverride, Qt.Key_S, Qt.ControlModifier)
    other.ignore()
    QApplication.sendEvent(env.canvas, other)
    assert not other.isAccepted()
    key(env.canvas, Qt.Key_Return)
    key(env.canvas, Qt.Key_Enter)
    assert env.accepted == [True, True]
    click(env.canvas, env.oracle.pixel_to_screen(30.5, 80.5))
    settle(env)
    key(env.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert env.controller.session.round_count == 0
    key(env.canvas, Qt.Key_Y, Qt.ControlModifier)
    assert env.controller.session.round_count == 1


def test_simplification_in_metres(ix):
    crs = QgsCoordinateReferenceSystem("EPSG:4326")
    assert ix.geometry.metres_to_map_units(111_320.0, crs) == pytest.approx(1.0)
    utm = QgsCoordinateReferenceSystem("EPSG:32633")
    assert ix.geometry.metres_to_map_units(2.5, utm) == pytest.approx(2.5)
    feet = QgsCoordinateReferenceSystem("EPSG:2263")  # NY Long Island, US feet
    assert ix.geometry.metres_to_map_units(1.0, feet) == pytest.approx(3.28083, rel=1e-4)
    wiggly = ix.geometry.geojson_to_geometry(
        {
            "type": "Polygon",
            "coordinates": [[[0, 0], [5, 0.1], [10, 0], [10, 10], [5, 9.9], [0, 10], [0, 0]]],
        }
    )
    assert wiggly.constGet().nCoordinates() == 7
    kept = ix.geometry.simplify(wiggly, 0.05, utm)
    assert kept.constGet().nCoordinates() == 7
    simple = ix.geometry.simplify(wiggly, 0.5, utm)
    assert simple.constGet().nCoordinates() == 5
    assert simple.isMultipart()
    assert ix.geometry.geojson_to_geometry({"type": "MultiPolygon", "coordinates": []}).isNull()
    with pytest.raises(ix.geometry.GeometryError):
        ix.geometry.geojson_to_geometry({"type": "Point", "coordinates": [1, 2]})


# -- dock widget and plugin action ------------------------------------------------------------


@pytest.fixture
def dock_env(setup, roadextract):
    """The tool set-up plus a dock on it, the raster layer in the project."""
    env = setup()
    dock_module = importlib.import_module(f"{roadextract.__name__}.gui.interactive.dock")
    QgsProject.instance().addMapLayer(env.layer, False)
    env.dock = dock_module.InteractiveDock(env.controller, env.tool)
    env.dock.raster_combo.setLayer(env.layer)
    env.dock_module = dock_module
    yield env
    env.dock.close()
    env.dock.deleteLater()
    for layer_id in list(QgsProject.instance().mapLayers()):
        QgsProject.instance().removeMapLayer(layer_id)


def test_dock_shows_device_models_prompts_and_accepts(dock_env):
    env, dock = dock_env, dock_env.dock
    env.controller.refresh_backend_info()
    wait_for(lambda: env.controller.health is not None)
    assert "Fake CPU" in dock.device_label.text()
    models = [dock.model_combo.itemData(i) for i in range(dock.model_combo.count())]
    assert models == [None, "roadgie_hiera_pico_1m"]  # road engine: its default and road models
    dock.engine_combo.setCurrentIndex(dock.engine_combo.findData("sam"))
    models = [dock.model_combo.itemText(i) for i in range(dock.model_combo.count())]
    assert models == ["Default (sam_vit_b)", "sam_vit_b (not installed)"]
    assert env.controller.engine == "sam"
    assert not dock.centerlines_check.isEnabled()
    dock.engine_combo.setCurrentIndex(dock.engine_combo.findData("road"))

    assert not dock.accept_button.isEnabled() and not dock.undo_button.isEnabled()
    click(env.canvas, env.oracle.pixel_to_screen(100.5, 81.5))
    click(env.canvas, env.oracle.pixel_to_screen(30.5, 81.5), Qt.RightButton)
    settle(env)
    assert dock.prompt_list.count() == 2
    assert dock.prompt_list.item(1).text().startswith("2. - point at (30.")
    assert "Rounds: 2" in dock.round_label.text()
    assert "Encoded: 200 x 160 px" in dock.encoded_label.text()
    assert dock.accept_button.isEnabled() and dock.undo_button.isEnabled()
    assert dock.activate_button.isChecked()  # the tool is the canvas's map tool

    dock.undo_button.click()
    assert dock.prompt_list.count() == 1 and dock.redo_button.isEnabled()
    dock.redo_button.click()
    assert dock.prompt_list.count() == 2

    # accept into a new scratch layer (the default target), label from the dock
    assert dock.target_combo.currentText() == dock.new_layer_text()
    dock.label_edit.setText("main road")
    assert dock.accept()
    scratch = dock.target_layer()
    assert scratch is not None and scratch.featureCount() == 1
    assert next(scratch.getFeatures())["label"] == "main road"
    assert dock.prompt_list.count() == 0 and "Added 1 feature" in dock.status_label.text()


def test_dock_target_filter_follows_centerlines(dock_env, ix):
    dock = dock_env.dock
    polygons = QgsVectorLayer("Polygon?crs=EPSG:3035", "polygons", "memory")
    lines = QgsVectorLayer("LineString?crs=EPSG:3035", "lines", "memory")
    QgsProject.instance().addMapLayers([polygons, lines], False)

    def offered():
        combo = dock.target_combo
        return {combo.layer(i).name() for i in range(combo.count()) if combo.layer(i)}

    assert offered() == {"polygons"}
    dock.target_combo.setLayer(polygons)
    assert dock.target_layer() is polygons
    dock.centerlines_check.setChecked(True)
    assert dock_env.controller.centerlines
    assert offered() == {"lines"}
    assert dock.target_layer() is not polygons
    # the writer refuses a layer of the wrong kind by itself too
    with pytest.raises(ix.writer.WriteError, match="line layer"):
        ix.writer.add_result(
            polygons,
            QgsGeometry.fromWkt("MultiLineString((10 45, 10.001 45))"),
            QgsCoordinateReferenceSystem("EPSG:4326"),
            ix.writer.ResultAttributes("road", "road", "m", 1, 0.5),
            QgsProject.instance().transformContext(),
        )
    assert polygons.featureCount() == 0 and not polygons.isEditable()


def test_plugin_action_opens_dock_and_tool(
    roadextract, processing_ready, qgis_iface, env, tmp_path, rasters
):
    env.save_plugin_settings(
        roadextract,
        backend_python=str(env.fake_backend_python(tmp_path, "ok")),
        state_dir=str(tmp_path / "state"),
    )
    registry = QgsApplication.processingRegistry()
    existing = registry.providerById(env.PROVIDER_ID)
    if existing is not None:  # registered by another test; the plugin registers its own
        registry.removeProvider(existing)
    layer = QgsRasterLayer(str(rasters / RASTER_4326), "image")
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    plugin = roadextract.classFactory(qgis_iface)
    plugin.initGui()
    try:
        assert plugin.interactive_action.text() == "Interactive extraction…"
        plugin.interactive_action.trigger()
        dock = plugin.interactive.dock
        canvas = qgis_iface.mapCanvas()
        assert canvas.mapTool() is plugin.interactive.tool
        assert plugin.interactive_action.isChecked()
        assert dock.raster_combo.currentLayer() is layer
        # the backend of the settings (here the lifecycle fake) is started for the device
        wait_for(lambda: "Fake CPU" in dock.device_label.text(), timeout_s=30)
    finally:
        plugin.unload()
        QgsProject.instance().removeMapLayer(layer.id())
    assert plugin.interactive is None
    assert canvas.mapTool() is None or canvas.mapTool().__class__.__name__ != "InteractiveMapTool"


def test_raster_that_is_not_a_file_is_exported_for_the_view(ix, roadextract, rasters, tmp_path):
    """A raster table inside a GeoPackage (like WMS/XYZ: no plain file) is exported for the
    visible extent at screen resolution, and prompts are in the export's pixel frame."""
    gpkg = tmp_path / "raster.gpkg"
    gdal.Translate(
        str(gpkg), str(rasters / RASTER_4326), format="GPKG", creationOptions=["RASTER_TABLE=roads"]
    )
    layer = QgsRasterLayer(f"GPKG:{gpkg}:roads", "table")
    assert layer.isValid()
    with fake_module.FakeInteractiveBackend() as fake:
        canvas = make_canvas("EPSG:3857", rasters / RASTER_4326)
        controller = ix.controller.InteractiveController(
            canvas, client_factory=lambda _c: fake.client(roadextract)
        )
        controller.set_raster_layer(layer)
        assert controller.frame is None  # no file: the frame comes with the export
        oracle = Oracle(canvas, rasters / RASTER_4326)
        pos = oracle.pixel_to_screen(100.5, 81.5)
        assert controller.add_point(QgsPointXY(*oracle.screen_to_map(pos)))
        wait_for(lambda: not controller.is_encoding and not controller.is_predicting)
        (params,) = fake.encode_params()
        exported = Path(params["raster_path"])
        assert exported.is_file() and exported.suffix == ".tif"
        dataset = gdal.Open(str(exported))
        size = canvas.mapSettings().outputSize()
        assert (dataset.RasterXSize, dataset.RasterYSize) == (size.width(), size.height())
        assert params["window_px"] == [0, 0, size.width(), size.height()]
        (prompt,) = controller.session.prompts
        in_export = Oracle(canvas, exported).screen_to_pixel(pos)
        assert (prompt.x_px, prompt.y_px) == pytest.approx(in_export, abs=1e-6)
        assert controller.current_result is not None
        controller.shutdown()
        assert not exported.exists()  # the export folder goes with the controller
        canvas.deleteLater()


def test_encode_shows_progress_and_can_be_cancelled(ix, roadextract, rasters):
    with fake_module.FakeInteractiveBackend(encode_polls=10**9) as fake:  # never finishes
        canvas = make_canvas("EPSG:3857", rasters / RASTER_4326)
        controller = ix.controller.InteractiveController(
            canvas, client_factory=lambda _c: fake.client(roadextract)
        )
        controller.set_raster_layer(QgsRasterLayer(str(rasters / RASTER_4326), "image"))
        progress: list[float] = []
        controller.encoding_progress.connect(progress.append)
        assert controller.encode_view()
        assert controller.is_encoding
        wait_for(lambda: 50.0 in progress)  # the job's progress reaches the GUI
        controller.cancel_encode()
        assert not controller.is_encoding and controller.encoded is None

        def job_cancelled() -> bool:
            with fake.lock:
                return [j["status"]["status"] for j in fake.jobs.values()] == ["cancelled"]

        wait_for(job_cancelled)  # the backend job was cancelled too
        # the next prompt encodes again
        oracle = Oracle(canvas, rasters / RASTER_4326)
        assert controller.add_point(
            QgsPointXY(*oracle.screen_to_map(oracle.pixel_to_screen(50.5, 50.5)))
        )
        assert controller.is_encoding
        wait_for(lambda: len(fake.jobs) == 2)
        controller.shutdown()
        canvas.deleteLater()


def test_road_engine_can_start_from_a_probability_raster(setup, fake, rasters):
    env = setup()
    probability = QgsRasterLayer(str(rasters / RASTER_UTM), "anchor-sam probability")
    assert env.controller.set_initial_probability_layer(probability)
    click(env.canvas, env.oracle.pixel_to_screen(60.5, 60.5))
    settle(env)
    (params,) = fake.encode_params()
    assert params["initial_probability_raster"] == probability.source()
    # a layer that is not a local file is refused with a message, nothing changes
    memory = QgsRasterLayer("not-a-file.tif", "nothing")
    assert not memory.isValid()
    assert not env.controller.set_initial_probability_layer(memory)
    assert env.controller.initial_probability_path == probability.source()
    assert env.controller.set_initial_probability_layer(None)
    assert env.controller.encoded is None  # a new start mask needs a new encode


def test_dock_lists_the_known_models_before_the_backend_answers(dock_env):
    """Without a backend's GET /models the dock lists the plugin's known models (issue 16)."""
    dock = dock_env.dock
    models = [dock.model_combo.itemData(i) for i in range(dock.model_combo.count())]
    assert models == [None, "roadgie_hiera_pico_1m"]
    assert "1 m/px" in dock.model_combo.itemText(1)
    assert "RoadGIE" in dock.model_combo.itemData(1, Qt.ToolTipRole)
    dock.engine_combo.setCurrentIndex(dock.engine_combo.findData("sam"))
    models = [dock.model_combo.itemData(i) for i in range(1, dock.model_combo.count())]
    assert "sam_vit_b" in models and "sam2.1_hiera_t" in models and len(models) == 11


def test_cancelling_again_after_qgis_deleted_the_first_task(ix, roadextract, rasters):
    """A cancelled encode task that QGIS has deleted (deleteLater, carried out by its event
    loop) is skipped, not asked for its status: no 'EncodeTask has been deleted'."""
    with fake_module.FakeInteractiveBackend(encode_polls=10**9) as fake:  # never finishes
        canvas = make_canvas("EPSG:3857", rasters / RASTER_4326)
        controller = ix.controller.InteractiveController(
            canvas, client_factory=lambda _c: fake.client(roadextract)
        )
        controller.set_raster_layer(QgsRasterLayer(str(rasters / RASTER_4326), "image"))
        assert controller.encode_view()
        first = controller._encode_task
        controller.cancel_encode()

        def first_deleted() -> bool:
            QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
            return sip.isdeleted(first)

        wait_for(first_deleted)
        assert controller.encode_view()
        controller.cancel_encode()  # walks the old tasks, the deleted one among them
        assert not controller.is_encoding
        controller.shutdown()
        canvas.deleteLater()


def test_dock_can_start_the_road_engine_from_anchor_sam_on_the_view(dock_env, fake, rasters):
    env, dock = dock_env, dock_env.dock
    assert env.controller.initial_model == (
        "anchor_sam_pico_1m" if dock.anchor_start_check.isChecked() else None
    )
    dock.anchor_start_check.setChecked(False)  # a starting raster instead
    assert dock.initial_combo.isEnabled() and env.controller.initial_model is None
    probability = QgsRasterLayer(str(rasters / RASTER_UTM), "anchor-sam probability")
    QgsProject.instance().addMapLayer(probability, False)
    dock.initial_combo.setLayer(probability)
    assert env.controller.initial_probability_path == probability.source()
    dock.anchor_start_check.setChecked(True)
    # one start at a time: the model's replaces the raster
    assert dock.initial_combo.currentLayer() is None and not dock.initial_combo.isEnabled()
    assert env.controller.initial_probability_path is None
    assert env.controller.initial_model == "anchor_sam_pico_1m"
    click(env.canvas, env.oracle.pixel_to_screen(60.5, 60.5))
    settle(env)
    (params,) = fake.encode_params()
    assert params["initial_model"] == "anchor_sam_pico_1m"
    assert "initial_probability_raster" not in params
    # the sam engine takes no start: the box is cleared and disabled
    dock.engine_combo.setCurrentIndex(dock.engine_combo.findData("sam"))
    assert not dock.anchor_start_check.isEnabled() and not dock.anchor_start_check.isChecked()
    assert env.controller.initial_model is None
    dock.engine_combo.setCurrentIndex(dock.engine_combo.findData("road"))
    assert dock.anchor_start_check.isEnabled() and dock.initial_combo.isEnabled()
