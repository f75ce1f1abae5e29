"""Training of LineGraph2Road (paper Sec. 3.5 and 4.3) and export of the shipped model.

Data sources (one folder each, discovered by :func:`discover_samples`):

* image/label folders (Massachusetts layout ``images/NAME.jpg`` + ``labels/NAME.png``, or
  both in one folder) and DeepGlobe (``NAME_sat.jpg`` + ``NAME_mask.png``): the graph is the
  skeleton of the label mask (``graph_io.graph_from_centerline_mask``);
* GeoTIFF + vector centerlines with the same stem (``NAME.tif`` + ``NAME.geojson`` / ``.gpkg``
  / ``.shp``): ``graph_io.graph_from_vector_lines_for_raster``;
* Sat2Graph-style pickles (``NAME_sat.png`` + ``NAME_graph_gt.pickle`` or ``NAME_gt_graph.p``):
  ``graph_io.graph_from_adjacency_pickle`` (restricted unpickler).

Images must already be at the model's ground sample distance (1 m for the shipped model).

Targets (``targets.make_training_targets``: masks, Algorithm 4 interpolation, coupled NMS,
connected vertex pairs) are computed once per image and seed and cached as ``.npz`` in a
cache folder. Each training sample is a random square crop with a random multiple-of-90-degree
rotation; masks, vertices and labels are cropped and rotated together and candidate edges
(pairs within d_nei) plus their line graph are rebuilt for the crop.

Loss: Eq. 4, ``BCE(M_hat, M) + lambda * BCE(B_hat, B)`` with lambda = 0.1. Optimiser: AdamW
with the encoder learning rate scaled (0.05 for a pretrained SAM encoder, Sec. 4.3).

Run ``python -m backend.train.linegraph2road --help``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F

from backend.methods.anchor_sam.views import TEST_TIME_AUGMENTATIONS
from backend.methods.linegraph2road.candidates import candidate_edges, line_graph
from backend.methods.linegraph2road.model import (
    CONFIGS,
    MASK_NAMES,
    CandidateGraphBatch,
    LineGraph2Road,
    LineGraph2RoadConfig,
    build_linegraph2road,
    count_parameters,
)
from backend.methods.linegraph2road.predictor import (
    LineGraph2RoadPredictor,
    PredictorParams,
    limit_candidate_degree,
    predict_image_graph,
)
from backend.models.checkpoints import (
    load_state_dict_file,
    load_state_dict_strict,
    sha256_of_file,
)
from backend.train.datasets import (  # noqa: F401 - re-exported for callers of this module
    IMAGE_EXTENSIONS,
    LABEL_KINDS,
    SampleSource,
    balanced_domain_weights,
    discover_samples,
    domain_of,
    photometric_augment,
    read_rgb_uint8,
    read_road_mask,
    split_patterns,
)
from backend.train.report import write_report

_CACHE_VERSION = 1


def load_ground_truth_graph(source: SampleSource, shape_hw: tuple[int, int]) -> nx.Graph:
    """Ground-truth graph of a sample in its image's pixel frame (``graph_io`` format)."""
    from backend.methods.linegraph2road import graph_io

    if source.label_kind == "centerline_mask":
        return graph_io.graph_from_centerline_mask(read_road_mask(source, shape_hw))
    if source.label_kind == "vector":
        return graph_io.graph_from_vector_lines_for_raster(source.label_path, source.image_path)
    if source.label_kind == "adjacency_pickle":
        return graph_io.graph_from_adjacency_pickle(source.label_path)
    raise ValueError(f"unknown label kind {source.label_kind!r}; one of {LABEL_KINDS}")


# --- cached targets ------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetParams:
    """Parameters of the training targets (Sec. 3.5, 4.3); part of the cache key.

    Attributes:
        d_k_px, d_r_px, d_nei_px: NMS radii and candidate radius in pixels.
        road_width_px: width of the rasterised road centerlines in pixels.
        variants: number of Algorithm 4 random interpolations cached per image (seeds
            0..variants-1); each training sample draws one.
    """

    d_k_px: float = 8.0
    d_r_px: float = 16.0
    d_nei_px: float = 64.0
    road_width_px: float = 3.0
    variants: int = 2


class TargetCache:
    """Per-image targets cached as ``.npz`` in ``cache_dir``.

    Each file holds ``masks`` ``(3, H, W)`` uint8 (keypoint, road, overpass),
    ``vertices_xy_px`` ``(N, 2)`` float32 and ``pos_edge_index`` ``(2, P)`` int64 (vertex
    pairs directly connected in the ground truth, Sec. 3.5 labels).
    """

    def __init__(self, cache_dir: str | os.PathLike[str], params: TargetParams) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.params = params

    def _path(self, source: SampleSource, seed: int) -> Path:
        stat = source.label_path.stat()
        # ``variants`` only says how many seeds exist; it does not change one seed's targets.
        params = {k: v for k, v in asdict(self.params).items() if k != "variants"}
        fields = [
            _CACHE_VERSION,
            str(source.image_path.resolve()),
            str(source.label_path.resolve()),
            stat.st_size,
            stat.st_mtime_ns,
            seed,
            json.dumps(params, sort_keys=True),
        ]
        digest = hashlib.sha1(repr(fields).encode()).hexdigest()[:16]
        return self.cache_dir / f"{source.key}.{seed}.{digest}.npz"

    def get(self, source: SampleSource, seed: int, shape_hw: tuple[int, int]) -> dict[str, Any]:
        """Targets of one image for one interpolation seed, computed on first use."""
        path = self._path(source, seed)
        if path.is_file():
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        from backend.methods.linegraph2road.targets import make_training_targets

        graph = load_ground_truth_graph(source, shape_hw)
        p = self.params
        t = make_training_targets(
            graph,
            shape_hw[0],
            shape_hw[1],
            seed=seed,
            d_k_px=p.d_k_px,
            d_r_px=p.d_r_px,
            d_nei_px=p.d_nei_px,
            road_width_px=p.road_width_px,
        )
        out = {
            "masks": np.stack([t.keypoint_mask, t.road_mask, t.overpass_mask]).astype(np.uint8),
            "vertices_xy_px": t.vertices_xy_px.astype(np.float32),
            "pos_edge_index": t.edge_index[:, t.edge_labels.astype(bool)].astype(np.int64),
        }
        # Per-process temporary name: two runs may share one cache and fill it at once.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, **out)
        os.replace(tmp, path)  # readers never see a half-written file
        return out

    def warm(self, sources: Sequence[SampleSource], shapes: Sequence[tuple[int, int]]) -> None:
        """Compute all missing cache files (with a progress bar)."""
        from tqdm import tqdm

        jobs = [
            (s, hw, v)
            for s, hw in zip(sources, shapes, strict=True)
            for v in range(self.params.variants)
        ]
        for source, hw, seed in tqdm(jobs, desc="targets", mininterval=5.0, leave=False):
            self.get(source, seed, hw)


# --- crops and rotations -------------------------------------------------------------------


def rotate_points_90(points_xy_px: np.ndarray, k: int, width_px: int, height_px: int) -> np.ndarray:
    """Points under ``np.rot90(image, k)`` (counter-clockwise), corner-origin pixel frame.

    One quarter turn of an ``H x W`` image maps ``(x, y)`` to ``(y, W - x)``; the result is
    ``W x H``.

    Args:
        points_xy_px: ``(N, 2)`` ``(x, y)`` pixel coordinates.
        k: number of quarter turns (any integer).
        width_px, height_px: size of the image before rotation.

    Returns:
        ``(N, 2)`` coordinates in the rotated image.
    """
    pts = np.asarray(points_xy_px, dtype=np.float64).copy()
    w, h = width_px, height_px
    for _ in range(k % 4):
        pts = np.column_stack([pts[:, 1], w - pts[:, 0]])
        w, h = h, w
    return pts


def make_crop_sample(
    image: np.ndarray,
    targets: dict[str, np.ndarray],
    crop_px: int,
    rng: np.random.Generator,
    d_nei_px: float,
    rotate: bool = True,
    origin_xy_px: tuple[int, int] | None = None,
    max_neighbors: int | None = 16,
    distractor_ratio: float = 0.0,
) -> dict[str, np.ndarray]:
    """One training sample: crop, rotate, candidate edges and labels (Sec. 3.5, 4.3).

    Distractor vertices (not in the paper; issue 10): the paper's candidate edges join
    ground-truth vertices only, but at inference vertices also come from false-positive road
    pixels, and the edge classifier has never seen an edge that touches one. With
    ``distractor_ratio`` > 0, about ``ratio x`` (number of crop vertices, at least 4) extra
    vertices are drawn on non-road pixels (half within 12-32 px of the road mask, where false
    positives sit, half anywhere off-road); every candidate edge touching one is a negative.

    Args:
        image: ``(H, W, 3)`` uint8.
        targets: a :class:`TargetCache` entry of that image.
        crop_px: side of the square crop; smaller images are zero-padded (masks with 0).
        rng: random generator (crop origin, rotation).
        d_nei_px: candidate-edge radius.
        rotate: apply a random multiple of 90 degrees.
        origin_xy_px: fixed crop origin ``(x0, y0)`` instead of a random one.
        max_neighbors: candidate degree cap, as at inference (``limit_candidate_degree``).
        distractor_ratio: extra off-road vertices per crop vertex (0: the paper's sampling).

    Returns:
        dict with ``image`` ``(3, S, S)`` uint8, ``masks`` ``(3, S, S)`` uint8,
        ``vertices_xy_px`` ``(N, 2)`` float32, ``edge_index`` ``(2, E)``, ``line_edge_index``
        ``(2, L)`` and ``edge_labels`` ``(E,)`` float32.
    """
    height, width = image.shape[:2]
    masks = targets["masks"]
    if height < crop_px or width < crop_px:
        pad_h, pad_w = max(crop_px - height, 0), max(crop_px - width, 0)
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)))
        masks = np.pad(masks, ((0, 0), (0, pad_h), (0, pad_w)))
        height, width = image.shape[:2]
    if origin_xy_px is None:
        x0 = int(rng.integers(0, width - crop_px + 1))
        y0 = int(rng.integers(0, height - crop_px + 1))
    else:
        x0, y0 = origin_xy_px
    img = image[y0 : y0 + crop_px, x0 : x0 + crop_px]
    msk = masks[:, y0 : y0 + crop_px, x0 : x0 + crop_px]

    verts = targets["vertices_xy_px"].astype(np.float64) - [x0, y0]
    inside = np.all((verts >= 0) & (verts < crop_px), axis=1)
    remap = np.full(len(verts), -1, dtype=np.int64)
    remap[inside] = np.arange(int(inside.sum()))
    verts = verts[inside]
    pos = targets["pos_edge_index"]
    pos = remap[pos[:, inside[pos[0]] & inside[pos[1]]]] if pos.size else pos.reshape(2, 0)

    k = int(rng.integers(0, 4)) if rotate else 0
    if k:
        img = np.rot90(img, k, axes=(0, 1))
        msk = np.rot90(msk, k, axes=(1, 2))
        verts = rotate_points_90(verts, k, crop_px, crop_px)

    if distractor_ratio > 0:
        extra = sample_distractor_vertices(
            msk[MASK_NAMES.index("road")] > 0,
            rng,
            int(round(distractor_ratio * max(len(verts), 4))),
        )
        verts = np.concatenate([verts, extra])  # appended: pos_edge_index stays valid

    n_v = len(verts)
    cand = limit_candidate_degree(verts, candidate_edges(verts, d_nei_px), max_neighbors)
    pos_sorted = np.sort(pos, axis=0)
    labels = np.isin(cand[0] * n_v + cand[1], pos_sorted[0] * n_v + pos_sorted[1])
    return {
        "image": np.ascontiguousarray(img.transpose(2, 0, 1)),
        "masks": np.ascontiguousarray(msk),
        "vertices_xy_px": verts.astype(np.float32),
        "edge_index": cand,
        "line_edge_index": line_graph(cand, n_v),
        "edge_labels": labels.astype(np.float32),
    }


