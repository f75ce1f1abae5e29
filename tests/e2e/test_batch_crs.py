"""A batch of rasters in different CRSs, run as the batch dialog runs it (one context and
feedback, one algorithm run per row; issue 16): each output in its raster's CRS, the m²
threshold meaning the same on each."""

from __future__ import annotations

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsVectorLayer

ALG_ID = "roadextract:roadmasktovectors"


def test_batch_over_rasters_in_three_crss(backend, env, road_mask_path, tmp_path):
    import processing

    data = env.REPO_ROOT / "tests" / "backend" / "data"
    rows = [
        (data / "roads_utm33n.tif", "EPSG:32633"),
        (data / "roads_4326.tif", "EPSG:4326"),
        (road_mask_path, "EPSG:4326"),
    ]
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = QgsProcessingFeedback()
    for index, (raster, crs) in enumerate(rows):
        outputs = {
            "OUTPUT_POLYGONS": str(tmp_path / f"polygons_{index}.gpkg"),
            "OUTPUT_CENTERLINES": str(tmp_path / f"centerlines_{index}.gpkg"),
            "OUTPUT_NODES": "",
        }
        every = processing.run(
            ALG_ID,
            {"INPUT": str(raster), "TILE_SIZE": 64, **outputs},
            context=context,
            feedback=feedback,
        )
        polygons = QgsVectorLayer(every["OUTPUT_POLYGONS"], "p", "ogr")
        assert polygons.crs().authid() == crs, raster
        assert polygons.featureCount() > 0 and every["N_EDGES"] > 0, raster
        areas = sorted(f["area_m2"] for f in polygons.getFeatures())
        cut = (areas[0] + areas[-1]) / 2.0
        outputs["OUTPUT_POLYGONS"] = str(tmp_path / f"polygons_cut_{index}.gpkg")
        kept = processing.run(
            ALG_ID,
            {"INPUT": str(raster), "TILE_SIZE": 64, "MIN_AREA": cut, **outputs},
            context=context,
            feedback=feedback,
        )
        assert kept["N_POLYGONS"] == sum(1 for a in areas if a >= cut), raster
