"""Boxes per second of SAMRS box-to-mask: one encoding per chip vs one encoding per box.

Run from the repository root::

    python -m bench.bench_box_to_mask                      # 10, 100, 1000 boxes, CPU
    python -m bench.bench_box_to_mask --device cuda --model sam_vit_h --checkpoint FILE

What is timed, on one 1024 x 1024 chip (the shared iSAID image P0003 when present, else a
seeded synthetic image) with N random horizontal boxes (4..120 px sides):

* ``batched``: what the ``box_to_mask`` job does per chip: encode once, decode every box
  from that embedding (decoder batches of the job's default size for the device), upsample
  each mask around its box, polygonise.
* ``per box``: a new encoding for every box, then its decode and polygon (what a tool that
  prompts SAM box by box on freshly cut windows does). Timed on ``--per-box-sample`` boxes
  and extrapolated (the encoding dominates and costs the same for every box).

Without ``--checkpoint`` the official architecture is built with random weights: speed does
not depend on the weights. Wall-clock seconds; torch threads as given (default 1).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

SHARED_IMAGE = Path("../shared/data/boxes/isaid/P0003.png")


def chip_image(size: int = 1024) -> tuple[np.ndarray, str]:
    """(size, size, 3) uint8 chip: the iSAID image (padded) or a synthetic texture."""
    if SHARED_IMAGE.is_file():
        from PIL import Image

        image = np.asarray(Image.open(SHARED_IMAGE).convert("RGB"))[:size, :size]
        out = np.zeros((size, size, 3), np.uint8)
        out[: image.shape[0], : image.shape[1]] = image
        return out, str(SHARED_IMAGE)
    rng = np.random.default_rng(0)
    return (rng.random((size, size, 3)) * 255).astype(np.uint8), "synthetic"


def random_boxes(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 4) float32 (x0, y0, x1, y1) boxes inside a size x size chip."""
    wh = rng.uniform(4, 120, (n, 2))
    xy = rng.uniform(0, size - wh)
    return np.hstack([xy, xy + wh]).astype(np.float32)


def polygons(segmenter, embedding, boxes: np.ndarray, batch: int) -> int:
    """Decode boxes in batches, upsample around each box, polygonise; returns #polygons."""
    from backend.methods.samrs.rasterize import mask_to_polygon

    h, w = embedding.image_hw
    made = 0
    for start in range(0, len(boxes), batch):
        part = boxes[start : start + batch]
        low_res, _ = segmenter.decode_low_res(embedding, boxes=part)
        windows = np.column_stack(
            (np.floor(part[:, 0]), np.floor(part[:, 1]),
             np.minimum(np.ceil(part[:, 2]), w), np.minimum(np.ceil(part[:, 3]), h))
        ).astype(int)
        for logits, (c0, r0, _, _) in zip(
            segmenter.logits_in_windows(embedding, low_res, windows), windows, strict=True
        ):
            made += mask_to_polygon(logits > 0, (c0, r0)) is not None
    return made


def main(argv: list[str] | None = None) -> None:
    import torch

    from backend.jobs.box_to_mask import DECODER_BATCH_CPU, DECODER_BATCH_GPU
    from backend.models.registry import get_model
    from backend.models.sam_family import load_segmenter

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sam2.1_hiera_t")
    parser.add_argument("--checkpoint", default=None, help="official file (default: random)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--per-box-sample", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    checkpoint = args.checkpoint
    if checkpoint is None:
        import tempfile

        torch.manual_seed(0)
        model = get_model(args.model, load_weights=False)
        checkpoint = str(Path(tempfile.mkdtemp()) / "random.pt")
        state = model.state_dict()
        torch.save({"model": state} if args.model.startswith("sam2") else state, checkpoint)
    segmenter = load_segmenter(args.model, args.device, checkpoint)
    batch = DECODER_BATCH_CPU if args.device == "cpu" else DECODER_BATCH_GPU
    image, source = chip_image(segmenter.image_size)
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"model {args.model}, device {args.device} ({device_name}), torch threads "
          f"{args.threads}, image {source}, decoder batch {batch}")

    def sync() -> None:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    segmenter.encode(image)  # warm-up
    sync()
    rng = np.random.default_rng(0)
    print(f"{'boxes':>6} {'batched s':>10} {'boxes/s':>9} {'per-box s/box':>14} "
          f"{'boxes/s':>9} {'ratio':>7}")
    for n in args.counts:
        boxes = random_boxes(n, segmenter.image_size, rng)
        t0 = time.perf_counter()
        embedding = segmenter.encode(image)
        polygons(segmenter, embedding, boxes, batch)
        sync()
        batched_s = time.perf_counter() - t0
        sample = boxes[: max(1, min(args.per_box_sample, n))]
        t0 = time.perf_counter()
        for box in sample:
            polygons(segmenter, segmenter.encode(image), box[None], 1)
        sync()
        per_box_s = (time.perf_counter() - t0) / len(sample)
        batched_rate, per_box_rate = n / batched_s, 1.0 / per_box_s
        print(f"{n:>6} {batched_s:>10.2f} {batched_rate:>9.2f} {per_box_s:>14.2f} "
              f"{per_box_rate:>9.3f} {batched_rate / per_box_rate:>6.1f}x")


if __name__ == "__main__":
    main()
