"""The sam engine through the real app, with the official SAM 2 Hiera-T architecture and
random weights (the official checkpoints cannot be downloaded here; the plumbing -- frames,
prompts, mask feed-back, errors -- is what is tested, not mask quality)."""

import numpy as np
import pytest
import torch
from shapely.geometry import box as shapely_box
from shapely.geometry import shape

from backend.interactive.engines import sample_polyline

from .conftest import AUTH, run_job


@pytest.fixture(scope="module")
def sam2_random_checkpoint(tmp_path_factory):
    from backend.models.registry import _architecture

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("sam") / "sam2_hiera_tiny_random.pt"
    torch.save({"model": _architecture("sam2_hiera_t").state_dict()}, path)
    return path


def test_sam_session_box_points_scribbles_and_rounds(client, te_tif, sam2_random_checkpoint):
    summary = run_job(
        client,
        "interactive_encode",
        {
            "raster_path": str(te_tif),
            "engine": "sam",
            "model": "sam2_hiera_t",
            "checkpoint_path": str(sam2_random_checkpoint),
            "window_px": [50, 60, 300, 200],
        },
    )["summary"]
    assert summary["engine"] == "sam" and summary["model"] == "sam2_hiera_t"
    assert summary["model_gsd_m"] is None and summary["window_px"] == [50, 60, 300, 200]
    sid = summary["session_id"]
    url = f"/interactive/{sid}/predict"
    r = client.post(url, json={}, headers=AUTH)
    assert r.status_code == 400 and "at least one point" in r.json()["detail"]
    r = client.post(url, json={"box": [100, 100, 200, 180], "centerlines": True}, headers=AUTH)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["round"] == 1 and first["geometry"]["type"] == "MultiPolygon"
    assert np.isfinite(first["score"]) and first["centerlines"]["type"] == "MultiLineString"
    # whatever the (random) mask is, it lies inside the encoded window
    window_map = shapely_box(330000 + 50, 4690000 - 260, 330000 + 350, 4690000 - 60)
    if first["geometry"]["coordinates"]:
        assert window_map.buffer(1e-6).contains(shape(first["geometry"]))
    body = {
        "box": [100, 100, 200, 180],
        "points": [{"x": 150, "y": 140, "label": 0}],
        "scribbles": [{"label": 1, "points": [[110, 110], [190, 170]]}],
        "previous_round": first["round"],
    }
    r = client.post(url, json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["round"] == 2 and r.json()["previous_round"] == 1
    assert r.json()["n_prompts"] == 3 and r.json()["merged"] is False
    r = client.post(url, json={"box": [100, 100, 200, 180], "merge": True}, headers=AUTH)
    assert r.status_code == 400 and "road engine option" in r.json()["detail"]
    r = client.post(url, json={"box": [100, 100, 400, 180]}, headers=AUTH)
    assert r.status_code == 400 and "outside the encoded window" in r.json()["detail"]


def test_sample_polyline_spacing_and_cap():
    pts = sample_polyline(np.array([[0.0, 0.0], [100.0, 0.0]]), 16.0, 8)
    assert len(pts) == 7 and pts[0].tolist() == [0, 0] and pts[-1].tolist() == [100, 0]
    assert np.allclose(np.diff(pts[:, 0]), 100 / 6)
    long = sample_polyline(np.array([[0.0, 0.0], [1000.0, 0.0]]), 16.0, 8)
    assert len(long) == 8
    assert len(sample_polyline(np.array([[3.0, 4.0]]), 16.0, 8)) == 1
