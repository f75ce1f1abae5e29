"""The extract_road_graph job on real rasters, with the real model code.

Random weights make the graph meaningless but exercise every stage: blocks, windows,
resampling, stitching, nodata, map coordinates. Thresholds of 0 keep all candidates.
"""

from dataclasses import replace
from functools import partial

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from backend.jobs.extract_road_graph import (
    LAYER_EDGES,
    LAYER_NODES,
    OWN_ROAD_MASK,
    ExtractRoadGraphParams,
    graph_settings,
    inference_defaults,
    run,
)
from backend.models.registry import get_weights_spec


def _params(raster, out, checkpoint, **kw):
    thresholds = {"edge_threshold": 0.0, "road_threshold": 0.0, "keypoint_threshold": 0.0}
    return ExtractRoadGraphParams(
        raster_path=str(raster),
        output_path=str(out),
        checkpoint=str(checkpoint),
        device="cpu",
        **{**thresholds, **kw},
    )


def _check_graph(gpkg, raster, summary=None):
    edges = gpd.read_file(gpkg, layer=LAYER_EDGES)
    nodes = gpd.read_file(gpkg, layer=LAYER_NODES)
    with rasterio.open(raster) as ds:
        bounds, crs = ds.bounds, ds.crs
    assert edges.crs == crs and nodes.crs == crs
    for frame in (edges, nodes):
        minx, miny, maxx, maxy = frame.total_bounds
        assert bounds.left <= minx <= maxx <= bounds.right
        assert bounds.bottom <= miny <= maxy <= bounds.top
    # Every edge ends on nodes, every node has an edge, no duplicated nodes.
    node_xy = np.array([(p.x, p.y) for p in nodes.geometry])
    for geom, u, v in zip(edges.geometry, edges.node_u, edges.node_v, strict=False):
        coords = np.asarray(geom.coords)
        np.testing.assert_allclose(coords[0], node_xy[u])
        np.testing.assert_allclose(coords[-1], node_xy[v])
    assert (nodes.degree > 0).all()
    assert len(np.unique(np.round(node_xy, 9), axis=0)) == len(node_xy)
    # Planar where the image is: no two edges share a stretch of line, and length_m is
    # the length of the written lines.
    left, right = edges.sindex.query(edges.geometry, predicate="intersects")
    pairs = left < right
    shared = edges.geometry.values[left[pairs]].intersection(edges.geometry.values[right[pairs]])
    assert all(g.length == 0 for g in shared)
    if summary is not None:
        assert summary["length_m"] == pytest.approx(float(edges.length_m.sum()))
        assert summary["n_edges"] == len(edges)
    return edges, nodes


def test_spacenet_sample_in_epsg4326(shared_data, tmp_path, random_checkpoint):
    raster = shared_data / "samples/spacenet_vegas_rgb.tif"
    out = tmp_path / "graph.gpkg"
    result = run(_params(raster, out, random_checkpoint))
    assert result["summary"]["crs"] == "EPSG:4326" and result["summary"]["n_blocks"] == 1
    edges, nodes = _check_graph(out, raster, result["summary"])
    assert len(edges) > 0 and (edges.length_m > 0).all()
    assert edges.probability.between(0, 1).all()


def test_several_blocks_make_one_graph(shared_data, tmp_path, random_checkpoint):
    raster = shared_data / "samples/spacenet_vegas_rgb.tif"
    out = tmp_path / "graph.gpkg"
    # 0.3 m -> 1.0 m: 390 model px in blocks of 256 (overlap 96) -> 2 x 2 blocks.
    result = run(_params(raster, out, random_checkpoint, block_px=256))
    assert result["summary"]["n_blocks"] == 4
    _check_graph(out, raster)


def test_no_vertex_over_transparent_pixels(data_dir, tmp_path, random_checkpoint):
    raster = data_dir / "rgb_uint16_alpha.tif"  # alpha 0 on the left 8 columns (4 m)
    out = tmp_path / "graph.gpkg"
    run(_params(raster, out, random_checkpoint, gsd_m=0.25))
    nodes = gpd.read_file(out, layer=LAYER_NODES)
    assert len(nodes) > 0
    assert (nodes.geometry.x >= 500000.0 + 8 * 0.5).all()