def sample_distractor_vertices(
    road: np.ndarray, rng: np.random.Generator, count: int
) -> np.ndarray:
    """``count`` random off-road pixel centres of a crop (see :func:`make_crop_sample`).

    Args:
        road: ``(S, S)`` bool road mask of the crop.
        rng: random generator.
        count: number of points wanted.

    Returns:
        ``(M, 2)`` float64 ``(x, y)`` in crop pixels, ``M <= count`` (fewer when the crop
        has no off-road pixel): half (rounded up) within 12-32 px of the road when the crop
        has road, the rest anywhere at least 12 px from it. 12 px: the mask is a 5 px band
        around the centerline, and a road surface reaches about 10 px from it at 1 m (a
        four-lane road); a vertex there is on the road, not a distractor.
    """
    from scipy.ndimage import distance_transform_edt

    if count <= 0:
        return np.zeros((0, 2))
    dist = distance_transform_edt(~road) if road.any() else np.full(road.shape, np.inf)
    near = np.flatnonzero(((dist >= 12) & (dist <= 32)).ravel())
    off = np.flatnonzero((dist >= 12).ravel())
    n_near = (count + 1) // 2 if near.size else 0
    picks = []
    if n_near:
        picks.append(rng.choice(near, n_near))
    if off.size:
        picks.append(rng.choice(off, count - n_near))
    if not picks:
        return np.zeros((0, 2))
    flat = np.concatenate(picks)
    ys, xs = np.unravel_index(flat, road.shape)
    return np.stack([xs, ys], axis=1).astype(np.float64) + 0.5


def own_vertex_sample(
    sample: dict[str, np.ndarray],
    probs: np.ndarray,
    params: TargetParams,
    t_r: float,
    max_neighbors: int | None = 16,
) -> dict[str, np.ndarray]:
    """A crop's candidate graph rebuilt on the model's own vertices (issue 10; not in the paper).

    The paper trains the edge classifier on candidate edges among ground-truth vertices
    (Sec. 3.5). At inference the vertices come from coupled NMS on the predicted masks, and
    the classifier, which never saw such vertices, keeps many edges off the road or past a
    vertex (dense meshes; measured on the shipped model: with the same predicted vertices,
    edges labelled against the ground truth would raise Massachusetts report APLS from 0.11
    to 0.33, the card's ``validation.edge_upper_bound``). Here the vertices are coupled NMS
    of this step's predicted masks (detached, Algorithm 1 with ``t_r``), and the candidate
    edges among them are labelled against the crop's ground-truth segments by
    :func:`~backend.methods.linegraph2road.targets.label_edges_on_ground_truth`, positives
    at most 2 d_r long (the spacing of the ground truth's vertices, Algorithm 4). Image and
    mask targets are unchanged. Measured (2026-11-30, the card's
    ``training.own_vertex_runs_not_shipped``): better on the domains trained on, worse on
    unseen ones; off by default.

    Args:
        sample: a :func:`make_crop_sample` result.
        probs: ``(3, S, S)`` predicted keypoint / road / overpass probabilities of the crop.
        params: target parameters (d_k, d_r, d_nei).
        t_r: road threshold of the NMS.
        max_neighbors: candidate degree cap, as at inference.

    Returns:
        A new sample dict (same keys) with the own vertices, candidates and labels.
    """
    from backend.methods.linegraph2road.nms import coupled_nms
    from backend.methods.linegraph2road.targets import label_edges_on_ground_truth

    gt_edges = sample["edge_index"][:, sample["edge_labels"] > 0.5]
    gt_segments = sample["vertices_xy_px"][gt_edges.T].astype(np.float64)  # (M, 2, 2)
    verts = coupled_nms(
        probs[0], probs[1], probs[2], t_r=t_r, d_k_px=params.d_k_px, d_r_px=params.d_r_px
    ).points_xy_px
    cand = limit_candidate_degree(verts, candidate_edges(verts, params.d_nei_px), max_neighbors)
    # Positives no longer than the ground truth's vertex spacing (Algorithm 4: below 2 d_r):
    # without the cap, crops with sparse own vertices taught long jumps across gaps, which
    # showed on unseen imagery as long edges across parking lots.
    labels = label_edges_on_ground_truth(verts, cand, gt_segments, max_length_px=2 * params.d_r_px)
    return {
        **sample,
        "vertices_xy_px": verts.astype(np.float32),
        "edge_index": cand,
        "line_edge_index": line_graph(cand, len(verts)),
        "edge_labels": labels.astype(np.float32),
    }


def own_vertex_graph(
    samples: Sequence[dict[str, np.ndarray]],
    mask_logits: torch.Tensor,
    cfg: TrainConfig,
    step: int,
    device: torch.device | str,
    road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
) -> CandidateGraphBatch:
    """The batch's candidate graph with ``cfg.own_vertex_share`` of the crops on own vertices.

    Which crops, and their NMS threshold (uniform in ``cfg.own_vertex_t_r``), are drawn from
    a generator seeded by ``(seed, step)``, so a resumed run draws the same. With
    ``road_probability`` (``cfg.road_mask_weights``) the NMS road mask is that model's
    probability of the crops, as at inference with a road mask model.
    """
    rng = np.random.default_rng((cfg.seed, step, 1))
    probs = torch.sigmoid(mask_logits.detach().float()).cpu().numpy()
    if road_probability is not None:
        crops = np.stack([s["image"] for s in samples]).transpose(0, 2, 3, 1)
        probs[:, MASK_NAMES.index("road")] = road_probability(crops.astype(np.uint8))
    rebuilt = [
        own_vertex_sample(sample, probs[i], cfg.targets, float(rng.uniform(*cfg.own_vertex_t_r)))
        if rng.random() < cfg.own_vertex_share
        else sample
        for i, sample in enumerate(samples)
    ]
    return CandidateGraphBatch.from_graphs(rebuilt, device=device)


class CropDataset(torch.utils.data.Dataset):
    """Random crops of a set of images with cached targets (Sec. 4.3 augmentation).

    ``len`` is the number of images; every access draws a new crop, rotation and target
    variant from a generator seeded by ``(seed, epoch, index)``.
    """

    def __init__(
        self,
        sources: Sequence[SampleSource],
        cache: TargetCache,
        crop_px: int,
        seed: int = 0,
        rotate: bool = True,
        photometric: bool = False,
        distractor_ratio: float = 0.0,
    ) -> None:
        self.sources = list(sources)
        self.cache = cache
        self.crop_px = crop_px
        self.seed = seed
        self.rotate = rotate
        self.photometric = photometric
        self.distractor_ratio = distractor_ratio
        self.epoch = 0
        self._images: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.sources)

    def image(self, index: int) -> np.ndarray:
        # Decoded images are kept: 400 x 400 x 3 bytes each, cheaper than decoding again.
        if index not in self._images:
            self._images[index] = read_rgb_uint8(self.sources[index].image_path)
        return self._images[index]

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        image = self.image(index)
        variant = int(rng.integers(0, self.cache.params.variants))
        targets = self.cache.get(self.sources[index], variant, image.shape[:2])
        sample = make_crop_sample(
            image,
            targets,
            self.crop_px,
            rng,
            self.cache.params.d_nei_px,
            rotate=self.rotate,
            distractor_ratio=self.distractor_ratio,
        )
        if self.photometric:
            rgb = sample["image"].transpose(1, 2, 0).astype(np.float32) / 255.0
            rgb = photometric_augment(rgb, rng)
            sample["image"] = np.ascontiguousarray(
                np.rint(rgb * 255.0).astype(np.uint8).transpose(2, 0, 1)
            )
        return sample

    def domain_weights(self) -> np.ndarray:
        """Sampling weight per image that gives every domain the same share of the batches.

        The domain is the name part before ``__`` (:func:`write_domain_set_at_gsd` names);
        names without it form one domain. Within a domain the weight follows the image area,
        so a 1500 px tile is drawn more often than a 400 px crop.
        """
        areas = [float(np.prod(self.image(i).shape[:2])) for i in range(len(self))]
        return balanced_domain_weights([s.key for s in self.sources], areas)


