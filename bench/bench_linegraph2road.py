"""Benchmark: LineGraph2Road per-stage time on a 2048 x 2048 image and a 400 x 400 tile.

    python bench/bench_linegraph2road.py [--device cpu|cuda]
        [--variants shipped shipped+rm shipped+rm1 vit_b]

Stages (Sec. 3, App. G/H): encoder (ViT; with the road mask model, also that model),
decoder (three masks + window blending), nms (coupled NMS on the fused maps), graph_build
(candidate edges within d_nei, line graph), transformer (edge features + Graph
Transformer), stitching (merge windows, average edge probabilities). The paper (A100,
ViT-B): 10.51 s per 2048 x 2048 image with 5 x 5 windows of 512 px, 0.30 s per 400 x 400
SpaceNet image.

- ``shipped``: our model (``linegraph2road_hiera_pico_1m``) with its trained weights when
  installed (random weights otherwise, said in the output), at its own 256 px window.
- ``shipped+rm``: the same with the road mask model its card names (Anchor-SAM pico on every
  graph window, its time counted in ``encoder``) and the test-time views the card names
  (``road_mask_test_time_augmentation``), as ``extract_road_graph`` runs it by default.
- ``shipped+rm1``: the same with one view of each window (the fastest road mask).
- ``vit_b``: the paper's ViT-B configuration with random weights (timing only), 512 px
  windows; on 2048 px that is the 5 x 5 grid.

The image: a 2048 x 2048 mosaic of real Massachusetts tiles (1 m) from ../shared/data when
present, else a synthetic road grid.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backend.methods.linegraph2road.predictor import (  # noqa: E402
    LineGraph2RoadPredictor,
    StageTimer,
    predict_image_graph,
)
from backend.models.registry import get_model, get_weights_spec  # noqa: E402

STAGES = ("encoder", "decoder", "nms", "graph_build", "transformer", "stitching")
SHARED = REPO.parent / "shared" / "data" / "roads" / "massachusetts_1500" / "images"


def test_image(size_px: int) -> tuple[np.ndarray, str]:
    """(size, size, 3) uint8 image and where it came from."""
    tiles = sorted(SHARED.glob("*.jpg")) if SHARED.is_dir() else []
    if len(tiles) >= 4:
        from PIL import Image

        arrays = [np.asarray(Image.open(t).convert("RGB")) for t in tiles[:4]]
        mosaic = np.concatenate(
            [np.concatenate(arrays[:2], axis=1), np.concatenate(arrays[2:], axis=1)], axis=0
        )
        return np.ascontiguousarray(mosaic[:size_px, :size_px]), "Massachusetts 1500 mosaic"
    rows, cols = np.mgrid[0:size_px, 0:size_px]
    road = ((rows % 200) < 8) | ((cols % 200) < 8)
    image = np.where(road[..., None], 200, 60).astype(np.uint8).repeat(3, axis=2)
    return image, "synthetic grid"


def road_mask_of_the_card(device: str, views: int | None = None):
    """The road probability function of the shipped model's card (``road_mask_model``) with
    ``views`` test-time views (None: the card's ``road_mask_test_time_augmentation``)."""
    from backend.jobs.extract_road_graph import inference_defaults, road_probability_function

    card = inference_defaults(get_weights_spec("linegraph2road_hiera_pico_1m"))
    model_id = card.get("road_mask_model")
    if model_id is None:
        raise SystemExit("the shipped model's card names no road_mask_model")
    views = views or int(card.get("road_mask_test_time_augmentation", 1))
    return road_probability_function(model_id, None, device, views), views


def build(variant: str, device: str):
    if variant.startswith("shipped"):
        spec = get_weights_spec("linegraph2road_hiera_pico_1m")
        if spec.path().is_file():
            return get_model(spec.id, device=device), "trained weights"
        return get_model(spec.id, device=device, load_weights=False), "RANDOM weights"
    from backend.methods.linegraph2road.model import build_linegraph2road

    return build_linegraph2road("vit_b").to(device).eval(), "random weights (timing only)"


def run_once(predictor, image, window_px, overlap_px):
    timer = StageTimer(predictor.device)
    start = time.perf_counter()
    pred = predict_image_graph(predictor, image, window_px=window_px, overlap_px=overlap_px,
                               timer=timer)
    total = time.perf_counter() - start
    return total, timer.seconds, pred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    variants = ["shipped", "shipped+rm", "shipped+rm1", "vit_b"]
    parser.add_argument("--variants", nargs="+", default=variants, choices=variants)
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    image, source = test_image(args.size)
    print(f"image: {args.size} x {args.size} px ({source}); device {args.device}; "
          f"torch threads {torch.get_num_threads()}")
    header = f"{'variant':<10} {'input':>9} {'win':>4} {'#win':>5} " + " ".join(
        f"{s:>11}" for s in STAGES) + f" {'total_s':>8} {'V':>6} {'E':>6}"
    print(header)
    for variant in args.variants:
        model, weights = build(variant, args.device)
        road_probability = None
        if variant.startswith("shipped+rm"):
            road_probability, views = road_mask_of_the_card(
                args.device, 1 if variant == "shipped+rm1" else None
            )
            weights += f", road mask with {views} test-time view(s)"
        predictor = LineGraph2RoadPredictor(model, args.device, road_probability=road_probability)
        window_px = model.config.input_size_px
        # Paper grid for 512 px windows on 2048: 5 x 5, overlap 128 px.
        overlap_px = 128 if window_px == 512 else 96
        predict_image_graph(predictor, image[:window_px, :window_px], window_px=window_px,
                            overlap_px=overlap_px)  # warm-up
        for size in (args.size, 400):
            crop = np.ascontiguousarray(image[:size, :size])
            total, seconds, pred = run_once(predictor, crop, window_px, overlap_px)
            n_win = len(pred.window_origins_xy_px)
            row = f"{variant:<10} {size:>4}x{size:<4} {window_px:>4} {n_win:>5} " + " ".join(
                f"{seconds.get(s, 0.0):>11.3f}" for s in STAGES)
            print(f"{row} {total:>8.2f} {len(pred.graph.points_xy_px):>6} "
                  f"{pred.graph.edge_index.shape[1]:>6}", flush=True)
        print(f"  ({variant}: {weights})")


if __name__ == "__main__":
    main()
