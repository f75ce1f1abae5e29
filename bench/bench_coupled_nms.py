"""Time coupled NMS (LineGraph2Road Algorithm 1) against the number of candidate pixels.

Run from the repository root::

    python -m bench.bench_coupled_nms            # 10^3 .. 10^6 candidates
    python -m bench.bench_coupled_nms --max-exp 5 --repeats 5

Two synthetic map kinds, both with d_k = 8 px, d_r = 16 px, t_k = t_r = 0.5:

* ``roads``: a grid of 9 px wide roads every 64 px (about 27 % of pixels above t_r) with a
  noisy cross-profile, and keypoint blobs at the crossings: close to real road masks.
* ``scatter``: 25 % of pixels above t_r at random, 1 % keypoint pixels: many more kept
  vertices per candidate, a harder case for the greedy loop.

The map side grows with the requested candidate count. Times are wall-clock seconds of
``coupled_nms`` (candidate extraction included), best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from backend.methods.linegraph2road.nms import coupled_nms

ROAD_SPACING_PX = 64
ROAD_HALF_WIDTH_PX = 4.5


def roads_maps(num_candidates: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(keypoint, road) probability maps with about ``num_candidates`` road pixels > 0.5."""
    fraction = 1 - (1 - 2 * ROAD_HALF_WIDTH_PX / ROAD_SPACING_PX) ** 2
    side = max(32, int(np.ceil(np.sqrt(num_candidates / fraction))))
    coords = np.arange(side) + 0.5
    offset = np.abs((coords % ROAD_SPACING_PX) - ROAD_SPACING_PX / 2)  # distance to centre
    profile = np.clip(1.0 - offset / (2 * ROAD_HALF_WIDTH_PX), 0.0, 1.0)
    road = np.maximum(profile[:, None], profile[None, :])
    road = np.clip(road + rng.normal(0, 0.05, road.shape), 0, 1)
    kp = np.clip(profile[:, None] * profile[None, :] + rng.normal(0, 0.02, road.shape), 0, 1)
    return kp, road


def scatter_maps(num_candidates: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(keypoint, road) maps with ``num_candidates`` random road pixels > 0.5."""
    side = max(8, int(np.ceil(np.sqrt(num_candidates / 0.25))))
    road = np.zeros((side, side))
    road.flat[rng.choice(side * side, num_candidates, replace=False)] = rng.uniform(
        0.51, 1.0, num_candidates
    )
    kp = np.zeros_like(road)
    n_kp = max(1, num_candidates // 100)
    kp.flat[rng.choice(side * side, n_kp, replace=False)] = rng.uniform(0.51, 1.0, n_kp)
    return kp, road


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-exp", type=int, default=3, help="smallest count 10^min_exp")
    parser.add_argument("--max-exp", type=int, default=6, help="largest count 10^max_exp")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (best is shown)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    print(f"{'maps':8} {'target':>9} {'candidates':>11} {'map px':>11} {'vertices':>9} {'s':>8}")
    for kind, make in (("roads", roads_maps), ("scatter", scatter_maps)):
        for exp in range(args.min_exp, args.max_exp + 1):
            kp, road = make(10**exp, rng)
            candidates = int(np.count_nonzero(road > 0.5))
            best = np.inf
            for _ in range(args.repeats if exp < 6 else 1):
                start = time.perf_counter()
                vertices = coupled_nms(kp, road, t_k=0.5, t_r=0.5, d_k_px=8.0, d_r_px=16.0)
                best = min(best, time.perf_counter() - start)
            shape = f"{road.shape[0]}x{road.shape[1]}"
            print(
                f"{kind:8} {10**exp:>9,} {candidates:>11,} {shape:>11} "
                f"{vertices.num_vertices:>9,} {best:>8.3f}"
            )


if __name__ == "__main__":
    main()
