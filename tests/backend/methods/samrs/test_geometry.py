"""Boxes in the raster's pixel frame: RH-Box, axis alignment, pixel/map round trips in a
UTM and a geographic raster, reprojection, and every bad-box reason."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from shapely.geometry import Point, Polygon

from backend.methods.samrs.geometry import (
    PIXEL_FRAME_TRANSFORM,
    BoxLayerError,
    is_axis_aligned_rectangle,
    map_to_pixel_geometry,
    pixel_to_map_geometry,
    raster_frame,
    read_boxes,
    rh_box,
)


def rotated_rect(cx, cy, w, h, angle_deg) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2.0
    return corners @ rot.T + [cx, cy]


@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0, 90.0, 137.0])
def test_rh_box_of_rotated_boxes(angle):
    w, h = 40.0, 10.0
    box = rh_box(rotated_rect(100, 50, w, h, angle))
    a = np.deg2rad(angle)
    half_w = (abs(np.cos(a)) * w + abs(np.sin(a)) * h) / 2
    half_h = (abs(np.sin(a)) * w + abs(np.cos(a)) * h) / 2
    np.testing.assert_allclose(box, [100 - half_w, 50 - half_h, 100 + half_w, 50 + half_h])


def test_axis_aligned_detection():
    assert is_axis_aligned_rectangle(shapely.box(1, 2, 30, 9))
    # Repeated and collinear vertices do not make a box rotated.
    assert is_axis_aligned_rectangle(Polygon([(0, 0), (5, 0), (10, 0), (10, 4), (0, 4), (0, 4)]))
    assert not is_axis_aligned_rectangle(Polygon(rotated_rect(50, 50, 20, 8, 20)))
    assert not is_axis_aligned_rectangle(Polygon([(0, 0), (10, 0), (12, 5), (0, 5)]))


@pytest.mark.parametrize("fixture", ["utm_raster", "geo_raster"])
def test_pixel_map_round_trip(fixture, request):
    path = request.getfixturevalue(fixture)
    with rasterio.open(path) as dataset:
        frame = raster_frame(dataset)
        assert frame.georeferenced
        box_px = Polygon(rotated_rect(120.25, 80.5, 30, 12, 33))
        box_map = pixel_to_map_geometry(box_px, frame)
        # Corner 0 through rasterio's own transform.
        x, y = dataset.transform * box_px.exterior.coords[0]
        assert box_map.exterior.coords[0] == pytest.approx((x, y), abs=1e-9)
        back = map_to_pixel_geometry(box_map, frame)
        np.testing.assert_allclose(
            np.asarray(back.exterior.coords), np.asarray(box_px.exterior.coords), atol=1e-6
        )


def _write_boxes(path, geometries, crs, **fields):
    data = gpd.GeoDataFrame(fields, geometry=geometries, crs=crs)
    data.to_file(path, driver="GPKG", engine="pyogrio")
    return str(path)


def test_read_boxes_reprojects_and_reports_bad_boxes(utm_raster, tmp_path):
    with rasterio.open(utm_raster) as dataset:
        frame = raster_frame(dataset)
    good_px = shapely.box(50, 40, 130, 90)
    rotated_px = Polygon(rotated_rect(230, 175, 60, 20, 30))
    partly_px = shapely.box(300, 100, 360, 140)  # raster is 320 px wide
    outside_px = shapely.box(1000, 1000, 1010, 1010)
    zero_px = shapely.box(10, 10, 10, 30)
    bowtie_px = Polygon([(10, 10), (40, 40), (40, 10), (10, 40)])
    geoms_map = [pixel_to_map_geometry(g, frame) for g in
                 (good_px, rotated_px, partly_px, outside_px, zero_px, bowtie_px)]
    geoms_4326 = gpd.GeoSeries(geoms_map, crs="EPSG:32633").to_crs("EPSG:4326")
    geoms = list(geoms_4326) + [Point(10.0001, 44.9999), None]
    classes = ["car", "ship", "car", "car", "car", "car", "car", None]
    path = _write_boxes(tmp_path / "boxes.gpkg", geoms[:7] + [geoms_4326[0]], "EPSG:4326",
                        cls=classes, ident=[f"b{i}" for i in range(8)])
    layer = read_boxes(path, frame, "cls", "ident")
    assert any("reprojected" in w for w in layer.warnings)
    assert [b.box_id for b in layer.boxes] == ["b0", "b1", "b2"]
    good, rotated, partly = layer.boxes
    np.testing.assert_allclose(good.rh_box_px, good_px.bounds, atol=1e-4)
    assert not good.rotated and rotated.rotated
    np.testing.assert_allclose(rotated.rh_box_px, rh_box(np.asarray(rotated_px.exterior.coords)),
                               atol=1e-4)
    assert partly.clipped and partly.rh_box_px[2] == pytest.approx(320, abs=1e-6)
    reasons = {s["box_id"]: s["reason"] for s in layer.skipped}
    assert reasons["b3"] == "outside the raster"
    assert reasons["b4"].startswith("zero area")
    assert "not a valid polygon" in reasons["b5"] and "Self-intersection" in reasons["b5"]
    assert "not a polygon" in reasons["b6"]
    assert "class" in reasons["b7"]
    assert layer.classes == ["car", "ship"]
    assert [b.instance_id for b in layer.boxes] == [1, 2, 3]


def test_missing_class_field_names_the_fields(utm_raster, tmp_path):
    with rasterio.open(utm_raster) as dataset:
        frame = raster_frame(dataset)
    path = _write_boxes(tmp_path / "b.gpkg", [shapely.box(500010, 4999900, 500020, 4999910)],
                        "EPSG:32633", label=["car"])
    with pytest.raises(BoxLayerError, match="no class field 'class'.*label"):
        read_boxes(path, frame, "class")


def test_raster_without_crs(tmp_path):
    png = tmp_path / "plain.png"
    with rasterio.open(png, "w", driver="PNG", width=64, height=48, count=3, dtype="uint8") as out:
        out.write(np.zeros((3, 48, 64), np.uint8))
    with rasterio.open(png) as dataset:
        frame = raster_frame(dataset)
    assert not frame.georeferenced and frame.crs_wkt is None
    assert frame.transform == PIXEL_FRAME_TRANSFORM
    # Boxes in the pixel frame (y = -row), no CRS: accepted with a note.
    path = _write_boxes(tmp_path / "b.gpkg", [shapely.box(5, -20, 25, -10)], None, cls=["car"])
    layer = read_boxes(path, frame, "cls")
    assert layer.boxes[0].rh_box_px == pytest.approx((5, 10, 25, 20))
    assert any("no CRS" in w for w in layer.warnings)
    # Boxes in a CRS cannot be placed on it.
    path = _write_boxes(tmp_path / "c.gpkg", [shapely.box(5, 10, 25, 20)], "EPSG:4326",
                        cls=["car"])
    with pytest.raises(BoxLayerError, match="no coordinate reference system"):
        read_boxes(path, frame, "cls")
