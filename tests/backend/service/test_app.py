"""The HTTP contract through FastAPI's test client (same app object uvicorn serves)."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.jobs.manager import JobManager
from backend.service.app import create_app

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
def client(tmp_path):
    jobs = JobManager()
    app = create_app(TOKEN, "cpu", tmp_path / "models", jobs)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c
    jobs.shutdown()


def _wait(client, job_id, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job_id}", headers=AUTH).json()
        if status["status"] in ("succeeded", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_no_token_or_wrong_token_is_401(client):
    assert client.get("/health").status_code == 401
    assert client.get("/health", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/openapi.json").status_code == 401


def test_non_loopback_host_or_origin_is_refused(client):
    assert client.get("/health", headers={**AUTH, "Host": "evil.example"}).status_code == 403
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its Host.
    assert client.get("/health", headers={**AUTH, "Host": "evil.example:8765"}).status_code == 403
    evil_origin = {**AUTH, "Origin": "https://evil.example"}
    assert client.get("/health", headers=evil_origin).status_code == 403
    assert client.get("/health", headers={**AUTH, "Host": "localhost:8765"}).status_code == 200
    local_origin = {**AUTH, "Origin": "http://127.0.0.1:1"}
    assert client.get("/health", headers=local_origin).status_code == 200


def test_health_and_openapi(client):
    health = client.get("/health", headers=AUTH).json()
    assert health["status"] == "ok" and health["device"] == "cpu"
    assert "torch_version" in health and "gpu_memory_free_mb" in health
    schema = client.get("/openapi.json", headers=AUTH).json()
    assert "/jobs" in schema["paths"] and "/health" in schema["paths"]
    kinds = client.get("/jobs/kinds", headers=AUTH).json()["kinds"]
    assert "road_mask_to_vectors" in [k["kind"] for k in kinds]


@pytest.mark.parametrize("raster,expected", [
    ("missing.tif", "not found"),
    ("notes.txt", "not a raster"),
    ("no_crs.tif", "no coordinate reference system"),
])
def test_bad_input_is_400_nothing_written_backend_still_healthy(client, tmp_path, data_dir,
                                                                raster, expected):
    (tmp_path / "notes.txt").write_text("hello")
    source = data_dir / raster if raster == "no_crs.tif" else tmp_path / raster
    out = tmp_path / "out.gpkg"
    response = client.post("/jobs", headers=AUTH, json={
        "kind": "road_mask_to_vectors",
        "params": {"raster_path": str(source), "output_path": str(out)}})
    assert response.status_code == 400
    assert expected in response.json()["detail"]
    assert not out.exists()
    assert client.get("/health", headers=AUTH).status_code == 200


def test_unknown_kind_and_bad_parameter_are_400(client):
    r = client.post("/jobs", headers=AUTH, json={"kind": "nope", "params": {}})
    assert r.status_code == 400 and "road_mask_to_vectors" in r.json()["detail"]
    r = client.post("/jobs", headers=AUTH, json={
        "kind": "road_mask_to_vectors", "params": {"raster_path": "x", "threshold": 3}})
    assert r.status_code == 400 and "threshold" in r.json()["detail"]


def test_job_runs_to_a_result(client, tmp_path, data_dir):
    out = tmp_path / "out.gpkg"
    created = client.post("/jobs", headers=AUTH, json={
        "kind": "road_mask_to_vectors",
        "params": {"raster_path": str(data_dir / "roads_utm33n.tif"), "output_path": str(out)}})
    assert created.status_code == 201
    job_id = created.json()["job_id"]
    status = _wait(client, job_id)
    assert status["status"] == "succeeded" and status["progress"] == 100
    result = client.get(f"/jobs/{job_id}/result", headers=AUTH).json()
    assert Path(result["outputs"]["gpkg"]) == out and out.exists()
    assert result["summary"]["crs"] == "EPSG:32633"


def test_result_of_unfinished_or_unknown_job(client):
    assert client.get("/jobs/unknown", headers=AUTH).status_code == 404
    assert client.post("/jobs/unknown/cancel", headers=AUTH).status_code == 404


def test_cancel_a_queued_job_leaves_nothing(client, tmp_path, shared_data):
    # Two jobs on one worker: the second is still queued when cancelled.
    raster = shared_data / "roads/spacenet_vegas_pan/roadmask_partial.tif"
    ids = []
    for name in ("a.gpkg", "b.gpkg"):
        r = client.post("/jobs", headers=AUTH, json={"kind": "road_mask_to_vectors", "params": {
            "raster_path": str(raster), "output_path": str(tmp_path / name),
            "tile_size_px": 64}})
        ids.append(r.json()["job_id"])
    cancelled = client.post(f"/jobs/{ids[1]}/cancel", headers=AUTH).json()
    assert cancelled["status"] == "cancelled"
    client.post(f"/jobs/{ids[0]}/cancel", headers=AUTH)
    assert _wait(client, ids[0])["status"] in ("cancelled", "succeeded")
    assert not (tmp_path / "b.gpkg").exists()
    assert client.get(f"/jobs/{ids[1]}/result", headers=AUTH).status_code == 409
    leftovers = [p.name for p in tmp_path.iterdir() if ".part" in p.name]
    assert leftovers == []
