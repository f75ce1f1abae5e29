"""Annotation importers on the real DOTA file, hand-made DIOR / FAIR1M XML and the real
iSAID instance masks, and placement through the image's geotransform."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from backend.jobs.import_box_annotations import ImportBoxAnnotationsParams, run
from backend.methods.samrs.annotations import (
    AnnotationError,
    annotations_to_layer,
    decode_isaid_ids,
    detect_format,
    parse_dior,
    parse_dota,
    parse_fair1m,
    parse_isaid,
)
from backend.methods.samrs.geometry import raster_frame

DIOR_XML = """<annotation>
  <filename>00001.jpg</filename>
  <size><width>800</width><height>800</height><depth>3</depth></size>
  <object><name>airplane</name><difficult>0</difficult>
    <bndbox><xmin>11</xmin><ymin>21</ymin><xmax>60</xmax><ymax>80</ymax></bndbox></object>
  <object><name>ship</name><difficult>1</difficult>
    <bndbox><xmin>101</xmin><ymin>201</ymin><xmax>130</xmax><ymax>215</ymax></bndbox></object>
</annotation>"""

FAIR1M_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <source><filename>0.tif</filename><origin>GF2/GF3</origin></source>
  <objects>
    <object><coordinate>pixel</coordinate><type>rectangle</type><description>None</description>
      <possibleresult><name>Boeing737</name><probability>1</probability></possibleresult>
      <points><point>100.0,100.0</point><point>140.0,120.0</point><point>130.0,140.0</point>
        <point>90.0,120.0</point><point>100.0,100.0</point></points></object>
    <object><coordinate>pixel</coordinate><type>rectangle</type><description>None</description>
      <possibleresult><name>Small Car</name><probability>1</probability></possibleresult>
      <points><point>10,10</point><point>20,10</point><point>20,15</point><point>10,15</point>
        <point>10,10</point></points></object>
  </objects>
</annotation>"""


def test_dota_real_file(shared_data):
    path = shared_data / "boxes" / "dota" / "P1888.txt"
    annotations, header = parse_dota(path)
    assert header == {"imagesource": "GoogleEarth", "gsd": "0.266170468393"}
    assert len(annotations) == 64
    classes = [a.class_name for a in annotations]
    assert classes.count("large-vehicle") == 50 and classes.count("small-vehicle") == 14
    first = annotations[0]
    np.testing.assert_allclose(first.corners_xy_px, [[674, 375], [683, 375], [684, 394],
                                                     [675, 395]])
    assert first.difficult is False and first.box_id == 0
    assert detect_format(path) == "dota"


def test_dota_bad_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("imagesource:x\ngsd:1\n1 2 3 4 5 6 7 car 0\n")
    with pytest.raises(AnnotationError, match="line 3"):
        parse_dota(path)


def test_dior_voc_xml(tmp_path):
    path = tmp_path / "00001.xml"
    path.write_text(DIOR_XML)
    assert detect_format(path) == "dior"
    plane, ship = parse_dior(path)
    assert plane.class_name == "airplane" and not plane.difficult
    np.testing.assert_allclose(plane.corners_xy_px.min(0), [10, 20])  # 1-based -> edges
    np.testing.assert_allclose(plane.corners_xy_px.max(0), [60, 80])
    assert ship.difficult and ship.box_id == 1


def test_fair1m_xml(tmp_path):
    path = tmp_path / "0.xml"
    path.write_text(FAIR1M_XML)
    assert detect_format(path) == "fair1m"
    plane, car = parse_fair1m(path)
    assert plane.class_name == "Boeing737" and car.class_name == "Small Car"
    assert plane.corners_xy_px.shape == (4, 2)  # closing point dropped
    np.testing.assert_allclose(plane.corners_xy_px[1], [140, 120])


def test_broken_xml(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text("<annotation><object>")
    with pytest.raises(AnnotationError, match="not well-formed"):
        parse_dior(path)


def test_isaid_ids_and_boxes(shared_data):
    assert decode_isaid_ids(np.array([[[1, 2, 3]]])) == 1 + 512 + 3 * 65536
    path = shared_data / "boxes" / "isaid" / "P0005_instance_id_RGB.png"
    annotations = parse_isaid(path)
    assert len(annotations) == 131
    from PIL import Image

    ids = decode_isaid_ids(np.asarray(Image.open(path).convert("RGB")))
    for a in annotations[:20]:
        rows, cols = np.nonzero(ids == a.box_id)
        np.testing.assert_allclose(a.corners_xy_px.min(0), [cols.min(), rows.min()])
        np.testing.assert_allclose(a.corners_xy_px.max(0), [cols.max() + 1, rows.max() + 1])
    assert {a.class_name for a in annotations} <= {"small-vehicle", "large-vehicle"}


def test_layer_placed_by_geotransform(utm_raster, tmp_path):
    path = tmp_path / "0.xml"
    path.write_text(FAIR1M_XML)
    with rasterio.open(utm_raster) as dataset:
        frame = raster_frame(dataset)
        layer = annotations_to_layer(parse_fair1m(path), frame)
        x, y = dataset.transform * (100.0, 100.0)
    assert layer.crs.to_epsg() == 32633
    assert layer.geometry[0].exterior.coords[0] == pytest.approx((x, y))
    assert list(layer["class"]) == ["Boeing737", "Small Car"]


def test_import_job_on_image_without_georeference(shared_data, tmp_path):
    out = tmp_path / "boxes.gpkg"
    params = ImportBoxAnnotationsParams(
        annotation_path=str(shared_data / "boxes" / "dota" / "P1888.txt"),
        raster_path=str(shared_data / "boxes" / "dota" / "P1888.png"),
        output_path=str(out),
    )
    result = run(params)
    assert result["summary"]["n_boxes"] == 64 and result["summary"]["crs"] is None
    layer = gpd.read_file(out, layer="boxes")
    assert layer.crs is None
    # Pixel frame: x = column, y = -row.
    assert layer.geometry[0].exterior.coords[0] == pytest.approx((674, -375))
