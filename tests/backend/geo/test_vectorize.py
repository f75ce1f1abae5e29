import numpy as np
import pytest
from rasterio.transform import from_origin

from backend.geo.vectorize import (
    build_centerline_graph,
    merge_border_polygons,
    pixel_to_map,
    polygons_to_map,
    prune_spurs,
    tile_polygons_px,
    tile_skeleton_pieces,
    trace_skeleton,
)
from backend.geo.windows import Tile, core_tiles

UTM = from_origin(500000.0, 5000000.0, 0.5, 0.5)


def test_pixel_to_map_uses_the_geotransform():
    pts = pixel_to_map(np.array([[0.0, 0.0], [10.5, 2.5]]), UTM)
    np.testing.assert_allclose(pts, [[500000.0, 5000000.0], [500005.25, 4999998.75]])


def test_square_with_hole_lands_on_map_coordinates():
    mask = np.zeros((40, 40), bool)
    mask[10:30, 4:24] = True
    mask[15:25, 9:19] = False
    done, border = tile_polygons_px(mask, Tile(0, 0, 40, 40), 40, 40)
    assert not border and len(done) == 1
    (poly,), (area_m2,) = polygons_to_map(done, UTM, 0.25)
    # columns 4..24 -> x 500002..500012; rows 10..30 -> y 4999995..4999985
    assert poly.bounds == pytest.approx((500002.0, 4999985.0, 500012.0, 4999995.0))
    assert len(poly.interiors) == 1
    assert area_m2 == pytest.approx((400 - 100) * 0.25)


def test_polygons_cut_by_tiles_are_merged_back():
    mask = np.zeros((60, 90), bool)
    mask[20:40, 5:85] = True
    mask[25:35, 40:50] = False  # a hole straddling nothing in particular
    finished, border = [], []
    for t in core_tiles(90, 60, 16, 0):
        rows, cols = t.core_slices()
        sub = mask[t.core.row_off : t.core.row_off + t.core.height,
                   t.core.col_off : t.core.col_off + t.core.width]
        d, b = tile_polygons_px(sub, t.core, 90, 60)
        finished += d
        border += b
    merged = finished + merge_border_polygons(border)
    assert len(merged) == 1
    assert merged[0].area == pytest.approx(mask.sum())
    assert len(merged[0].interiors) == 1


def _graph_from_tiles(mask, core_px, halo_px=16):
    h, w = mask.shape
    pieces = []
    for t in core_tiles(w, h, core_px, halo_px):
        r = t.read
        pieces += tile_skeleton_pieces(
            mask[r.row_off : r.row_off + r.height, r.col_off : r.col_off + r.width], t, w, h)
    return build_centerline_graph(pieces)


def _cross_mask():
    mask = np.zeros((120, 150), bool)
    mask[57:63, 5:145] = True  # horizontal road
    mask[5:115, 72:78] = True  # vertical road
    return mask


def test_skeleton_graph_of_a_cross_has_one_junction_and_four_ends():
    graph = _graph_from_tiles(_cross_mask(), core_px=1000)
    degrees = sorted(d for _, d in graph.degree())
    assert degrees == [1, 1, 1, 1, 4]


@pytest.mark.parametrize("core_px", [23, 40, 64])
def test_tiled_skeleton_graph_matches_the_untiled_one(core_px):
    whole = _graph_from_tiles(_cross_mask(), core_px=1000)
    tiled = _graph_from_tiles(_cross_mask(), core_px=core_px)
    assert sorted(d for _, d in tiled.degree()) == sorted(d for _, d in whole.degree())

    def total_length(g):
        return sum(np.hypot(*np.diff(d["path"], axis=0).T).sum() for *_, d in g.edges(data=True))

    assert total_length(tiled) == pytest.approx(total_length(whole), rel=0.02)


def test_centerline_vertices_lie_on_the_mask():
    mask = _cross_mask()
    graph = _graph_from_tiles(mask, core_px=37)
    for *_, data in graph.edges(data=True):
        cols = np.floor(data["path"][:, 0]).astype(int)
        rows = np.floor(data["path"][:, 1]).astype(int)
        assert mask[rows, cols].all()


def test_short_spurs_are_pruned_long_ones_kept():
    mask = _cross_mask()
    mask[63:70, 30:34] = True  # a 7 px stub below the horizontal road
    graph = _graph_from_tiles(mask, core_px=1000)
    n_before = graph.number_of_edges()

    def length(path):
        return float(np.hypot(*np.diff(path, axis=0).T).sum())

    prune_spurs(graph, length, tol=15.0)
    assert graph.number_of_edges() < n_before
    assert sorted(d for _, d in graph.degree()) == [1, 1, 1, 1, 4]


def test_closed_ring_becomes_one_loop():
    ring = np.zeros((40, 40), bool)
    ring[5:35, 5:35] = True
    ring[9:31, 9:31] = False
    from skimage.morphology import skeletonize

    graph = build_centerline_graph(trace_skeleton(skeletonize(ring), (0, 0)))
    assert graph.number_of_edges() == 1 and graph.number_of_nodes() == 1
