"""Tests of backend.eval.graph: noding, snapping, CRS handling, file reading."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from pyproj import CRS, Geod
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from backend.eval.graph import (
    EDGE_LENGTH,
    NODE_XY,
    check_road_graph,
    edge_coords,
    graph_from_lines,
    is_metric_crs,
    read_road_graph,
    total_length_m,
)

from ._lines import grid_lines, write_lines


def _degrees(graph) -> list[int]:
    return sorted(d for _, d in graph.degree())


def test_shared_endpoint_and_shared_interior_vertex_become_nodes():
    # A---B---C main road with B an interior vertex; side road B---D.
    main = LineString([(0, 0), (100, 0), (200, 0)])
    side = LineString([(100, 0), (100, 80)])
    graph = graph_from_lines([main, side])
    assert graph.number_of_nodes() == 4
    assert graph.number_of_edges() == 3
    assert _degrees(graph) == [1, 1, 1, 3]
    assert total_length_m(graph) == pytest.approx(280.0)


def test_crossing_without_shared_vertex_stays_unconnected():
    # An overpass: the two roads cross at (50, 0) but share no vertex.
    graph = graph_from_lines([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])])
    assert graph.number_of_edges() == 2
    assert _degrees(graph) == [1, 1, 1, 1]


def test_endpoint_snaps_to_vertex_and_to_segment_within_tolerance():
    main = LineString([(0, 0), (100, 0), (200, 0)])
    short_of_vertex = LineString([(100.6, 0.5), (100, 90)])  # 0.78 m from vertex (100, 0)
    short_of_segment = LineString([(150, 0.8), (150, 90)])  # 0.8 m from the segment
    graph = graph_from_lines([main, short_of_vertex, short_of_segment], snap_tolerance_m=1.0)
    assert graph.number_of_edges() == 5
    assert _degrees(graph) == [1, 1, 1, 1, 3, 3]
    junctions = sorted(graph.nodes[n][NODE_XY] for n, d in graph.degree() if d == 3)
    # Through-road vertices stay put; the dangling ends move onto them.
    assert junctions == [(100.0, 0.0), (150.0, 0.0)]


def test_endpoint_beyond_tolerance_is_not_snapped():
    graph = graph_from_lines(
        [LineString([(0, 0), (200, 0)]), LineString([(100, 2.0), (100, 90)])], snap_tolerance_m=1.0
    )
    assert _degrees(graph) == [1, 1, 1, 1]


def test_parallel_roads_and_loops_are_split_not_lost():
    # Two different roads between the same end points, and a closed ring.
    straight = LineString([(0, 0), (100, 0)])
    detour = LineString([(0, 0), (50, 40), (100, 0)])
    ring = LineString([(300, 0), (400, 0), (400, 100), (300, 100), (300, 0)])
    graph = graph_from_lines([straight, detour, ring])
    expected = 100 + 2 * math.hypot(50, 40) + 400
    assert total_length_m(graph) == pytest.approx(expected)
    assert all(u != v for u, v in graph.edges)  # no self-loops


def test_duplicate_line_is_counted_once():
    road = LineString([(0, 0), (100, 0)])
    graph = graph_from_lines([road, LineString(road.coords[::-1])])
    assert graph.number_of_edges() == 1
    assert total_length_m(graph) == pytest.approx(100.0)


def test_multilinestring_and_edge_orientation():
    graph = graph_from_lines([MultiLineString([[(0, 0), (10, 0), (10, 10)], [(10, 10), (20, 10)]])])
    assert graph.number_of_edges() == 2
    for u, v in graph.edges:
        coords = edge_coords(graph, u, v)
        assert tuple(coords[0]) == graph.nodes[u][NODE_XY]
        assert tuple(coords[-1]) == graph.nodes[v][NODE_XY]
        assert graph.edges[u, v][EDGE_LENGTH] > 0


def test_bad_inputs_raise_actionable_errors():
    with pytest.raises(ValueError, match="Polygon"):
        graph_from_lines([Polygon([(0, 0), (1, 0), (1, 1)])])
    with pytest.raises(ValueError, match="Point"):
        graph_from_lines([Point(0, 0)])
    with pytest.raises(ValueError, match="snap_tolerance_m"):
        graph_from_lines([LineString([(0, 0), (1, 0)])], snap_tolerance_m=-1)
    with pytest.raises(ValueError, match="not a projected CRS in metres"):
        graph_from_lines([LineString([(0, 0), (1, 0)])], crs="EPSG:4326")


def test_is_metric_crs():
    assert is_metric_crs(CRS.from_epsg(32611))
    assert not is_metric_crs(CRS.from_epsg(4326))  # degrees
    assert not is_metric_crs(CRS.from_epsg(3857))  # metres, but Mercator scale error
    assert not is_metric_crs(CRS.from_epsg(2227))  # US survey feet


def _grid_in(crs: str, tmp_path, name: str, driver: str | None = None):
    """The 3x3 grid of 200 m blocks, built in UTM 11N (Las Vegas) and written in `crs`."""
    from backend.eval.graph import project_lines

    lines_utm = grid_lines(3, 200.0, origin=(660_000.0, 4_000_000.0))
    lines = project_lines(lines_utm, CRS.from_epsg(32611), CRS.from_user_input(crs))
    return write_lines(tmp_path / name, lines, crs, driver=driver)


@pytest.mark.parametrize(
    ("crs", "name"),
    [("EPSG:4326", "grid.geojson"), ("EPSG:3857", "grid.gpkg"), ("EPSG:32611", "grid.shp")],
)
def test_read_road_graph_measures_metres_in_any_crs(tmp_path, crs, name):
    graph = read_road_graph(_grid_in(crs, tmp_path, name))
    frame = CRS.from_wkt(graph.graph["crs"])
    assert frame.to_epsg() == 32611  # kept (already metric) or the local UTM zone
    assert graph.number_of_nodes() == 16
    assert graph.number_of_edges() == 24
    assert total_length_m(graph) == pytest.approx(24 * 200.0, rel=1e-6)


def test_read_road_graph_target_crs(tmp_path):
    path = _grid_in("EPSG:4326", tmp_path, "grid.geojson")
    graph = read_road_graph(path, target_crs="EPSG:32612")  # neighbouring zone, still metres
    assert CRS.from_wkt(graph.graph["crs"]).to_epsg() == 32612
    assert total_length_m(graph) == pytest.approx(4800.0, rel=2e-3)


def test_read_errors(tmp_path):
    lines = [LineString([(0, 0), (100, 0)])]
    no_crs = write_lines(tmp_path / "no_crs.gpkg", lines, None, layer="roads")
    with pytest.raises(ValueError, match="has no CRS"):
        read_road_graph(no_crs)

    multi = tmp_path / "multi.gpkg"
    write_lines(multi, lines, "EPSG:32611", layer="gt")
    write_lines(multi, lines, "EPSG:32611", layer="other", append=True)
    with pytest.raises(ValueError, match="2 layers .*gt, other.*pass the layer name"):
        read_road_graph(multi)
    assert read_road_graph(multi, layer="gt").number_of_edges() == 1

    polygons = write_lines(
        tmp_path / "poly.gpkg", [Polygon([(0, 0), (1, 0), (1, 1)])], "EPSG:32611"
    )
    with pytest.raises(ValueError, match="Polygon features"):
        read_road_graph(polygons)


def test_spacenet_centerlines_are_projected_to_utm(spacenet_centerlines):
    graph = read_road_graph(spacenet_centerlines)
    assert CRS.from_wkt(graph.graph["crs"]).to_epsg() == 32611  # Las Vegas: UTM 11N
    assert graph.number_of_edges() >= 9
    # Length in UTM agrees with the geodesic length of the lon/lat lines (UTM scale
    # error near the zone centre is < 0.1 %).
    import pyogrio.raw
    import shapely

    _, _, wkb, _ = pyogrio.raw.read(str(spacenet_centerlines), columns=[])
    geod = Geod(ellps="WGS84")
    geodesic_m = sum(geod.geometry_length(g) for g in shapely.from_wkb(wkb))
    assert total_length_m(graph) == pytest.approx(geodesic_m, rel=1e-3)
    xy = np.array([graph.nodes[n][NODE_XY] for n in graph.nodes])
    assert np.all((xy[:, 0] > 100_000) & (xy[:, 0] < 900_000))  # UTM eastings


def test_check_road_graph_rejects_foreign_graphs():
    with pytest.raises(ValueError, match="undirected networkx.Graph"):
        check_road_graph(nx.DiGraph(), "proposal")
    graph = nx.Graph()
    graph.add_node(0, xy=(0.0, 0.0))
    graph.add_node(1)
    with pytest.raises(ValueError, match="proposal node 1 has no 'xy'"):
        check_road_graph(graph, "proposal")
    graph.nodes[1]["xy"] = (10.0, 0.0)
    graph.add_edge(0, 1)
    with pytest.raises(ValueError, match="needs a finite 'length_m'"):
        check_road_graph(graph, "proposal")
    graph.edges[0, 1]["length_m"] = 10.0
    check_road_graph(graph, "proposal")  # a graph without geometries is fine
