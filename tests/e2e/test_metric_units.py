"""Minimum area and simplification in m² / metres on an EPSG:4326 raster (issue 16), through
processing.run against the real backend."""

from __future__ import annotations

from qgis.core import QgsVectorLayer

ALG_ID = "roadextract:roadmasktovectors"


def _polygons(road_mask_path, tmp_path, name, **params):
    import processing

    results = processing.run(
        ALG_ID,
        {
            "INPUT": str(road_mask_path),
            "OUTPUT_POLYGONS": str(tmp_path / f"{name}.gpkg"),
            "OUTPUT_CENTERLINES": "",
            "OUTPUT_NODES": "",
            **params,
        },
    )
    layer = QgsVectorLayer(results["OUTPUT_POLYGONS"], name, "ogr")
    assert layer.isValid()
    return layer


def _vertices(layer) -> int:
    return sum(f.geometry().constGet().nCoordinates() for f in layer.getFeatures())


def test_min_area_and_tolerance_are_metres_on_a_degree_raster(backend, road_mask_path, tmp_path):
    every = _polygons(road_mask_path, tmp_path, "every")
    assert every.crs().authid() == "EPSG:4326"
    areas = sorted(f["area_m2"] for f in every.getFeatures())
    assert len(areas) >= 2 and areas[-1] > 20.0
    # 20 meant as m² keeps the polygons of at least 20 m² (as square degrees: none).
    kept = _polygons(road_mask_path, tmp_path, "kept", MIN_AREA=20.0)
    assert kept.featureCount() == sum(1 for a in areas if a >= 20.0) > 0
    assert _polygons(road_mask_path, tmp_path, "none", MIN_AREA=areas[-1] + 1).featureCount() == 0
    # 2 m is a tiny fraction of a degree: fewer vertices, yet every polygon stays.
    simple = _polygons(road_mask_path, tmp_path, "simple", SIMPLIFY_TOLERANCE=2.0)
    assert simple.featureCount() == every.featureCount()
    assert 4 * simple.featureCount() < _vertices(simple) < _vertices(every)
