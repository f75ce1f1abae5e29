"""Training targets (Sec. 3.5, Appendix E): masks, Algorithms 3 and 4, candidate labels."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import ndimage

from backend.methods.linegraph2road.targets import (
    RefinementParams,
    find_crossings,
    interpolation_distances,
    keypoint_flags,
    label_edges_on_ground_truth,
    make_training_targets,
    rasterize_discs,
    rasterize_road_mask,
    refine_overpasses,
)

D_R = 16.0


def _graph(nodes: dict, edges: list) -> nx.Graph:
    g = nx.Graph()
    for key, (x, y) in nodes.items():
        g.add_node(key, xy=(float(x), float(y)))
    g.add_edges_from(edges)
    return g


def _polyline_graph(prefix: str, xy: np.ndarray) -> nx.Graph:
    nodes = {(prefix, i): p for i, p in enumerate(xy)}
    return _graph(nodes, [((prefix, i), (prefix, i + 1)) for i in range(len(xy) - 1)])


def _positives(t) -> set[frozenset]:
    pos = t.edge_index[:, t.edge_labels == 1]
    return {frozenset(map(tuple, t.vertices_xy_px[list(p)].tolist())) for p in pos.T}


# --------------------------------------------------------------------------- keypoints, masks


def test_keypoint_flags_degree_and_angle_rule():
    def node_with_angle(cx, deg):
        a = np.radians(deg)
        return [(cx, 0.0), (cx + 10.0, 0.0), (cx + 10 * np.cos(a), 10 * np.sin(a))]

    pts, edges = [], []
    for deg in (90, 61, 119, 59, 121, 180):  # degree-2 nodes with that angle
        base = len(pts)
        pts += node_with_angle(100.0 * len(edges), deg)
        edges += [(base, base + 1), (base, base + 2)]
    base = len(pts)
    pts += [(900.0, 0.0), (910.0, 0.0), (900.0, 10.0), (890.0, 0.0), (950.0, 50.0)]
    edges += [(base, base + 1), (base, base + 2), (base, base + 3)]  # degree 3, ends, isolated
    flags = keypoint_flags(np.array(pts), np.array(edges).T)
    centres = flags[[3 * k for k in range(6)]].tolist()
    assert centres == [True, True, True, False, False, False]
    assert flags[[1, 2]].tolist() == [True, True]  # degree-1 ends
    assert flags[base : base + 5].tolist() == [True] * 5  # degree 3, 1, 1, 1, 0


def test_rasterize_road_mask_width_three():
    mask = rasterize_road_mask(
        np.array([[0.5, 10.5], [20.5, 10.5]]), np.array([[0], [1]]), (20, 30)
    )
    assert mask.dtype == np.uint8
    assert np.all(mask[9:12, 0:21] == 1)
    assert not mask[8].any() and not mask[12].any()
    assert not mask[:, 22:].any()


def test_rasterize_discs_radius_three():
    mask = rasterize_discs(np.array([[10.5, 10.5], [-50.0, -50.0]]), (30, 30), radius_px=3.0)
    assert int(mask.sum()) == 29  # integer offsets with dx^2 + dy^2 <= 9
    assert mask[10, 13] == 1 and mask[10, 14] == 0 and mask[12, 12] == 1


# --------------------------------------------------------------------------- Algorithm 4


@pytest.mark.parametrize("seed", range(20))
def test_interpolation_distances_follow_algorithm_4(seed):
    rng = np.random.default_rng(seed)
    length = float(rng.uniform(0, 300))
    dist = interpolation_distances(length, D_R, rng)
    steps = np.diff(np.concatenate([[0.0], dist]))
    assert np.all(steps >= D_R) and np.all(steps < 2 * D_R - 1)
    last = dist[-1] if dist.size else 0.0
    assert last + D_R - 1 < length or dist.size == 0
    assert last + 2 * D_R - 1 >= length  # the while condition ended the loop
    assert np.array_equal(
        interpolation_distances(length, D_R, np.random.default_rng(99)),
        interpolation_distances(length, D_R, np.random.default_rng(99)),
    )


def test_interpolation_distances_short_line_and_bad_radius():
    assert interpolation_distances(31.0, D_R, np.random.default_rng(0)).size == 0
    with pytest.raises(ValueError, match="d_r_px"):
        interpolation_distances(100.0, 1.0, np.random.default_rng(0))


# --------------------------------------------------------------------------- labels


def test_labels_on_l_shape_and_t_junction_exact():
    """Arms shorter than 2 d_r - 1: no interpolation, vertices are the graph nodes."""
    g = _graph(
        {
            "l_end1": (20.5, 20.5),
            "l_corner": (50.5, 20.5),
            "l_end2": (50.5, 50.5),
            "t_j": (150.5, 100.5),
            "t_w": (120.5, 100.5),
            "t_e": (180.5, 100.5),
            "t_s": (150.5, 130.5),
        },
        [("l_end1", "l_corner"), ("l_corner", "l_end2"), ("t_j", "t_w"), ("t_j", "t_e")]
        + [("t_j", "t_s")],
    )
    t = make_training_targets(g, 200, 200)
    assert t.vertices_xy_px.shape == (7, 2)
    assert t.vertex_is_keypoint.all()  # ends, a 90-degree corner, a junction
    assert not t.vertex_is_overpass.any()
    expected = {
        frozenset({(20.5, 20.5), (50.5, 20.5)}),
        frozenset({(50.5, 20.5), (50.5, 50.5)}),
        frozenset({(150.5, 100.5), (120.5, 100.5)}),
        frozenset({(150.5, 100.5), (180.5, 100.5)}),
        frozenset({(150.5, 100.5), (150.5, 130.5)}),
    }
    assert _positives(t) == expected
    # Negatives: the L's two ends (42 px) and the T's end pairs (42, 42 and 60 px).
    assert t.edge_index.shape[1] == 9 and int(t.edge_labels.sum()) == 5
    assert t.road_mask.shape == (200, 200) and t.road_mask[20, 35] == 1
    assert t.keypoint_mask[20, 50] == 1 and t.keypoint_mask[20, 35] == 0
    assert not t.overpass_mask.any()


@pytest.mark.parametrize("seed", range(3))
def test_labels_are_consecutive_vertices_along_long_arms(seed):
    """Long arms get interpolated vertices; positives are exactly consecutive vertices."""
    corner, junction = np.array([60.5, 40.5]), np.array([250.5, 150.5])
    l_arms = [np.array([1.0, 0.0]) * 150, np.array([0.0, 1.0]) * 130]
    t_arms = [np.array([-1.0, 0.0]) * 120, np.array([1.0, 0.0]) * 100, np.array([0.0, 1.0]) * 90]
    nodes = {"c": corner, "l0": corner + l_arms[0], "l1": corner + l_arms[1], "j": junction}
    nodes.update({f"t{k}": junction + arm for k, arm in enumerate(t_arms)})
    g = _graph(nodes, [("c", "l0"), ("c", "l1"), ("j", "t0"), ("j", "t1"), ("j", "t2")])
    t = make_training_targets(g, 300, 400, seed=seed)
    xy = t.vertices_xy_px

    expected = set()
    covered: set[int] = set()
    for centre, arms in ((corner, l_arms), (junction, t_arms)):
        for arm in arms:
            unit = arm / np.linalg.norm(arm)
            rel = xy - centre
            along = rel @ unit
            across = np.abs(rel @ np.array([-unit[1], unit[0]]))
            on_arm = np.flatnonzero((across < 1e-6) & (along > 1e-6))
            chain = [int(np.flatnonzero(np.all(np.abs(rel) < 1e-6, axis=1))[0])]
            chain += on_arm[np.argsort(along[on_arm])].tolist()
            gaps = np.diff(np.sort(along[on_arm]))
            assert np.all(gaps >= D_R - 1e-9)  # interpolated vertices survive NMS
            expected |= {frozenset(p) for p in zip(chain[:-1], chain[1:], strict=True)}
            covered.update(chain)
    assert covered == set(range(len(xy)))  # every vertex lies on an arm
    got = {frozenset(p) for p in t.edge_index[:, t.edge_labels == 1].T.tolist()}
    assert got == expected
    assert t.num_positive_beyond_d_nei == 0
    assert len(xy) > 7  # interpolation happened


def test_parallel_roads_closer_than_d_r_never_link():
    """NMS suppresses vertices of the lower road; labels still follow each road only."""
    xs = np.linspace(20.5, 300.5, 15)
    g = nx.union(
        _polyline_graph("a", np.column_stack((xs, np.full_like(xs, 100.5)))),
        _polyline_graph("b", np.column_stack((xs, np.full_like(xs, 110.5)))),
    )
    t = make_training_targets(g, 200, 320, seed=3)
    xy = t.vertices_xy_px
    road = np.where(np.isclose(xy[:, 1], 100.5), 0, np.where(np.isclose(xy[:, 1], 110.5), 1, -1))
    assert np.all(road >= 0)
    assert np.sum(road == 1) < np.sum(road == 0)  # road b lost vertices to NMS
    n = len(xy)
    expected = set()
    beyond = 0
    for r in (0, 1):
        idx = np.flatnonzero(road == r)
        idx = idx[np.argsort(xy[idx, 0])]
        for u, v in zip(idx[:-1], idx[1:], strict=True):
            if xy[v, 0] - xy[u, 0] <= 64.0:
                expected.add((min(u, v), max(u, v)))
            else:
                beyond += 1
    got = {tuple(p) for p in t.edge_index[:, t.edge_labels == 1].T.tolist()}
    assert got == expected
    assert t.num_positive_beyond_d_nei == beyond
    assert n == len({tuple(p) for p in xy.tolist()})


# --------------------------------------------------------------------------- Algorithm 3


def _dense_crossing() -> nx.Graph:
    steps = np.arange(10.0, 191.0, 5.0)
    a = np.column_stack((steps, np.full_like(steps, 100.3)))
    b = np.column_stack((np.full_like(steps, 101.7), steps))
    return nx.union(_polyline_graph("a", a), _polyline_graph("b", b))


def test_find_crossings_ignores_shared_nodes_and_counts_touching():
    pts = np.array([[0, 0], [10, 0], [5, -5], [5, 5], [10, 10], [5, 0.0]])
    edges = np.array([[0, 2, 1, 5], [1, 3, 4, 3]])  # 0-1 x 2-3 cross; 1-4 shares node 1
    pairs, where = find_crossings(pts, edges)
    assert pairs.tolist() == [[0, 1], [0, 3]]  # 5-3 touches 0-1 at (5, 0)
    assert np.allclose(where, [[5, 0], [5, 0]])


def test_refinement_keeps_true_crossing_of_long_edges():
    g = _graph({0: (10, 100), 1: (190, 100), 2: (100, 10), 3: (100, 190)}, [(0, 1), (2, 3)])
    res = refine_overpasses(g)
    assert res.converged and res.iterations == 1
    assert sorted(res.overpass_nodes) == [0, 1, 2, 3]
    assert np.allclose(res.crossing_points_xy_px, [[100, 100]])


def test_refinement_resolves_overshooting_dead_end():
    """A side road ending 3 px past the main road: a false crossing, resolved by retracting."""
    g = _graph({0: (10.5, 100.5), 1: (190.5, 100.5), 2: (100.5, 103.5), 3: (100.5, 20.5)},
               [(0, 1), (2, 3)])  # fmt: skip
    res = refine_overpasses(g)
    assert res.converged
    assert res.overpass_nodes == [] and res.crossing_points_xy_px.shape == (0, 2)
    x, y = res.graph.nodes[2]["xy"]
    assert x == 100.5 and 99.0 <= y < 100.5  # moved back to the side it comes from
    assert g.nodes[2]["xy"] == (100.5, 103.5)  # input untouched


def test_refinement_pushes_dense_crossing_endpoints_tau_away():
    params = RefinementParams()
    res = refine_overpasses(_dense_crossing(), params)
    assert res.converged
    assert len(res.crossing_edges) == 1 and len(res.overpass_nodes) == 4
    p = res.crossing_points_xy_px[0]
    for node in res.overpass_nodes:
        d = np.hypot(*(np.asarray(res.graph.nodes[node]["xy"]) - p))
        assert params.tau_px <= d < params.tau_px + 5.0 + params.alpha_px


def test_overpass_targets_on_dense_crossing():
    t = make_training_targets(_dense_crossing(), 200, 200, seed=0)
    p = np.array([101.7, 100.3])
    # Overpass mask: four discs around the crossing, nothing elsewhere.
    _, n_blobs = ndimage.label(t.overpass_mask)
    assert n_blobs == 4
    rows, cols = np.nonzero(t.overpass_mask)
    assert np.hypot(cols + 0.5 - p[0], rows + 0.5 - p[1]).max() < 8.0 + 5.0 + 1.0 + 3.0 + 1.0
    # No keypoint at the crossing (the roads do not meet there).
    rows, cols = np.nonzero(t.keypoint_mask)
    assert np.hypot(cols + 0.5 - p[0], rows + 0.5 - p[1]).min() > 50
    # The roads stay unconnected: every positive joins two vertices of one road.
    on_a = np.isclose(t.vertices_xy_px[:, 1], 100.3)
    on_b = np.isclose(t.vertices_xy_px[:, 0], 101.7)
    assert np.all(on_a ^ on_b)
    pos = t.edge_index[:, t.edge_labels == 1]
    assert np.all(on_a[pos[0]] == on_a[pos[1]])
    assert int(t.vertex_is_overpass.sum()) == 4
    assert np.all(np.hypot(*(t.vertices_xy_px[t.vertex_is_overpass] - p).T) >= 8.0)


def test_ring_road_without_keypoints_stays_a_cycle():
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    ring = np.column_stack((100 + 60 * np.cos(angles), 100 + 60 * np.sin(angles)))
    g = _polyline_graph("ring", ring)
    g.add_edge(("ring", 39), ("ring", 0))
    t = make_training_targets(g, 200, 200, seed=2)
    pos = t.edge_index[:, t.edge_labels == 1]
    assert not t.vertex_is_keypoint.any()
    assert np.bincount(pos.ravel(), minlength=len(t.vertices_xy_px)).tolist() == [2] * len(
        t.vertices_xy_px
    )
    assert nx.is_connected(nx.Graph(pos.T.tolist()))


def test_targets_are_deterministic_per_seed():
    g = _polyline_graph("r", np.array([[10.5, 10.5], [390.5, 10.5], [390.5, 290.5]]))
    a = make_training_targets(g, 300, 400, seed=5)
    b = make_training_targets(g, 300, 400, seed=5)
    c = make_training_targets(g, 300, 400, seed=6)
    assert np.array_equal(a.vertices_xy_px, b.vertices_xy_px)
    assert np.array_equal(a.edge_labels, b.edge_labels)
    assert not np.array_equal(a.vertices_xy_px, c.vertices_xy_px)


def test_vertices_outside_image_are_dropped():
    g = _polyline_graph("r", np.array([[-40.5, 50.5], [10.5, 50.5], [40.5, 50.5]]))
    t = make_training_targets(g, 100, 100)
    assert np.all(t.vertices_xy_px >= 0)
    assert t.vertices_xy_px.shape[0] >= 2


@pytest.mark.parametrize(
    "kwargs",
    [{"tau_px": 0}, {"merge_period": 0}, {"gamma_px": -1}, {"max_iterations": 0}],
)
def test_refinement_params_validated(kwargs):
    with pytest.raises(ValueError, match="RefinementParams"):
        RefinementParams(**kwargs)


def test_bad_image_size_rejected():
    with pytest.raises(ValueError, match="height_px, width_px"):
        make_training_targets(nx.Graph(), 0, 10)


def test_own_vertex_edges_labelled_along_the_ground_truth_without_skipping():
    # Ground truth: an L (horizontal road y = 50 from x = 0 to 100, then down x = 100).
    gt = np.array([[[0, 50], [100, 50]], [[100, 50], [100, 150]]], dtype=float)
    pts = np.array(
        [
            [10, 53],  # 0: on the road, 3 px off its centerline
            [40, 48],  # 1: on the road
            [70, 50],  # 2: on the road
            [40, 90],  # 3: off the road (40 px below it)
            [100, 80],  # 4: on the vertical leg
            [96, 54],  # 5: in the corner
        ]
    )
    edges = np.array([[0, 1], [1, 2], [0, 2], [1, 3], [2, 5], [5, 4], [2, 4]]).T
    labels = label_edges_on_ground_truth(pts, edges, gt)
    # 0-1, 1-2: along the road; 0-2 skips vertex 1; 1-3 leaves the road; 2-5, 5-4 follow
    # the corner; 2-4 cuts it (its middle is about 14 px from the road).
    assert labels.tolist() == [1, 1, 0, 0, 1, 1, 0]
    assert label_edges_on_ground_truth(pts, edges, gt, tolerance_px=2.0)[0] == 0  # 3 px off
    # A 29 px cap drops 0-1 (30.4 px) and 1-2 (30.1 px), keeps 2-5 and 5-4 (26.3 px).
    capped = label_edges_on_ground_truth(pts, edges, gt, max_length_px=29.0)
    assert capped.tolist() == [0, 0, 0, 0, 1, 1, 0]
    assert label_edges_on_ground_truth(pts, edges, np.zeros((0, 2, 2))).tolist() == [0] * 7
    assert label_edges_on_ground_truth(pts, np.zeros((2, 0), int), gt).shape == (0,)
    with pytest.raises(ValueError, match="outside"):
        label_edges_on_ground_truth(pts, np.array([[0], [6]]), gt)
    with pytest.raises(ValueError, match="n_samples"):
        label_edges_on_ground_truth(pts, edges, gt, n_samples=1)
