"""Ground-truth graph readers: vector centerlines, restricted pickles, mask skeletons."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from pyproj import Transformer
from scipy import ndimage

from backend.methods.linegraph2road.graph_io import (
    graph_from_adjacency_pickle,
    graph_from_centerline_mask,
    graph_from_vector_lines,
    graph_from_vector_lines_for_raster,
    graph_to_arrays,
    loads_adjacency_pickle,
)
from backend.methods.linegraph2road.targets import make_training_targets

DATA = Path(__file__).resolve().parents[4] / ".." / "shared" / "data"
SPACENET = DATA / "roads" / "spacenet_vegas_pan"
MASS_LABEL = DATA / "roads" / "massachusetts_400" / "labels" / "te_img-1.png"
needs_data = pytest.mark.skipif(
    not (SPACENET.is_dir() and MASS_LABEL.is_file()),
    reason=f"real data not found at {DATA} (the shared data folder next to the repo)",
)


# --------------------------------------------------------------------------- restricted pickle


class _CallsSystem:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        (_CallsSystem(), r"global '(posix|os|nt)\.system'"),
        ({(1, 2): [(3, 4)], "x": _CallsSystem()}, "system"),
        (np.arange(3), "global 'numpy"),
        ({(1, 2): [np.int64(3)]}, "global 'numpy"),
        # protocol 2 pickles a set through the global builtins.set, protocol >= 4 by opcode
        ({1, 2}, r"(global '__builtin__\.set'|type 'set')"),
        ({(1, 2): {(3, 4)}}, r"(global '__builtin__\.set'|type 'set')"),
        ({"row": [(1, 2)]}, "type 'str'"),
        ({(1, 2): [(True, 4)]}, "type 'bool'"),
        ([(1, 2)], "Expected a dict"),
    ],
)
def test_restricted_unpickler_refuses(obj, match):
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        with pytest.raises(ValueError, match=match):
            loads_adjacency_pickle(pickle.dumps(obj, protocol=protocol))


def test_restricted_unpickler_refuses_corrupt_bytes():
    with pytest.raises(ValueError, match="pickle"):
        loads_adjacency_pickle(b"not a pickle")


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_adjacency_pickle_to_graph(tmp_path, protocol):
    # Sat2Graph layout: {(row, col): [(row, col), ...]}, symmetric adjacency.
    adj = {(10, 20): [(10, 40), (30, 20)], (10, 40): [(10, 20)], (30, 20): [(10, 20)]}
    path = tmp_path / "graph.p"
    path.write_bytes(pickle.dumps(adj, protocol=protocol))
    g = graph_from_adjacency_pickle(path)
    _, pts, edges = graph_to_arrays(g)
    # (row, col) -> (x, y) = (col + 0.5, row + 0.5); nodes sorted by (row, col)
    assert pts.tolist() == [[20.5, 10.5], [40.5, 10.5], [20.5, 30.5]]
    assert sorted(map(sorted, edges.T.tolist())) == [[0, 1], [0, 2]]


# --------------------------------------------------------------------------- vector lines


def test_vector_lines_reprojected_into_raster_pixels(tmp_path):
    """GeoJSON in EPSG:4326, raster in UTM 11N (EPSG:32611): reprojected, then to pixels."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32611", always_xy=True)
    x0, y0 = to_utm.transform(-115.2, 36.1)
    transform = Affine(0.5, 0.0, x0 - 50.0, 0.0, -0.5, y0 + 50.0)  # 0.5 m pixels
    to_wgs = Transformer.from_crs("EPSG:32611", "EPSG:4326", always_xy=True)
    corners_px = [(20.0, 30.0), (120.0, 30.0), (120.0, 150.0)]
    lonlat = [to_wgs.transform(*(transform * p)) for p in corners_px]
    outside = [to_wgs.transform(*(transform * p)) for p in [(120.0, 30.0), (400.0, 30.0)]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {},
             "geometry": {"type": "LineString", "coordinates": lonlat}},
            {"type": "Feature", "properties": {},
             "geometry": {"type": "MultiLineString", "coordinates": [outside]}},
        ],
    }  # fmt: skip
    path = tmp_path / "lines.geojson"
    path.write_text(json.dumps(doc))
    g = graph_from_vector_lines(path, transform, "EPSG:32611", 200, 200)
    _, pts, edges = graph_to_arrays(g)
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    assert np.allclose(pts[order], [[20, 30], [120, 30], [120, 150], [200, 30]], atol=1e-3)
    # The second line shares (120, 30) and is clipped at the right edge (x = 200).
    degrees = sorted(d for _, d in g.degree)
    assert degrees == [1, 1, 1, 3] and edges.shape[1] == 3


