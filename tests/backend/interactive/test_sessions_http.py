"""Interactive sessions through the real app: encode job, predict rounds, errors, frames.

The road-model tests use the shipped ``roadgie_hiera_pico_1m`` on a real Massachusetts crop
(``te_img-1``, not used for training) georeferenced at 1 m in UTM 19N.
"""

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio import features
from scipy import ndimage
from shapely.geometry import Point, shape

from backend.interactive.sessions import Session

from .conftest import AUTH, CRS, run_job, write_rgb_tif


def _encode(client, raster, **params):
    result = run_job(client, "interactive_encode", {"raster_path": str(raster), **params})
    return result["summary"]


def _predict(client, sid, **body):
    return client.post(f"/interactive/{sid}/predict", json=body, headers=AUTH)


def _mask_on_raster(geometry, raster):
    """The returned MultiPolygon rasterised back onto the raster's grid."""
    with rasterio.open(raster) as ds:
        shape_hw, transform = (ds.height, ds.width), ds.transform
    if not geometry["coordinates"]:
        return np.zeros(shape_hw, bool)
    return features.rasterize([(geometry, 1)], out_shape=shape_hw, transform=transform) > 0


def _map_xy(raster, x_px, y_px):
    with rasterio.open(raster) as ds:
        return ds.transform * (x_px, y_px)


def _road_centre_click(label):
    """(x, y) raster pixel frame of the road pixel farthest from the road's border."""
    dist = ndimage.distance_transform_edt(label)
    r, c = np.unravel_index(np.argmax(dist), dist.shape)
    return c + 0.5, r + 0.5


def test_positive_click_on_a_road_contains_it_and_negative_click_removes_around_it(
    client, te_tif, te_crop
):
    _, label = te_crop
    summary = _encode(client, te_tif, window_px=[0, 0, 400, 400])
    assert summary["engine"] == "road" and summary["model"] == "roadgie_hiera_pico_1m"
    assert summary["window_px"] == [0, 0, 400, 400] and summary["model_gsd_m"] == 1.0
    assert summary["cached"] is False and "26919" in summary["crs_wkt"]
    sid = summary["session_id"]

    x, y = _road_centre_click(label)
    r1 = _predict(client, sid, points=[{"x": x, "y": y, "label": 1}], centerlines=True)
    assert r1.status_code == 200, r1.text
    out1 = r1.json()
    assert out1["round"] == 1 and out1["previous_round"] == 0 and out1["n_prompts"] == 1
    assert out1["geometry"]["type"] == "MultiPolygon"
    assert shape(out1["geometry"]).contains(Point(_map_xy(te_tif, x, y)))
    assert out1["centerlines"]["type"] == "MultiLineString"
    assert 0.5 <= out1["score"] <= 1.0 and out1["area_m2"] > 0
    mask1 = _mask_on_raster(out1["geometry"], te_tif)
    assert abs(mask1.sum() - out1["area_m2"]) <= 0.02 * out1["area_m2"]  # 1 m pixels

    # negative click inside the first mask, far from the positive click
    rows, cols = np.nonzero(ndimage.binary_erosion(mask1, iterations=2))
    far = np.hypot(cols + 0.5 - x, rows + 0.5 - y)
    assert far.max() > 40, "the first round found no road away from the click"
    i = int(np.argmax(far))
    nx, ny = cols[i] + 0.5, rows[i] + 0.5
    r2 = _predict(
        client,
        sid,
        previous_round=1,
        points=[{"x": x, "y": y, "label": 1}, {"x": nx, "y": ny, "label": 0}],
    )
    assert r2.status_code == 200, r2.text
    out2 = r2.json()
    assert out2["round"] == 2 and out2["previous_round"] == 1
    mask2 = _mask_on_raster(out2["geometry"], te_tif)
    yy, xx = np.mgrid[0:400, 0:400]
    around = np.hypot(xx + 0.5 - nx, yy + 0.5 - ny) <= 4.0
    # it was there: the click lies 2 px inside the mask, with road across most of the disk's
    # width (a 4 px disk holds 49 pixels; a 5-6 px wide road crosses about 20-25 of them)
    assert mask1[int(ny), int(nx)] and mask1[around].sum() >= 20
    assert mask2[around].mean() == 0.0  # and is gone
    assert mask2[int(y), int(x)]  # the positive click is kept


