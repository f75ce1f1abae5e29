"""The ``build_training_set`` job: imagery + road layer (another CRS) -> a training folder
the training command lines read (issue 12)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from PIL import Image
from shapely.geometry import LineString

from backend.geo.outputs import OutputPathError
from backend.jobs.build_training_set import BuildTrainingSetParams, run, validate
from backend.train.datasets import discover_samples


def _roads_4326(utm_raster, tmp_path, widths=(6.0, 12.0), field="width"):
    """Two roads drawn in the raster's pixels, stored in EPSG:4326 with a width field."""
    with rasterio.open(utm_raster) as ds:
        t, crs = ds.transform, ds.crs
    lines = [
        LineString([t * (0, 60), t * (320, 60)]),  # horizontal, across every chip row 0
        LineString([t * (160, 0), t * (160, 240)]),  # vertical
    ]
    frame = gpd.GeoDataFrame({field: list(widths)}, geometry=lines, crs=crs).to_crs(4326)
    path = tmp_path / "roads.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_set_from_a_utm_raster_and_roads_in_epsg4326(utm_raster, tmp_path):
    roads = _roads_4326(utm_raster, tmp_path)
    out = tmp_path / "set"
    params = BuildTrainingSetParams(
        raster_paths=[str(utm_raster)],
        roads_path=str(roads),
        width_field="width",
        output_dir=str(out),
        chip_px=64,
        gsd_m=1.0,
        validation_fraction=0.5,
        empty_chip_ratio=0.0,
    )
    summary = run(params)["summary"]
    manifest = json.loads((out / "manifest.json").read_text())
    # 320 x 240 px at 0.5 m = 160 m x 120 m: chips of 64 m, 2 columns x 1 row; the east
    # half (centre >= 80 m) is validation.
    assert summary["n_chips"] == len(manifest["chips"]) > 0
    assert summary["n_train"] > 0 and summary["n_validation"] > 0
    # Split by area: every validation chip lies east of every training chip.
    east = {c["split"]: c["window_px"][0] for c in manifest["chips"]}
    assert min(c["window_px"][0] for c in manifest["chips"] if c["split"] == "va") >= max(
        c["window_px"][0] for c in manifest["chips"] if c["split"] == "tr"
    ), east
    # The training command lines read the folder as image/label pairs.
    samples = discover_samples(out, include=("tr_*",))
    assert {s.key for s in samples} == {c["name"] for c in manifest["chips"] if c["split"] == "tr"}
    chip = samples[0]
    label = np.asarray(Image.open(chip.label_path))
    with rasterio.open(chip.image_path) as img, rasterio.open(utm_raster) as src:
        assert img.crs == src.crs and img.count == 3 and img.width == 64
        assert img.transform.a == pytest.approx(1.0)  # 1 m chip pixels
    # The 6 m wide horizontal road at raster row 60 (30 m from the top) is 6 px thick.
    column = label[:, 10] > 0
    assert column.sum() == pytest.approx(6, abs=1)
    assert abs(np.flatnonzero(column).mean() - 30) <= 1
    centerlines = gpd.read_file(out / "centerlines" / f"{chip.key}.geojson")
    assert len(centerlines) >= 1 and centerlines.crs == rasterio.open(utm_raster).crs


def test_bad_inputs_are_refused_before_work(utm_raster, tmp_path):
    roads = _roads_4326(utm_raster, tmp_path)
    base = BuildTrainingSetParams(
        raster_paths=[str(utm_raster)], roads_path=str(roads), output_dir=str(tmp_path / "s")
    )
    with pytest.raises(ValueError, match="no field 'lanes'"):
        validate(base.model_copy(update={"width_field": "lanes"}))
    (tmp_path / "text").mkdir()
    text = _roads_4326(utm_raster, tmp_path / "text", widths=("wide", "6"), field="w")
    with pytest.raises(ValueError, match="non-number"):
        validate(base.model_copy(update={"roads_path": str(text), "width_field": "w"}))
    far = gpd.read_file(roads).set_crs(32633, allow_override=True)
    far_path = tmp_path / "far.gpkg"
    far.to_file(far_path, engine="pyogrio")
    with pytest.raises(ValueError, match="No road .* lies over the raster"):
        validate(base.model_copy(update={"roads_path": str(far_path)}))
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x.txt").write_text("mine")
    with pytest.raises(OutputPathError, match="not empty"):
        validate(base)
    assert (tmp_path / "s" / "x.txt").read_text() == "mine"