def test_bad_parameters_are_refused_before_work(data_dir, tmp_path, random_checkpoint):
    raster = data_dir / "roads_utm33n.tif"
    with pytest.raises(ValueError, match="unknown model"):
        run(
            ExtractRoadGraphParams(
                raster_path=str(raster), output_path=str(tmp_path / "a.gpkg"), model="nope"
            )
        )
    # Refused by the params themselves since the submission-time checks (54fa5a1).
    with pytest.raises(ValueError, match="smaller than window_px"):
        run(_params(raster, tmp_path / "a.gpkg", random_checkpoint, overlap_px=200, window_px=128))
    with pytest.raises(ValueError, match="greater than or equal to 65"):
        _params(raster, tmp_path / "a.gpkg", random_checkpoint, overlap_px=64)
    assert not (tmp_path / "a.gpkg").exists()


def test_road_mask_of_an_anchor_sam_model_or_the_own_decoder(
    shared_data, tmp_path, random_checkpoint
):
    raster = shared_data / "samples/spacenet_vegas_rgb.tif"
    graphs = {}
    for choice in ("anchor_sam_pico_1m", OWN_ROAD_MASK):
        out = tmp_path / f"graph_{choice}.gpkg"
        # t_k 1: every vertex comes from the road mask, so the two masks give other graphs.
        result = run(
            _params(
                raster,
                out,
                random_checkpoint,
                road_mask_model=choice,
                road_mask_test_time_augmentation=2,
                road_threshold=0.3,
                keypoint_threshold=1.0,
            )
        )
        assert result["summary"]["road_mask_model"] == choice
        views = 2 if choice != OWN_ROAD_MASK else 1
        assert result["summary"]["road_mask_test_time_augmentation"] == views
        _, nodes = _check_graph(out, raster, result["summary"])
        graphs[choice] = np.sort(np.array([(p.x, p.y) for p in nodes.geometry]), axis=0)
    assert graphs["anchor_sam_pico_1m"].shape != graphs[OWN_ROAD_MASK].shape or not np.allclose(
        graphs["anchor_sam_pico_1m"], graphs[OWN_ROAD_MASK]
    )


def test_road_mask_model_must_be_an_anchor_sam_model(data_dir, tmp_path, random_checkpoint):
    raster = data_dir / "roads_utm33n.tif"
    out = tmp_path / "a.gpkg"
    with pytest.raises(ValueError, match="is a roadgie model; choose an Anchor-SAM"):
        run(_params(raster, out, random_checkpoint, road_mask_model="roadgie_hiera_pico_1m"))
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        run(_params(raster, out, random_checkpoint, road_mask_model="nope"))
    assert not out.exists()


def test_road_mask_model_of_another_gsd_is_refused(
    data_dir, tmp_path, random_checkpoint, monkeypatch
):
    from backend.models import registry

    anchor = registry.WEIGHTS["anchor_sam_pico_1m"]
    monkeypatch.setitem(registry.WEIGHTS, "anchor_sam_pico_1m", replace(anchor, gsd_m=0.5))
    out = tmp_path / "a.gpkg"
    with pytest.raises(
        ValueError, match="works at 0.5 m per pixel and 'linegraph2road_hiera_pico_1m' at 1 m"
    ):
        run(
            _params(
                data_dir / "roads_utm33n.tif",
                out,
                random_checkpoint,
                road_mask_model="anchor_sam_pico_1m",
            )
        )
    assert not out.exists()


