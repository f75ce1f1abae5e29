""" "Road mask to vectors" through processing.run against the real backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingException,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)

gdal.UseExceptions()

ALG_ID = "roadextract:roadmasktovectors"
# Centerline vertices must lie within this many pixels of a road pixel.
MAX_OFF_MASK_PX = 2.0


def _outputs(tmp_path: Path) -> dict[str, str]:
    return {
        "OUTPUT_POLYGONS": str(tmp_path / "polygons.gpkg"),
        "OUTPUT_CENTERLINES": str(tmp_path / "centerlines.gpkg"),
        "OUTPUT_NODES": str(tmp_path / "nodes.gpkg"),
    }


def _dilate(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Pixels within ``radius_px`` (Euclidean, centre to centre) of a True pixel."""
    r = int(np.floor(radius_px))
    padded = np.pad(mask, r)
    out = np.zeros_like(mask)
    height, width = mask.shape
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= radius_px * radius_px:
                out |= padded[r + dy : r + dy + height, r + dx : r + dx + width]
    return out


def test_outputs_in_raster_crs_inside_extent_and_on_the_mask(
    backend, road_mask_path, tmp_path, env
):
    import processing

    outputs = _outputs(tmp_path)
    results = processing.run(ALG_ID, {"INPUT": str(road_mask_path), **outputs})

    raster = QgsRasterLayer(str(road_mask_path), "mask", "gdal")
    extent = raster.extent()
    res_x = raster.rasterUnitsPerPixelX()
    layers = {
        name: QgsVectorLayer(results[name], name, "ogr")
        for name in ("OUTPUT_POLYGONS", "OUTPUT_CENTERLINES", "OUTPUT_NODES")
    }
    expected = {
        "OUTPUT_POLYGONS": (QgsWkbTypes.PolygonGeometry, {"area_m2"}),
        "OUTPUT_CENTERLINES": (
            QgsWkbTypes.LineGeometry,
            {"edge_id", "node_u", "node_v", "length_m"},
        ),
        "OUTPUT_NODES": (QgsWkbTypes.PointGeometry, {"node_id", "degree"}),
    }
    for name, layer in layers.items():
        assert layer.isValid(), name
        assert layer.crs().authid() == "EPSG:4326", name
        assert layer.featureCount() > 0, name
        geometry_type, fields = expected[name]
        assert layer.geometryType() == geometry_type, name
        assert fields <= set(layer.fields().names()), name
        # Inside the raster (half a pixel of slack for vertices on pixel edges).
        assert extent.buffered(res_x / 2).contains(layer.extent()), name
    assert results["N_POLYGONS"] == layers["OUTPUT_POLYGONS"].featureCount()
    assert results["N_EDGES"] == layers["OUTPUT_CENTERLINES"].featureCount()
    assert results["N_NODES"] == layers["OUTPUT_NODES"].featureCount()

    # Every centerline vertex lies within 2 px of a road pixel of the mask.
    dataset = gdal.Open(str(road_mask_path))
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    near_road = _dilate(dataset.GetRasterBand(1).ReadAsArray() > 0, MAX_OFF_MASK_PX)
    dataset = None
    height, width = near_road.shape
    n_vertices = 0
    for feature in layers["OUTPUT_CENTERLINES"].getFeatures():
        for vertex in feature.geometry().vertices():
            col = min(max(int((vertex.x() - x0) / dx), 0), width - 1)
            row = min(max(int((vertex.y() - y0) / dy), 0), height - 1)
            assert near_road[row, col], f"vertex {vertex.asWkt()} is off the mask"
            n_vertices += 1
    assert n_vertices >= 2 * results["N_EDGES"]
    assert not env.processing_temp_leftovers()


def _raster_without_crs(path: Path) -> None:
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 32, 32, 1, gdal.GDT_Byte)
    dataset.SetGeoTransform((0.0, 1.0, 0.0, 32.0, 0.0, -1.0))
    data = np.zeros((32, 32), np.uint8)
    data[14:18, :] = 255
    dataset.GetRasterBand(1).WriteArray(data)
    dataset = None
    assert osr.SpatialReference(wkt=gdal.Open(str(path)).GetProjection() or "").Validate() != 0


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("not_a_raster", r"is not a raster"),
        ("no_crs", r"has no coordinate reference system"),
        # A CRS set on the QGIS layer only: the backend reads the file and refuses (400).
        ("crs_only_in_qgis", r"backend refused the job: .*coordinate reference system"),
        ("missing_file", r"does not exist"),
        ("bad_band", r"Band 3 does not exist"),
        # The advanced "Dask cluster" parameter reaches the backend, which refuses a
        # malformed scheduler at submission (issue 13).
        ("bad_scheduler", r"scheduler"),
    ],
)
def test_bad_input_fails_cleanly(
    backend, road_mask_path, tmp_path, assert_failed_cleanly, case, needle
):
    import processing

    params = {}
    if case == "not_a_raster":
        path = tmp_path / "notes.tif"
        path.write_text("this is not a raster\n")
    elif case in ("no_crs", "crs_only_in_qgis"):
        path = tmp_path / "no_crs.tif"
        _raster_without_crs(path)
    elif case == "missing_file":
        path = tmp_path / "missing.tif"
    elif case == "bad_scheduler":
        path = road_mask_path
        params["SCHEDULER"] = "nowhere:1"
    else:
        path = road_mask_path
        params["BAND"] = 3
    layer = str(path)
    if case == "crs_only_in_qgis":
        # As a user would: a project layer whose CRS was set in QGIS. The project owns it
        # (a layer owned by Python and freed after QGIS exits crashes the interpreter).
        project_layer = QgsRasterLayer(str(path), "no_crs", "gdal")
        project_layer.setCrs(QgsCoordinateReferenceSystem("EPSG:32611"))
        layer = QgsProject.instance().addMapLayer(project_layer, False).id()
    outputs = _outputs(tmp_path)
    try:
        with pytest.raises(QgsProcessingException, match=needle):
            processing.run(ALG_ID, {"INPUT": layer, **params, **outputs})
    finally:
        if case == "crs_only_in_qgis":
            QgsProject.instance().removeMapLayer(layer)
    assert_failed_cleanly(outputs)


