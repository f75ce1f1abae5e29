"""Tests of backend.eval.spacenet_graph: SpaceNet's graph conventions on hand-made lines."""

from __future__ import annotations

import networkx as nx
import pytest
from shapely.geometry import LineString, MultiLineString, Point

from backend.eval.graph import graph_from_lines
from backend.eval.spacenet_graph import graph_lines, spacenet_graph_from_lines


def _lengths(graph: nx.MultiGraph) -> list[float]:
    return sorted(round(length, 6) for *_, length in graph.edges(data="length_m"))


def test_degree_two_vertices_merge_and_junctions_stay():
    # Two features meeting end to end (merged) and a side road ending on a shared vertex.
    graph = spacenet_graph_from_lines(
        [
            LineString([(0, 0), (50, 0), (100, 0)]),
            LineString([(100, 0), (150, 0), (200, 0)]),
            LineString([(150, 0), (150, 80)]),
        ]
    )
    xy = sorted(xy for _, xy in graph.nodes(data="xy"))
    assert xy == [(0.0, 0.0), (150.0, 0.0), (150.0, 80.0), (200.0, 0.0)]
    assert _lengths(graph) == [50.0, 80.0, 150.0]


def test_lines_join_only_at_shared_vertices():
    # Crossing without a shared vertex (overpass), and a T drawn 0.5 m short: not joined.
    graph = spacenet_graph_from_lines(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(50, -50), (50, 50)]),
            LineString([(20, 0.5), (20, 40)]),
        ]
    )
    assert nx.number_connected_components(graph) == 3
    # Our snapping builder joins the short T; rebuilt through graph_lines it stays joined.
    snapped = graph_from_lines([LineString([(0, 0), (100, 0)]), LineString([(20, 0.5), (20, 40)])])
    assert nx.number_connected_components(spacenet_graph_from_lines(graph_lines(snapped))) == 1


def test_ring_without_junction_keeps_every_vertex():
    ring = LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])
    graph = spacenet_graph_from_lines([ring])
    assert graph.number_of_nodes() == 4
    assert _lengths(graph) == [100.0] * 4


def test_loop_leaving_and_entering_one_junction_is_dropped():
    # osmnx builds the loop once from each end: two copies, both deleted.
    stem = LineString([(-50, 0), (0, 0)])
    loop = LineString([(0, 0), (100, 0), (100, 100), (0, 0)])
    graph = spacenet_graph_from_lines([stem, loop])
    assert _lengths(graph) == [50.0]
    kept = spacenet_graph_from_lines([stem, loop], remove_repeated_edges=False)
    assert _lengths(kept) == pytest.approx([50.0, 200 + 100 * 2**0.5])


def test_repeated_segments_split_and_vanish():
    # The second half digitised twice (once reversed): its vertices become nodes and every
    # copy of each repeated piece goes; the first half stays.
    first = LineString([(0, 0), (100, 0), (150, 0), (200, 0)])
    again = LineString([(200, 0), (150, 0), (100, 0)])
    graph = spacenet_graph_from_lines([first, again])
    assert _lengths(graph) == [100.0]
    kept = spacenet_graph_from_lines([first, again], remove_repeated_edges=False)
    assert _lengths(kept) == [50.0, 50.0, 100.0]


def test_repeated_vertex_is_a_node_and_small_pieces_go():
    # A vertex repeated in one line (zero-length self-loop) stops the merge there.
    line = LineString([(0, 0), (60, 0), (60, 0), (120, 0)])
    graph = spacenet_graph_from_lines([line, LineString([(500, 0), (504, 0)])])
    assert _lengths(graph) == [60.0, 60.0]
    with_fragment = spacenet_graph_from_lines(
        [LineString([(500, 0), (504, 0)])], min_subgraph_length_m=0
    )
    assert _lengths(with_fragment) == [4.0]


def test_multilinestrings_and_bad_geometry():
    graph = spacenet_graph_from_lines([MultiLineString([[(0, 0), (10, 0)], [(10, 0), (10, 10)]])])
    assert _lengths(graph) == [20.0]
    with pytest.raises(ValueError, match="Point"):
        spacenet_graph_from_lines([Point(0, 0)])
