"""Coupled NMS (Algorithm 1): hand-made maps, the Appendix A.2 situation, brute-force equality."""

from __future__ import annotations

import time

import numpy as np
import pytest

from backend.methods.linegraph2road.nms import coupled_nms, coupled_nms_points, nms_points

D_K, D_R, D_NEI = 8.0, 16.0, 64.0


def _brute_greedy(cands: list[tuple[float, float, float]], radius: float) -> list[tuple]:
    """O(N^2) greedy NMS on (score, x, y) already in processing order."""
    kept: list[tuple] = []
    for c in cands:
        if all((c[1] - k[1]) ** 2 + (c[2] - k[2]) ** 2 >= radius**2 for k in kept):
            kept.append(c)
    return kept


def _brute_candidates(prob: np.ndarray, t: float) -> list[tuple[float, float, float]]:
    rows, cols = np.nonzero(prob > t)
    cands = [(float(prob[r, c]), c + 0.5, r + 0.5) for r, c in zip(rows, cols, strict=True)]
    return sorted(cands, key=lambda c: -c[0])  # stable: row-major among ties


def _brute_coupled(kp, road, ov, t_k, t_r, d_k, d_r) -> set[tuple]:
    """Algorithm 1 line by line, with quadratic loops."""
    v_o = _brute_greedy(_brute_candidates(kp, t_k), d_k)
    v_k = _brute_greedy(_brute_candidates(ov, t_k), d_k) if ov is not None else []
    prio = {(x, y) for _, x, y in v_o} | {(x, y) for _, x, y in v_k}
    road_c = [
        c
        for c in _brute_candidates(road, t_r)
        if all((c[1] - x) ** 2 + (c[2] - y) ** 2 >= d_r**2 for x, y in prio)
    ]
    v = _brute_greedy(road_c, d_r)
    kp_set = {(x, y) for _, x, y in v_o}
    ov_set = {(x, y) for _, x, y in v_k}
    out = {(x, y, (x, y) in kp_set, (x, y) in ov_set) for x, y in prio}
    return out | {(x, y, False, False) for _, x, y in v}


def _as_set(v) -> set[tuple]:
    return {
        (float(x), float(y), bool(k), bool(o))
        for (x, y), k, o in zip(v.points_xy_px, v.is_keypoint, v.is_overpass, strict=True)
    }


def test_road_line_with_keypoint_exact_vertices():
    road = np.zeros((20, 100))
    road[10, :] = 0.9  # equal scores: ties resolve left to right (row-major)
    kp = np.zeros_like(road)
    kp[10, 50] = 0.8
    v = coupled_nms(kp, road, t_k=0.5, t_r=0.5)
    assert v.is_keypoint.tolist() == [True] + [False] * 6
    assert v.points_xy_px[0].tolist() == [50.5, 10.5]
    # Road pixels with |dx| < 16 of the keypoint are gone (cols 35..65), then greedy NMS.
    assert v.points_xy_px[1:, 0].tolist() == [0.5, 16.5, 32.5, 66.5, 82.5, 98.5]
    assert np.all(v.points_xy_px[:, 1] == 10.5)
    assert v.scores.tolist() == [0.8] + [0.9] * 6


def test_threshold_is_strict_and_higher_score_wins():
    road = np.zeros((5, 40))
    road[2, 10] = 0.5  # equal to threshold: not a candidate
    road[2, 20] = 0.6
    road[2, 25] = 0.9  # within 16 px of col 20 and higher: wins
    v = coupled_nms(np.zeros_like(road), road, t_k=0.5, t_r=0.5)
    assert v.points_xy_px.tolist() == [[25.5, 2.5]]


def test_keypoint_and_overpass_on_same_pixel_merge():
    kp = np.zeros((30, 30))
    ov = np.zeros((30, 30))
    kp[5, 5] = 0.7
    ov[5, 5] = 0.9
    ov[5, 10] = 0.8  # 5 px from an overpass vertex: suppressed (d_k = 8) within its own mask
    ov[20, 20] = 0.6
    kp[20, 24] = 0.6  # 4 px from an overpass vertex: kept, masks are NMS'd separately
    v = coupled_nms(kp, np.zeros_like(kp), ov)
    got = _as_set(v)
    assert got == {(5.5, 5.5, True, True), (24.5, 20.5, True, False), (20.5, 20.5, False, True)}
    assert v.scores[v.is_keypoint & v.is_overpass].tolist() == [0.9]


def _separate_nms(kp, road, t_k, t_r, d_k, d_r) -> np.ndarray:
    """The strategy coupled NMS replaces (Sec. 3.3): extract separately, merge with priority
    to keypoints, NMS the merged set again."""
    kr, kc = np.nonzero(kp > t_k)
    rr, rc = np.nonzero(road > t_r)
    kpts = np.column_stack((kc + 0.5, kr + 0.5))
    rpts = np.column_stack((rc + 0.5, rr + 0.5))
    kpts = kpts[nms_points(kpts, kp[kr, kc], d_k)]
    rpts = rpts[nms_points(rpts, road[rr, rc], d_r)]
    merged = np.concatenate([kpts, rpts])
    prio = np.concatenate([np.full(len(kpts), 2.0), np.ones(len(rpts))])
    return merged[nms_points(merged, prio, d_r)]


