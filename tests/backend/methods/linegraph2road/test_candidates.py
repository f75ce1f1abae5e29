"""Candidate edges within d_nei and the line graph L(G) (Sec. 3.4, Definition 1)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backend.methods.linegraph2road.candidates import candidate_edges, line_graph


def _brute_line_graph(edge_index: np.ndarray) -> set[tuple[int, int]]:
    edges = [set(e) for e in edge_index.T.tolist()]
    return {(e, f) for e, f in itertools.permutations(range(len(edges)), 2) if edges[e] & edges[f]}


def test_candidate_edges_inclusive_radius_and_order():
    pts = np.array([[0.0, 0.0], [64.0, 0.0], [0.0, 64.001], [10.0, 10.0]])
    ei = candidate_edges(pts, 64.0)
    assert ei.dtype == np.int64
    # (0, 1) at exactly d_nei is a candidate; (0, 2) at 64.001 px is not.
    assert ei.T.tolist() == [[0, 1], [0, 3], [1, 3], [2, 3]]


@pytest.mark.parametrize("seed", range(4))
def test_candidate_edges_match_bruteforce(seed):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 300, size=(150, 2))
    ei = candidate_edges(pts, 64.0)
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    ref = [[i, j] for i in range(150) for j in range(i + 1, 150) if dist[i, j] <= 64.0]
    assert ei.T.tolist() == ref
    assert np.all(ei[0] < ei[1])


def test_line_graph_of_star_is_triangle():
    star = np.array([[0, 0, 0], [1, 2, 3]])
    lg = line_graph(star, 4)
    assert lg.T.tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]


@pytest.mark.parametrize("seed", range(6))
def test_line_graph_matches_bruteforce_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    m = int(rng.integers(0, min(len(all_pairs), 120) + 1))
    chosen = rng.choice(len(all_pairs), size=m, replace=False)
    edges = np.array([all_pairs[k] for k in chosen], dtype=np.int64).reshape(-1, 2).T
    flip = rng.random(edges.shape[1]) < 0.5  # orientation must not matter
    edges[:, flip] = edges[::-1, flip]
    lg = line_graph(edges, n)
    got = [tuple(p) for p in lg.T.tolist()]
    assert len(got) == len(set(got))
    assert set(got) == _brute_line_graph(edges)
    assert got == sorted(got)
    deg = np.bincount(edges.ravel(), minlength=n)
    assert lg.shape[1] == int(np.sum(deg * (deg - 1)))


def test_line_graph_of_candidates_from_points():
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 200, size=(60, 2))
    ei = candidate_edges(pts, 64.0)
    lg = line_graph(ei, 60)
    assert {tuple(p) for p in lg.T.tolist()} == _brute_line_graph(ei)


@pytest.mark.parametrize(
    ("edges", "n", "match"),
    [
        (np.array([[0, 1], [1, 1]]), 2, "self-loops"),
        (np.array([[0, 1], [1, 0]]), 2, "twice"),
        (np.array([[0], [5]]), 3, "outside"),
        (np.zeros((3, 2), dtype=np.int64), 3, "shape"),
        (np.array([[0.0], [1.0]]), 2, "integer"),
    ],
)
def test_line_graph_rejects_bad_input(edges, n, match):
    with pytest.raises(ValueError, match=match):
        line_graph(edges, n)


def test_empty_inputs():
    assert candidate_edges(np.zeros((1, 2))).shape == (2, 0)
    assert line_graph(np.zeros((2, 0), dtype=np.int64), 5).shape == (2, 0)
