import geopandas as gpd
import numpy as np
import pytest
import rasterio

from backend.geo.raster import RasterInputError
from backend.jobs.road_mask_to_vectors import (
    LAYER_CENTERLINES,
    LAYER_NODES,
    LAYER_POLYGONS,
    RoadMaskToVectorsParams,
    run,
)
from backend.runtime.progress import JobCancelled


def _vertices_px(path, layer, transform):
    inv = ~transform
    frame = gpd.read_file(path, layer=layer)
    pts = [inv @ xy for geom in frame.geometry for xy in np.asarray(geom.coords)]
    return frame, np.asarray(pts)


def _distance_to_road_px(mask, pts_px):
    from scipy.ndimage import distance_transform_edt

    dist = distance_transform_edt(~mask)
    cols = np.clip(np.floor(pts_px[:, 0]).astype(int), 0, mask.shape[1] - 1)
    rows = np.clip(np.floor(pts_px[:, 1]).astype(int), 0, mask.shape[0] - 1)
    return dist[rows, cols]


def test_real_spacenet_mask_in_epsg4326(shared_data, tmp_path):
    raster = shared_data / "roads/spacenet_vegas_pan/roadmask_partial.tif"
    out = tmp_path / "roads.gpkg"
    result = run(RoadMaskToVectorsParams(raster_path=str(raster), output_path=str(out),
                                         tile_size_px=256))
    assert result["summary"]["crs"] == "EPSG:4326"
    with rasterio.open(raster) as ds:
        mask, transform, bounds = ds.read(1) > 127, ds.transform, ds.bounds
    edges, pts = _vertices_px(out, LAYER_CENTERLINES, transform)
    assert len(edges) > 0 and edges.crs.to_epsg() == 4326
    assert (_distance_to_road_px(mask, pts) <= 2.0).all()
    assert (edges.length_m > 0).all()
    for layer in (LAYER_POLYGONS, LAYER_CENTERLINES, LAYER_NODES):
        minx, miny, maxx, maxy = gpd.read_file(out, layer=layer).total_bounds
        assert bounds.left <= minx and maxx <= bounds.right
        assert bounds.bottom <= miny and maxy <= bounds.top


def test_utm_fixture_with_nodata_hole_and_spur(data_dir, tmp_path):
    out = tmp_path / "utm.gpkg"
    run(RoadMaskToVectorsParams(raster_path=str(data_dir / "roads_utm33n.tif"),
                                output_path=str(out), tile_size_px=64, prune_spur_length_m=5.0))
    polygons = gpd.read_file(out, layer=LAYER_POLYGONS)
    nodes = gpd.read_file(out, layer=LAYER_NODES)
    edges = gpd.read_file(out, layer=LAYER_CENTERLINES)
    assert polygons.crs.to_epsg() == 32633
    # Two polygons: the road cross and the ring (with its hole kept).
    assert len(polygons) == 2
    assert sum(len(p.interiors) for p in polygons.geometry) == 1
    # Nothing over nodata: the 10 right columns (x >= 500000 + 190 * 0.5) are empty.
    assert polygons.total_bounds[2] <= 500000.0 + 190 * 0.5 + 1e-6
    # The 3 m spur (6 px at 0.5 m) is pruned at 5 m: the cross keeps one 4-way junction.
    assert (nodes.degree == 4).sum() == 1
    assert edges.length_m.sum() == pytest.approx(edges.to_crs(32633).length.sum(), rel=1e-6)


def test_bad_inputs_write_nothing(data_dir, tmp_path):
    out = tmp_path / "x.gpkg"
    with pytest.raises(RasterInputError, match="no coordinate reference system"):
        run(RoadMaskToVectorsParams(raster_path=str(data_dir / "no_crs.tif"),
                                    output_path=str(out)))
    with pytest.raises(ValueError, match="Band 3"):
        run(RoadMaskToVectorsParams(raster_path=str(data_dir / "roads_utm33n.tif"),
                                    output_path=str(out), band=3))
    with pytest.raises(ValueError, match=".gpkg"):
        run(RoadMaskToVectorsParams(raster_path=str(data_dir / "roads_utm33n.tif"),
                                    output_path=str(tmp_path / "x.shp")))
    assert list(tmp_path.iterdir()) == []


def test_cancel_leaves_no_file(data_dir, tmp_path):
    out = tmp_path / "x.gpkg"
    calls = []

    def report(percent, message=""):
        calls.append(percent)
        if percent >= 95:  # cancel just before the GeoPackage is written
            raise JobCancelled()

    with pytest.raises(JobCancelled):
        run(RoadMaskToVectorsParams(raster_path=str(data_dir / "roads_utm33n.tif"),
                                    output_path=str(out), tile_size_px=64), report)
    assert calls and list(tmp_path.iterdir()) == []