def test_appendix_a2_coupled_nms_keeps_connecting_vertex():
    """Appendix A.2 / Fig. 5 / Lemma 1.

    A road runs along row 50; a keypoint K sits 12 px off it (row 38, col 100). The road map
    peaks at cols 91 and 109 (both within d_r of K) and then at cols 60 and 140. Separate
    NMS puts road vertices at 91 and 109 first, which fixes 60 and 140 as their neighbours;
    merging then drops 91 and 109 (they are within d_r of K) and leaves the stretch 60..140,
    80 px > d_nei = 4 d_r, without any road vertex: the road can no longer be linked by a
    candidate edge. Coupled NMS removes road pixels near K before the road NMS, so a
    vertex is kept between 60 and 140 and consecutive road vertices stay within d_nei.
    """
    road = np.zeros((100, 200))
    road[50, :] = 0.6
    road[50, 91], road[50, 109], road[50, 60], road[50, 140] = 1.0, 0.99, 0.98, 0.97
    kp = np.zeros_like(road)
    kp[38, 100] = 0.9

    def road_xs(points):
        on_road = points[:, 1] == 50.5
        return np.sort(points[on_road, 0])

    sep = road_xs(_separate_nms(kp, road, 0.5, 0.5, D_K, D_R))
    assert 60.5 in sep and 140.5 in sep
    assert not np.any((sep > 60.5) & (sep < 140.5))  # the connecting vertex is lost
    assert np.max(np.diff(sep)) > D_NEI

    v = coupled_nms(kp, road, t_k=0.5, t_r=0.5)
    assert v.points_xy_px[v.is_keypoint].tolist() == [[100.5, 38.5]]
    cou = road_xs(v.points_xy_px[~v.is_keypoint])
    between = cou[(cou > 60.5) & (cou < 140.5)]
    assert between.size >= 1  # Lemma 1: L1 >= 4 d_r implies a vertex between B and C
    assert np.max(np.diff(cou)) <= D_NEI
    # and no kept road vertex lies within d_r of the keypoint
    assert np.all(np.hypot(cou - 100.5, 50.5 - 38.5) >= D_R)


@pytest.mark.parametrize("seed", range(8))
def test_coupled_nms_equals_bruteforce_on_random_maps(seed):
    rng = np.random.default_rng(seed)
    shape = (48, 56)
    # Quantised values create many ties, which must resolve in row-major order.
    road = np.round(rng.random(shape) * (rng.random(shape) < 0.4), 1)
    kp = np.round(rng.random(shape) * (rng.random(shape) < 0.05), 2)
    ov = np.round(rng.random(shape) * (rng.random(shape) < 0.03), 2) if seed % 2 else None
    d_k, d_r = (8.0, 16.0) if seed < 4 else (3.0, 5.5)
    v = coupled_nms(kp, road, ov, t_k=0.3, t_r=0.35, d_k_px=d_k, d_r_px=d_r)
    assert _as_set(v) == _brute_coupled(kp, road, ov, 0.3, 0.35, d_k, d_r)
    assert len(_as_set(v)) == v.num_vertices  # no duplicated vertex


@pytest.mark.parametrize("seed", range(5))
def test_nms_points_equals_bruteforce_float_points(seed):
    rng = np.random.default_rng(100 + seed)
    pts = rng.uniform(0, 60, size=(300, 2))
    scores = rng.integers(0, 5, size=300).astype(float)  # many ties
    radius = float(rng.uniform(2, 10))
    keep = nms_points(pts, scores, radius)
    order = np.argsort(-scores, kind="stable")
    cands = [(scores[i], pts[i, 0], pts[i, 1], i) for i in order]
    ref = [c[3] for c in _brute_greedy(cands, radius)]
    assert keep.tolist() == ref


def test_coupled_nms_points_road_suppressed_near_priority_points():
    kp = np.array([[0.0, 0.0]])
    road = np.array([[15.9, 0.0], [16.0, 0.0], [40.0, 0.0]])
    sel = coupled_nms_points(kp, [1.0], road, [1.0, 0.5, 0.2], d_k_px=8, d_r_px=16)
    assert sel.keypoint_keep.tolist() == [0]
    assert sel.road_keep.tolist() == [1, 2]  # 15.9 < d_r removed, exactly d_r kept


def test_coupled_nms_is_fast_on_1e5_candidates():
    rng = np.random.default_rng(0)
    road = np.where(rng.random((640, 640)) < 0.25, rng.uniform(0.51, 1.0, (640, 640)), 0.0)
    kp = np.where(rng.random((640, 640)) < 0.002, 0.9, 0.0)
    start = time.perf_counter()
    v = coupled_nms(kp, road)
    elapsed = time.perf_counter() - start
    assert v.num_vertices > 0
    assert elapsed < 3.0  # ~0.1 s on one core; guards against an O(N^2) regression


@pytest.mark.parametrize(
    ("kp", "road", "match"),
    [
        (np.zeros((4, 4)), np.zeros((4, 5)), "shape"),
        (np.zeros((4, 4), dtype=np.uint8), np.zeros((4, 4)), "float"),
        (np.zeros((4, 4)), np.full((4, 4), 2.0), r"\[0, 1\]"),
        (np.zeros((4, 4)), np.full((4, 4), np.nan), r"\[0, 1\]"),
        (np.zeros(4), np.zeros(4), "2-D"),
    ],
)
def test_coupled_nms_rejects_bad_maps(kp, road, match):
    with pytest.raises(ValueError, match=match):
        coupled_nms(kp, road)


def test_negative_radius_rejected():
    with pytest.raises(ValueError, match="d_r_px"):
        coupled_nms(np.zeros((4, 4)), np.zeros((4, 4)), d_r_px=-1)