def test_vector_lines_reject_points_and_missing_crs(tmp_path):
    import shapely
    from pyogrio.raw import write

    pts = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}}
    ]}  # fmt: skip
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps(pts))
    with pytest.raises(ValueError, match="non-line"):
        graph_from_vector_lines(path, Affine.identity(), "EPSG:4326", 10, 10)
    shp = tmp_path / "no_crs.shp"
    wkb = shapely.to_wkb(np.array([shapely.LineString([(0, 0), (5, 5)])]))
    with pytest.warns(UserWarning, match="crs"):
        write(shp, geometry=wkb, field_data=[], fields=[], geometry_type="LineString",
              crs=None, driver="ESRI Shapefile")  # fmt: skip
    with pytest.raises(ValueError, match="no CRS"):
        graph_from_vector_lines(shp, Affine.identity(), "EPSG:4326", 10, 10)


@needs_data
def test_spacenet_centerlines_in_raster_pixel_frame():
    import rasterio

    g = graph_from_vector_lines_for_raster(
        SPACENET / "centerlines_partial.geojson", SPACENET / "image_pan_uint16.tif"
    )
    _, pts, edges = graph_to_arrays(g)
    assert len(pts) > 10 and edges.shape[1] > 5
    assert np.all((pts >= 0) & (pts <= 1300))
    # Nodes fall on the matching road mask (same raster grid): a frame/axis error would not.
    with rasterio.open(SPACENET / "roadmask_partial.tif") as src:
        road = src.read(1) > 0
    dist = ndimage.distance_transform_edt(~road)
    cols = np.clip(np.floor(pts[:, 0]).astype(int), 0, 1299)
    rows = np.clip(np.floor(pts[:, 1]).astype(int), 0, 1299)
    assert np.all(dist[rows, cols] <= 2.0)


# --------------------------------------------------------------------------- skeletons


def test_skeleton_of_plus_shape():
    mask = np.zeros((101, 101), dtype=bool)
    mask[48:53, 10:91] = True
    mask[10:91, 48:53] = True
    g = graph_from_centerline_mask(mask, vertex_spacing_px=5.0)
    _, pts, edges = graph_to_arrays(g)
    deg = np.bincount(edges.ravel(), minlength=len(pts))
    assert sorted(deg[deg != 2].tolist()) == [1, 1, 1, 1, 4]
    centre = pts[deg == 4][0]
    assert np.allclose(centre, [50.5, 50.5], atol=1.5)
    lengths = np.hypot(*(pts[edges[0]] - pts[edges[1]]).T)
    assert lengths.max() < 7.5 and lengths.min() > 2.5
    assert nx_is_connected(g)


def test_skeleton_of_ring_is_a_cycle():
    yy, xx = np.mgrid[:80, :80]
    r = np.hypot(xx - 40, yy - 40)
    g = graph_from_centerline_mask((r > 25) & (r < 30))
    deg = [d for _, d in g.degree]
    assert set(deg) == {2} and len(deg) > 20
    assert nx_is_connected(g)


def test_skeleton_rejects_huge_mask():
    with pytest.raises(ValueError, match="backend.geo.vectorize"):
        graph_from_centerline_mask(np.zeros((5000, 5000), dtype=bool))


def nx_is_connected(g) -> bool:
    import networkx as nx

    return nx.is_connected(g)


@needs_data
def test_massachusetts_label_skeleton_graph_and_targets():
    from PIL import Image

    label = np.asarray(Image.open(MASS_LABEL)) > 0
    g = graph_from_centerline_mask(label)
    _, pts, edges = graph_to_arrays(g)
    assert len(pts) > 50 and edges.shape[1] > 50
    assert np.all((pts >= 0) & (pts <= 400))
    dist = ndimage.distance_transform_edt(~label)
    on_label = dist[np.floor(pts[:, 1]).astype(int), np.floor(pts[:, 0]).astype(int)]
    assert np.all(on_label <= 1.5)  # nodes lie on the road label
    t = make_training_targets(g, 400, 400, seed=0)
    assert t.road_mask.shape == (400, 400)
    assert (t.road_mask.astype(bool) & label).sum() > 0.9 * t.road_mask.sum()
    assert t.edge_labels.sum() > 10 and t.edge_index.shape[1] > t.edge_labels.sum()
