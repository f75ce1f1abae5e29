"""Fixtures shared by the backend tests: the data folders, and for SAMRS (methods and the
box-to-mask job) a real SAM 2.1 Hiera-T with random weights in the official format and small
GeoTIFFs in a UTM and in a geographic CRS."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

DATA_DIR = Path(__file__).resolve().parent / "data"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MODEL_ID = "sam2.1_hiera_t"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real inputs in ../shared/data (skips when this checkout has none)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sam2_checkpoint(tmp_path_factory) -> Path:
    """SAM 2.1 Hiera-T built by the official sam2 builder with random weights, saved as the
    official checkpoints are: ``{"model": state_dict}``."""
    import torch

    from backend.models.registry import get_model

    torch.manual_seed(0)
    model = get_model(MODEL_ID, load_weights=False)
    path = tmp_path_factory.mktemp("sam2") / "sam2.1_hiera_tiny.pt"
    torch.save({"model": model.state_dict()}, path)
    return path


@pytest.fixture(scope="session")
def segmenter(sam2_checkpoint):
    import torch

    from backend.models.sam_family import load_segmenter

    torch.set_num_threads(1)
    return load_segmenter(MODEL_ID, "cpu", sam2_checkpoint)


def write_rgb(path: Path, crs: str | None, transform: Affine, width=320, height=240, seed=0):
    """A textured RGB GeoTIFF (seeded) with bright rectangles as objects."""
    rng = np.random.default_rng(seed)
    data = (rng.random((3, height, width)) * 60 + 40).astype(np.uint8)
    data[:, 40:90, 50:130] = 220
    data[:, 150:200, 200:260] = 30
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=3, dtype="uint8",
        crs=crs, transform=transform,
    ) as out:
        out.write(data)
    return path


UTM_TRANSFORM = Affine(0.5, 0.0, 500000.0, 0.0, -0.5, 5000000.0)
GEO_TRANSFORM = Affine(5e-6, 0.0, 10.0, 0.0, -5e-6, 45.0)


@pytest.fixture
def utm_raster(tmp_path) -> Path:
    return write_rgb(tmp_path / "utm.tif", "EPSG:32633", UTM_TRANSFORM)


@pytest.fixture
def geo_raster(tmp_path) -> Path:
    return write_rgb(tmp_path / "geo.tif", "EPSG:4326", GEO_TRANSFORM)


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory) -> Path:
    """The shipped LineGraph2Road architecture with random weights (seeded), as a state
    dict file. With thresholds of 0 every candidate survives, so the job's stages (blocks,
    stitching, outputs) have plenty to get wrong."""
    import torch

    from backend.models.registry import get_model

    torch.manual_seed(0)
    model = get_model("linegraph2road_vit_tiny_1m", load_weights=False)
    path = tmp_path_factory.mktemp("weights") / "random_linegraph2road.pt"
    torch.save(model.state_dict(), path)
    return path
