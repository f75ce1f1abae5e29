"""Interactive extraction against the REAL backend with the shipped road model.

A held-out Massachusetts Roads crop (``massachusetts_400/images/te_img-4.jpg``, 1 m/px,
not used in training) is georeferenced into EPSG:26986 (Massachusetts Mainland, metres)
in a temporary folder; the canvas shows it in EPSG:3857. Mouse events on a real
QgsMapCanvas go through the map tool, the controller and HTTP to the backend:

- a positive click on a road yields a mask that contains the click;
- a negative click on the mask, away from the positive one, removes the region around it;
- accepting writes the polygon into a layer in a third CRS (EPSG:4326) at the right place.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication, Qt

IMAGE = ("roads", "massachusetts_400", "images", "te_img-4.jpg")
LABEL = ("roads", "massachusetts_400", "labels", "te_img-4.png")
RASTER_CRS = "EPSG:26986"
ORIGIN = (200000.0, 900400.0)  # top-left corner, metres; 1 m pixels
MODEL_ID = "roadgie_hiera_pico_1m"
ENCODE_TIMEOUT_S = 300.0
# A negative click is placed this far (pixels = metres) from the positive one.
NEGATIVE_DISTANCE_PX = (25.0, 120.0)
# The region "around" the negative click: a disk of this radius (metres).
NEGATIVE_RADIUS_M = 4.0


def _load(name: str):
    module_name = f"roadextract_tests_{name}"
    if module_name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "plugin" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


helpers = _load("interactive_helpers")


def _shared(env, parts: tuple[str, ...]) -> Path:
    path = env.SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"shared data not found: {path}")
    return path


@pytest.fixture(scope="module")
def image(env, tmp_path_factory) -> tuple[Path, np.ndarray]:
    """The crop as a georeferenced GeoTIFF, and its road label ((H, W) bool, rows x cols)."""
    source = _shared(env, IMAGE)
    label = gdal.Open(str(_shared(env, LABEL))).ReadAsArray() > 0
    out = tmp_path_factory.mktemp("interactive") / "te_img-4_26986.tif"
    dataset = gdal.Open(str(source))
    width, height = dataset.RasterXSize, dataset.RasterYSize
    translated = gdal.Translate(
        str(out),
        dataset,
        format="GTiff",
        outputSRS=RASTER_CRS,
        outputBounds=[ORIGIN[0], ORIGIN[1], ORIGIN[0] + width, ORIGIN[1] - height],
    )
    translated = None  # noqa: F841 - closes the file
    assert label.shape == (height, width)
    return out, label


def _deep_road_pixels(label: np.ndarray, margin_px: int = 2) -> np.ndarray:
    """(N, 2) array of (col, row) of road pixels whose whole neighbourhood is road."""
    size = 2 * margin_px + 1
    padded = np.pad(label, margin_px, constant_values=False)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))
    deep = windows.all(axis=(-1, -2))
    rows, cols = np.nonzero(deep)
    return np.stack([cols, rows], axis=1)


@pytest.fixture
def session(backend, roadextract, image, qgis_app):
    """Canvas (EPSG:3857) on the image, controller on the real backend, tool active."""
    controller_module = importlib.import_module(
        f"{roadextract.__name__}.gui.interactive.controller"
    )
    tool_module = importlib.import_module(f"{roadextract.__name__}.gui.interactive.map_tool")
    path, label = image
    canvas = helpers.make_canvas("EPSG:3857", path)
    layer = QgsRasterLayer(str(path), "te_img-4")
    assert layer.isValid()
    controller = controller_module.InteractiveController(
        canvas, client_factory=lambda _is_cancelled: backend.client
    )
    controller.set_engine("road", MODEL_ID)
    controller.set_raster_layer(layer)
    tool = tool_module.InteractiveMapTool(canvas, controller)
    canvas.setMapTool(tool)
    messages: list[str] = []
    controller.message.connect(lambda text, _level: messages.append(text))
    yield controller, canvas, helpers.Oracle(canvas, path), label, messages
    controller.shutdown()
    canvas.unsetMapTool(tool)
    tool.remove_drawings()
    canvas.close()
    canvas.deleteLater()
    QCoreApplication.processEvents()


def _settle(controller, messages) -> None:
    helpers.wait_for(
        lambda: not controller.is_encoding and not controller.is_predicting,
        timeout_s=ENCODE_TIMEOUT_S,
    )
    assert not controller.last_error, messages


def _map_point(oracle, x_px: float, y_px: float) -> QgsPointXY:
    """A raster pixel point in the raster CRS, by GDAL's geotransform."""
    return QgsPointXY(*gdal.ApplyGeoTransform(oracle.gt, x_px, y_px))


