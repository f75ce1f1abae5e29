"""Road graphs built from centerlines the way SpaceNet's APLS builds them.

The official APLS code (CosmiQ ``apls`` 0.1.0: ``graphTools.create_graphGeoJson``,
``osmnx_funcs.simplify_graph``, ``apls.create_edge_linestrings`` and
``apls._clean_sub_graphs``) turns a centerline layer into a graph with these
conventions, which decide APLS values as much as the path comparison does:

1. **Nodes only at shared vertices.** Every vertex is a node; vertices with exactly
   equal coordinates are one node, across features too. Lines that cross without a
   shared vertex are not joined (over/underpasses).
2. **Degree-2 vertices are merged** (osmnx ``simplify_graph``, strict). A vertex stays a
   node when it does not have exactly two distinct neighbours joined by exactly two
   segments: junctions, dead ends, vertices on a segment digitised twice, and vertices
   repeated consecutively in one line (a zero-length self-loop). A ring without any such
   node keeps every vertex.
3. **Repeated edges: every copy is deleted.** After merging, edges that join the same two
   nodes with identical geometry (either direction) are all removed, keeping their end
   nodes. A chain that leaves and re-enters the same junction is produced twice by
   osmnx's simplification (once per direction) and so goes as well.
4. **Small subgraphs are dropped.** A connected component with at most
   ``max_subgraph_nodes_checked`` nodes whose longest shortest path is shorter than
   ``min_subgraph_length_m`` is removed.

Lengths are measured in the projected frame of the input (planar metres); the official
code sums great-circle segment lengths, which differs by about 0.1-0.2 % in a UTM zone.
Not replicated: when the first edge the official loop visits is one of two copies, only
one copy is removed there (an artefact of iteration order).

The result is an undirected :class:`networkx.MultiGraph` following the road-graph
contract of :mod:`backend.eval.graph` (node ``xy``, edge ``length_m`` and ``geometry``),
with integer node ids in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
from shapely.geometry import LineString, MultiLineString

from backend.eval.graph import EDGE_GEOMETRY, EDGE_LENGTH, NODE_XY, edge_coords, line_coordinates


def spacenet_graph_from_lines(
    lines: Iterable[LineString | MultiLineString],
    *,
    min_subgraph_length_m: float = 5.0,
    max_subgraph_nodes_checked: int = 100,
    remove_repeated_edges: bool = True,
    crs_wkt: str | None = None,
) -> nx.MultiGraph:
    """Build the SpaceNet APLS graph of centerlines given in metres (see module docstring).

    Args:
        lines: LineStrings / MultiLineStrings, (x, y) in metres of one projected frame.
            Z is dropped; empty or None geometries are skipped.
        min_subgraph_length_m: components whose longest shortest path is shorter than this
            are dropped, metres (SpaceNet: 5 m; 0 keeps all).
        max_subgraph_nodes_checked: components with more nodes are kept unchecked
            (SpaceNet: 100).
        remove_repeated_edges: delete every copy of an edge that is repeated with
            identical geometry (SpaceNet: True); False keeps one copy.
        crs_wkt: WKT of the metric frame, stored as ``graph.graph["crs"]``.

    Returns:
        Undirected multigraph: node ``xy`` (metres), edge ``length_m`` and ``geometry``.

    Raises:
        ValueError: on a geometry that is not a LineString or MultiLineString.
    """
    node_of_xy: dict[tuple[float, float], int] = {}
    node_xy: list[tuple[float, float]] = []
    segments: list[tuple[int, int]] = []
    for coords in line_coordinates(lines, drop_repeated=False):
        ids = []
        for x, y in coords:
            key = (float(x), float(y))
            if key not in node_of_xy:
                node_of_xy[key] = len(node_xy)
                node_xy.append(key)
            ids.append(node_of_xy[key])
        segments.extend(zip(ids[:-1], ids[1:], strict=True))

    graph = nx.MultiGraph(crs=crs_wkt)
    for node, xy in enumerate(node_xy):
        graph.add_node(node, **{NODE_XY: xy})
    merged = _merge_degree_two(len(node_xy), segments)
    for u, v, chain in merged:
        line = LineString(np.array([node_xy[n] for n in chain], dtype=float))
        graph.add_edge(u, v, **{EDGE_LENGTH: float(line.length), EDGE_GEOMETRY: line})
    # Vertices merged into an edge are no longer nodes.
    graph.remove_nodes_from({n for _, _, chain in merged for n in chain[1:-1]})
    if remove_repeated_edges:
        graph.remove_edges_from(repeated_edges(graph))
    else:
        graph.remove_edges_from(repeated_edges(graph, keep_one=True))
    # Zero-length self-loops only marked their vertex as a node (rule 2).
    graph.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in graph.edges(keys=True, data=True)
            if u == v and d[EDGE_LENGTH] == 0
        ]
    )
    drop_small_subgraphs(graph, min_subgraph_length_m, max_subgraph_nodes_checked)
    return graph


def graph_lines(graph: nx.Graph) -> list[LineString]:
    """Edge geometries of any road graph, each starting and ending exactly at its nodes.

    Used to rebuild a graph with :func:`spacenet_graph_from_lines`: pinning the ends to
    the node positions makes edges that meet at a node share that vertex exactly.

    Args:
        graph: road graph (``Graph`` or ``MultiGraph``) of :mod:`backend.eval.graph`.

    Returns:
        One LineString per edge, (x, y) in the graph's metres.
    """
    lines = []
    edges = graph.edges(keys=True) if graph.is_multigraph() else graph.edges()
    for edge in edges:
        u, v = edge[0], edge[1]
        coords = edge_coords(graph, *edge).copy()
        coords[0] = graph.nodes[u][NODE_XY]
        coords[-1] = graph.nodes[v][NODE_XY]
        lines.append(LineString(coords))
    return lines


def repeated_edges(graph: nx.MultiGraph, *, keep_one: bool = False) -> list[tuple[int, int, int]]:
    """Keys of edges repeated with identical geometry between the same two nodes.

    Args:
        graph: road multigraph.
        keep_one: list all copies but the first (True) or every copy (False, SpaceNet).

    Returns:
        ``(u, v, key)`` triples to remove.
    """
    groups: dict[tuple, list[tuple[int, int, int]]] = {}
    for u, v, k, geom in graph.edges(keys=True, data=EDGE_GEOMETRY):
        coords = tuple(map(tuple, np.asarray(geom.coords)[:, :2].tolist()))
        # Same geometry in either direction: one canonical orientation as the key.
        canonical = min(coords, coords[::-1])
        groups.setdefault((min(u, v), max(u, v), canonical), []).append((u, v, k))
    out = []
    for copies in groups.values():
        if len(copies) > 1:
            out.extend(copies[1:] if keep_one else copies)
    return out


def drop_small_subgraphs(graph: nx.Graph, min_length_m: float, max_nodes_checked: int) -> None:
    """Remove, in place, components whose longest shortest path is < ``min_length_m``.

    Components with more than ``max_nodes_checked`` nodes are kept unchecked, as in the
    official ``_clean_sub_graphs``; isolated nodes have a longest path of 0.
    """
    if min_length_m <= 0:
        return
    bad = []
    for component in nx.connected_components(graph):
        if len(component) > max_nodes_checked:
            continue
        sub = graph.subgraph(component)
        longest = max(
            max(lengths.values())
            for _, lengths in nx.all_pairs_dijkstra_path_length(sub, weight=EDGE_LENGTH)
        )
        if longest < min_length_m:
            bad.extend(component)
    graph.remove_nodes_from(bad)


def _merge_degree_two(
    n_nodes: int, segments: list[tuple[int, int]]
) -> list[tuple[int, int, list[int]]]:
    """osmnx's strict simplification on an undirected segment list.

    Returns ``(u, v, chain)`` per merged edge, ``chain`` the vertex ids from u to v.
    A chain from an endpoint back to itself comes out twice, as in osmnx, which builds
    it once from each of its two first segments.
    """
    neighbours: list[dict[int, list[int]]] = [{} for _ in range(n_nodes)]
    for index, (u, v) in enumerate(segments):
        neighbours[u].setdefault(v, []).append(index)
        if u != v:
            neighbours[v].setdefault(u, []).append(index)

    def is_endpoint(node: int) -> bool:
        nbrs = neighbours[node]
        if node in nbrs:
            return True  # self-loop
        return not (len(nbrs) == 2 and sum(len(s) for s in nbrs.values()) == 2)

    endpoint = [is_endpoint(n) for n in range(n_nodes)]
    used = np.zeros(len(segments), dtype=bool)
    out: list[tuple[int, int, list[int]]] = []
    for start in range(n_nodes):
        if not endpoint[start]:
            continue
        for nbr, seg_ids in neighbours[start].items():
            for seg in seg_ids:
                if used[seg]:
                    continue
                chain, segs = _walk(start, nbr, seg, neighbours, endpoint)
                used[segs] = True
                out.append((start, chain[-1], chain))
                if chain[-1] == start and len(chain) > 2:
                    out.append((start, start, chain[::-1]))
    # Rings without an endpoint stay as single segments (osmnx starts only at endpoints).
    for index in np.flatnonzero(~used):
        u, v = segments[index]
        out.append((u, v, [u, v]))
    return out


def _walk(
    start: int,
    first: int,
    first_seg: int,
    neighbours: list[dict[int, list[int]]],
    endpoint: list[bool],
) -> tuple[list[int], list[int]]:
    """Follow interior (non-endpoint) vertices from ``start`` through ``first``."""
    chain, segs = [start, first], [first_seg]
    prev, node = start, first
    while not endpoint[node]:
        # An interior vertex has exactly two distinct neighbours, one segment to each.
        nxt = next(n for n in neighbours[node] if n != prev)
        segs.append(neighbours[node][nxt][0])
        chain.append(nxt)
        prev, node = node, nxt
    return chain, segs