def test_cancel_leaves_nothing_behind(
    backend, road_mask_path, tmp_path, cancel_once_job_runs, assert_failed_cleanly
):
    import processing

    feedback = cancel_once_job_runs
    outputs = _outputs(tmp_path)
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        # Small windows keep the job busy long enough to be cancelled while it runs.
        processing.run(
            ALG_ID, {"INPUT": str(road_mask_path), "TILE_SIZE": 64, **outputs}, feedback=feedback
        )
    assert_failed_cleanly(outputs, cancelled_by=feedback)


def _two_crs_scenes(folder: Path) -> tuple[Path, Path]:
    """Two adjacent 1 m road masks: scene A in EPSG:32633, scene B (the area east of it)
    warped by GDAL to EPSG:3857; a horizontal road runs through both."""
    mask = np.zeros((80, 240), np.uint8)
    mask[36:44, :] = 255
    mask[:, 50:58] = 255
    mask[:, 180:188] = 255
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32633)
    paths = []
    for name, cols, x0 in (("a.tif", slice(0, 120), 500000.0), ("b_utm.tif", slice(120, 240),
                                                                 500120.0)):  # fmt: skip
        path = folder / name
        dataset = gdal.GetDriverByName("GTiff").Create(str(path), 120, 80, 1, gdal.GDT_Byte)
        dataset.SetGeoTransform((x0, 1.0, 0.0, 5000080.0, 0.0, -1.0))
        dataset.SetProjection(utm.ExportToWkt())
        dataset.GetRasterBand(1).WriteArray(mask[:, cols])
        dataset = None
        paths.append(path)
    mercator = folder / "b.tif"
    gdal.Warp(str(mercator), str(paths[1]), dstSRS="EPSG:3857", resampleAlg="near")
    return paths[0], mercator


@pytest.mark.parametrize("target_crs", ["", "EPSG:3857"])
def test_additional_scene_in_another_crs_is_mosaicked(backend, tmp_path, target_crs):
    import processing

    scene_a, scene_b = _two_crs_scenes(tmp_path)
    outputs = _outputs(tmp_path)
    parameters = {"INPUT": str(scene_a), "ADDITIONAL_SCENES": [str(scene_b)], **outputs}
    if target_crs:
        parameters["TARGET_CRS"] = target_crs
    results = processing.run(ALG_ID, parameters)
    expected = QgsCoordinateReferenceSystem(target_crs or "EPSG:32633")
    polygons = QgsVectorLayer(results["OUTPUT_POLYGONS"], "polygons", "ogr")
    assert polygons.isValid() and polygons.featureCount() > 0
    assert polygons.crs() == expected
    # The polygons cover both scenes: from scene A's west edge to scene B's east edge.
    a = QgsRasterLayer(str(scene_a), "a", "gdal")
    b = QgsRasterLayer(str(scene_b), "b", "gdal")
    from qgis.core import QgsCoordinateTransform

    def in_expected(layer):
        transform = QgsCoordinateTransform(layer.crs(), expected, QgsProject.instance())
        return transform.transformBoundingBox(layer.extent())

    extent, west, east = polygons.extent(), in_expected(a), in_expected(b)
    pixel = in_expected(a).width() / 120.0
    assert extent.xMinimum() <= west.xMinimum() + 2 * pixel
    assert extent.xMaximum() >= east.xMaximum() - 4 * pixel


def test_additional_scene_with_other_bands_is_refused(backend, tmp_path):
    import processing

    scene_a, _ = _two_crs_scenes(tmp_path)
    rgb = tmp_path / "rgb.tif"
    gdal.Translate(str(rgb), str(scene_a), bandList=[1, 1, 1])
    outputs = _outputs(tmp_path)
    with pytest.raises(QgsProcessingException, match="band"):
        processing.run(ALG_ID, {"INPUT": str(scene_a), "ADDITIONAL_SCENES": [str(rgb)], **outputs})
    assert not any(Path(path).exists() for path in outputs.values())