def test_undo_resends_fewer_prompts_with_the_earlier_round(client, te_tif, te_crop):
    _, label = te_crop
    sid = _encode(client, te_tif)["session_id"]
    x, y = _road_centre_click(label)
    first = [{"x": x, "y": y, "label": 1}]
    a = _predict(client, sid, points=first).json()
    b = _predict(
        client, sid, points=first + [{"x": 20.5, "y": 380.5, "label": 0}], previous_round=a["round"]
    ).json()
    assert b["round"] == 2
    undo = _predict(client, sid, points=first, previous_round=None).json()
    assert undo["round"] == 3 and undo["previous_round"] == 0
    assert shape(undo["geometry"]).equals(shape(a["geometry"]))
    info = client.get(f"/interactive/{sid}", headers=AUTH).json()
    assert info["rounds"] == [1, 2, 3] and info["engine"] == "road"


def test_positive_scribble_along_a_road(client, te_tif, te_crop):
    _, label = te_crop
    sid = _encode(client, te_tif)["session_id"]
    x, y = _road_centre_click(label)
    # follow the road's skeleton a few pixels each way from the centre click
    from skimage.morphology import skeletonize

    skel = skeletonize(label)
    rows, cols = np.nonzero(skel)
    d = np.hypot(cols + 0.5 - x, rows + 0.5 - y)
    near = np.argsort(d)[:15]
    pts = sorted(zip(cols[near] + 0.5, rows[near] + 0.5, strict=True))
    out = _predict(client, sid, scribbles=[{"label": 1, "points": [list(p) for p in pts]}])
    assert out.status_code == 200, out.text
    geom = shape(out.json()["geometry"])
    inside = [geom.contains(Point(_map_xy(te_tif, px, py))) for px, py in pts]
    assert np.mean(inside) >= 0.8


def test_errors_are_404_and_400_and_the_backend_keeps_serving(client, te_tif, te_crop):
    sid = _encode(client, te_tif, window_px=[100, 50, 200, 300])["session_id"]
    ok = {"points": [{"x": 150.5, "y": 100.5, "label": 1}]}
    for method, path in (
        ("post", "/interactive/nope/predict"),
        ("get", "/interactive/nope"),
        ("delete", "/interactive/nope"),
    ):
        kwargs = {"json": ok} if method == "post" else {}
        r = getattr(client, method)(path, headers=AUTH, **kwargs)
        assert r.status_code == 404 and "No interactive session" in r.json()["detail"]
    bad_bodies = [
        ({"points": [{"x": 150.5, "y": 100.5, "label": 2}]}, "label"),
        ({"points": [{"x": 10.0, "y": 100.5, "label": 1}]}, "outside the encoded window"),
        ({"scribbles": [{"label": 1, "points": [[150, 100]]}]}, "at least two"),
        ({**ok, "box": [120, 60, 180, 140]}, "sam engine"),
        ({**ok, "previous_round": 99}, "previous_round 99"),
        ({"points": [{"x": "a", "y": 1, "label": 1}]}, "Bad predict request"),
        ({**ok, "threshold": 1.5}, "threshold"),
    ]
    for body, message in bad_bodies:
        r = _predict(client, sid, **body)
        assert r.status_code == 400, (body, r.text)
        assert message in r.json()["detail"], (message, r.json())
    r = _predict(client, sid, **ok)
    assert r.status_code == 200 and r.json()["round"] == 1
    r = client.delete(f"/interactive/{sid}", headers=AUTH)
    assert r.status_code == 200 and r.json() == {"session_id": sid, "deleted": True}
    assert _predict(client, sid, **ok).status_code == 404


