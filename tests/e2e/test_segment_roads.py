""" "Segment roads (Anchor-SAM)" through processing.run against the real backend, with the
shipped model on the shared SpaceNet Vegas RGB sample (EPSG:4326, 0.3 m, 4 bands RGBA)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
from qgis.core import QgsProcessingException, QgsRasterLayer, QgsVectorLayer, QgsWkbTypes

ALG_ID = "roadextract:segmentroads"
MODEL_ID = "anchor_sam_pico_1m"


def _outputs(tmp_path: Path, centerlines: bool = True) -> dict[str, str]:
    outputs = {
        "OUTPUT_PROBABILITY": str(tmp_path / "probability.tif"),
        "OUTPUT_POLYGONS": str(tmp_path / "polygons.gpkg"),
    }
    if centerlines:
        outputs["OUTPUT_CENTERLINES"] = str(tmp_path / "centerlines.gpkg")
    return outputs


@pytest.fixture(scope="module")
def segment_run(backend_session, roadextract, rgb_path, tmp_path_factory, env):
    """One run with the defaults, a low threshold (so polygons exist whatever the model
    finds on this out-of-domain image), 2 test-time views (the enum reaches the backend;
    fewer model passes than the card's default) and centerlines, shared by the checks below."""
    import processing

    env.ensure_provider_registered(roadextract)
    backend_session.client = backend_session.manager.ensure_running(backend_session.settings)
    backend_session.settings.save()
    outputs = _outputs(tmp_path_factory.mktemp("segment"))
    results = processing.run(
        ALG_ID,
        {
            "INPUT": str(rgb_path),
            "MODEL": MODEL_ID,
            "THRESHOLD": 0.2,
            "TEST_TIME_AUGMENTATION": 2,  # the third choice: 2 views
            **outputs,
        },
    )
    run = SimpleNamespace(
        results=results,
        probability=QgsRasterLayer(results["OUTPUT_PROBABILITY"], "probability", "gdal"),
        polygons=QgsVectorLayer(results["OUTPUT_POLYGONS"], "polygons", "ogr"),
        centerlines=QgsVectorLayer(results["OUTPUT_CENTERLINES"], "centerlines", "ogr"),
    )
    yield run
    # Release the layers before QGIS exits (pytest keeps fixture values to the end).
    del run.probability, run.polygons, run.centerlines


def test_probability_raster_is_aligned_with_the_input_grid(segment_run, rgb_path):
    source = QgsRasterLayer(str(rgb_path), "rgb", "gdal")
    probability = segment_run.probability
    assert probability.isValid()
    assert probability.crs().authid() == "EPSG:4326"
    assert (probability.width(), probability.height()) == (source.width(), source.height())
    assert probability.extent() == source.extent()
    assert probability.bandCount() == 1
    stats = probability.dataProvider().bandStatistics(1)
    assert 0.0 <= stats.minimumValue <= stats.maximumValue <= 1.0


def test_vector_outputs_in_raster_crs_over_the_image(segment_run, rgb_path, env):
    raster = QgsRasterLayer(str(rgb_path), "rgb", "gdal")
    extent = raster.extent().buffered(raster.rasterUnitsPerPixelX() / 2)
    for layer, geometry_type in (
        (segment_run.polygons, QgsWkbTypes.PolygonGeometry),
        (segment_run.centerlines, QgsWkbTypes.LineGeometry),
    ):
        assert layer.isValid(), layer.name()
        assert layer.crs().authid() == "EPSG:4326", layer.name()
        assert layer.geometryType() == geometry_type, layer.name()
        assert layer.featureCount() > 0, layer.name()
        assert extent.contains(layer.extent()), layer.name()
    assert segment_run.results["N_POLYGONS"] == segment_run.polygons.featureCount()
    assert segment_run.results["N_CENTERLINES"] == segment_run.centerlines.featureCount()
    assert not env.processing_temp_leftovers()


def test_request_matches_the_backend_params_schema(params_schema_properties, rx):
    request = rx.params.SegmentRoadsRequest(
        raster_path="/r.tif", output_path="/o.gpkg", probability_path="/p.tif",
        checkpoint="/c.pt", device="cpu", bands=[1, 2, 3], gsd_m=1.0,
    )
    properties = params_schema_properties(request)
    defaults = dataclasses.asdict(rx.params.SegmentRoadsRequest("", "", probability_path="/p.tif"))
    for name in (
        "model", "tile_px", "overlap_px", "threshold", "test_time_augmentation",
        "prune_spur_length_m",
    ):  # fmt: skip
        assert properties[name]["default"] == defaults[name], name


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"BANDS": [1, 2]}, r"3 bands .* or 1 band"),
        ({"BANDS": [1, 2, 5]}, r"Band 5 does not exist"),
        # The model picker lists the Anchor-SAM models only (issue 16).
        ({"MODEL": "linegraph2road_hiera_pico_1m"}, r"Incorrect parameter value for MODEL"),
        ({"CHECKPOINT": "/nonexistent/weights.pt"}, r"Checkpoint .* does not exist"),
        ({"TILE_SIZE": 128, "OVERLAP": 128}, r"overlap_px"),
    ],
)
def test_bad_input_fails_cleanly(
    backend, rgb_path, tmp_path, assert_failed_cleanly, params, needle
):
    import processing

    outputs = _outputs(tmp_path)
    with pytest.raises(QgsProcessingException, match=needle):
        processing.run(ALG_ID, {"INPUT": str(rgb_path), **params, **outputs})
    assert_failed_cleanly(outputs)


def test_cancel_leaves_nothing_behind(
    backend, rgb_path, tmp_path, cancel_once_job_runs, assert_failed_cleanly
):
    import processing

    feedback = cancel_once_job_runs
    outputs = _outputs(tmp_path)
    # Small tiles: many of them, so the job is cancelled between tiles.
    params = {"INPUT": str(rgb_path), "TILE_SIZE": 64, "OVERLAP": 8, **outputs}
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        processing.run(ALG_ID, params, feedback=feedback)
    assert_failed_cleanly(outputs, cancelled_by=feedback)