def test_real_vegas_pan_chip_with_partial_centerlines(shared_data, tmp_path):
    base = shared_data / "roads/spacenet_vegas_pan"
    out = tmp_path / "vegas"
    result = run(
        BuildTrainingSetParams(
            raster_paths=[str(base / "image_pan_uint16.tif")],
            roads_path=str(base / "centerlines_partial.geojson"),
            output_dir=str(out),
            chip_px=256,
            gsd_m=0.5,
            default_width_m=8.0,
        )
    )
    summary = result["summary"]
    assert summary["n_chips"] >= 2 and summary["gsd_m"] == 0.5
    labels = [np.asarray(Image.open(p)) for p in sorted((out / "labels").iterdir())]
    assert all(lab.shape == (256, 256) for lab in labels)
    assert any((lab > 0).mean() > 0.01 for lab in labels)


def test_refine_with_a_model_flags_chips_whose_label_it_disagrees_with(utm_raster, tmp_path):
    """``refine_model`` (RoadGIE supplement A.3): every road chip gets the IoU of the model's
    mask and its label; chips below the minimum are flagged, listed, and moved out of the
    training folders; road-free chips are not scored."""
    pytest.importorskip("sam2")
    from backend.jobs.fine_tune import FineTuneParams
    from backend.jobs.fine_tune import validate as validate_fine_tune

    roads = _roads_4326(utm_raster, tmp_path)
    params = BuildTrainingSetParams(
        raster_paths=[str(utm_raster)], roads_path=str(roads), width_field="width",
        output_dir=str(tmp_path / "all"), chip_px=64, validation_fraction=0.5,
        empty_chip_ratio=1.0, refine_model="anchor_sam_pico_1m", consistency_iou_min=0.0,
    )  # fmt: skip
    kept = run(params)["summary"]
    assert kept["n_flagged"] == 0 and kept["consistency_iou_median"] is not None
    manifest = json.loads((tmp_path / "all" / "manifest.json").read_text())
    assert manifest["refine"]["model"] == "anchor_sam_pico_1m"
    assert 0.0 < manifest["refine"]["threshold"] < 1.0  # the model card's
    road = [c for c in manifest["chips"] if c["road_fraction"] > 0]
    empty = [c for c in manifest["chips"] if c["road_fraction"] == 0]
    assert road and empty
    assert all(0.0 <= c["consistency_iou"] <= 1.0 for c in road)
    assert not any("consistency_iou" in c for c in empty)

    # Every road chip scores below 1 (the model finds few roads in this texture): all are
    # flagged at a minimum of 1; the road-free ones stay.
    assert all(c["consistency_iou"] < 1.0 for c in road)
    out = tmp_path / "strict"
    strict = params.model_copy(update={"output_dir": str(out), "consistency_iou_min": 1.0})
    summary = run(strict)["summary"]
    manifest = json.loads((out / "manifest.json").read_text())
    flagged = [c for c in manifest["chips"] if c.get("flagged")]
    assert summary["n_flagged"] == len(road) == len(flagged)
    assert summary["n_chips"] == len(manifest["chips"]) == len(road) + len(empty)
    assert summary["n_train"] + summary["n_validation"] == len(empty)
    for chip in manifest["chips"]:
        flagged = chip.get("flagged", False)
        assert flagged == (chip["road_fraction"] > 0)
        assert (out / "images" / f"{chip['name']}.tif").is_file() != flagged
        assert (out / "flagged" / "labels" / f"{chip['name']}.png").is_file() == flagged
    samples = discover_samples(out, include=("tr_*", "va_*"))
    assert {s.key for s in samples} == {c["name"] for c in empty}
    # Fine-tuning counts only the chips it trains and scores on: no held-out chip is left
    # when all va_ chips are flagged.
    for chip in manifest["chips"]:
        chip["flagged"] = chip.get("flagged") or chip["split"] == "va"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="needs training"):
        validate_fine_tune(FineTuneParams(dataset_dir=str(out), model_name="abc"))


def test_refine_model_must_be_an_installed_anchor_sam_model(utm_raster, tmp_path):
    roads = _roads_4326(utm_raster, tmp_path)
    base = BuildTrainingSetParams(
        raster_paths=[str(utm_raster)], roads_path=str(roads), output_dir=str(tmp_path / "s")
    )
    with pytest.raises(ValueError, match="choose an Anchor-SAM"):
        validate(base.model_copy(update={"refine_model": "linegraph2road_hiera_pico_1m"}))
    with pytest.raises(ValueError, match="unknown model"):
        validate(base.model_copy(update={"refine_model": "no_such_model"}))
    with pytest.raises(ValueError):
        BuildTrainingSetParams(**{**base.model_dump(), "consistency_iou_min": 1.5})
    assert not (tmp_path / "s").exists()