@pytest.mark.parametrize(
    "params, message",
    [
        ({"raster_path": "/nonexistent.tif"}, "not found"),
        ({"window_px": [1000, 1000, 10, 10]}, "does not overlap"),
        ({"window_px": [0, 0, -5, 10]}, "positive size"),
        ({"model": "nope"}, "unknown model"),
        ({"model": "linegraph2road_hiera_pico_1m"}, "does not fit engine"),
        (
            {"engine": "sam", "initial_probability_raster": "x.tif", "checkpoint_path": __file__},
            "for the road engine",
        ),
        (
            {"engine": "sam", "initial_model": "anchor_sam_pico_1m", "checkpoint_path": __file__},
            "for the road engine",
        ),
        (
            {"initial_model": "anchor_sam_pico_1m", "initial_probability_raster": "x.tif"},
            "not both",
        ),
        ({"initial_model": "linegraph2road_hiera_pico_1m"}, "give an anchor_sam"),
        ({"initial_model": "nope"}, "unknown model"),
        ({"engine": "lasso"}, "engine"),
        ({"bands": [7]}, "do not exist"),
    ],
)
def test_bad_encode_requests_are_400(client, te_tif, params, message):
    body = {"kind": "interactive_encode", "params": {"raster_path": str(te_tif), **params}}
    r = client.post("/jobs", json=body, headers=AUTH)
    assert r.status_code == 400 and message in r.json()["detail"], r.text


def test_second_encode_of_the_same_view_comes_from_the_cache(client, te_tif):
    first = _encode(client, te_tif, window_px=[0, 0, 256, 256])
    second = _encode(client, te_tif, window_px=[0, 0, 256, 256])
    assert first["cached"] is False and second["cached"] is True
    assert first["session_id"] != second["session_id"]
    kinds = client.get("/jobs/kinds", headers=AUTH).json()["kinds"]
    assert "interactive_encode" in [k["kind"] for k in kinds]


def test_window_is_resampled_to_the_model_gsd_and_capped(client, te_crop, tmp_path):
    image, label = te_crop
    # the same ground at 0.5 m: 800 x 800 raster pixels -> 400 x 400 model pixels at 1 m
    fine = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)
    raster = write_rgb_tif(tmp_path / "fine.tif", fine, gsd_m=0.5)
    summary = _encode(client, raster, window_px=[0, 0, 800, 800])
    assert summary["window_px"] == [0, 0, 800, 800]
    x, y = _road_centre_click(label)
    out = _predict(
        client, summary["session_id"], points=[{"x": 2 * x, "y": 2 * y, "label": 1}]
    ).json()
    assert shape(out["geometry"]).contains(Point(_map_xy(raster, 2 * x, 2 * y)))
    # 2000 px at 0.5 m = 1000 model px > the 768 cap: shrunk about its centre
    big = write_rgb_tif(tmp_path / "big.tif", np.tile(fine, (3, 3, 1))[:2000, :2000], gsd_m=0.5)
    summary = _encode(client, big, window_px=[0, 0, 2000, 2000])
    assert summary["window_px"] == [232, 232, 1536, 1536]


