"""Road graph representation shared by the metrics (APLS, TOPO) and its builders.

A road graph here is an undirected :class:`networkx.Graph` in a projected frame whose
unit is the metre:

- node attribute ``xy``: ``(x, y)`` tuple of floats, metres in the graph's frame;
- edge attribute ``length_m``: float, length of the edge geometry in metres (> 0);
- edge attribute ``geometry`` (optional): shapely ``LineString`` in metres. Its
  direction is arbitrary; use :func:`edge_coords` to get it oriented from one end;
- graph attribute ``crs``: WKT of the metric frame, or ``None`` for a local frame.

There are no self-loops and no parallel edges: the builders split such edges with an
extra node, so path lengths and geometry are kept.

Roads that cross without a shared vertex are *not* connected (over/underpasses), as in
the SpaceNet and City-scale ground truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

import networkx as nx
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiLineString
from shapely.ops import substring

NODE_XY = "xy"
EDGE_LENGTH = "length_m"
EDGE_GEOMETRY = "geometry"

# Vertices closer than this (metres) are the same vertex: absorbs float noise from
# reprojection while being far below any road feature size.
_SAME_VERTEX_M = 1e-6


def edge_coords(graph: nx.Graph, u: int, v: int, key: int | None = None) -> np.ndarray:
    """Coordinates of edge ``(u, v)`` oriented from ``u`` to ``v``.

    Args:
        graph: road graph (see module docstring); a ``MultiGraph`` needs ``key``.
        u: node id the returned polyline starts at.
        v: node id the returned polyline ends at.
        key: the edge key in a ``MultiGraph``.

    Returns:
        (K, 2) float array of (x, y) metres, K >= 2. Without a ``geometry`` attribute the
        edge is the straight segment between the two node positions.
    """
    data = graph.edges[u, v, key] if graph.is_multigraph() else graph.edges[u, v]
    geom = data.get(EDGE_GEOMETRY)
    if geom is None:
        return np.array([graph.nodes[u][NODE_XY], graph.nodes[v][NODE_XY]], dtype=float)
    coords = np.asarray(geom.coords, dtype=float)[:, :2]
    xy_u = np.asarray(graph.nodes[u][NODE_XY])
    # Geometry may be stored in either direction: flip when its end is nearer to u.
    if np.sum((coords[-1] - xy_u) ** 2) < np.sum((coords[0] - xy_u) ** 2):
        coords = coords[::-1]
    return coords


def edge_linestring(graph: nx.Graph, u: int, v: int) -> LineString:
    """Edge ``(u, v)`` as a LineString in metres oriented from ``u`` to ``v``."""
    return LineString(edge_coords(graph, u, v))


def check_road_graph(graph: nx.Graph, name: str = "graph") -> None:
    """Check that ``graph`` follows the road graph contract of this module.

    Args:
        graph: graph to check.
        name: how to call it in error messages ("ground truth", "proposal").

    Raises:
        ValueError: not an undirected simple ``networkx.Graph``, a node without ``xy``,
            or an edge without a finite, non-negative ``length_m``.
    """
    if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
        raise ValueError(
            f"the {name} must be an undirected networkx.Graph (got {type(graph).__name__}); "
            "build it with graph_from_lines or read_road_graph"
        )
    for node, xy in graph.nodes(data=NODE_XY):
        if xy is None or len(xy) != 2:
            raise ValueError(f"{name} node {node!r} has no '{NODE_XY}' = (x, y) in metres")
    for u, v, length in graph.edges(data=EDGE_LENGTH):
        if length is None or not np.isfinite(length) or length < 0:
            raise ValueError(
                f"{name} edge ({u!r}, {v!r}) needs a finite '{EDGE_LENGTH}' >= 0 in metres, "
                f"got {length!r}"
            )


def check_same_frame(gt_graph: nx.Graph, proposal_graph: nx.Graph) -> None:
    """Raise ValueError when both graphs declare a ``crs`` and the two differ."""
    crs_a, crs_b = gt_graph.graph.get("crs"), proposal_graph.graph.get("crs")
    if crs_a is None or crs_b is None or crs_a == crs_b:
        return
    crs_a, crs_b = CRS.from_user_input(crs_a), CRS.from_user_input(crs_b)
    if crs_a != crs_b:
        raise ValueError(
            f"the two graphs are in different frames ({crs_a.name!r} vs {crs_b.name!r}); "
            "build both in one metric CRS (read_road_graph(..., target_crs=...))"
        )


def total_length_m(graph: nx.Graph) -> float:
    """Sum of ``length_m`` over all edges, metres."""
    return float(sum(length for _, _, length in graph.edges(data=EDGE_LENGTH)))


def line_coordinates(lines: Iterable, *, drop_repeated: bool = True) -> Iterable[np.ndarray]:
    """Yield (K, 2) coordinate arrays, K >= 2, of every LineString part of ``lines``.

    Args:
        lines: LineStrings / MultiLineStrings (Z dropped; None and empty skipped).
        drop_repeated: drop consecutive vertices closer than 1e-6 (zero-length segments);
            the SpaceNet graph build keeps them, since a repeated vertex is a node there.

    Raises:
        ValueError: on a geometry that is not a LineString or MultiLineString.
    """
    for index, geom in enumerate(lines):
        if geom is None or geom.is_empty:
            continue
        if isinstance(geom, LineString):
            parts = [geom]
        elif isinstance(geom, MultiLineString):
            parts = list(geom.geoms)
        else:
            raise ValueError(
                f"geometry {index} is a {geom.geom_type}; road graphs are built from "
                "LineString/MultiLineString centerlines (convert polygons to lines first)"
            )
        for part in parts:
            coords = np.asarray(part.coords, dtype=float)[:, :2]
            if len(coords) < 2:
                continue
            if not drop_repeated:
                yield coords
                continue
            # Drop repeated consecutive vertices: they make zero-length segments.
            keep = np.ones(len(coords), dtype=bool)
            keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > _SAME_VERTEX_M, axis=1)
            coords = coords[keep]
            if len(coords) >= 2:
                yield coords


def _insert_vertices(coords: np.ndarray, positions_m: list[float]) -> np.ndarray:
    """Insert vertices at arc-length positions (metres) into a (K, 2) polyline."""
    seg = np.hypot(*np.diff(coords, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    out = [coords[0]]
    pending = sorted(p for p in positions_m if 0.0 < p < cum[-1])
    j = 0
    for i in range(1, len(coords)):
        while j < len(pending) and pending[j] < cum[i]:
            t = (pending[j] - cum[i - 1]) / seg[i - 1]
            if 0.0 < t < 1.0:
                out.append(coords[i - 1] + t * (coords[i] - coords[i - 1]))
            j += 1
        out.append(coords[i])
    return np.asarray(out)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, a: int) -> int:
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:  # path compression
            self.parent[a], a = root, self.parent[a]
        return int(root)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def graph_from_lines(
    lines: Iterable[LineString | MultiLineString],
    *,
    snap_tolerance_m: float = 1.0,
    crs: CRS | str | None = None,
) -> nx.Graph:
    """Build a noded road graph from centerlines given in metres.

    Noding rules:

    - every line endpoint is a node;
    - lines that share a vertex (endpoint or interior, within 1e-6 m) share a node there;
    - an endpoint within ``snap_tolerance_m`` of another line's vertex or endpoint is
      snapped to it, and an endpoint within ``snap_tolerance_m`` of another line's
      segment gets a new vertex there (T junction drawn slightly short or long);
    - lines crossing without a shared vertex stay unconnected (overpasses);
    - a piece that would duplicate an existing edge between the same two nodes (a
      parallel road, a loop) is split at its middle by an extra node.

    Args:
        lines: LineStrings/MultiLineStrings, coordinates (x, y) in metres of one projected
            frame. Z is dropped; empty/None geometries are skipped.
        snap_tolerance_m: endpoint snapping distance in metres (>= 0). Keep it well
            below the metrics' radii (APLS 4 m, TOPO 10 m).
        crs: the metric frame of the coordinates, stored as ``graph.graph["crs"]`` (WKT).
            Must be projected with metre units when given.

    Returns:
        Road graph (see module docstring) with integer node ids 0..N-1.

    Raises:
        ValueError: on non-line geometries, a negative tolerance, or a ``crs`` that is
            not projected in metres.
    """
    if snap_tolerance_m < 0:
        raise ValueError(f"snap_tolerance_m must be >= 0, got {snap_tolerance_m}")
    crs_wkt = None
    if crs is not None:
        crs_obj = CRS.from_user_input(crs)
        if not is_metric_crs(crs_obj):
            raise ValueError(
                f"crs {crs_obj.name!r} is not a projected CRS in metres; reproject the lines "
                "first (read_road_graph does this for files)"
            )
        crs_wkt = crs_obj.to_wkt()

    polylines = list(line_coordinates(lines))
    graph = nx.Graph(crs=crs_wkt)
    if not polylines:
        return graph
    tol = float(snap_tolerance_m)

    # Step 1: endpoints near another line's segment get a vertex inserted there, so the
    # vertex clustering below can connect T junctions that miss the through-road vertex.
    if tol > 0:
        shapes = [LineString(c) for c in polylines]
        tree = shapely.STRtree(shapes)
        ends = np.concatenate([[c[0], c[-1]] for c in polylines])
        end_owner = np.repeat(np.arange(len(polylines)), 2)
        end_pts = shapely.points(ends)
        hits = tree.query(end_pts, predicate="dwithin", distance=tol)
        inserts: dict[int, list[float]] = {}
        for end_idx, line_idx in zip(*hits, strict=True):
            if line_idx == end_owner[end_idx]:
                continue
            coords = polylines[line_idx]
            if np.min(np.hypot(*(coords - ends[end_idx]).T)) <= tol:
                continue  # a vertex is already close enough: clustering handles it
            inserts.setdefault(int(line_idx), []).append(
                float(shapes[line_idx].project(end_pts[end_idx]))
            )
        for line_idx, positions in inserts.items():
            polylines[line_idx] = _insert_vertices(polylines[line_idx], positions)

    # Step 2: cluster vertices. Global vertex arrays: coordinates, owning line, arc
    # position along its line (metres), endpoint flag.
    xy = np.concatenate(polylines)
    owner = np.concatenate([np.full(len(c), i) for i, c in enumerate(polylines)])
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in polylines])])
    arc = np.concatenate(
        [np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))]) for c in polylines]
    )
    is_end = np.zeros(len(xy), dtype=bool)
    is_end[offsets[:-1]] = True
    is_end[offsets[1:] - 1] = True

    pairs = cKDTree(xy).query_pairs(max(tol, _SAME_VERTEX_M), output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    same_spot = np.hypot(*(xy[a] - xy[b]).T) <= _SAME_VERTEX_M
    # Interior vertices of nearby roads (parallel lanes) stay apart; only shared
    # vertices and endpoints merge.
    keep = same_spot | is_end[a] | is_end[b]
    # Vertices of the same line merge only when far apart along it (a closed loop),
    # otherwise densely digitised lines would collapse onto themselves.
    keep &= (owner[a] != owner[b]) | (np.abs(arc[a] - arc[b]) > 2 * max(tol, _SAME_VERTEX_M))
    uf = _UnionFind(len(xy))
    for i, j in zip(a[keep].tolist(), b[keep].tolist(), strict=True):
        uf.union(i, j)

    roots = np.array([uf.find(i) for i in range(len(xy))])
    is_node = is_end | (np.bincount(roots, minlength=len(xy))[roots] > 1)

    node_of_root: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for i in np.flatnonzero(is_node):
        members.setdefault(int(roots[i]), []).append(int(i))
    for root, idx in members.items():
        idx_arr = np.asarray(idx)
        interior = idx_arr[~is_end[idx_arr]]
        # Keep through-roads straight: a snapped dangling end moves, the road does not.
        pos = xy[interior].mean(axis=0) if len(interior) else xy[idx_arr].mean(axis=0)
        node_id = graph.number_of_nodes()
        graph.add_node(node_id, **{NODE_XY: (float(pos[0]), float(pos[1]))})
        node_of_root[root] = node_id

    # Step 3: split every line at its node vertices into edges.
    for li in range(len(polylines)):
        start, stop = int(offsets[li]), int(offsets[li + 1])
        piece_start = start
        for k in range(start + 1, stop):
            if not is_node[k]:
                continue
            u = node_of_root[int(roots[piece_start])]
            v = node_of_root[int(roots[k])]
            coords = xy[piece_start : k + 1].copy()
            coords[0] = graph.nodes[u][NODE_XY]
            coords[-1] = graph.nodes[v][NODE_XY]
            _add_piece(graph, u, v, coords, tol)
            piece_start = k
    return graph


def _add_piece(graph: nx.Graph, u: int, v: int, coords: np.ndarray, tol: float) -> None:
    """Add a polyline between nodes u and v, splitting it to avoid loops/parallel edges."""
    line = LineString(coords)
    length = float(line.length)
    if length <= max(tol, _SAME_VERTEX_M) and (u == v or graph.has_edge(u, v)):
        return  # a stub collapsed by snapping, or a duplicate of a tiny edge
    if u == v or graph.has_edge(u, v):
        if graph.has_edge(u, v) and u != v:
            existing = graph.edges[u, v].get(EDGE_GEOMETRY)
            if existing is not None and existing.hausdorff_distance(line) <= tol:
                return  # the same road digitised twice
        # Split into pieces via new nodes: thirds for a loop (u == v would otherwise give
        # two parallel edges), halves for a parallel edge.
        n_pieces = 3 if u == v else 2
        cut_nodes = []
        for i in range(1, n_pieces):
            p = line.interpolate(length * i / n_pieces)
            node_id = graph.number_of_nodes()
            graph.add_node(node_id, **{NODE_XY: (float(p.x), float(p.y))})
            cut_nodes.append(node_id)
        chain = [u, *cut_nodes, v]
        for i in range(n_pieces):
            sub = substring(line, length * i / n_pieces, length * (i + 1) / n_pieces)
            _set_edge(graph, chain[i], chain[i + 1], np.asarray(sub.coords))
        return
    _set_edge(graph, u, v, coords)


def _set_edge(graph: nx.Graph, u: int, v: int, coords: np.ndarray) -> None:
    line = LineString(coords)
    graph.add_edge(u, v, **{EDGE_LENGTH: float(line.length), EDGE_GEOMETRY: line})


# --------------------------------------------------------------------------- files / CRS


def is_metric_crs(crs: CRS) -> bool:
    """True when lengths measured in ``crs`` coordinates are metres on the ground.

    Projected CRSs in metres qualify, except Mercator variants (e.g. EPSG:3857), whose
    scale error (1/cos(latitude), +24 % at 36 deg) would distort every length.
    """
    if not crs.is_projected:
        return False
    axis = crs.axis_info[0] if crs.axis_info else None
    if axis is None or abs(axis.unit_conversion_factor - 1.0) > 1e-12:
        return False
    method = crs.coordinate_operation.method_name.lower() if crs.coordinate_operation else ""
    return not ("mercator" in method and "transverse" not in method)


def utm_crs_for_bounds(bounds_lonlat: tuple[float, float, float, float]) -> CRS:
    """The WGS 84 UTM zone CRS covering the centre of a lon/lat bounding box.

    Args:
        bounds_lonlat: (west, south, east, north) in degrees (EPSG:4326 lon/lat).

    Raises:
        ValueError: when no UTM zone is found (e.g. invalid bounds).
    """
    west, south, east, north = bounds_lonlat
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    infos = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    if not infos:
        raise ValueError(f"no UTM zone found for lon/lat bounds {bounds_lonlat}")
    return CRS.from_authority(infos[0].auth_name, infos[0].code)


def read_lines(
    path: str | PathLike, *, layer: str | int | None = None, allow_empty: bool = False
) -> tuple[list[LineString | MultiLineString], CRS]:
    """Read the line geometries and CRS of one vector layer (any OGR format).

    Args:
        path: vector file (GeoJSON, GeoPackage, Shapefile, ...).
        layer: layer name or index; required when the file has several layers.
        allow_empty: return an empty list for a layer without features (e.g. a proposal
            that found no road) instead of raising.

    Returns:
        (lines, crs): geometries in the layer CRS (null geometries dropped) and its CRS.

    Raises:
        ValueError: when the file has several layers and none is named, the layer has no
            CRS, no line features (unless ``allow_empty``), or non-line geometries.
    """
    import pyogrio
    import pyogrio.raw

    path = str(path)
    if layer is None:
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            names = ", ".join(str(name) for name in layers[:, 0])
            raise ValueError(f"{path} has {len(layers)} layers ({names}); pass the layer name")
    meta, _, geometry, _ = pyogrio.raw.read(path, layer=layer, columns=[], force_2d=True)
    if not meta.get("crs"):
        raise ValueError(
            f"{path} has no CRS, so its coordinates cannot be measured in metres; assign the "
            "right CRS (QGIS: Layer Properties > Source, or 'Assign projection') and retry"
        )
    crs = CRS.from_user_input(meta["crs"])
    lines = [g for g in shapely.from_wkb(geometry) if g is not None and not g.is_empty]
    if not lines and not allow_empty:
        raise ValueError(f"{path} (layer {layer!r}) has no line features to build a graph from")
    for geom in lines:
        if not isinstance(geom, LineString | MultiLineString):
            raise ValueError(
                f"{path} holds {geom.geom_type} features; expected LineString or "
                "MultiLineString road centerlines"
            )
    return lines, crs


def metric_crs_for(crs: CRS, lines: list) -> CRS:
    """The frame to measure ``lines`` (given in ``crs``) in metres.

    ``crs`` itself when it is projected in metres (see :func:`is_metric_crs`), otherwise
    the local WGS 84 UTM zone of the lines' extent.
    """
    if is_metric_crs(crs):
        return crs
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray(lines, dtype=object))
    to_lonlat = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    return utm_crs_for_bounds(to_lonlat.transform_bounds(xmin, ymin, xmax, ymax))


def project_lines(lines: list, src_crs: CRS, dst_crs: CRS) -> list:
    """Reproject shapely geometries from ``src_crs`` to ``dst_crs`` (x/y axis order)."""
    if CRS.from_user_input(src_crs) == CRS.from_user_input(dst_crs):
        return list(lines)
    transformer = Transformer.from_crs(src_crs, dst_crs, always_xy=True)

    def _transform(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(np.asarray(lines, dtype=object), _transform)
    if not np.all(np.isfinite(shapely.get_coordinates(out))):
        raise ValueError(
            f"reprojecting from {CRS.from_user_input(src_crs).name!r} to "
            f"{CRS.from_user_input(dst_crs).name!r} gave non-finite coordinates; check the "
            "layer CRS is correct"
        )
    return list(out)


def read_road_graph(
    path: str | PathLike,
    *,
    layer: str | int | None = None,
    snap_tolerance_m: float = 1.0,
    target_crs: CRS | str | None = None,
) -> nx.Graph:
    """Read a centerline layer into a road graph in metres.

    The lines are reprojected to ``target_crs`` when given, else kept in the layer CRS if
    it is projected in metres, else reprojected to the local UTM zone (geographic CRSs
    such as EPSG:4326, feet-based CRSs, Web Mercator).

    Args:
        path: vector file readable by OGR (GeoJSON, GeoPackage, Shapefile, ...).
        layer: layer name or index; required when the file has several layers.
        snap_tolerance_m: endpoint snapping distance in metres, see
            :func:`graph_from_lines`.
        target_crs: frame to build the graph in; must be projected in metres.

    Returns:
        Road graph with ``graph.graph["crs"]`` set to the WKT of the metric frame and
        ``graph.graph["source"]`` to ``path``.

    Raises:
        ValueError: no CRS on the layer, no line features, non-line geometries, several
            layers and none named, or a ``target_crs`` not in metres.
    """
    lines, crs = read_lines(path, layer=layer)
    frame = CRS.from_user_input(target_crs) if target_crs is not None else None
    if frame is None:
        frame = metric_crs_for(crs, lines)
    lines = project_lines(lines, crs, frame)
    graph = graph_from_lines(lines, snap_tolerance_m=snap_tolerance_m, crs=frame)
    graph.graph["source"] = str(path)
    return graph
