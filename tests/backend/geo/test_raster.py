import numpy as np
import pytest
from rasterio.windows import Window

from backend.geo.raster import ImageReader, RasterInputError, open_raster, raster_info


def test_missing_file_non_raster_and_no_crs_are_refused(tmp_path, data_dir):
    with pytest.raises(RasterInputError, match="not found"):
        open_raster(tmp_path / "nope.tif")
    text = tmp_path / "notes.txt"
    text.write_text("not a raster")
    with pytest.raises(RasterInputError, match="not a raster"):
        open_raster(text)
    with pytest.raises(RasterInputError, match="no coordinate reference system"):
        open_raster(data_dir / "no_crs.tif")


def test_raster_info_in_utm(data_dir):
    with open_raster(data_dir / "roads_utm33n.tif") as ds:
        info = raster_info(ds)
    assert info.crs_authid == "EPSG:32633"
    assert info.gsd_m == pytest.approx((0.5, 0.5))
    assert (info.width_px, info.height_px) == (200, 160)


def test_uint16_is_stretched_and_alpha_masks_pixels(data_dir):
    with open_raster(data_dir / "rgb_uint16_alpha.tif") as ds:
        reader = ImageReader(ds)
        rgb = reader.read_rgb(Window(0, 0, 64, 48))
        valid = reader.read_valid_mask(Window(0, 0, 64, 48))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    assert rgb.min() == 0 and rgb.max() == 255  # percentile stretch spans the range
    assert not valid[:, :8].any() and valid[:, 8:].all()  # alpha 0 on the left 8 columns


def test_single_band_is_replicated_and_resampled(data_dir):
    with open_raster(data_dir / "roads_utm33n.tif") as ds:
        reader = ImageReader(ds)
        rgb = reader.read_rgb(Window(0, 0, 200, 160), out_shape_hw=(80, 100))
        valid = reader.read_valid_mask(Window(0, 0, 200, 160))
    assert rgb.shape == (80, 100, 3)
    assert (rgb[..., 0] == rgb[..., 2]).all()
    assert not valid[:, -10:].any() and valid[:, :-10].all()  # nodata strip


def test_bad_band_choice(data_dir):
    with open_raster(data_dir / "roads_utm33n.tif") as ds, pytest.raises(ValueError, match="Band"):
        ImageReader(ds, bands=(1, 2, 3))
