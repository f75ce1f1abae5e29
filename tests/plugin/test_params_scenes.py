"""The scene-list fields of the raster job requests (issue 13): sent only when set."""

from __future__ import annotations

import pytest

RASTER_REQUESTS = ("RoadMaskToVectorsRequest", "SegmentRoadsRequest", "ExtractRoadGraphRequest")


def _request(rx, name):
    request = getattr(rx.params, name)(raster_path="/a.tif", output_path="/o.gpkg")
    if hasattr(request, "probability_path"):
        request.probability_path = "/p.tif"
    return request


@pytest.mark.parametrize("name", RASTER_REQUESTS)
def test_scenes_and_target_crs_are_sent_only_when_given(rx, name):
    request = _request(rx, name)
    params = request.to_params()
    assert "additional_raster_paths" not in params and "target_crs" not in params
    request.additional_raster_paths, request.target_crs = [], ""
    params = request.to_params()
    assert "additional_raster_paths" not in params and "target_crs" not in params
    request.additional_raster_paths = ["/b.tif", "/c.tif"]
    request.target_crs = "EPSG:3857"
    params = request.to_params()
    assert params["additional_raster_paths"] == ["/b.tif", "/c.tif"]
    assert params["target_crs"] == "EPSG:3857"
    assert params["raster_path"] == "/a.tif"


@pytest.mark.parametrize("name", RASTER_REQUESTS)
def test_an_empty_scene_path_names_the_field(rx, name):
    request = _request(rx, name)
    request.additional_raster_paths = ["/b.tif", ""]
    with pytest.raises(rx.params.RequestError, match="additional_raster_paths"):
        request.to_params()