def _label_as_probability_raster_in_web_mercator(te_tif, label, tmp_path):
    """Another model's probability raster: the label at 2 m pixels in Web Mercator."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(te_tif) as ds:
        src_transform = ds.transform
        dst_t, w, h = calculate_default_transform(
            CRS, "EPSG:3857", 400, 400, *ds.bounds, resolution=2.0
        )
    prob = np.zeros((h, w), np.uint8)
    reproject(
        label.astype(np.uint8) * 255,
        prob,
        src_transform=src_transform,
        src_crs=CRS,
        dst_transform=dst_t,
        dst_crs="EPSG:3857",
        resampling=Resampling.bilinear,
    )
    prob_path = tmp_path / "prob_3857.tif"
    with rasterio.open(
        prob_path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="uint8",
        crs="EPSG:3857",
        transform=dst_t,
    ) as dst:
        dst.write(prob, 1)
    return prob_path


def test_initial_probability_raster_starts_round_zero(client, te_tif, te_crop, tmp_path):
    _, label = te_crop
    prob_path = _label_as_probability_raster_in_web_mercator(te_tif, label, tmp_path)
    summary = _encode(client, te_tif, initial_probability_raster=str(prob_path))
    # no prompt and merge off: the network's refinement of round 0
    out = _predict(client, summary["session_id"], merge=False).json()
    assert out["round"] == 1 and out["previous_round"] == 0 and out["merged"] is False
    mask = _mask_on_raster(out["geometry"], te_tif)
    iou = (mask & label).sum() / max((mask | label).sum(), 1)
    assert iou > 0.3, iou
    # without the starting raster and without prompts there is (almost) nothing
    bare = _predict(client, _encode(client, te_tif)["session_id"]).json()
    assert bare["merged"] is False  # no raster: rounds replace the whole mask by default
    bare_mask = _mask_on_raster(bare["geometry"], te_tif)
    assert (bare_mask & label).sum() < (mask & label).sum()


def test_rounds_from_a_raster_change_the_mask_only_next_to_the_new_click(
    client, te_tif, te_crop, tmp_path
):
    _, label = te_crop
    prob_path = _label_as_probability_raster_in_web_mercator(te_tif, label, tmp_path)
    sid = _encode(client, te_tif, initial_probability_raster=str(prob_path))["session_id"]
    start = _predict(client, sid).json()  # merge by default: no new prompt, no change
    assert start["merged"] is True
    start_mask = _mask_on_raster(start["geometry"], te_tif)
    reprojected = _predict(client, sid, merge=False).json()  # the network's own round
    assert (start_mask & label).sum() > 0.8 * label.sum()  # round 0 = the raster's roads
    assert not np.array_equal(start_mask, _mask_on_raster(reprojected["geometry"], te_tif))
    x, y = _road_centre_click(label)
    body = {"points": [{"x": x, "y": y, "label": 0}], "previous_round": start["round"]}
    after = _predict(client, sid, **body).json()
    assert after["merged"] is True
    after_mask = _mask_on_raster(after["geometry"], te_tif)
    assert not after_mask[int(y), int(x)]
    assert _every_change_reaches_the_click(start_mask, after_mask, x, y)


def _every_change_reaches_the_click(before, after, x, y):
    """Each 8-connected region where the masks differ meets the click's neighbourhood
    (rasterising the returned polygons back onto the 1 m grid is exact here)."""
    changed, n = ndimage.label(after ^ before, structure=np.ones((3, 3), bool))
    near_click = np.zeros_like(before)
    near_click[max(int(y) - 4, 0) : int(y) + 5, max(int(x) - 4, 0) : int(x) + 5] = True
    return n >= 1 and set(np.unique(changed[near_click])) >= set(range(1, n + 1))


def test_mask_geometry_frames_are_exact():
    """Model pixel -> raster pixel -> map, with an offset window and resampling."""
    transform = Affine(0.5, 0.0, 1000.0, 0.0, -0.5, 2000.0)  # 0.5 m pixels
    session = Session(
        session_id="s",
        engine_name="road",
        model="m",
        engine=None,
        embedding=None,
        window_px=(10, 20, 100, 50),
        model_hw=(25, 50),
        transform=transform,
        crs_wkt="",
        raster_gsd_m=(0.5, 0.5),
        model_gsd_m=1.0,
    )
    assert session.scale_xy == (0.5, 0.5)
    np.testing.assert_allclose(
        session.to_model_px(np.array([[10.0, 20.0], [110.0, 70.0]]), "p"), [[0, 0], [50, 25]]
    )
    mask = np.zeros((25, 50), bool)
    mask[3, 5] = True  # model pixel (col 5, row 3) = raster x 20..22, y 26..28
    geometry, area_m2 = session.mask_geometry(mask)
    minx, miny, maxx, maxy = shape(geometry).bounds
    assert (minx, maxx) == (1000.0 + 20 * 0.5, 1000.0 + 22 * 0.5)
    assert (maxy, miny) == (2000.0 - 26 * 0.5, 2000.0 - 28 * 0.5)
    assert area_m2 == pytest.approx(1.0)
    empty, zero = session.mask_geometry(np.zeros((25, 50), bool))
    assert empty == {"type": "MultiPolygon", "coordinates": []} and zero == 0.0


def test_mask_geometry_keeps_holes_and_simplifies_on_request():
    transform = Affine(1.0, 0.0, 0.0, 0.0, -1.0, 100.0)
    session = Session(
        session_id="s",
        engine_name="road",
        model="m",
        engine=None,
        embedding=None,
        window_px=(0, 0, 100, 100),
        model_hw=(100, 100),
        transform=transform,
        crs_wkt="",
        raster_gsd_m=(1.0, 1.0),
        model_gsd_m=1.0,
    )
    mask = np.zeros((100, 100), bool)
    mask[10:40, 10:40] = True
    mask[20:30, 20:30] = False  # a hole
    yy, xx = np.mgrid[0:100, 0:100]
    mask |= (xx - yy > 40) & (xx - yy < 46)  # a staircase diagonal band
    geometry, area_m2 = session.mask_geometry(mask)
    assert area_m2 == mask.sum()
    polys = [shape({"type": "Polygon", "coordinates": p}) for p in geometry["coordinates"]]
    square = max(polys, key=lambda p: p.area)
    assert len(square.interiors) == 1 and square.area == 900 - 100
    assert shape(geometry).area == pytest.approx(mask.sum())
    simple, simple_area = session.mask_geometry(mask, simplify_tolerance_map=1.5)
    n_before = sum(len(r) for p in geometry["coordinates"] for r in p)
    n_after = sum(len(r) for p in simple["coordinates"] for r in p)
    assert n_after < n_before / 4 and simple_area == area_m2
    assert shape(simple).area == pytest.approx(mask.sum(), rel=0.05)


def test_initial_model_starts_from_anchor_sam_on_the_view(client, te_tif, te_crop):
    """``initial_model``: the shipped Anchor-SAM runs on the encoded view and is round 0;
    rounds then merge into it, so a click changes only what touches it."""
    _, label = te_crop
    summary = _encode(client, te_tif, initial_model="anchor_sam_pico_1m")
    sid = summary["session_id"]
    start = _predict(client, sid).json()
    assert start["merged"] is True
    start_mask = _mask_on_raster(start["geometry"], te_tif)
    # the start is Anchor-SAM's road mask of this held-out crop (card: te_ IoU 0.41 pooled)
    iou = (start_mask & label).sum() / max((start_mask | label).sum(), 1)
    assert iou > 0.2, iou
    missed = label & ~ndimage.binary_dilation(start_mask, iterations=3)
    x, y = _road_centre_click(missed)
    body = {"points": [{"x": x, "y": y, "label": 1}], "previous_round": start["round"]}
    after = _predict(client, sid, **body).json()
    after_mask = _mask_on_raster(after["geometry"], te_tif)
    assert after_mask[int(y), int(x)] and after["merged"] is True
    assert after_mask.sum() > start_mask.sum()
    assert _every_change_reaches_the_click(start_mask, after_mask, x, y)
    # a second encode of the view comes from the cache and still computes the start
    again = _encode(client, te_tif, initial_model="anchor_sam_pico_1m")
    assert again["cached"] is True
    restart = _predict(client, again["session_id"]).json()
    assert np.array_equal(_mask_on_raster(restart["geometry"], te_tif), start_mask)