def _disk(point: QgsPointXY, radius: float) -> QgsGeometry:
    return QgsGeometry.fromPointXY(point).buffer(radius, 32)


def test_positive_then_negative_click_on_a_road(session, backend):
    controller, canvas, oracle, label, messages = session
    height, width = label.shape
    deep = _deep_road_pixels(label)
    assert len(deep), "no road in the label"
    centre = np.array([width / 2, height / 2])
    col, row = deep[np.argmin(np.hypot(*(deep - centre).T))]
    positive_screen = oracle.pixel_to_screen(col + 0.5, row + 0.5)
    helpers.click(canvas, positive_screen)
    _settle(controller, messages)

    (prompt,) = controller.session.prompts
    assert math.dist((prompt.x_px, prompt.y_px), (col + 0.5, row + 0.5)) < 0.5
    assert controller.encoded is not None and controller.encoded.model == MODEL_ID
    assert controller.encoded.window_px == (0, 0, width, height)  # the whole crop is in view
    first = controller.current_result
    assert first is not None and first.round >= 1
    mask1 = controller.result_geometry(first, centerlines=False)
    assert not mask1.isEmpty()
    positive_point = _map_point(oracle, prompt.x_px, prompt.y_px)
    assert mask1.contains(positive_point), "the mask does not contain the positive click"

    # A negative click on a road pixel inside the mask, away from the positive click.
    interior = mask1.buffer(-2.0, 8)
    candidates = [
        (c, r)
        for c, r in deep
        if NEGATIVE_DISTANCE_PX[0] <= math.dist((c, r), (col, row)) <= NEGATIVE_DISTANCE_PX[1]
        and interior.contains(_map_point(oracle, c + 0.5, r + 0.5))
    ]
    assert candidates, "the first mask covers no road away from the click"
    neg_col, neg_row = min(candidates, key=lambda cr: math.dist(cr, (col, row)))
    helpers.click(canvas, oracle.pixel_to_screen(neg_col + 0.5, neg_row + 0.5), Qt.RightButton)
    _settle(controller, messages)

    negative = controller.session.prompts[1]
    assert not negative.positive
    second = controller.current_result
    assert second.round > first.round
    mask2 = controller.result_geometry(second, centerlines=False)
    negative_point = _map_point(oracle, negative.x_px, negative.y_px)
    around = _disk(negative_point, NEGATIVE_RADIUS_M)
    before = mask1.intersection(around).area()
    after = mask2.intersection(around).area() if not mask2.isEmpty() else 0.0
    detail = (
        f"mask within {NEGATIVE_RADIUS_M} m of the negative click: {before:.1f} m2 before, "
        f"{after:.1f} m2 after; whole mask {mask1.area():.0f} -> {mask2.area():.0f} m2"
    )
    assert not mask2.contains(negative_point), "negative click still inside the mask; " + detail
    assert after < 0.5 * before, detail
    assert mask2.contains(positive_point), "the negative click also removed the positive one"

    # Undo shows round 1 again without a request; accepting writes it in a third CRS.
    controller.undo()
    assert controller.current_result is first
    target = QgsVectorLayer("Polygon?crs=EPSG:4326", "accepted", "memory")
    QgsProject.instance().addMapLayer(target)
    try:
        _, ids = controller.accept(target, "road")
        # a single-part layer gets one feature per part of the mask, each with the attributes
        features = [target.getFeature(i) for i in ids]
        assert len(features) == controller.result_geometry(first).constGet().numGeometries()
        for feature in features:
            assert feature["engine"] == "road" and feature["model"] == MODEL_ID
            assert feature["rounds"] == 1 and feature["label"] == "road"
        src, dst = osr.SpatialReference(), osr.SpatialReference()
        src.SetFromUserInput(RASTER_CRS)
        dst.ImportFromEPSG(4326)
        for ref in (src, dst):
            ref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        lon, lat, _ = osr.CoordinateTransformation(src, dst).TransformPoint(
            positive_point.x(), positive_point.y()
        )
        assert any(f.geometry().contains(QgsPointXY(lon, lat)) for f in features)
        target.rollBack()
    finally:
        QgsProject.instance().removeMapLayer(target.id())


