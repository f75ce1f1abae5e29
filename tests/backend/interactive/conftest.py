"""Fixtures of the interactive tests: real Massachusetts crops written as GeoTIFFs, the app."""

import time

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from PIL import Image
from rasterio.transform import from_origin

from backend.jobs.manager import JobManager
from backend.service.app import create_app

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CRS = "EPSG:26919"  # NAD83 / UTM 19N (Massachusetts), metres
ORIGIN = (330000.0, 4690000.0)


def write_rgb_tif(path, image, gsd_m=1.0, crs=CRS, origin=ORIGIN):
    h, w = image.shape[:2]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=3,
        dtype="uint8",
        crs=crs,
        transform=from_origin(origin[0], origin[1], gsd_m, gsd_m),
    ) as dst:
        dst.write(image.transpose(2, 0, 1))
    return path


@pytest.fixture(scope="session")
def te_crop(shared_data):
    """(image (400, 400, 3) uint8, label (400, 400) bool) of massachusetts_400 te_img-1 (a
    validation crop the shipped model was not trained on)."""
    root = shared_data / "roads" / "massachusetts_400"
    image = np.asarray(Image.open(root / "images" / "te_img-1.jpg").convert("RGB"))
    label = np.asarray(Image.open(root / "labels" / "te_img-1.png").convert("L")) > 127
    return image, label


@pytest.fixture(scope="session")
def te_tif(te_crop, tmp_path_factory):
    return write_rgb_tif(tmp_path_factory.mktemp("rasters") / "te_img-1.tif", te_crop[0])


@pytest.fixture()
def client(tmp_path, monkeypatch):
    import backend.interactive.cache as cache_mod

    monkeypatch.setenv("ROADEXTRACT_EMBEDDING_CACHE_DIR", str(tmp_path / "embeddings"))
    monkeypatch.setattr(cache_mod, "_CACHE", None)
    jobs = JobManager()
    app = create_app(TOKEN, "cpu", tmp_path / "models", jobs)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c
    jobs.shutdown()


def run_job(client, kind, params, timeout_s=120):
    response = client.post("/jobs", json={"kind": kind, "params": params}, headers=AUTH)
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job_id}", headers=AUTH).json()
        if status["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert status["status"] == "succeeded", status
    return client.get(f"/jobs/{job_id}/result", headers=AUTH).json()