def collate_samples(
    samples: Sequence[dict[str, np.ndarray]], device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, CandidateGraphBatch]:
    """Stack crops: images ``(B, 3, S, S)`` float 0..255, masks ``(B, 3, S, S)`` float, graph."""
    images = torch.from_numpy(np.stack([s["image"] for s in samples])).to(device).float()
    masks = torch.from_numpy(np.stack([s["masks"] for s in samples])).to(device).float()
    return images, masks, CandidateGraphBatch.from_graphs(samples, device=device)


# --- loss ----------------------------------------------------------------------------------


def linegraph2road_loss(
    mask_logits: torch.Tensor,
    masks: torch.Tensor,
    edge_logits: torch.Tensor,
    edge_labels: torch.Tensor,
    edge_weight: float = 0.1,
    road_dice_weight: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 4: ``BCE(M_hat, M) + lambda * BCE(B_hat, B)``, optionally plus a road Dice term.

    The road Dice term (not in the paper; issue 10) is ``road_dice_weight * (1 - soft Dice)``
    of the road mask over the batch: with BCE alone on a 5 px road mask (a few per cent of the
    pixels) the road head stays under-confident (validated t_r 0.05), and the low threshold
    lets false-positive vertices in.

    Args:
        mask_logits: ``(B, 3, H, W)`` logits (keypoint, road, overpass).
        masks: ``(B, 3, H, W)`` targets in {0, 1}.
        edge_logits: ``(E,)`` candidate-edge logits.
        edge_labels: ``(E,)`` targets in {0, 1}.
        edge_weight: lambda (0.1 in the paper).
        road_dice_weight: weight of the road-mask Dice term (0: the paper's loss).

    Returns:
        (total loss, dict of float parts: ``loss``, ``mask_<name>`` per mask, ``edge``,
        ``road_dice`` (1 - soft Dice, reported whatever the weight)).
    """
    mask_bce = F.binary_cross_entropy_with_logits(
        mask_logits.float(), masks, reduction="none"
    ).mean(dim=(0, 2, 3))
    mask_loss = mask_bce.mean()  # the mean BCE over all pixels of the three masks
    if edge_logits.numel():
        edge_loss = F.binary_cross_entropy_with_logits(edge_logits.float(), edge_labels)
    else:
        edge_loss = mask_logits.new_zeros(())
    road = MASK_NAMES.index("road")
    road_prob = torch.sigmoid(mask_logits[:, road].float())
    road_target = masks[:, road]
    dice = (2 * (road_prob * road_target).sum() + 1.0) / (road_prob.sum() + road_target.sum() + 1.0)
    total = mask_loss + edge_weight * edge_loss
    if road_dice_weight > 0:
        total = total + road_dice_weight * (1.0 - dice)
    parts = {
        "loss": float(total.detach()),
        "edge": float(edge_loss.detach()),
        "road_dice": float(1.0 - dice.detach()),
    }
    parts.update(
        {f"mask_{n}": float(v) for n, v in zip(MASK_NAMES, mask_bce.detach(), strict=True)}
    )
    return total, parts


# --- training ------------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Everything a run needs; stored in each checkpoint so that a resume continues it.

    Attributes:
        data_dir: dataset folder (:func:`discover_samples`).
        train_include, val_include: fnmatch patterns on image names for the two splits.
        out_dir: run folder (checkpoints ``last.pt``, ``history.jsonl``, metrics).
        cache_dir: target cache folder (default ``out_dir/targets``).
        variant: model variant (:data:`~backend.methods.linegraph2road.model.CONFIGS`).
        model_overrides: fields of the variant's config to change (e.g. a smaller encoder
            for tests); the exported weights only load into the unchanged variant.
        sam_checkpoint: optional official SAM checkpoint to initialise the encoder.
        crop_px: training crop side (default: the variant's ``input_size_px``).
        batch_size, max_steps, lr, weight_decay, warmup_steps: optimisation.
        encoder_lr_scale: encoder learning rate multiplier; None = 0.05 with a SAM
            checkpoint (Sec. 4.3), 1.0 when the encoder starts from random weights.
        edge_loss_weight: lambda of Eq. 4.
        road_dice_weight: weight of the road-mask Dice term (:func:`linegraph2road_loss`;
            0 = the paper's loss).
        distractor_ratio: off-road distractor vertices per crop vertex
            (:func:`make_crop_sample`; 0 = the paper's candidate edges).
        own_vertex_share: share of the crops whose candidate graph is rebuilt on the
            model's own NMS vertices (:func:`own_vertex_sample`; 0 = the paper's).
        own_vertex_t_r: range ``(low, high)`` the NMS road threshold of those crops is
            drawn from (uniformly): the threshold chosen at inference is not known yet.
        road_mask_weights: Anchor-SAM weights whose road probability replaces the model's
            road mask wherever vertices come from NMS (own-vertex crops, validation graph
            metrics), for a model meant to run with that road mask
            (``inference_defaults.road_mask_model``; not in the paper). The model's own
            road mask is still trained.
        targets: target parameters.
        checkpoint_every, val_every, log_every: in steps.
        graph_metrics: at validation also predict the validation images with sliding
            windows and score road-mask F1, APLS and TOPO (``backend.eval``).
        balance_domains: draw images so that every domain (name part before ``__``) gets
            the same share of the batches (issue 10, item 1), instead of uniformly.
        photometric: strong colour/texture augmentation of every crop
            (:func:`~backend.train.datasets.photometric_augment`).
        init_encoder_from: weights to start the image encoder from: an Anchor-SAM file
            (``image_encoder.*`` of the same Hiera, for the ``hiera_*`` variants) or an
            earlier LineGraph2Road file of the same variant (all weights; a ``hiera_pico``
            file also starts ``hiera_pico_hr`` and ``hiera_pico_hr_edge``, the weights they
            add at zero: the same network at step 0).
        keep_best: also save ``out_dir/best.pt`` (same content as ``last.pt``) whenever a
            validation scores best so far (:func:`validation_score`); fine-tuning exports
            it (``backend.jobs.fine_tune``).
        time_limit_min: stop (with a checkpoint) after this many minutes of training in
            total (resumed runs included); the learning-rate decay also follows it.
        device: ``"cpu"``, ``"cuda"``...; AMP is used on CUDA only.
        num_workers: DataLoader workers.
        seed: seed of model init and data sampling.
    """

    data_dir: str
    out_dir: str
    train_include: tuple[str, ...] = ("*",)
    val_include: tuple[str, ...] = ()
    cache_dir: str | None = None
    variant: str = "vit_tiny"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    sam_checkpoint: str | None = None
    crop_px: int | None = None
    batch_size: int = 4
    max_steps: int = 2000
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    encoder_lr_scale: float | None = None
    edge_loss_weight: float = 0.1
    road_dice_weight: float = 0.0
    distractor_ratio: float = 0.0
    own_vertex_share: float = 0.0
    own_vertex_t_r: tuple[float, float] = (0.05, 0.3)
    road_mask_weights: str | None = None
    targets: TargetParams = TargetParams()
    checkpoint_every: int = 200
    val_every: int = 500
    log_every: int = 20
    graph_metrics: bool = True
    balance_domains: bool = False
    photometric: bool = False
    init_encoder_from: str | None = None
    keep_best: bool = False
    time_limit_min: float | None = None
    device: str = "cpu"
    num_workers: int = 0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["train_include"] = list(self.train_include)
        out["val_include"] = list(self.val_include)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        data["targets"] = TargetParams(**data.get("targets", {}))
        data["train_include"] = tuple(data.get("train_include", ("*",)))
        data["val_include"] = tuple(data.get("val_include", ()))
        data["own_vertex_t_r"] = tuple(data.get("own_vertex_t_r", cls.own_vertex_t_r))
        return cls(**data)


def _lr_factor(step: int, warmup_steps: int, max_steps: int, time_fraction: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to 5 % of the base rate.

    The decay follows whichever budget is used up faster: steps, or training time
    (``time_fraction`` = seconds trained / time limit), so a run cut by its time limit on a
    busy CPU still ends with a low learning rate.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = max((step - warmup_steps) / max(1, max_steps - warmup_steps), time_fraction)
    return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(model: LineGraph2Road, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with the encoder group at ``lr * encoder_lr_scale`` (Sec. 4.3)."""
    scale = cfg.encoder_lr_scale
    if scale is None:
        scale = 0.05 if cfg.sam_checkpoint else 1.0
    encoder = [p for n, p in model.named_parameters() if n.startswith("image_encoder.")]
    rest = [p for n, p in model.named_parameters() if not n.startswith("image_encoder.")]
    return torch.optim.AdamW(
        [
            {"params": encoder, "lr": cfg.lr * scale, "base_lr": cfg.lr * scale},
            {"params": rest, "lr": cfg.lr, "base_lr": cfg.lr},
        ],
        weight_decay=cfg.weight_decay,
    )


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary name, then rename (a killed run never leaves half)."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _infinite_batches(
    dataset: CropDataset, cfg: TrainConfig, start_step: int
) -> Iterator[list[dict[str, np.ndarray]]]:
    """Batches forever; the epoch counter reseeds crops, so a resume gets fresh ones."""
    steps_per_epoch = max(1, len(dataset) // cfg.batch_size)
    epoch = start_step // steps_per_epoch
    while True:
        dataset.epoch = epoch
        generator = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        sampler = None
        if cfg.balance_domains:
            sampler = torch.utils.data.WeightedRandomSampler(
                dataset.domain_weights().tolist(), len(dataset), generator=generator
            )
        loader = torch.utils.data.DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            shuffle=sampler is None,
            sampler=sampler,
            drop_last=True,
            num_workers=cfg.num_workers,
            collate_fn=list,
            generator=generator,
            persistent_workers=False,
        )
        yield from loader
        epoch += 1


@torch.no_grad()
def validation_loss(
    model: LineGraph2Road,
    sources: Sequence[SampleSource],
    cache: TargetCache,
    crop_px: int,
    device: torch.device,
) -> dict[str, float]:
    """Eq. 4 loss on fixed crops: the four corners of every validation image, no rotation."""
    model.eval()
    totals: dict[str, float] = {}
    count = 0
    rng = np.random.default_rng(0)
    for source in sources:
        image = read_rgb_uint8(source.image_path)
        targets = cache.get(source, 0, image.shape[:2])
        h, w = image.shape[:2]
        xs = sorted({0, max(0, w - crop_px)})
        ys = sorted({0, max(0, h - crop_px)})
        samples = [
            make_crop_sample(image, targets, crop_px, rng, cache.params.d_nei_px, False, (x, y))
            for x in xs
            for y in ys
        ]
        images, masks, graph = collate_samples(samples, device)
        out = model(model.normalize(images), graph)
        _, parts = linegraph2road_loss(
            out["mask_logits"], masks, out["edge_logits"], graph.edge_labels
        )
        for k, v in parts.items():
            totals[k] = totals.get(k, 0.0) + v
        count += 1
    model.train()
    return {f"val_{k}": v / max(count, 1) for k, v in totals.items()}


def validation_score(result: dict[str, float]) -> float:
    """Which validation is best (``keep_best``): with graph metrics the mean of road-mask F1
    and APLS (APLS counts 0 when no validation image could be scored), else minus the
    validation loss (Eq. 4). Higher is better."""
    if "val_road_f1" in result:
        return 0.5 * (result["val_road_f1"] + result.get("val_apls", 0.0))
    return -result.get("val_loss", math.inf)


def model_config(cfg: TrainConfig) -> LineGraph2RoadConfig:
    """The network configuration of a run: the variant plus ``model_overrides``."""
    if cfg.variant not in CONFIGS:
        raise ValueError(f"unknown variant {cfg.variant!r}; choose one of {sorted(CONFIGS)}")
    return LineGraph2RoadConfig.from_dict({**CONFIGS[cfg.variant].to_dict(), **cfg.model_overrides})


def quick_graph_metrics(
    model: LineGraph2Road,
    sources: Sequence[SampleSource],
    cache: TargetCache,
    cfg: TrainConfig,
    road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, float]:
    """Validation hook: road-mask F1, and APLS / TOPO F1 when ``backend.eval`` exists."""
    t = cfg.targets
    params = PredictorParams(d_k_px=t.d_k_px, d_r_px=t.d_r_px, d_nei_px=t.d_nei_px)
    result = evaluate_model(
        model, sources, cache, params, device=cfg.device, road_probability=road_probability
    )
    out = {"val_road_f1": result["road_mask"]["f1"]}
    out.update({f"val_{k}": result[k] for k in ("apls", "topo_f1") if k in result})
    return out


def train(cfg: TrainConfig, resume: bool = False) -> dict[str, Any]:
    """Train (or resume) a LineGraph2Road model.

    Writes ``out_dir/last.pt`` every ``checkpoint_every`` steps and at the end (a dict with
    ``model``, ``optimizer``, ``scaler``, ``step``, ``config``), and one JSON line per log
    interval / validation to ``out_dir/history.jsonl``; with ``cfg.keep_best`` also
    ``out_dir/best.pt`` at each validation that scores best so far.

    Args:
        cfg: run configuration.
        resume: continue from ``out_dir/last.pt`` (its step, weights, optimiser state and
            configuration; ``max_steps`` and ``time_limit_min`` of ``cfg`` win so that a
            run can be extended).

    Returns:
        Summary dict (``step``, last losses, validation metrics, seconds).

    Raises:
        ValueError: ``resume`` without a checkpoint, or an unusable dataset.
    """
    from tqdm import tqdm

    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = out_dir / "last.pt"
    start_step = 0
    state = None
    if resume:
        if not ckpt_path.is_file():
            raise ValueError(f"cannot resume: {ckpt_path} does not exist; start without --resume")
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        saved = TrainConfig.from_dict(state["config"])
        saved.max_steps, saved.time_limit_min = cfg.max_steps, cfg.time_limit_min
        saved.device, saved.num_workers = cfg.device, cfg.num_workers
        cfg = saved
        start_step = int(state["step"])

    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = build_linegraph2road(
        model_config(cfg), sam_checkpoint=None if state else cfg.sam_checkpoint
    )
    crop_px = cfg.crop_px or model.config.input_size_px
    if state is not None:
        load_state_dict_strict(model, state["model"], source=str(ckpt_path))
    elif cfg.init_encoder_from:
        init = load_state_dict_file(cfg.init_encoder_from)
        if any(k.startswith("edge_mlp.") for k in init):  # an earlier LineGraph2Road
            model.load_weights_of_base_variant(init, source=cfg.init_encoder_from)
        else:  # an Anchor-SAM (or SAM2) file: its Hiera encoder only
            model.load_hiera_encoder(init)
    model.to(device).train()
    road_probability = None
    if cfg.road_mask_weights:
        road_probability = anchor_sam_road_probability(cfg.road_mask_weights, str(device))
    optimizer = make_optimizer(model, cfg)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])

    cache = TargetCache(cfg.cache_dir or out_dir / "targets", cfg.targets)
    train_sources = discover_samples(cfg.data_dir, cfg.train_include)
    val_sources = discover_samples(cfg.data_dir, cfg.val_include) if cfg.val_include else []
    overlap = {s.key for s in train_sources} & {s.key for s in val_sources}
    if overlap:
        raise ValueError(f"{len(overlap)} images are in both splits, e.g. {sorted(overlap)[:3]}")
    dataset = CropDataset(
        train_sources,
        cache,
        crop_px,
        seed=cfg.seed,
        photometric=cfg.photometric,
        distractor_ratio=cfg.distractor_ratio,
    )
    shapes = [dataset.image(i).shape[:2] for i in range(len(dataset))]
    cache.warm(train_sources, shapes)
    if len(dataset) < cfg.batch_size:
        raise ValueError(f"{len(dataset)} training images < batch size {cfg.batch_size}")

    (out_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    history_path = out_dir / "history.jsonl"
    print(
        f"LineGraph2Road {cfg.variant}: {count_parameters(model) / 1e6:.2f} M parameters, "
        f"{len(train_sources)} train / {len(val_sources)} val images, crop {crop_px} px, "
        f"device {device}, steps {start_step} -> {cfg.max_steps}",
        flush=True,
    )

    def checkpoint(step: int, path: Path = ckpt_path) -> None:
        save_checkpoint(
            path,
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict(),
                "step": step,
                "train_seconds": trained_seconds(),
                "config": cfg.to_dict(),
                "model_config": model.config.to_dict(),
            },
        )

    def log(record: dict[str, Any]) -> None:
        with history_path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")

    t_start = time.monotonic()
    seconds_before = float(state.get("train_seconds", 0.0)) if state is not None else 0.0
    limit_s = cfg.time_limit_min * 60 if cfg.time_limit_min is not None else None

    def trained_seconds() -> float:
        return seconds_before + time.monotonic() - t_start

    batches = _infinite_batches(dataset, cfg, start_step)
    running: dict[str, float] = {}
    n_running = 0
    step = start_step
    last_val: dict[str, float] = {}
    best_score = -math.inf

    def validate(at_step: int) -> dict[str, float]:
        nonlocal best_score
        result: dict[str, float] = {"val_step": at_step}
        result.update(validation_loss(model, val_sources, cache, crop_px, device))
        if cfg.graph_metrics:
            result.update(quick_graph_metrics(model, val_sources, cache, cfg, road_probability))
        model.train()
        if cfg.keep_best and validation_score(result) > best_score:
            best_score = validation_score(result)
            checkpoint(at_step, out_dir / "best.pt")
            result["best"] = True
        log({"step": at_step, **result})
        tqdm.write(json.dumps({"step": at_step, **result}), file=sys.stdout)
        return result

    bar = tqdm(total=cfg.max_steps, initial=start_step, desc="train", mininterval=10.0)
    stop_reason = "max_steps"
    while step < cfg.max_steps:
        samples = next(batches)
        images, masks, graph = collate_samples(samples, device)
        time_fraction = trained_seconds() / limit_s if limit_s else 0.0
        factor = _lr_factor(step, cfg.warmup_steps, cfg.max_steps, time_fraction)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
        with torch.autocast(device.type, enabled=use_amp):
            features = model.encode(model.normalize(images))
            mask_logits = model.decode_masks(features)
        if cfg.own_vertex_share > 0:
            graph = own_vertex_graph(samples, mask_logits, cfg, step, device, road_probability)
        # Random endpoint order: the sampled feature sequence runs first -> second vertex.
        flip = torch.rand(graph.edge_index.shape[1], device=device) < 0.5
        graph.edge_index = torch.where(flip, graph.edge_index.flip(0), graph.edge_index)
        with torch.autocast(device.type, enabled=use_amp):
            edge_logits = model.edge_logits(features, graph, tuple(images.shape[-2:]))
        loss, parts = linegraph2road_loss(
            mask_logits,
            masks,
            edge_logits,
            graph.edge_labels,
            cfg.edge_loss_weight,
            cfg.road_dice_weight,
        )
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        step += 1
        bar.update(1)
        for k, v in parts.items():
            running[k] = running.get(k, 0.0) + v
        n_running += 1

        if step % cfg.log_every == 0 or step == cfg.max_steps:
            avg = {k: v / n_running for k, v in running.items()}
            record = {"step": step, "lr": cfg.lr * factor, "trained_s": trained_seconds()}
            record.update({f"train_{k}": v for k, v in avg.items()})
            log(record)
            bar.set_postfix(loss=f"{avg['loss']:.4f}", edge=f"{avg['edge']:.3f}")
            tqdm.write(json.dumps({k: round(v, 5) for k, v in record.items()}), file=sys.stdout)
            running, n_running = {}, 0
        if val_sources and (step % cfg.val_every == 0 or step == cfg.max_steps):
            last_val = validate(step)
        if step % cfg.checkpoint_every == 0:
            checkpoint(step)
        if limit_s is not None and trained_seconds() > limit_s:
            stop_reason = "time_limit"
            break
    bar.close()
    checkpoint(step)
    if val_sources and last_val.get("val_step") != step:
        last_val = validate(step)  # the summary reports the weights that were saved
    summary = {"step": step, "stop_reason": stop_reason, "trained_s": trained_seconds()}
    summary.update(last_val)
    print(json.dumps(summary), flush=True)
    return summary


# --- evaluation ----------------------------------------------------------------------------


def edges_to_graph(points_xy_px: np.ndarray, edge_index: np.ndarray) -> nx.Graph:
    """``graph_io`` graph (``xy`` pixels) of some edges among vertices, no isolated nodes."""
    from backend.methods.linegraph2road.graph_io import graph_from_arrays

    graph = graph_from_arrays(points_xy_px, edge_index)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return graph


def stitched_to_graph(stitched: Any) -> nx.Graph:
    """``graph_io`` graph (``xy`` pixels) of a ``StitchedGraph``'s kept edges, no isolated nodes."""
    return edges_to_graph(stitched.points_xy_px, stitched.edge_index)


def pixel_graph_to_metric(graph: nx.Graph, gsd_m: float) -> nx.Graph:
    """A pixel-frame graph as a metric graph for ``backend.eval`` (``xy`` and ``length_m``)."""
    out = nx.Graph(crs=None)
    for n, data in graph.nodes(data=True):
        out.add_node(n, xy=(data["xy"][0] * gsd_m, data["xy"][1] * gsd_m))
    for u, v in graph.edges:
        length = math.dist(out.nodes[u]["xy"], out.nodes[v]["xy"])
        if length > 0:
            out.add_edge(u, v, length_m=length)
    return out


def road_mask_f1(pred_prob: np.ndarray, target: np.ndarray, threshold: float = 0.5) -> dict:
    """Pixel precision / recall / F1 counts of a road mask (no relaxation)."""
    pred = pred_prob > threshold
    gt = target > 0
    tp = int(np.sum(pred & gt))
    return {"tp": tp, "fp": int(np.sum(pred & ~gt)), "fn": int(np.sum(~pred & gt))}


def _f1(counts: dict) -> dict[str, float]:
    p = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    r = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-12)}


def evaluate_model(
    model: LineGraph2Road,
    sources: Sequence[SampleSource],
    cache: TargetCache,
    params: PredictorParams,
    edge_threshold: float = 0.5,
    gsd_m: float = 1.0,
    device: str = "cpu",
    road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Road-mask F1 and, where ``backend.eval`` is available, APLS and TOPO per image.

    Each image goes through :func:`predict_image_graph` (sliding windows of the model's input
    size, Sec. 3.6). The road mask is thresholded at ``params.t_r`` and compared with the
    rasterised ground-truth centerlines (``road_width_px`` of the cache, no relaxation). The
    graph metrics compare with the image's ground-truth graph (``load_ground_truth_graph``);
    images whose ground truth has no path of at least 10 m are left out of APLS/TOPO (they
    cannot be scored).

    Returns:
        dict with ``road_mask`` (precision/recall/f1 over all pixels), ``apls``,
        ``topo_precision``, ``topo_recall``, ``topo_f1`` means over the scored images (when
        computed), ``n_images``, ``n_graph_scored``, ``params``, ``edge_threshold`` and
        ``per_image``.
    """
    return evaluate_model_edge_grid(
        model, sources, cache, params, (edge_threshold,), gsd_m, device,
        road_probability=road_probability,
    )[edge_threshold]  # fmt: skip


#: Graph metrics of each evaluated image (``backend.eval``).
GRAPH_METRICS = ("apls", "topo_precision", "topo_recall", "topo_f1")
#: The same metrics of the edge upper bound (:func:`evaluate_model_edge_grid`).
GT_EDGE_METRICS = tuple(f"{k}_gt_edges" for k in GRAPH_METRICS)


def _kept_edges_graph(
    stitched: Any,
    edge_threshold: float,
    shape_hw: tuple[int, int] | None = None,
    border_extension_px: float = 0.0,
    collinear_tolerance_px: float = 4.0,
) -> nx.Graph:
    """The graph ``extract_road_graph`` writes from the candidate edges above a threshold.

    The stitched graph must come from ``predict_image_graph(..., edge_threshold=0)``, which
    keeps every candidate; stitching keeps an edge when its mean probability is strictly
    greater than the threshold, so this gives the graph a prediction at ``edge_threshold``
    would have given (then :func:`_written_graph`).
    """
    keep = stitched.candidate_edge_prob > edge_threshold
    return _written_graph(stitched, keep, shape_hw, border_extension_px, collinear_tolerance_px)


def _written_graph(
    stitched: Any,
    keep: np.ndarray,
    shape_hw: tuple[int, int] | None,
    border_extension_px: float,
    collinear_tolerance_px: float,
) -> nx.Graph:
    """The graph of the candidate edges selected by ``keep`` (``(C,)`` bool) as the job writes
    it (:func:`~backend.methods.linegraph2road.output.output_graph`: collinear vertices joined
    in sequence, tolerance d_k / 2, and with ``border_extension_px`` > 0 dead ends continued
    to the border of the ``shape_hw`` image).
    """
    from backend.methods.linegraph2road.output import output_graph

    if border_extension_px > 0 and shape_hw is None:
        raise ValueError("border_extension_px needs the image shape_hw")
    height, width = shape_hw if shape_hw is not None else (None, None)
    written = output_graph(
        stitched.points_xy_px, stitched.candidate_edge_index[:, keep],
        stitched.candidate_edge_prob[keep], collinear_tolerance_px=collinear_tolerance_px,
        is_overpass=stitched.is_overpass, width_px=width, height_px=height,
        border_extension_px=border_extension_px,
    )  # fmt: skip
    return edges_to_graph(written.points_xy_px, written.edge_index)


def evaluate_model_edge_grid(
    model: LineGraph2Road,
    sources: Sequence[SampleSource],
    cache: TargetCache,
    params: PredictorParams,
    edge_thresholds: Sequence[float],
    gsd_m: float = 1.0,
    device: str = "cpu",
    edge_upper_bound: bool = False,
    road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
    border_extension_px: float = 0.0,
    road_mask_from_labels: bool = False,
) -> dict[float, dict[str, Any]]:
    """:func:`evaluate_model` at several edge thresholds, each image predicted once.

    The edge threshold only decides which stitched candidate edges are kept, so every image
    is predicted once (``edge_threshold=0``) and its graph re-thresholded per entry.

    With ``edge_upper_bound``, each row also gets ``apls_gt_edges`` (and
    ``topo_*_gt_edges``): the scores of the predicted vertices joined by the candidate
    edges that :func:`~backend.methods.linegraph2road.targets.label_edges_on_ground_truth`
    labels positive, i.e. what a perfect edge classifier would reach on these vertices. The
    gap to ``apls`` is what the edge classifier loses; the gap from it to 1 what the vertices
    (road and keypoint masks, NMS) lose.

    ``road_probability`` (e.g. :func:`anchor_sam_road_probability`) replaces the model's
    road mask in coupled NMS and in the road-mask F1 (``LineGraph2RoadPredictor``).
    ``border_extension_px`` > 0 continues dead ends to the image border, as the job does
    (both the scored graphs and the edge upper bound's). ``road_mask_from_labels`` puts each
    image's label (the cached road target, centerlines rasterised ``road_width_px`` wide) in
    place of the road mask: a diagnostic of what a perfect road mask would give the model's
    keypoints and edges (not a score of the model).

    Returns:
        ``{edge_threshold: evaluate_model result}``; with ``edge_upper_bound`` the results
        also hold the means of the ``*_gt_edges`` figures.
    """
    try:
        from backend.eval.compare import evaluate_graphs
    except ImportError:  # metrics not installed: mask F1 only
        evaluate_graphs = None
    predictor = LineGraph2RoadPredictor(
        model, device=device, params=params, road_probability=road_probability
    )
    counts = {"tp": 0, "fp": 0, "fn": 0}
    per_image: dict[float, list[dict[str, Any]]] = {t: [] for t in edge_thresholds}
    for source in sources:
        image = read_rgb_uint8(source.image_path)
        targets = cache.get(source, 0, image.shape[:2])
        label_road = targets["masks"][1].astype(np.float32) if road_mask_from_labels else None
        pred = predict_image_graph(
            predictor, image, params, edge_threshold=0.0, road_probability_image=label_road
        )
        c = road_mask_f1(pred.probs[1], targets["masks"][1], threshold=params.t_r)
        for k in counts:
            counts[k] += c[k]
        gt = None
        bound: dict[str, float] = {}
        if evaluate_graphs is not None:
            gt_px = load_ground_truth_graph(source, image.shape[:2])
            gt = pixel_graph_to_metric(gt_px, gsd_m)
            if edge_upper_bound:
                bound = _edge_upper_bound(
                    pred.graph, gt_px, gt, gsd_m, border_extension_px, image.shape[:2],
                    params.d_k_px / 2.0,
                )  # fmt: skip
        for edge_threshold in edge_thresholds:
            row: dict[str, Any] = {"key": source.key, "road_f1": _f1(c)["f1"], **bound}
            if gt is not None:
                kept = _kept_edges_graph(
                    pred.graph, edge_threshold, image.shape[:2], border_extension_px,
                    params.d_k_px / 2.0,
                )  # fmt: skip
                proposal = pixel_graph_to_metric(kept, gsd_m)
                try:
                    scores = evaluate_graphs(gt, proposal)
                    row.update({k: scores[k] for k in GRAPH_METRICS})
                except ValueError:  # ground truth too short to score
                    pass
            per_image[edge_threshold].append(row)
    results = {}
    for edge_threshold, rows in per_image.items():
        result: dict[str, Any] = {
            "n_images": len(sources),
            "road_mask": _f1(counts),
            "params": asdict(params),
            "edge_threshold": edge_threshold,
            "per_image": rows,
        }
        scored = [r for r in rows if "apls" in r]
        result["n_graph_scored"] = len(scored)
        if scored:
            for k in GRAPH_METRICS + (GT_EDGE_METRICS if edge_upper_bound else ()):
                result[k] = float(np.mean([r[k] for r in scored]))
        results[edge_threshold] = result
    return results


def _edge_upper_bound(
    stitched: Any,
    gt_px: nx.Graph,
    gt_metric: nx.Graph,
    gsd_m: float,
    border_extension_px: float = 0.0,
    shape_hw: tuple[int, int] | None = None,
    collinear_tolerance_px: float = 4.0,
) -> dict[str, float]:
    """Scores of the predicted vertices joined by the ground-truth-labelled candidate edges.

    ``gt_px`` is the ground-truth graph in pixels, ``gt_metric`` the same in metres; the
    graph is made as the job writes it (:func:`_written_graph`).
    """
    from backend.eval.compare import evaluate_graphs
    from backend.methods.linegraph2road.graph_io import graph_to_arrays
    from backend.methods.linegraph2road.targets import label_edges_on_ground_truth

    _, gt_xy, gt_edges = graph_to_arrays(gt_px)
    labels = label_edges_on_ground_truth(
        stitched.points_xy_px, stitched.candidate_edge_index, gt_xy[gt_edges.T]
    )
    graph = _written_graph(
        stitched, labels > 0, shape_hw, border_extension_px, collinear_tolerance_px
    )
    try:
        scores = evaluate_graphs(gt_metric, pixel_graph_to_metric(graph, gsd_m))
    except ValueError:  # ground truth too short to score
        return {}
    return {f"{k}_gt_edges": scores[k] for k in GRAPH_METRICS}


# --- validation report (issue 10, item 2) ---------------------------------------------------


#: Threshold grids of the report. Low values included: the heads of a CPU-trained model are
#: under-confident (BCE on a thin mask, few positive candidate edges); the shipped model's
#: APLS-best thresholds were t_r 0.1 and edge 0.02.
REPORT_T_R_GRID = (0.03, 0.05, 0.1, 0.2, 0.3, 0.5)
REPORT_EDGE_GRID = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)


def _mean_of_domains(rows: Sequence[dict[str, Any]], metric: str) -> float | None:
    by_domain: dict[str, list[float]] = {}
    for row in rows:
        if metric in row:
            by_domain.setdefault(domain_of(row["key"]), []).append(row[metric])
    if not by_domain:
        return None
    return float(np.mean([np.mean(v) for v in by_domain.values()]))


def _per_domain(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in result["per_image"]:
        d = out.setdefault(domain_of(row["key"]), {"n_images": 0, "rows": []})
        d["n_images"] += 1
        d["rows"].append(row)
    for d in out.values():
        rows = d.pop("rows")
        d["road_f1_mean"] = float(np.mean([r["road_f1"] for r in rows]))
        scored = [r for r in rows if "apls" in r]
        d["n_graph_scored"] = len(scored)
        for k in GRAPH_METRICS + GT_EDGE_METRICS:
            if scored and all(k in r for r in scored):
                d[k] = float(np.mean([r[k] for r in scored]))
        # Per image, so that two reports on the same images can be compared pairwise.
        d["apls_per_image"] = {r["key"]: float(r["apls"]) for r in scored}
    return out


def vegas_labelled_topo_recall(
    model: LineGraph2Road,
    roads_root: str | os.PathLike[str],
    params: PredictorParams,
    edge_threshold: float,
    model_gsd_m: float = 1.0,
    device: str = "cpu",
    road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
    border_extension_px: float = 0.0,
) -> dict[str, Any]:
    """TOPO recall of the labelled roads of the SpaceNet Vegas pan chip's report half.

    The east half (the multi-domain report split) is resampled to the model GSD (11-bit
    band stretched 2-98 %), predicted, and compared with the partial vector centerlines
    (``centerlines_partial.geojson``) clipped to it. Labels are partial, so precision (and
    APLS, which penalises proposals without a label) are not meaningful; recall is.
    """
    from affine import Affine

    from backend.eval.compare import evaluate_graphs
    from backend.methods.linegraph2road.graph_io import graph_from_vector_lines
    from backend.train.datasets import multi_domain_samples, read_domain_pair_at_gsd

    sample = next(
        s for s in multi_domain_samples(roads_root, ["spacenet_vegas_pan"]) if s.split == "report"
    )
    image, _, _ = read_domain_pair_at_gsd(sample, model_gsd_m)
    import rasterio

    with rasterio.open(sample.image_path) as src:
        transform, crs = src.transform, src.crs
    r0, r1, c0, c1 = sample.window_px
    height, width = image.shape[:2]
    window_transform = (
        transform * Affine.translation(c0, r0) * Affine.scale((c1 - c0) / width, (r1 - r0) / height)
    )
    lines = Path(roads_root) / "spacenet_vegas_pan" / "centerlines_partial.geojson"
    gt = graph_from_vector_lines(lines, window_transform, crs, width, height)
    predictor = LineGraph2RoadPredictor(
        model, device=device, params=params, road_probability=road_probability
    )
    pred = predict_image_graph(predictor, image, params, edge_threshold=0.0)
    proposal = _kept_edges_graph(
        pred.graph, edge_threshold, image.shape[:2], border_extension_px, params.d_k_px / 2.0
    )
    scores = evaluate_graphs(
        pixel_graph_to_metric(gt, model_gsd_m), pixel_graph_to_metric(proposal, model_gsd_m)
    )
    return {
        "topo_recall_labelled": scores["topo_recall"],
        "labelled_length_m": scores["ground_truth"]["length_m"],
        "proposal_length_m": scores["proposal"]["length_m"],
        "image_px": [height, width],
    }


def anchor_sam_road_probability(
    weights: str | os.PathLike[str], device: str = "cpu", test_time_augmentation: int = 1
) -> Callable[[np.ndarray], np.ndarray]:
    """``f(windows (B, H, W, 3) uint8) -> (B, H, W)`` road probability of an Anchor-SAM
    weights file (training checkpoint or fp16 export), for ``road_probability`` arguments,
    averaged over ``test_time_augmentation`` views (``predict_probability``); its ``source``
    attribute names the file and the views (reports record it)."""
    from backend.methods.anchor_sam.predict import predict_probability
    from backend.train.anchor_sam import load_trained

    anchor = load_trained(weights).to(device).eval()
    road_probability = partial(
        predict_probability, anchor, device=device, test_time_augmentation=test_time_augmentation
    )
    source = str(weights)
    if test_time_augmentation > 1:
        source += f" ({test_time_augmentation} test-time views)"
    road_probability.source = source  # type: ignore[attr-defined]
    return road_probability


def load_model_file(path: str | os.PathLike[str], variant: str | None = None) -> LineGraph2Road:
    """A model from a training checkpoint (its own configuration) or an fp16 state dict.

    The variant of a plain state dict is ``variant`` or, when None, read from its keys
    (``image_encoder.trunk.*``: ``hiera_pico``, with ``mask_decoder.high_res_proj.*`` too:
    ``hiera_pico_hr``, or ``hiera_pico_hr_edge`` when the edge MLP takes more inputs;
    else ``vit_tiny``).

    Raises:
        ValueError: not a checkpoint, or weights that do not fit the configuration.
    """
    raw = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(raw, dict) and isinstance(raw.get("model_config"), dict):
        config = LineGraph2RoadConfig.from_dict(raw["model_config"])
    else:
        state = raw.get("model", raw) if isinstance(raw, dict) else raw
        if variant is None:
            variant = "vit_tiny"
            if any(k.startswith("image_encoder.trunk.") for k in state):
                variant = "hiera_pico"
                if any(k.startswith("mask_decoder.high_res_proj.") for k in state):
                    variant = "hiera_pico_hr"
                    edge_in = state["edge_mlp.0.weight"].shape[1]
                    if edge_in > CONFIGS[variant].n_sampled * CONFIGS[variant].feature_dim:
                        variant = "hiera_pico_hr_edge"
        config = CONFIGS[variant]
    model = build_linegraph2road(config)
    load_state_dict_strict(model, load_state_dict_file(path), source=str(path))
    return model.eval()


#: ``road_mask_model`` of a report whose road masks were the labels (a diagnostic).
LABEL_ROAD_MASK = "the label itself (rasterised centerlines; a diagnostic, not a model)"


def graph_report(
    model: LineGraph2Road,
    data_dir: str | os.PathLike[str],
    cache: TargetCache,
    roads_root: str | os.PathLike[str] | None = None,
    t_r_grid: Sequence[float] = REPORT_T_R_GRID,
    edge_grid: Sequence[float] = REPORT_EDGE_GRID,
    device: str = "cpu",
    road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
    border_extension_px: float = 0.0,
    road_mask_from_labels: bool = False,
) -> dict[str, Any]:
    """The graph part of the validation report, the same for every LineGraph2Road model.

    Thresholds (``t_r``, edge threshold) are chosen on the ``select`` images of the
    multi-domain folder (:func:`~backend.train.datasets.write_domain_set_at_gsd` names;
    best mean-of-domains APLS), then the ``report`` images are scored per domain at the
    chosen thresholds and at 0.5 / 0.5; no reported figure comes from the images the
    thresholds were tuned on. Per domain: road-mask F1 (against the rasterised
    centerlines, no relaxation), APLS (SpaceNet definition) and TOPO against the skeleton
    graph of the label. With ``roads_root``, the labelled-road TOPO recall of the Vegas pan
    report half is added (:func:`vegas_labelled_topo_recall`). With ``road_probability``
    (:func:`anchor_sam_road_probability`), another model's road mask replaces the
    LineGraph2Road one everywhere (the road F1 is then that model's). With
    ``border_extension_px`` > 0, dead ends are continued to the image border as the job
    does with the card's ``inference_defaults.border_extension_px``. With
    ``road_mask_from_labels`` every split image's label is its road mask (a diagnostic, see
    :func:`evaluate_model_edge_grid`; the Vegas pan recall is then left out: its labels are
    partial).

    Returns:
        ``{"select": {...grid...}, "chosen": {"t_r", "edge_threshold"}, "report_chosen":
        {domain: metrics}, "report_0.5": {...}, "vegas_pan_east": {...}}``.
    """
    select = discover_samples(data_dir, ["*__select__*"])
    report = discover_samples(data_dir, ["*__report__*"])
    if not select or not report:
        raise ValueError(
            f"{data_dir} has no '*__select__*' / '*__report__*' images; "
            "write it with backend.train.datasets.write_domain_set_at_gsd"
        )
    grid = []
    for t_r in t_r_grid:
        results = evaluate_model_edge_grid(
            model, select, cache, PredictorParams(t_r=t_r), edge_grid, 1.0, device,
            road_probability=road_probability, border_extension_px=border_extension_px,
            road_mask_from_labels=road_mask_from_labels,
        )  # fmt: skip
        grid.extend(
            {
                "t_r": t_r,
                "edge_threshold": edge,
                "apls_mean_of_domains": _mean_of_domains(results[edge]["per_image"], "apls"),
                "per_domain": _per_domain(results[edge]),
            }
            for edge in edge_grid
        )
    best = max(grid, key=lambda g: g["apls_mean_of_domains"] or 0.0)
    chosen = {"t_r": best["t_r"], "edge_threshold": best["edge_threshold"]}
    out: dict[str, Any] = {"select_grid": grid, "chosen_on_select": chosen}
    for name, t_r, edge in (
        ("report_chosen", best["t_r"], best["edge_threshold"]),
        ("report_0.5", 0.5, 0.5),
    ):
        result = evaluate_model_edge_grid(
            model, report, cache, PredictorParams(t_r=t_r), (edge,), 1.0, device,
            edge_upper_bound=name == "report_chosen", road_probability=road_probability,
            border_extension_px=border_extension_px, road_mask_from_labels=road_mask_from_labels,
        )[edge]  # fmt: skip
        out[name] = {
            "t_r": t_r,
            "edge_threshold": edge,
            "apls_mean_of_domains": _mean_of_domains(result["per_image"], "apls"),
            "per_domain": _per_domain(result),
        }
    if roads_root is not None and not road_mask_from_labels:
        out["vegas_pan_east"] = vegas_labelled_topo_recall(
            model,
            roads_root,
            PredictorParams(t_r=best["t_r"]),
            best["edge_threshold"],
            device=device,
            road_probability=road_probability,
            border_extension_px=border_extension_px,
        )
    out["border_extension_px"] = border_extension_px
    if road_probability is not None:
        out["road_mask_model"] = getattr(road_probability, "source", "another model")
    if road_mask_from_labels:
        out["road_mask_model"] = LABEL_ROAD_MASK
    return out


def report_apls_per_image(report: dict[str, Any], part: str = "select") -> dict[str, dict]:
    """Per-image APLS of a :func:`graph_report` at its chosen thresholds, by domain.

    Args:
        report: a graph report (JSON as written by ``report``).
        part: ``"select"`` (the select-grid cell at the chosen thresholds) or ``"report"``
            (``report_chosen``).

    Returns:
        ``{domain: {image key: APLS}}`` (see :mod:`backend.eval.bootstrap`).

    Raises:
        ValueError: an unknown part, or a report written before per-image APLS was kept
            (2026-12-02): make it again.
    """
    if part == "select":
        chosen = report["chosen_on_select"]
        cell = next(
            g
            for g in report["select_grid"]
            if g["t_r"] == chosen["t_r"] and g["edge_threshold"] == chosen["edge_threshold"]
        )
    elif part == "report":
        cell = report["report_chosen"]
    else:
        raise ValueError(f"part must be 'select' or 'report', got {part!r}")
    out = {}
    for domain, metrics in cell["per_domain"].items():
        if "apls_per_image" not in metrics:
            raise ValueError(
                "this report has no per-image APLS (written before 2026-12-02); make it again "
                "with python -m backend.train.linegraph2road report"
            )
        if metrics["apls_per_image"]:
            out[domain] = metrics["apls_per_image"]
    return out


def graph_report_markdown(report: dict[str, Any]) -> str:
    """The report as a markdown table (one row per domain and split)."""
    chosen = report["chosen_on_select"]
    lines = [
        "# LineGraph2Road validation report",
        "",
        f"Thresholds chosen on the select split: t_r {chosen['t_r']}, edge "
        f"{chosen['edge_threshold']} (best mean-of-domains APLS). Figures below are on the "
        "report split, which no threshold or checkpoint was chosen on.",
        "",
        "The last column is the edge upper bound: APLS of the same predicted vertices joined by "
        "the candidate edges labelled against the ground truth (a perfect edge classifier).",
        "",
        "| split / thresholds | domain | images | road F1 | APLS | TOPO P | TOPO R | TOPO F1 "
        "| APLS, ground-truth edges |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    if report.get("border_extension_px"):
        lines[3:3] = [
            "",
            f"Dead ends within {report['border_extension_px']:g} px of the image border are "
            "continued to it, as the job does.",
        ]
    if report.get("road_mask_model") == LABEL_ROAD_MASK:
        lines[3:3] = [
            "",
            "Road mask: each image's label replaces the model's road mask (a diagnostic of "
            "what a perfect road mask gives this model's keypoints and edges; road F1 is 1).",
        ]
    elif "road_mask_model" in report:
        lines[3:3] = [
            "",
            f"Road mask: the road probability of {report['road_mask_model']} replaces the "
            "model's own (road F1 is that model's).",
        ]
    for name in ("report_chosen", "report_0.5"):
        part = report[name]
        for domain, m in sorted(part["per_domain"].items()):
            cells = [
                f"{m[k]:.3f}" if k in m else "-"
                for k in ("road_f1_mean", *GRAPH_METRICS, "apls_gt_edges")
            ]
            lines.append(
                f"| {name} (t_r {part['t_r']}, edge {part['edge_threshold']}) | "
                f"{domain} | {m['n_images']} | " + " | ".join(cells) + " |"
            )
        mean = part["apls_mean_of_domains"]
        lines.append(
            f"| {name} | mean of domains | | | {'-' if mean is None else f'{mean:.3f}'} | | | | |"
        )
    vegas = report.get("vegas_pan_east")
    if vegas:
        lines += [
            "",
            f"SpaceNet Vegas pan, east half (partial labels): TOPO recall of the "
            f"labelled roads {vegas['topo_recall_labelled']:.3f} "
            f"({vegas['labelled_length_m']:.0f} m labelled, "
            f"{vegas['proposal_length_m']:.0f} m proposed).",
        ]
    return "\n".join(lines) + "\n"


# --- export --------------------------------------------------------------------------------


def export_fp16(
    checkpoint: str | os.PathLike[str],
    output: str | os.PathLike[str],
    card: dict[str, Any],
) -> dict[str, Any]:
    """Write the shipped fp16 state dict and its JSON model card next to it.

    Args:
        checkpoint: training checkpoint (``last.pt``, its ``model_config`` is used) or a
            state dict file (built as ``card["variant"]``).
        output: ``.pt`` path; the card goes to the same path with ``.json``.
        card: model card facts (variant, data, metrics...); ``file_name``, ``sha256``,
            ``size_bytes``, ``parameters`` and ``architecture`` are added.

    Returns:
        The card as written.

    Raises:
        ValueError: the weights do not fit the configuration.
    """
    model = load_model_file(checkpoint, card["variant"])
    fp16 = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(output, fp16)
    card = dict(card)
    card.update(
        {
            "file_name": output.name,
            "sha256": sha256_of_file(output),
            "size_bytes": output.stat().st_size,
            "parameters": count_parameters(model),
            "architecture": model.config.to_dict(),
        }
    )
    card_path = output.with_suffix(".json")
    card_path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return card


# --- CLI -----------------------------------------------------------------------------------


def _floats(text: str) -> list[float]:
    try:
        return [float(p) for p in split_patterns(text)]
    except ValueError as exc:
        raise ValueError(f"expected comma-separated numbers, got {text!r}") from exc


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``train`` command (for wiring into the main CLI)."""
    d = TrainConfig("", "")
    parser.add_argument("--data", required=True, help="dataset folder (see module docstring)")
    parser.add_argument("--out", required=True, help="run folder: checkpoints, history, cache")
    parser.add_argument("--train-include", default="*", help="comma-separated name patterns")
    parser.add_argument("--val-include", default="", help="comma-separated name patterns")
    parser.add_argument("--cache-dir", default=None, help="target cache (default OUT/targets)")
    parser.add_argument("--variant", default=d.variant, choices=sorted(CONFIGS))
    parser.add_argument(
        "--sam-checkpoint",
        default=None,
        help="official sam_vit_b_01ec64.pth to start the vit_b encoder from",
    )
    parser.add_argument(
        "--crop-px",
        type=int,
        default=None,
        help="training crop side in pixels (default: the variant's input size)",
    )
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--max-steps", type=int, default=d.max_steps)
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--weight-decay", type=float, default=d.weight_decay)
    parser.add_argument("--warmup-steps", type=int, default=d.warmup_steps)
    parser.add_argument(
        "--encoder-lr-scale",
        type=float,
        default=None,
        help="default 0.05 with --sam-checkpoint, else 1.0",
    )
    parser.add_argument(
        "--edge-loss-weight", type=float, default=d.edge_loss_weight, help="lambda of Eq. 4"
    )
    parser.add_argument(
        "--road-dice-weight",
        type=float,
        default=d.road_dice_weight,
        help="weight of a road-mask Dice term added to Eq. 4 (0: the paper's loss)",
    )
    parser.add_argument(
        "--distractor-ratio",
        type=float,
        default=d.distractor_ratio,
        help="off-road distractor vertices per crop vertex, negatives for the edge classifier "
        "(0: the paper's candidate edges)",
    )
    parser.add_argument(
        "--own-vertex-share",
        type=float,
        default=d.own_vertex_share,
        help="share of the crops whose candidate edges join the model's own NMS vertices, "
        "labelled against the ground truth (0: the paper's ground-truth vertices only)",
    )
    parser.add_argument(
        "--own-vertex-t-r",
        type=_floats,
        default=list(d.own_vertex_t_r),
        metavar="LOW,HIGH",
        help="range of the NMS road threshold of those crops",
    )
    parser.add_argument(
        "--road-mask-weights",
        default=None,
        help="Anchor-SAM weights whose road probability replaces the model's road mask for "
        "the own-vertex crops and the validation graph metrics",
    )
    parser.add_argument("--d-k-px", type=float, default=d.targets.d_k_px)
    parser.add_argument("--d-r-px", type=float, default=d.targets.d_r_px)
    parser.add_argument("--d-nei-px", type=float, default=d.targets.d_nei_px)
    parser.add_argument("--road-width-px", type=float, default=d.targets.road_width_px)
    parser.add_argument(
        "--target-variants",
        type=int,
        default=d.targets.variants,
        help="random Algorithm 4 interpolations cached per image",
    )
    parser.add_argument(
        "--init-encoder-from",
        default=None,
        help="weights to start from: an Anchor-SAM .pt (its Hiera encoder, for hiera_* "
        "variants) or an earlier LineGraph2Road .pt of the same variant (all weights)",
    )
    parser.add_argument(
        "--keep-best",
        action="store_true",
        help="also save OUT/best.pt at every validation that scores best so far (mean of "
        "road-mask F1 and APLS; minus the loss with --no-graph-metrics)",
    )
    parser.add_argument(
        "--balance-domains",
        action="store_true",
        help="equal share of the batches per domain (image names DOMAIN__SPLIT__KEY)",
    )
    parser.add_argument(
        "--photometric", action="store_true", help="strong colour/texture augmentation"
    )
    parser.add_argument(
        "--no-graph-metrics",
        action="store_true",
        help="validate with the loss only (no sliding-window APLS/TOPO: faster)",
    )
    parser.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    parser.add_argument("--val-every", type=int, default=d.val_every)
    parser.add_argument("--log-every", type=int, default=d.log_every)
    parser.add_argument("--time-limit-min", type=float, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """:class:`TrainConfig` from parsed ``train`` arguments."""
    return TrainConfig(
        data_dir=args.data,
        out_dir=args.out,
        train_include=split_patterns(args.train_include),
        val_include=split_patterns(args.val_include),
        cache_dir=args.cache_dir,
        variant=args.variant,
        sam_checkpoint=args.sam_checkpoint,
        crop_px=args.crop_px,
        batch_size=args.batch_size,
        max_steps=args.max_steps,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup_steps=args.warmup_steps,
        encoder_lr_scale=args.encoder_lr_scale,
        edge_loss_weight=args.edge_loss_weight,
        road_dice_weight=args.road_dice_weight,
        distractor_ratio=args.distractor_ratio,
        own_vertex_share=args.own_vertex_share,
        road_mask_weights=args.road_mask_weights,
        own_vertex_t_r=tuple(args.own_vertex_t_r),
        targets=TargetParams(
            d_k_px=args.d_k_px,
            d_r_px=args.d_r_px,
            d_nei_px=args.d_nei_px,
            road_width_px=args.road_width_px,
            variants=args.target_variants,
        ),
        init_encoder_from=args.init_encoder_from,
        keep_best=args.keep_best,
        balance_domains=args.balance_domains,
        photometric=args.photometric,
        graph_metrics=not args.no_graph_metrics,
        checkpoint_every=args.checkpoint_every,
        val_every=args.val_every,
        log_every=args.log_every,
        time_limit_min=args.time_limit_min,
        device=args.device,
        num_workers=args.num_workers,
        seed=args.seed,
    )


def build_parser() -> argparse.ArgumentParser:
    """Parser of the train, evaluate, report, compare and export commands."""
    parser = argparse.ArgumentParser(
        prog="python -m backend.train.linegraph2road",
        description="Train, evaluate and export LineGraph2Road road-graph models.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_train_arguments(sub.add_parser("train", help="train or resume a model"))

    ev = sub.add_parser("evaluate", help="road-mask F1, APLS, TOPO on a validation split")
    ev.add_argument("--weights", required=True, help="training checkpoint or fp16 state dict")
    ev.add_argument("--variant", default="vit_tiny", choices=sorted(CONFIGS))
    ev.add_argument("--data", required=True)
    ev.add_argument("--include", default="*", help="comma-separated name patterns")
    ev.add_argument("--cache-dir", required=True)
    ev.add_argument("--road-width-px", type=float, default=TargetParams.road_width_px)
    ev.add_argument(
        "--t-k", default="0.5", help="keypoint threshold(s), comma-separated for a grid search"
    )
    ev.add_argument("--t-r", default="0.5", help="road threshold(s), comma-separated")
    ev.add_argument("--edge-threshold", default="0.5", help="edge threshold(s), comma-separated")
    ev.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ev.add_argument("--gsd-m", type=float, default=1.0)
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--output", default=None, help="write the metrics JSON here")

    rp = sub.add_parser("report", help="validation report of a model (select -> report split)")
    rp.add_argument("--weights", required=True, help="training checkpoint or fp16 state dict")
    rp.add_argument("--data", required=True, help="folder from write_domain_set_at_gsd")
    rp.add_argument("--roads", default=None, help="shared/data/roads (adds Vegas pan recall)")
    rp.add_argument("--cache-dir", required=True)
    rp.add_argument("--road-width-px", type=float, default=TargetParams.road_width_px)
    rp.add_argument("--output", required=True, help="path stem: writes STEM.json and STEM.md")
    rp.add_argument(
        "--t-r",
        default=",".join(map(str, REPORT_T_R_GRID)),
        help="road thresholds tried on the select split",
    )
    rp.add_argument(
        "--edge-threshold",
        default=",".join(map(str, REPORT_EDGE_GRID)),
        help="edge thresholds tried on the select split",
    )
    rp.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    rp.add_argument("--device", default="cpu")
    rp.add_argument(
        "--road-mask-weights",
        default=None,
        help="Anchor-SAM weights whose road probability replaces the model's road mask",
    )
    rp.add_argument(
        "--road-mask-test-time-augmentation",
        type=int,
        default=1,
        choices=TEST_TIME_AUGMENTATIONS,
        help="views averaged by the road mask model (predict_probability)",
    )
    rp.add_argument(
        "--border-extension-px",
        type=float,
        default=0.0,
        help="continue dead ends this close to the image border on to it, model px "
        "(borders.extend_dead_ends_to_border; 0: off)",
    )
    rp.add_argument(
        "--road-mask-from-labels",
        action="store_true",
        help="diagnostic: each image's label as the road mask (what a perfect road mask "
        "would give this model's keypoints and edges)",
    )

    cp = sub.add_parser(
        "compare",
        help="bootstrap interval of a report's mean-of-domains APLS, or of the paired "
        "difference of two reports on the same images",
    )
    cp.add_argument("report_a", help="STEM.json of a report")
    cp.add_argument("report_b", nargs="?", default=None, help="second report (A - B)")
    cp.add_argument("--part", default="select", choices=("select", "report"))
    cp.add_argument("--draws", type=int, default=10000)
    cp.add_argument("--confidence", type=float, default=0.90)
    cp.add_argument("--seed", type=int, default=0)

    ex = sub.add_parser("export", help="write the shipped fp16 weights + JSON model card")
    ex.add_argument("--checkpoint", required=True)
    ex.add_argument("--output", required=True, help=".pt path (card: same name, .json)")
    ex.add_argument("--card", required=True, help="JSON file with the model card facts")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "train":
        if args.threads:
            torch.set_num_threads(args.threads)
        train(config_from_args(args), resume=args.resume)
        return 0
    if args.command == "evaluate":
        model = load_model_file(args.weights, args.variant)
        if args.threads:
            torch.set_num_threads(args.threads)
        cache = TargetCache(args.cache_dir, TargetParams(road_width_px=args.road_width_px))
        sources = discover_samples(args.data, split_patterns(args.include))
        grid = itertools.product(_floats(args.t_k), _floats(args.t_r), _floats(args.edge_threshold))
        results = [
            evaluate_model(
                model,
                sources,
                cache,
                PredictorParams(t_k=t_k, t_r=t_r),
                edge_threshold=edge,
                gsd_m=args.gsd_m,
                device=args.device,
            )
            for t_k, t_r, edge in grid
        ]
        # Threshold selection on a validation split (Sec. 3.6, as in SAM-Road): best APLS,
        # or best road-mask F1 when the graph metrics are not available.
        best = max(results, key=lambda r: r.get("apls", r["road_mask"]["f1"]))
        if args.output:
            Path(args.output).write_text(json.dumps({"best": best, "grid": results}, indent=2))
        for r in results:
            summary = {k: v for k, v in r.items() if k not in ("per_image", "params")}
            print(json.dumps({"t_k": r["params"]["t_k"], "t_r": r["params"]["t_r"], **summary}))
        return 0
    if args.command == "report":
        if args.threads:
            torch.set_num_threads(args.threads)
        model = load_model_file(args.weights)
        cache = TargetCache(args.cache_dir, TargetParams(road_width_px=args.road_width_px))
        road_probability = None
        if args.road_mask_weights and args.road_mask_from_labels:
            raise SystemExit("give --road-mask-weights or --road-mask-from-labels, not both")
        if args.road_mask_weights:
            road_probability = anchor_sam_road_probability(
                args.road_mask_weights, args.device, args.road_mask_test_time_augmentation
            )
        report = graph_report(
            model,
            args.data,
            cache,
            args.roads,
            _floats(args.t_r),
            _floats(args.edge_threshold),
            device=args.device,
            road_probability=road_probability,
            border_extension_px=args.border_extension_px,
            road_mask_from_labels=args.road_mask_from_labels,
        )
        write_report(report, args.output, graph_report_markdown)
        print(graph_report_markdown(report))
        return 0
    if args.command == "compare":
        from backend.eval.bootstrap import bootstrap_mean_of_domains

        scores = [
            report_apls_per_image(json.loads(Path(path).read_text()), args.part)
            for path in (args.report_a, args.report_b)
            if path is not None
        ]
        result = bootstrap_mean_of_domains(
            *scores, n_draws=args.draws, confidence=args.confidence, seed=args.seed
        )
        print(json.dumps({"part": args.part, "paired_difference": len(scores) == 2, **result},
                         indent=2))  # fmt: skip
        return 0
    card = json.loads(Path(args.card).read_text())
    written = export_fp16(args.checkpoint, args.output, card)
    print(json.dumps({k: written[k] for k in ("file_name", "sha256", "size_bytes")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