def test_card_defaults_with_a_road_mask_model_and_with_the_own_road_mask():
    spec = replace(
        get_weights_spec("linegraph2road_hiera_pico_1m"),
        model_card={
            "inference_defaults": {
                "road_mask_model": "anchor_sam_pico_1m",
                "road_mask_test_time_augmentation": 4,
                "t_r": 0.2,
                "edge_threshold": 0.05,
                "border_extension_px": 24,
                "own_road_mask": {"t_r": 0.05, "edge_threshold": 0.1},
            }
        },
    )

    def settings(**kw):
        return graph_settings(
            ExtractRoadGraphParams(raster_path="x.tif", output_path="x.gpkg", **kw), spec
        )

    card = settings()
    assert (card.road_mask_model, card.road, card.edge) == ("anchor_sam_pico_1m", 0.2, 0.05)
    assert card.road_mask_test_time_augmentation == 4
    assert settings(road_mask_test_time_augmentation=1).road_mask_test_time_augmentation == 1
    own = settings(road_mask_model=OWN_ROAD_MASK)
    assert (own.road_mask_model, own.road, own.edge) == (None, 0.05, 0.1)
    assert own.road_mask_test_time_augmentation == 1  # no road mask model to run
    own_card = inference_defaults(spec, own_road_mask=True)
    assert "road_mask_test_time_augmentation" not in own_card  # fine-tuned cards inherit these
    chosen = settings(road_mask_model=OWN_ROAD_MASK, road_threshold=0.4)
    assert chosen.road == 0.4 and chosen.predictor_params.t_r == 0.4
    assert card.border_extension_px == 24
    assert settings(border_extension_px=0).border_extension_px == 0
    no_card = graph_settings(
        ExtractRoadGraphParams(raster_path="x.tif", output_path="x.gpkg"),
        replace(spec, model_card={}),
    )
    assert no_card.border_extension_px == 0  # off unless a card validated it


def test_geographic_raster_runs_on_square_ground_pixels(tmp_path, random_checkpoint):
    """At 60 degrees north a 1e-5 degree pixel is about 0.56 m x 1.11 m on the ground: blocks
    are read with each axis resampled by its own GSD (1 m model pixels both ways) and the
    graph maps back onto the raster."""
    from affine import Affine

    from backend.jobs.extract_road_graph import _blocks, run_scale

    from ..conftest import write_rgb

    raster = write_rgb(tmp_path / "north.tif", "EPSG:4326",
                       Affine(1e-5, 0, 10.0, 0, -1e-5, 60.0), width=200, height=100)  # fmt: skip
    params = _params(raster, tmp_path / "graph.gpkg", random_checkpoint)
    with rasterio.open(raster) as ds:
        run_gsd_m, (scale_x, scale_y) = run_scale(params, get_weights_spec(params.model), ds)
    assert run_gsd_m == 1.0 and scale_y / scale_x == pytest.approx(2.0, rel=0.01)
    (block,) = _blocks(200, 100, (scale_x, scale_y), block_px=256, overlap_px=96)
    assert (block.model_h, block.model_w) == (round(100 * scale_y), round(200 * scale_x))
    result = run(params)
    _check_graph(tmp_path / "graph.gpkg", raster, result["summary"])


def test_dead_ends_reach_the_raster_edge_but_not_over_nodata(data_dir):
    """Card default ``border_extension_px``: a road that runs off the raster ends on its edge;
    where the data ends first (alpha 0 on the left 8 columns) the graph is not continued."""
    from backend.geo.raster import ImageReader
    from backend.jobs.extract_road_graph import _over_data
    from backend.methods.linegraph2road.output import output_graph

    # 64 x 48 raster px at 0.5 m = 32 x 24 model px at 1 m. A road A(6, 12) - B(26, 12):
    # both ends are 6 model px from the left / right edge.
    points = np.array([[6.0, 12.0], [26.0, 12.0]])
    flags = (np.array([True, False]), np.array([False, False]), np.array([0.9, 0.6]))
    with rasterio.open(data_dir / "rgb_uint16_alpha.tif") as ds:
        reader = ImageReader(ds, (1, 2, 3))
        written = output_graph(
            points, np.array([[0], [1]]), np.array([0.8]), collinear_tolerance_px=4.0,
            width_px=32.0, height_px=24.0, border_extension_px=24.0,
            keep_border_vertex=partial(_over_data, reader, (0.5, 0.5)),
        )
    out_points, edges, probs = written.points_xy_px, written.edge_index, written.edge_prob
    keypoint, overpass, score = (f[written.source_vertex] for f in flags)
    # Left: column 0 is transparent, so A stays; right: B continues to x = 32 model px.
    assert out_points.tolist() == [[6.0, 12.0], [26.0, 12.0], [32.0, 12.0]]
    assert edges.tolist() == [[0, 1], [1, 2]] and probs.tolist() == [0.8, 0.8]
    assert keypoint.tolist() == [True, False, False] and score.tolist() == [0.9, 0.6, 0.6]
    assert overpass.tolist() == [False, False, False]
