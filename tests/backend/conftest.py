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
    model = get_model("linegraph2road_hiera_pico_1m", load_weights=False)
    path = tmp_path_factory.mktemp("weights") / "random_linegraph2road.pt"
    torch.save(model.state_dict(), path)
    return path


# Two adjacent scenes of one area in two CRSs (issue 13): scene A in UTM 33N, 1 m pixels;
# scene B, the area east of it, warped to EPSG:3857 (about 1.41 m Mercator pixels at 45 N).
SCENE_UTM_ORIGIN = (500000.0, 5000160.0)  # upper-left corner of scene A, metres
SCENE_SIZE_PX = (200, 160)  # width, height of each scene's area in 1 m UTM pixels


def scene_canvas(rgb: bool, seed: int = 0) -> np.ndarray:
    """The two scenes' area in UTM 33N, 1 m pixels: (H, 2W) uint8 road mask (0/255) or
    (3, H, 2W) textured RGB (seeded) with dark roads: a horizontal road across both scenes,
    one vertical road in each."""
    width, height = SCENE_SIZE_PX
    road = np.zeros((height, 2 * width), bool)
    road[74:84, :] = True
    road[:, 60:70] = True
    road[:, 300:310] = True
    road[20:140, 240:250] = True
    if not rgb:
        return np.where(road, 255, 0).astype(np.uint8)
    rng = np.random.default_rng(seed)
    image = (rng.random((3, height, 2 * width)) * 50 + 110).astype(np.uint8)
    image[:, road] = 60
    return image


def write_two_crs_scenes(folder: Path, rgb: bool = False) -> tuple[Path, Path]:
    """Scene A (``utm.tif``, EPSG:32633) and the adjacent scene B (``mercator.tif``,
    EPSG:3857, warped by GDAL: nearest for the mask, bilinear for RGB). Neither has a
    nodata value: B's corners outside the area are 0, as in many real exports."""
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.warp import calculate_default_transform, reproject

    canvas = scene_canvas(rgb)
    data = canvas if rgb else canvas[None]
    width, height = SCENE_SIZE_PX
    x0, y0 = SCENE_UTM_ORIGIN
    paths = (folder / "utm.tif", folder / "mercator.tif")
    common = {"driver": "GTiff", "count": data.shape[0], "dtype": "uint8"}
    with rasterio.open(
        paths[0], "w", width=width, height=height, crs="EPSG:32633",
        transform=from_origin(x0, y0, 1.0, 1.0), **common,
    ) as out:
        out.write(data[:, :, :width])
    src_transform = from_origin(x0 + width, y0, 1.0, 1.0)
    bounds = (x0 + width, y0 - height, x0 + 2 * width, y0)
    transform, w, h = calculate_default_transform(
        "EPSG:32633", "EPSG:3857", width, height, *bounds
    )
    warped = np.zeros((data.shape[0], h, w), np.uint8)
    reproject(
        np.ascontiguousarray(data[:, :, width:]), warped, src_transform=src_transform,
        src_crs="EPSG:32633", dst_transform=transform, dst_crs="EPSG:3857",
        resampling=Resampling.bilinear if rgb else Resampling.nearest,
    )
    with rasterio.open(
        paths[1], "w", width=w, height=h, crs="EPSG:3857", transform=transform, **common
    ) as out:
        out.write(warped)
    return paths


@pytest.fixture
def mask_scenes(tmp_path) -> tuple[Path, Path]:
    """Road mask scenes (UTM, Mercator) of :func:`write_two_crs_scenes`."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    return write_two_crs_scenes(folder)


@pytest.fixture
def rgb_scenes(tmp_path) -> tuple[Path, Path]:
    """RGB scenes (UTM, Mercator) of :func:`write_two_crs_scenes`."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    return write_two_crs_scenes(folder, rgb=True)


@pytest.fixture
def anchor_sam_pico_file(tmp_path: Path) -> Path:
    """A random-weights Anchor-SAM pico saved as the shipped fp16 file is (the Hiera encoder
    the LineGraph2Road and RoadGIE ``hiera_pico`` variants start from)."""
    import torch

    from backend.methods.anchor_sam.model import build_anchor_sam

    torch.manual_seed(1)
    state = {k: v.half() for k, v in build_anchor_sam("pico").state_dict().items()}
    path = tmp_path / "anchor_sam_pico.pt"
    torch.save(state, path)
    return path
