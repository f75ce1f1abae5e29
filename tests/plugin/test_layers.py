"""Raster and vector layers become local files for the backend; backend GeoPackages
become layers.

Fixtures are generated per test (seeded) in a projected CRS, EPSG:32611, the second CRS
next to the EPSG:4326 shared data used by tests/e2e.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeedback,
    QgsGeometry,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorLayerSelectedFeatureSource,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QImage

gdal.UseExceptions()

ORIGIN_X_M = 500000.0
ORIGIN_Y_M = 4000000.0
PIXEL_SIZE_M = 0.5
WIDTH_PX = 40
HEIGHT_PX = 30


def _make_mask(path: Path, driver: str = "GTiff", options: list[str] | None = None) -> np.ndarray:
    """Write a seeded uint8 0/255 mask (HEIGHT_PX, WIDTH_PX) in EPSG:32611; return it."""
    rng = np.random.default_rng(1234)
    data = (rng.random((HEIGHT_PX, WIDTH_PX)) > 0.7).astype(np.uint8) * 255
    dataset = gdal.GetDriverByName(driver).Create(
        str(path), WIDTH_PX, HEIGHT_PX, 1, gdal.GDT_Byte, options or []
    )
    dataset.SetGeoTransform((ORIGIN_X_M, PIXEL_SIZE_M, 0.0, ORIGIN_Y_M, 0.0, -PIXEL_SIZE_M))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.GetRasterBand(1).WriteArray(data)
    dataset.FlushCache()
    dataset = None
    return data


def _read(path: str) -> tuple[np.ndarray, tuple, str]:
    dataset = gdal.Open(path)
    srs = osr.SpatialReference(wkt=dataset.GetProjection())
    srs.AutoIdentifyEPSG()
    result = (
        dataset.GetRasterBand(1).ReadAsArray(),
        dataset.GetGeoTransform(),
        srs.GetAuthorityCode(None),
    )
    dataset = None
    return result


def test_local_geotiff_is_passed_by_path(rx, tmp_path):
    path = tmp_path / "mask.tif"
    _make_mask(path)
    layer = QgsRasterLayer(str(path), "mask", "gdal")
    assert layer.isValid()
    assert rx.layers.local_raster_path(layer) == str(path.resolve())
    file_path, exported = rx.layers.raster_file_for_backend(layer, tmp_path / "work")
    assert (file_path, exported) == (str(path.resolve()), False)


def test_raster_inside_a_container_is_exported_at_native_resolution(rx, tmp_path):
    gpkg = tmp_path / "rasters.gpkg"
    data = _make_mask(gpkg, "GPKG", ["RASTER_TABLE=mask"])
    layer = QgsRasterLayer(f"GPKG:{gpkg}:mask", "mask", "gdal")
    assert layer.isValid()
    assert rx.layers.local_raster_path(layer) is None
    work = tmp_path / "work"
    work.mkdir()
    file_path, exported = rx.layers.raster_file_for_backend(layer, work)
    assert exported and Path(file_path).parent == work
    values, transform, epsg = _read(file_path)
    assert epsg == "32611"
    assert values.shape == (HEIGHT_PX, WIDTH_PX)
    np.testing.assert_allclose(
        transform, (ORIGIN_X_M, PIXEL_SIZE_M, 0, ORIGIN_Y_M, 0, -PIXEL_SIZE_M)
    )
    np.testing.assert_array_equal(values, data)


def test_export_of_an_extent_at_a_given_gsd(rx, tmp_path):
    path = tmp_path / "mask.tif"
    _make_mask(path)
    layer = QgsRasterLayer(str(path), "mask", "gdal")
    # The left half, 10 m x 15 m, at 1 m pixels.
    extent = QgsRectangle(
        ORIGIN_X_M, ORIGIN_Y_M - HEIGHT_PX * PIXEL_SIZE_M, ORIGIN_X_M + 10.0, ORIGIN_Y_M
    )
    out = rx.layers.export_raster(layer, tmp_path / "part.tif", extent=extent, gsd_map=1.0)
    values, transform, epsg = _read(out)
    assert epsg == "32611"
    assert values.shape == (15, 10)
    assert transform[1] == pytest.approx(1.0) and transform[5] == pytest.approx(-1.0)
    assert transform[0] == pytest.approx(ORIGIN_X_M) and transform[3] == pytest.approx(ORIGIN_Y_M)


def test_xyz_tiles_need_a_gsd_and_export_as_rgba(rx, tmp_path):
    # One 256 x 256 XYZ tile at zoom 0 (the whole web-mercator world), served from disk.
    tile = tmp_path / "tiles" / "0" / "0" / "0.png"
    tile.parent.mkdir(parents=True)
    image = QImage(256, 256, QImage.Format_ARGB32)
    image.fill(QColor(Qt.red))
    assert image.save(str(tile))
    url = (tmp_path / "tiles").as_uri() + "/{z}/{x}/{y}.png"
    layer = QgsRasterLayer(f"type=xyz&url={url}&zmin=0&zmax=0", "tiles", "wms")
    assert layer.isValid()
    assert rx.layers.local_raster_path(layer) is None
    with pytest.raises(rx.layers.LayerError, match="no native resolution"):
        rx.layers.raster_file_for_backend(layer, tmp_path)

    half_world_m = 20037508.34
    extent = QgsRectangle(-half_world_m / 2, -half_world_m / 2, 0.0, 0.0)
    gsd_m = half_world_m / 2 / 64
    out = rx.layers.export_raster(layer, tmp_path / "xyz.tif", extent=extent, gsd_map=gsd_m)
    dataset = gdal.Open(out)
    assert (dataset.RasterXSize, dataset.RasterYSize, dataset.RasterCount) == (64, 64, 4)
    red = dataset.GetRasterBand(1).ReadAsArray()
    green = dataset.GetRasterBand(2).ReadAsArray()
    dataset = None
    assert red.mean() > 200 and green.mean() < 50


def test_export_refuses_absurd_sizes(rx, tmp_path):
    path = tmp_path / "mask.tif"
    _make_mask(path)
    layer = QgsRasterLayer(str(path), "mask", "gdal")
    with pytest.raises(rx.layers.LayerError, match="pixels per side"):
        rx.layers.export_raster(layer, tmp_path / "big.tif", gsd_map=1e-6)
    assert not (tmp_path / "big.tif").exists()


def test_gpkg_vector_layer(rx, tmp_path):
    gpkg = tmp_path / "out.gpkg"
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(gpkg))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ogr_layer = dataset.CreateLayer("road_nodes", srs, ogr.wkbPoint)
    ogr_layer.CreateField(ogr.FieldDefn("degree", ogr.OFTInteger))
    feature = ogr.Feature(ogr_layer.GetLayerDefn())
    feature.SetField("degree", 3)
    feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({ORIGIN_X_M} {ORIGIN_Y_M})"))
    ogr_layer.CreateFeature(feature)
    dataset = None

    layer = rx.layers.gpkg_vector_layer(gpkg, "road_nodes", "Nodes")
    assert layer.name() == "Nodes"
    assert layer.featureCount() == 1
    assert layer.crs().authid() == "EPSG:32611"
    with pytest.raises(rx.layers.LayerError, match="road_edges"):
        rx.layers.gpkg_vector_layer(gpkg, "road_edges")


# -- vector layers ----------------------------------------------------------------------------


def _write_lines(path: Path, layers: dict[str, int], driver: str = "GPKG") -> None:
    """Write ``{layer_name: n_lines}`` of seeded LineStrings in EPSG:32611 into one file."""
    rng = np.random.default_rng(4321)
    dataset = ogr.GetDriverByName(driver).CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    for name, count in layers.items():
        ogr_layer = dataset.CreateLayer(name, srs, ogr.wkbLineString)
        ogr_layer.CreateField(ogr.FieldDefn("road_id", ogr.OFTInteger))
        for i in range(count):
            x, y = ORIGIN_X_M + rng.random() * 100.0, ORIGIN_Y_M + rng.random() * 100.0
            feature = ogr.Feature(ogr_layer.GetLayerDefn())
            feature.SetField("road_id", i)
            feature.SetGeometry(ogr.CreateGeometryFromWkt(f"LINESTRING ({x} {y}, {x + 50} {y})"))
            ogr_layer.CreateFeature(feature)
    dataset = None


def _read_lines(path: str, layer_name: str | None) -> tuple[int, str, str]:
    """(feature count, EPSG code, geometry type name) of a vector file layer."""
    dataset = ogr.Open(path)
    ogr_layer = dataset.GetLayerByName(layer_name) if layer_name else dataset.GetLayer(0)
    srs = ogr_layer.GetSpatialRef()
    srs.AutoIdentifyEPSG()
    result = (
        ogr_layer.GetFeatureCount(),
        srs.GetAuthorityCode(None),
        ogr.GeometryTypeToName(ogr_layer.GetGeomType()),
    )
    dataset = None
    return result


def test_local_vector_files_are_passed_by_path_and_layer_name(rx, tmp_path):
    geojson = tmp_path / "lines.geojson"
    _write_lines(geojson, {"lines": 3}, "GeoJSON")
    layer = QgsVectorLayer(str(geojson), "lines", "ogr")
    assert layer.isValid()
    assert rx.layers.local_vector_path(layer) == (str(geojson.resolve()), None)
    assert rx.layers.vector_file_for_backend(layer, tmp_path / "work", "gt") == (
        str(geojson.resolve()),
        None,
        False,
    )

    gpkg = tmp_path / "roads.gpkg"
    _write_lines(gpkg, {"first": 2, "second": 4})
    by_name = QgsVectorLayer(f"{gpkg}|layername=second", "second", "ogr")
    assert rx.layers.local_vector_path(by_name) == (str(gpkg.resolve()), "second")
    by_id = QgsVectorLayer(f"{gpkg}|layerid=1", "by id", "ogr")
    assert by_id.isValid() and by_id.featureCount() == 4
    assert rx.layers.local_vector_path(by_id) == (str(gpkg.resolve()), "second")


def test_memory_layer_is_exported_to_a_geopackage(rx, tmp_path):
    layer = QgsVectorLayer("LineString?crs=EPSG:32611&field=name:string", "drawn", "memory")
    features = []
    for i in range(3):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([f"road {i}"])
        x = ORIGIN_X_M + 10.0 * i
        feature.setGeometry(QgsGeometry.fromWkt(f"LINESTRING ({x} {ORIGIN_Y_M}, {x} 4000050)"))
        features.append(feature)
    features.append(QgsFeature(layer.fields()))  # no geometry: skipped
    assert layer.dataProvider().addFeatures(features)[0]
    assert rx.layers.local_vector_path(layer) is None
    work = tmp_path / "work"
    work.mkdir()
    path, layer_name, exported = rx.layers.vector_file_for_backend(layer, work, "proposal")
    assert exported and Path(path) == work / "proposal.gpkg" and layer_name == "proposal"
    assert _read_lines(path, layer_name) == (3, "32611", "Multi Line String")


def test_filtered_or_reprojected_or_partial_layers_are_exported(rx, tmp_path):
    gpkg = tmp_path / "roads.gpkg"
    _write_lines(gpkg, {"roads": 5})
    work = tmp_path / "work"
    work.mkdir()

    filtered = QgsVectorLayer(f"{gpkg}|layername=roads", "roads", "ogr")
    assert filtered.setSubsetString('"road_id" < 2')
    assert rx.layers.local_vector_path(filtered) is None
    path, name, exported = rx.layers.vector_file_for_backend(filtered, work, "filtered")
    assert exported and _read_lines(path, name)[0] == 2

    # A CRS assigned in QGIS is not in the file: export, in the layer's CRS.
    reassigned = QgsVectorLayer(f"{gpkg}|layername=roads", "roads", "ogr")
    reassigned.setCrs(QgsCoordinateReferenceSystem("EPSG:32612"))
    assert rx.layers.local_vector_path(reassigned) is None
    path, name, exported = rx.layers.vector_file_for_backend(reassigned, work, "reassigned")
    assert exported and _read_lines(path, name)[:2] == (5, "32612")

    # Only some features (a selection): exactly those are exported.
    layer = QgsVectorLayer(f"{gpkg}|layername=roads", "roads", "ogr")
    layer.selectByExpression('"road_id" >= 3')
    selected = QgsVectorLayerSelectedFeatureSource(layer)
    path, name, exported = rx.layers.vector_file_for_backend(
        layer, work, "selected", features=selected
    )
    assert exported and _read_lines(path, name)[0] == 2


def test_cancelled_vector_export_leaves_no_file(rx, tmp_path):
    gpkg = tmp_path / "roads.gpkg"
    _write_lines(gpkg, {"roads": 5})
    layer = QgsVectorLayer(f"{gpkg}|layername=roads", "roads", "ogr")
    feedback = QgsFeedback()
    feedback.cancel()
    out = tmp_path / "out.gpkg"
    with pytest.raises(rx.layers.LayerError, match="cancelled"):
        rx.layers.export_vector(layer, out, "roads", feedback=feedback)
    assert not out.exists()
    with pytest.raises(rx.layers.LayerError, match="not valid"):
        rx.layers.vector_file_for_backend(
            QgsVectorLayer("/nonexistent.gpkg", "x", "ogr"), tmp_path, "x"
        )