def test_centerlines_of_a_road_into_a_line_layer(session):
    controller, canvas, oracle, label, messages = session
    height, width = label.shape
    deep = _deep_road_pixels(label)
    col, row = deep[np.argmin(np.hypot(*(deep - np.array([width / 2, height / 2])).T))]
    controller.set_centerlines(True)
    helpers.click(canvas, oracle.pixel_to_screen(col + 0.5, row + 0.5))
    _settle(controller, messages)
    result = controller.current_result
    assert result.centerlines is not None
    lines = controller.result_geometry(result)
    assert lines.type() == QgsWkbTypes.LineGeometry and lines.length() > 0
    mask = controller.result_geometry(result, centerlines=False)
    assert mask.buffer(1.0, 4).contains(lines)  # skeleton of the mask: inside it
    target = QgsVectorLayer("LineString?crs=EPSG:3857", "centerlines", "memory")
    QgsProject.instance().addMapLayer(target)
    try:
        _, ids = controller.accept(target, "road")
        assert ids and target.getFeature(ids[0]).geometry().type() == QgsWkbTypes.LineGeometry
        target.rollBack()
    finally:
        QgsProject.instance().removeMapLayer(target.id())


def test_start_from_anchor_sam_then_a_click_changes_only_what_it_touches(session):
    """"Start from Anchor-SAM's roads": the real backend runs the shipped Anchor-SAM on the
    view; the first click's result holds Anchor-SAM's roads far from the click too, and a
    negative click then removes only what is connected to it."""
    controller, canvas, oracle, label, messages = session
    controller.set_initial_model("anchor_sam_pico_1m")
    height, width = label.shape
    deep = _deep_road_pixels(label)
    col, row = deep[np.argmin(np.hypot(*(deep - np.array([width / 2, height / 2])).T))]
    helpers.click(canvas, oracle.pixel_to_screen(col + 0.5, row + 0.5))
    _settle(controller, messages)
    first = controller.current_result
    mask1 = controller.result_geometry(first, centerlines=False)
    click_point = _map_point(oracle, col + 0.5, row + 0.5)
    assert mask1.contains(click_point)
    far = mask1.difference(_disk(click_point, 60.0))
    assert far.area() > 1000.0, f"only {far.area():.0f} m2 of road away from the click"
    # a negative click on the mask away from the first click: the mask elsewhere stays
    interior = mask1.buffer(-2.0, 8)
    candidates = [
        (c, r)
        for c, r in deep
        if 40.0 <= math.dist((c, r), (col, row)) <= 150.0
        and interior.contains(_map_point(oracle, c + 0.5, r + 0.5))
    ]
    assert candidates, "Anchor-SAM's start covers no road away from the click"
    neg_col, neg_row = candidates[0]
    helpers.click(canvas, oracle.pixel_to_screen(neg_col + 0.5, neg_row + 0.5), Qt.RightButton)
    _settle(controller, messages)
    mask2 = controller.result_geometry(controller.current_result, centerlines=False)
    negative_point = _map_point(oracle, neg_col + 0.5, neg_row + 0.5)
    assert not mask2.contains(negative_point) and mask2.contains(click_point)
    # merged: the masks differ only in regions that reach the negative click
    changed = mask1.symDifference(mask2).buffer(0.01, 2)
    parts = changed.asGeometryCollection() if changed.isMultipart() else [changed]
    near = _disk(negative_point, 6.0)
    assert all(part.intersects(near) for part in parts if part.area() > 1.0), [
        part.centroid().asWkt() for part in parts
    ]
