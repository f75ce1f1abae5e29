"""Ground-truth road graphs for LineGraph2Road training, in a raster's pixel frame.

Graph representation used by this package: an undirected ``networkx.Graph`` whose nodes are
ints 0..N-1, each with attribute ``xy`` = (x, y) float pixel coordinates; edges are straight
segments between their end nodes (curves are polylines of degree-2 nodes).

Frame: (x, y) = (column, row) of the raster, origin at the upper-left corner of the
upper-left pixel, so the centre of pixel (row r, col c) is (c + 0.5, r + 0.5) and map
coordinates are ``transform * (x, y)`` (the backend's raster frame, ``backend/geo/raster.py``).

Sources:
    (a) vector centerlines (GeoJSON / GeoPackage / Shapefile, read with pyogrio, reprojected
        to the raster CRS with pyproj) -> :func:`graph_from_vector_lines`;
    (b) Sat2Graph / City-scale / Global-scale adjacency pickles ``{(row, col): [(row, col),
        ...]}`` read with a restricted unpickler -> :func:`graph_from_adjacency_pickle`;
    (c) skeletons of small centerline-derived binary masks -> :func:`graph_from_centerline_mask`
        (training tiles only; large rasters go through ``backend.geo.vectorize``).
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Hashable

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from backend.geo.vectorize import build_centerline_graph, prune_spurs, trace_skeleton

__all__ = [
    "graph_from_adjacency",
    "graph_from_adjacency_pickle",
    "graph_from_arrays",
    "graph_from_centerline_mask",
    "graph_from_vector_lines",
    "graph_from_vector_lines_for_raster",
    "graph_to_arrays",
    "load_adjacency_pickle",
    "loads_adjacency_pickle",
]

# Largest mask (pixels) the simple in-memory skeleton path accepts.
_MAX_SKELETON_PIXELS = 4096 * 4096


# ---------------------------------------------------------------------------------------------
# Array <-> graph


def graph_to_arrays(graph: nx.Graph) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """Arrays of a graph in this package's representation.

    Args:
        graph: undirected graph whose nodes carry ``xy`` = (x, y) pixel coordinates.

    Returns:
        (node_ids, points_xy_px, edge_index): node ids in ``graph.nodes`` order, (N, 2)
        float64 (x, y) pixel coordinates, (2, E) int64 indices into that order (self-loops
        dropped).

    Raises:
        ValueError: a node without a finite 2-element ``xy`` attribute.
    """
    node_ids = list(graph.nodes)
    points = np.zeros((len(node_ids), 2), dtype=np.float64)
    for i, node in enumerate(node_ids):
        xy = graph.nodes[node].get("xy")
        if xy is None or len(xy) != 2:
            raise ValueError(f"Node {node!r} has no 'xy' = (x, y) pixel attribute.")
        points[i] = xy
    if not np.all(np.isfinite(points)):
        raise ValueError("Some node 'xy' coordinates are NaN or infinite.")
    index = {node: i for i, node in enumerate(node_ids)}
    pairs = [(index[u], index[v]) for u, v in graph.edges if u != v]
    edge_index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).T.copy()
    return node_ids, points, edge_index


def graph_from_arrays(points_xy_px: np.ndarray, edge_index: np.ndarray) -> nx.Graph:
    """Graph with nodes 0..N-1 (attribute ``xy``) and the given undirected edges.

    Args:
        points_xy_px: (N, 2) (x, y) pixel coordinates.
        edge_index: (2, E) integer vertex indices; self-loops are dropped.

    Returns:
        ``networkx.Graph`` in this package's representation.

    Raises:
        ValueError: wrong shapes or indices outside [0, N).
    """
    points = np.asarray(points_xy_px, dtype=np.float64)
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points_xy_px must be (N, 2), got {points.shape}.")
    if edges.size and (edges.min() < 0 or edges.max() >= points.shape[0]):
        raise ValueError("edge_index refers to vertices outside [0, N).")
    graph = nx.Graph()
    graph.add_nodes_from((i, {"xy": (float(x), float(y))}) for i, (x, y) in enumerate(points))
    graph.add_edges_from((int(u), int(v)) for u, v in edges.T if u != v)
    return graph


def _graph_from_polylines(coords: np.ndarray, part: np.ndarray, snap_px: float) -> nx.Graph:
    """Nodes = polyline vertices merged within ``snap_px``; edges = consecutive vertices."""
    if coords.shape[0] == 0:
        return nx.Graph()
    n = coords.shape[0]
    if snap_px > 0:
        pairs = cKDTree(coords).query_pairs(snap_px, output_type="ndarray")
        adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, label = connected_components(adj, directed=False)
    else:
        _, label = np.unique(coords, axis=0, return_inverse=True)
        label = label.reshape(-1)
    num = int(label.max()) + 1
    counts = np.bincount(label, minlength=num).astype(np.float64)
    node_xy = np.column_stack(
        [
            np.bincount(label, coords[:, 0], num) / counts,
            np.bincount(label, coords[:, 1], num) / counts,
        ]
    )
    same_part = part[1:] == part[:-1]
    u, v = label[:-1][same_part], label[1:][same_part]
    return graph_from_arrays(node_xy, np.stack([u, v]))


# ---------------------------------------------------------------------------------------------
# (a) Vector centerlines


def graph_from_vector_lines(
    path: str | os.PathLike,
    transform,
    crs,
    width_px: int,
    height_px: int,
    *,
    layer: str | int | None = None,
    snap_px: float = 0.5,
    clip: bool = True,
) -> nx.Graph:
    """Road graph from vector centerlines, in the pixel frame of a raster.

    Lines are reprojected to the raster CRS when their CRS differs (pyproj, traditional
    x/y axis order), mapped to pixels with the inverse of ``transform``, clipped to the raster
    extent (new degree-1 nodes appear on the border), and split into one edge per pair of
    consecutive vertices. Vertices closer than ``snap_px`` (transitively) become one node,
    which joins lines that share end points. Lines that cross without a shared vertex stay
    unconnected (overpasses/underpasses; no noding is done).

    Args:
        path: vector file readable by GDAL/OGR (GeoJSON, GeoPackage, Shapefile, ...).
        transform: the raster's affine pixel -> map transform: a ``rasterio``/``affine``
            ``Affine`` or its (a, b, c, d, e, f) coefficients (not GDAL's GeoTransform order).
        crs: the raster CRS (anything ``pyproj.CRS.from_user_input`` accepts, e.g. a
            rasterio CRS or "EPSG:32611").
        width_px: raster width in pixels (clip extent).
        height_px: raster height in pixels (clip extent).
        layer: layer name or index for multi-layer sources; ``None`` = first layer.
        snap_px: merge distance for vertices, in pixels (0 = exact coordinate matches only).
        clip: clip to [0, width_px] x [0, height_px]; ``False`` keeps lines outside.

    Returns:
        Graph in this package's representation (nodes 0..N-1 with ``xy``).

    Raises:
        ValueError: no CRS on the vector source, geometries that are not (multi)lines, a
            non-invertible transform or non-positive raster size.
    """
    import pyogrio
    import shapely
    from affine import Affine
    from pyproj import CRS, Transformer

    if width_px <= 0 or height_px <= 0:
        raise ValueError(f"Raster size must be positive, got {width_px} x {height_px} px.")
    fwd = Affine(*tuple(transform)[:6])
    if abs(fwd.determinant) < 1e-300:
        raise ValueError("The raster transform is not invertible (zero pixel size).")
    inv = ~fwd
    meta, _, wkb, _ = pyogrio.raw.read(path, layer=layer, columns=[], force_2d=True)
    geoms = shapely.from_wkb(wkb)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    types = set(shapely.get_type_id(geoms).tolist())
    if not types <= {1, 5}:  # LineString, MultiLineString
        raise ValueError(
            f"{os.fspath(path)} holds non-line geometries (type ids {sorted(types)}); "
            "pass road centerlines as LineString/MultiLineString features."
        )
    if meta.get("crs") is None:
        raise ValueError(f"{os.fspath(path)} has no CRS; assign one (e.g. in QGIS) and retry.")
    src_crs = CRS.from_user_input(meta["crs"])
    dst_crs = CRS.from_user_input(crs)
    if geoms.size and not src_crs.equals(dst_crs, ignore_axis_order=True):
        to_dst = Transformer.from_crs(src_crs, dst_crs, always_xy=True)
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(to_dst.transform(xy[:, 0], xy[:, 1]))
        )
    geoms = shapely.transform(
        geoms,
        lambda xy: np.column_stack(
            (
                inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c,
                inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f,
            )
        ),
    )
    if clip:
        geoms = shapely.clip_by_rect(geoms, 0.0, 0.0, float(width_px), float(height_px))
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 1]  # clipping may leave points or empties
    coords, part = shapely.get_coordinates(parts, return_index=True)
    return _graph_from_polylines(coords, part, float(snap_px))


def graph_from_vector_lines_for_raster(
    vector_path: str | os.PathLike,
    raster_path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    snap_px: float = 0.5,
    clip: bool = True,
) -> nx.Graph:
    """:func:`graph_from_vector_lines` with transform, CRS and size read from a raster file.

    Raises:
        ValueError: the raster has no CRS, plus the errors of :func:`graph_from_vector_lines`.
    """
    import rasterio

    with rasterio.open(raster_path) as src:
        if src.crs is None:
            raise ValueError(f"{os.fspath(raster_path)} has no CRS; georeference it first.")
        transform, crs, width, height = src.transform, src.crs, src.width, src.height
    return graph_from_vector_lines(
        vector_path, transform, crs, width, height, layer=layer, snap_px=snap_px, clip=clip
    )


# ---------------------------------------------------------------------------------------------
# (b) Sat2Graph-style adjacency pickles

_ALLOWED_PICKLE_TYPES = (dict, list, tuple, int, float)


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global: dict/list/tuple/int/float need none."""

    def find_class(self, module: str, name: str):
        raise ValueError(
            f"Refusing to unpickle global '{module}.{name}': adjacency pickles may only hold "
            "dict, list, tuple, int and float. Re-save the graph with plain Python types."
        )

    def persistent_load(self, pid):
        raise ValueError("Refusing a pickle with persistent ids; it is not a plain adjacency dict.")


def _check_plain_types(obj) -> None:
    """Reject any object of a type outside dict/list/tuple/int/float (exact types)."""
    stack, seen = [obj], set()
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind not in _ALLOWED_PICKLE_TYPES:
            raise ValueError(
                f"Refusing pickled object of type '{kind.__name__}': adjacency pickles may only "
                "hold dict, list, tuple, int and float."
            )
        if kind in (dict, list, tuple):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if kind is dict:
                stack.extend(item.keys())
                stack.extend(item.values())
            else:
                stack.extend(item)


def loads_adjacency_pickle(data: bytes) -> dict:
    """Unpickle bytes that may only contain dict, list, tuple, int and float.

    Globals (classes, functions such as ``os.system``, numpy arrays/scalars) are refused
    before anything is constructed; opcodes that build other builtins without a global (set,
    bytes, str, bool) are caught by a type check of the result.

    Args:
        data: pickle bytes (any protocol; Python 2 pickles included).

    Returns:
        The unpickled top-level dict.

    Raises:
        ValueError: a refused global or type (named in the message), a corrupt pickle, or a
            top-level object that is not a dict.
    """
    try:
        obj = _NoGlobalsUnpickler(io.BytesIO(data), encoding="bytes").load()
    except ValueError:
        raise
    except Exception as exc:  # corrupt/truncated data raises many exception types
        raise ValueError(f"Not a readable pickle: {exc}") from exc
    _check_plain_types(obj)
    if type(obj) is not dict:
        raise ValueError(
            f"Expected a dict {{(row, col): [(row, col), ...]}}, got {type(obj).__name__}."
        )
    return obj


def load_adjacency_pickle(path: str | os.PathLike) -> dict:
    """Read a Sat2Graph / City-scale / Global-scale adjacency pickle file safely.

    See :func:`loads_adjacency_pickle` for what is accepted.

    Raises:
        ValueError: see :func:`loads_adjacency_pickle`.
        OSError: the file cannot be read.
    """
    with open(path, "rb") as fh:
        return loads_adjacency_pickle(fh.read())


def _row_col(key, what: str) -> tuple[float, float]:
    if type(key) not in (tuple, list) or len(key) != 2:
        raise ValueError(f"{what} must be a (row, col) pair, got {key!r}.")
    try:
        row, col = float(key[0]), float(key[1])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must hold two numbers (row, col), got {key!r}.") from exc
    if not (np.isfinite(row) and np.isfinite(col)):
        raise ValueError(f"{what} must hold finite numbers, got {key!r}.")
    return row, col


def graph_from_adjacency(adjacency: dict, *, center_offset_px: float = 0.5) -> nx.Graph:
    """Graph from a ``{(row, col): [(row, col), ...]}`` adjacency dict.

    The dicts' (row, col) name a pixel; the node goes to ``(col + offset, row + offset)`` in
    our (x, y) frame (default: the pixel centre). Node ids are 0..N-1 in sorted (row, col)
    order; neighbours missing from the keys are added; self-loops are dropped.

    Args:
        adjacency: mapping of (row, col) to a list/tuple of neighbour (row, col).
        center_offset_px: added to both coordinates (0.5 = pixel centre, 0 = corner).

    Returns:
        Graph in this package's representation.

    Raises:
        ValueError: keys or neighbours that are not numeric (row, col) pairs.
    """
    coords: dict[tuple[float, float], int] = {}
    pairs: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for key, neighbours in adjacency.items():
        u = _row_col(key, "A key")
        coords.setdefault(u, 0)
        if type(neighbours) not in (list, tuple):
            raise ValueError(
                f"Neighbours of {key!r} must be a list of (row, col), got {neighbours!r}."
            )
        for nb in neighbours:
            v = _row_col(nb, f"A neighbour of {key!r}")
            coords.setdefault(v, 0)
            pairs.append((u, v))
    ordered = sorted(coords)
    index = {rc: i for i, rc in enumerate(ordered)}
    points = np.asarray([(c + center_offset_px, r + center_offset_px) for r, c in ordered])
    edges = np.asarray([(index[u], index[v]) for u, v in pairs], dtype=np.int64).reshape(-1, 2)
    return graph_from_arrays(points.reshape(-1, 2), edges.T)


def graph_from_adjacency_pickle(
    path: str | os.PathLike, *, center_offset_px: float = 0.5
) -> nx.Graph:
    """Read a Sat2Graph-style pickle safely and convert it (see :func:`graph_from_adjacency`).

    Raises:
        ValueError: refused content or malformed adjacency.
        OSError: the file cannot be read.
    """
    return graph_from_adjacency(load_adjacency_pickle(path), center_offset_px=center_offset_px)


# ---------------------------------------------------------------------------------------------
# (c) Skeletons of small centerline-derived masks


def _polyline_length_px(path: np.ndarray) -> float:
    return float(np.hypot(*np.diff(path, axis=0).T).sum())


def graph_from_centerline_mask(
    mask: np.ndarray,
    *,
    vertex_spacing_px: float = 5.0,
    prune_spur_px: float = 10.0,
    threshold: float = 0.0,
) -> nx.Graph:
    """Road graph from the skeleton of a small binary centerline-derived mask.

    Steps: ``mask > threshold`` -> skimage ``skeletonize`` -> the geo core's skeleton graph
    (:func:`backend.geo.vectorize.trace_skeleton` and ``build_centerline_graph``: redundant
    diagonals dropped, nodes at ends and junctions, touching junction pixels merged, closed
    loops kept with one node) -> dangling chains off a junction shorter than
    ``prune_spur_px`` removed (``prune_spurs``) -> each chain resampled to vertices about
    ``vertex_spacing_px`` apart (arc length). Isolated pixels are dropped.

    Meant for 400-1500 px training tiles (Massachusetts-style labels); large rasters are
    vectorised tile by tile in ``backend.geo.vectorize``.

    Args:
        mask: (H, W) array; pixels > ``threshold`` are road.
        vertex_spacing_px: target distance between consecutive polyline vertices (pixels).
        prune_spur_px: dangling chains shorter than this (pixels) are removed; 0 keeps all.
        threshold: foreground threshold on ``mask`` values.

    Returns:
        Graph in this package's representation, (x, y) at pixel centres.

    Raises:
        ValueError: a mask that is not 2-D, larger than 4096 x 4096 pixels, or a
            non-positive vertex spacing.
    """
    from skimage.morphology import skeletonize

    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"mask must be a 2-D (H, W) array, got shape {arr.shape}.")
    if arr.size > _MAX_SKELETON_PIXELS:
        raise ValueError(
            f"mask has {arr.shape[0]} x {arr.shape[1]} pixels; this helper is for training "
            "tiles up to 4096 x 4096. Use backend.geo.vectorize for large rasters."
        )
    if not vertex_spacing_px > 0:
        raise ValueError(f"vertex_spacing_px must be > 0, got {vertex_spacing_px!r}.")
    # Tracing, junction merging and spur pruning are the geo core's; only the resampling to
    # evenly spaced vertices is specific to training graphs.
    chains = build_centerline_graph(trace_skeleton(skeletonize(arr > threshold), (0, 0)),
                                    simplify_px=0.0)
    prune_spurs(chains, _polyline_length_px, prune_spur_px)
    graph = nx.Graph()
    new_id = {}
    for node, data in chains.nodes(data=True):
        new_id[node] = len(new_id)
        graph.add_node(new_id[node], xy=(float(data["xy"][0]), float(data["xy"][1])))
    next_id = len(new_id)
    for a, b, data in chains.edges(data=True):
        xy_a, xy_b = np.asarray(chains.nodes[a]["xy"]), np.asarray(chains.nodes[b]["xy"])
        pts = np.asarray(data["path"], dtype=np.float64)
        if np.abs(pts[0] - xy_a).sum() > np.abs(pts[-1] - xy_a).sum():
            pts = pts[::-1].copy()
        pts[0], pts[-1] = xy_a, xy_b
        length = _polyline_length_px(pts)
        arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
        n_seg = max(1, int(round(length / vertex_spacing_px)))
        if a == b:
            n_seg = max(n_seg, 3)  # a loop needs two inner vertices to stay a simple cycle
            if length < 3.0:
                continue
        targets = np.linspace(0.0, length, n_seg + 1)[1:-1]
        inner = np.column_stack(
            (np.interp(targets, arc, pts[:, 0]), np.interp(targets, arc, pts[:, 1]))
        )
        chain_nodes = [new_id[a]]
        for x, y in inner:
            graph.add_node(next_id, xy=(float(x), float(y)))
            chain_nodes.append(next_id)
            next_id += 1
        chain_nodes.append(new_id[b])
        graph.add_edges_from(
            (u, v) for u, v in zip(chain_nodes[:-1], chain_nodes[1:], strict=True) if u != v
        )
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return nx.convert_node_labels_to_integers(graph, ordering="sorted")
