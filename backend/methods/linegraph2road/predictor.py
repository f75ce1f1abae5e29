"""LineGraph2Road predictor: windows, thresholds, coupled NMS, candidate graph, stitching.

Paper: "LineGraph2Road" (``shared/papers/linegraph2road.txt``), Sec. 3.3-3.6 and App. G.
Frames and units are those of ``model.py``: ``(x, y)`` pixel coordinates in the window
frame, corner origin. The network itself is in ``model.py``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from backend.geo.windows import blend_weights
from backend.methods.linegraph2road.candidates import candidate_edges, line_graph
from backend.methods.linegraph2road.model import (
    MASK_NAMES,
    CandidateGraphBatch,
    ImageFeatures,
    LineGraph2Road,
)
from backend.methods.linegraph2road.nms import coupled_nms
from backend.methods.linegraph2road.stitching import (
    WindowGraph,
    stitch_window_graphs,
    window_origins,
)


def round_up(value: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value``."""
    return int(math.ceil(value / multiple) * multiple)


def limit_candidate_degree(
    points_xy_px: np.ndarray, edge_index: np.ndarray, max_neighbors: int | None
) -> np.ndarray:
    """Keep a candidate edge only if it is among the ``max_neighbors`` shortest of both ends.

    The paper takes every pair within d_nei (Sec. 3.4). With a poor mask (an untrained model,
    an image unlike the training data) coupled NMS can return a vertex every d_k pixels, and
    the line graph then grows with the square of the degree (tens of millions of line-graph
    edges, memory exhaustion). Capping the degree bounds it to ``N * k * (k - 1)``; with road
    vertices d_r = 16 px apart a vertex has far fewer than 16 neighbours within 64 px, so
    the cap does not change normal predictions.

    Args:
        points_xy_px: ``(N, 2)`` vertex coordinates.
        edge_index: ``(2, E)`` candidate edges.
        max_neighbors: k; ``None`` keeps every edge (the paper's definition).

    Returns:
        ``(2, E')`` the kept columns, in their original order.
    """
    if max_neighbors is None or edge_index.shape[1] == 0:
        return edge_index
    pts = np.asarray(points_xy_px, dtype=np.float64)
    length = np.linalg.norm(pts[edge_index[0]] - pts[edge_index[1]], axis=1)
    n_edges = edge_index.shape[1]
    vertex = np.concatenate([edge_index[0], edge_index[1]])
    edge_id = np.concatenate([np.arange(n_edges), np.arange(n_edges)])
    order = np.lexsort((edge_id, np.concatenate([length, length]), vertex))
    sorted_vertex = vertex[order]
    group_start = np.searchsorted(sorted_vertex, sorted_vertex, side="left")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size) - group_start
    ok = rank < max_neighbors
    return edge_index[:, ok[:n_edges] & ok[n_edges:]]


@dataclass
class LineGraph2RoadPrediction:
    """Result for one window, all in the window's pixel frame (corner origin, see module).

    Attributes:
        keypoint_prob, road_prob, overpass_prob: ``(H, W)`` float32 probability maps.
        vertices_xy_px: ``(N, 2)`` float64 ``(x, y)`` pixel coordinates of the coupled-NMS
            vertices (Sec. 3.3).
        vertex_scores: ``(N,)`` probability of the mask each vertex came from.
        is_keypoint, is_overpass: ``(N,)`` bool, where the vertex came from.
        edge_index: ``(2, E)`` int64 candidate edges within ``d_nei_px`` (indices into
            ``vertices_xy_px``).
        edge_prob: ``(E,)`` float32 connectedness probability B-hat of each candidate.
    """

    keypoint_prob: np.ndarray
    road_prob: np.ndarray
    overpass_prob: np.ndarray
    vertices_xy_px: np.ndarray
    vertex_scores: np.ndarray
    is_keypoint: np.ndarray
    is_overpass: np.ndarray
    edge_index: np.ndarray
    edge_prob: np.ndarray

    def edges_above(self, threshold: float = 0.5) -> np.ndarray:
        """``(2, K)`` candidate edges whose probability exceeds ``threshold``."""
        return self.edge_index[:, self.edge_prob > threshold]


@dataclass(frozen=True)
class PredictorParams:
    """Inference thresholds and radii (Sec. 3.3, 3.6, 4.3).

    Attributes:
        t_k: keypoint / overpass mask threshold.
        t_r: road mask threshold.
        d_k_px: keypoint suppression radius in pixels (8 in the paper).
        d_r_px: road suppression radius in pixels (16).
        d_nei_px: candidate-edge radius in pixels (64).
        max_neighbors: candidate edges per vertex, see :func:`limit_candidate_degree`
            (``None``: all pairs within d_nei as in the paper).
    """

    t_k: float = 0.5
    t_r: float = 0.5
    d_k_px: float = 8.0
    d_r_px: float = 16.0
    d_nei_px: float = 64.0
    max_neighbors: int | None = 16


class LineGraph2RoadPredictor:
    """Window-level inference with cached image embeddings (DESIGN convention 3).

    ``set_image`` (or ``set_images`` for a batch of equal-size windows) runs the encoder once
    and keeps the feature map; ``predict`` (``predict_batch``) decodes masks, runs coupled
    NMS, builds candidate edges and scores them. Windows smaller than the model's
    ``input_size_px`` are padded to it; larger ones are padded to a multiple of 16.
    Sliding windows over a large raster and merging are done by ``stitching.py``.

    Args:
        model: a :class:`LineGraph2Road` (e.g. ``registry.get_model("linegraph2road_...")``).
        device: torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).
        params: default thresholds and radii.
        amp: autocast (fp16) on CUDA; ignored on other devices.
        road_probability: optional ``f(windows) -> probabilities`` mapping ``(B, H, W, 3)``
            uint8 windows to ``(B, H, W)`` float32 road probabilities at the model's GSD
            (e.g. Anchor-SAM's ``predict_probability`` bound to a model). When given, it
            replaces the decoder's road mask (Sec. 3.2) in coupled NMS; keypoint and
            overpass masks and the edge scores stay the model's. Not in the paper: the
            small CPU-trained decoders segment roads worse than a road segmentation model
            (issue 10; the model card's ``inference_defaults.road_mask_model``).
    """

    def __init__(
        self,
        model: LineGraph2Road,
        device: str | torch.device = "cpu",
        params: PredictorParams | None = None,
        amp: bool = True,
        road_probability: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.params = params or PredictorParams()
        self.amp = amp and self.device.type == "cuda"
        self.road_probability = road_probability
        self._road_prob: np.ndarray | None = None
        self._features: ImageFeatures | None = None
        self._image_size_hw_px: tuple[int, int] | None = None
        self._padded_size_hw_px: tuple[int, int] | None = None

    @property
    def is_image_set(self) -> bool:
        """True after :meth:`set_image` / :meth:`set_images`."""
        return self._features is not None

    def reset_image(self) -> None:
        """Drop the cached embedding."""
        self._features = self._road_prob = None
        self._image_size_hw_px = self._padded_size_hw_px = None

    def set_image(self, image_uint8: np.ndarray) -> None:
        """Encode one window and cache its feature map.

        Args:
            image_uint8: ``(H, W, 3)`` uint8 RGB, at the model's GSD.

        Raises:
            ValueError: wrong shape or dtype.
        """
        image = np.asarray(image_uint8)
        if image.ndim != 3:
            raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
        self.set_images(image[None])

    @torch.no_grad()
    def set_images(self, images_uint8: np.ndarray) -> None:
        """Encode a batch of equal-size windows (the batched path).

        Args:
            images_uint8: ``(B, H, W, 3)`` uint8 RGB.

        Raises:
            ValueError: wrong shape or dtype.
        """
        images = np.asarray(images_uint8)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"expected (B, H, W, 3) RGB windows, got shape {images.shape}; "
                "convert single-band or RGBA input to RGB first"
            )
        if images.dtype != np.uint8:
            raise ValueError(f"expected uint8 RGB (0..255), got {images.dtype}; rescale first")
        height, width = images.shape[1:3]
        min_size = self.model.config.input_size_px
        multiple = self.model.config.input_multiple_px
        pad_h = max(round_up(height, multiple), min_size)
        pad_w = max(round_up(width, multiple), min_size)
        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        x = self.model.normalize(x.permute(0, 3, 1, 2).float())
        # Zero after normalisation = the mean colour; bottom/right padding keeps the frame.
        x = F.pad(x, (0, pad_w - width, 0, pad_h - height))
        with torch.autocast(self.device.type, enabled=self.amp):
            self._features = self.model.encode(x)
        if self.road_probability is not None:
            self._road_prob = np.asarray(self.road_probability(images), dtype=np.float32)
            if self._road_prob.shape != images.shape[:3]:
                raise ValueError(
                    f"road_probability returned shape {self._road_prob.shape} for windows "
                    f"{images.shape[:3]}; it must return one (H, W) map per window"
                )
        self._image_size_hw_px = (height, width)
        self._padded_size_hw_px = (pad_h, pad_w)

    def predict(self, params: PredictorParams | None = None) -> LineGraph2RoadPrediction:
        """Masks, vertices, candidate edges and their probabilities for the set image.

        Args:
            params: thresholds and radii for this call (default: the predictor's).

        Raises:
            RuntimeError: no image set (call :meth:`set_image` first) or a batch was set.
        """
        if self._features is not None and self._features.grid.shape[0] != 1:
            raise RuntimeError("a batch of windows is set; use predict_batch()")
        return self.predict_batch(params)[0]

    @torch.no_grad()
    def predict_batch(
        self, params: PredictorParams | None = None
    ) -> list[LineGraph2RoadPrediction]:
        """:meth:`predict` for every window given to :meth:`set_images`, in order.

        Raises:
            RuntimeError: no image set.
        """

        p = params or self.params
        probs = self.predict_masks()
        vertex_sets = [
            coupled_nms(kp, road, over, t_k=p.t_k, t_r=p.t_r, d_k_px=p.d_k_px, d_r_px=p.d_r_px)
            for kp, road, over in probs
        ]
        scored = self.score_vertices(
            [v.points_xy_px for v in vertex_sets], p.d_nei_px, p.max_neighbors
        )
        return [
            LineGraph2RoadPrediction(
                keypoint_prob=prob[0],
                road_prob=prob[1],
                overpass_prob=prob[2],
                vertices_xy_px=verts.points_xy_px,
                vertex_scores=verts.scores,
                is_keypoint=verts.is_keypoint,
                is_overpass=verts.is_overpass,
                edge_index=edge_index,
                edge_prob=edge_prob,
            )
            for prob, verts, (edge_index, edge_prob) in zip(probs, vertex_sets, scored, strict=True)
        ]

    def _embedding_state(self) -> tuple[Any, ...]:
        return self._features, self._road_prob, self._image_size_hw_px, self._padded_size_hw_px

    def _restore_embedding_state(self, state: tuple[Any, ...]) -> None:
        self._features, self._road_prob, self._image_size_hw_px, self._padded_size_hw_px = state

    def _require_image(self) -> tuple[ImageFeatures, tuple[int, int]]:
        if self._features is None or self._image_size_hw_px is None:
            raise RuntimeError("call set_image() (or set_images()) before predict()")
        return self._features, self._image_size_hw_px

    @torch.no_grad()
    def predict_masks(self) -> np.ndarray:
        """Probability maps of the set windows (Sec. 3.2).

        Returns:
            ``(B, 3, H, W)`` float32 in [0, 1], channels in :data:`MASK_NAMES` order, cropped
            to the windows' size (padding removed); the road channel is the
            ``road_probability`` model's when the predictor has one.

        Raises:
            RuntimeError: no image set.
        """
        features, (height, width) = self._require_image()
        with torch.autocast(self.device.type, enabled=self.amp):
            logits = self.model.decode_masks(features)
        probs = logits[:, :, :height, :width].float().sigmoid().cpu().numpy()
        if self._road_prob is not None:
            probs[:, MASK_NAMES.index("road")] = self._road_prob
        return probs

    @torch.no_grad()
    def score_vertices(
        self,
        vertices_xy_px: Sequence[np.ndarray],
        d_nei_px: float,
        max_neighbors: int | None = 16,
        timer: StageTimer | None = None,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Candidate edges within ``d_nei_px`` and their probabilities (Sec. 3.4).

        Args:
            vertices_xy_px: one ``(N_b, 2)`` array of ``(x, y)`` pixels per set window,
                in that window's frame (e.g. from coupled NMS, or global vertices shifted
                into the window by a sliding-window driver).
            d_nei_px: candidate-edge radius in pixels.
            max_neighbors: degree cap (:func:`limit_candidate_degree`).
            timer: charges "graph_build" (candidates, line graph) and "transformer" (edge
                features, Graph Transformer) when given.

        Returns:
            Per window ``(edge_index (2, E_b) int64, edge_prob (E_b,) float32)``.

        Raises:
            RuntimeError: no image set. ValueError: not one vertex array per window.
        """

        features, _ = self._require_image()
        if len(vertices_xy_px) != features.grid.shape[0]:
            raise ValueError(
                f"{len(vertices_xy_px)} vertex arrays for {features.grid.shape[0]} set windows"
            )
        timer = timer or _NoTimer()
        graphs = []
        with timer.stage("graph_build"):
            for verts in vertices_xy_px:
                verts = np.asarray(verts, dtype=np.float64).reshape(-1, 2)
                edge_index = limit_candidate_degree(
                    verts, candidate_edges(verts, d_nei_px=d_nei_px), max_neighbors
                )
                graphs.append(
                    {
                        "vertices_xy_px": verts,
                        "edge_index": edge_index,
                        "line_edge_index": line_graph(edge_index, len(verts)),
                    }
                )
            batch = CandidateGraphBatch.from_graphs(graphs, device=self.device)
        with timer.stage("transformer"), torch.autocast(self.device.type, enabled=self.amp):
            logits = self.model.edge_logits(features, batch, self._padded_size_hw_px)
        probs = logits.float().sigmoid().cpu().numpy().astype(np.float32)
        out, start = [], 0
        for graph in graphs:
            n_edges = graph["edge_index"].shape[1]
            out.append((graph["edge_index"], probs[start : start + n_edges]))
            start += n_edges
        return out


class StageTimer:
    """Wall-clock seconds per pipeline stage (benchmarks). CUDA work is synchronised at stage
    boundaries so it is charged to the stage that queued it.

    Attributes:
        seconds: stage name -> accumulated seconds.
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._cuda = torch.device(device).type == "cuda"

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        try:
            yield
        finally:
            if self._cuda:
                torch.cuda.synchronize()
            self.seconds[name] += time.perf_counter() - start


class _NoTimer:
    """Stand-in for :class:`StageTimer` when nobody measures (no CUDA syncs)."""

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        yield


@dataclass
class ImageGraphPrediction:
    """Road graph of a whole image from sliding windows (Sec. 3.6, App. G).

    Attributes:
        probs: ``(3, H, W)`` float32 fused probability maps (:data:`MASK_NAMES` order).
        graph: ``stitching.StitchedGraph`` in the image's pixel frame (kept edges, all
            candidates with their window-averaged probabilities).
        window_origins_xy_px: ``(K, 2)`` ``(x0, y0)`` of the windows used.
    """

    probs: np.ndarray
    graph: Any
    window_origins_xy_px: np.ndarray


@torch.no_grad()
def predict_image_graph(
    predictor: LineGraph2RoadPredictor,
    image_uint8: np.ndarray,
    params: PredictorParams | None = None,
    *,
    window_px: int | None = None,
    overlap_px: float = 96.0,
    edge_threshold: float = 0.5,
    ramp_px: int = 32,
    batch_size: int = 4,
    on_window: Callable[[int, int], None] | None = None,
    timer: StageTimer | None = None,
    road_probability_image: np.ndarray | None = None,
) -> ImageGraphPrediction:
    """Sliding-window inference over an in-memory image (Sec. 3.6, App. G).

    Masks of overlapping windows are blended (weights ramping up from window borders),
    coupled NMS runs once on the fused maps, and every window scores the candidate edges
    among the global vertices it contains; ``stitching.stitch_window_graphs`` then averages
    the probability of an edge seen by several windows (Sec. 3.6). Since the windows
    overlap by more than d_nei, every candidate edge lies wholly inside at least one window.

    Args:
        predictor: predictor of the model (its cached image is replaced).
        image_uint8: ``(H, W, 3)`` uint8 RGB at the model's GSD.
        params: thresholds and radii (default: the predictor's).
        window_px: window side (default: the model's ``input_size_px``).
        overlap_px: minimum overlap of neighbouring windows; must exceed ``d_nei_px``.
        edge_threshold: edges with mean probability above it are kept.
        ramp_px: width of the blending ramp at window borders.
        batch_size: windows encoded together.
        on_window: called as ``on_window(done, total)`` after each batch of windows in each
            of the two passes (progress; a job's cancellation raises from it).
        timer: collects seconds per stage (encoder, decoder, nms, graph_build, transformer,
            stitching) when given.
        road_probability_image: ``(H, W)`` road probability of the whole image in [0, 1] that
            replaces the blended road mask before coupled NMS (e.g. the label itself, to
            measure what a perfect road mask would give); None keeps the model's (or the
            predictor's ``road_probability`` model's).

    Returns:
        :class:`ImageGraphPrediction` in the image's pixel frame.

    Raises:
        ValueError: bad image, ``overlap_px`` not in ``(d_nei_px, window_px)``, or a
            ``road_probability_image`` of another size than the image.
    """

    image = np.asarray(image_uint8)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    if road_probability_image is not None and road_probability_image.shape != image.shape[:2]:
        raise ValueError(
            f"road_probability_image has shape {road_probability_image.shape}, the image "
            f"{image.shape[:2]}; give one probability per image pixel"
        )
    p = params or predictor.params
    window_px = window_px or predictor.model.config.input_size_px
    height, width = image.shape[:2]
    origins = window_origins(height, width, window_px, overlap_px, d_nei_px=p.d_nei_px)
    # Windows at the image edge are cut by window_origins when the image is smaller.
    win_h, win_w = min(window_px, height), min(window_px, width)
    weights = blend_weights(win_h, win_w, ramp_px)

    timer = timer or _NoTimer()
    total = 2 * len(origins)  # two passes over the windows: masks, then edges
    prob_sum = np.zeros((3, height, width), dtype=np.float32)
    weight_sum = np.zeros((height, width), dtype=np.float32)
    cached = []  # embeddings per chunk: the edge pass reuses them instead of encoding again
    for start in range(0, len(origins), batch_size):
        chunk = origins[start : start + batch_size]
        with timer.stage("encoder"):
            predictor.set_images(np.stack([image[y : y + win_h, x : x + win_w] for x, y in chunk]))
        cached.append(predictor._embedding_state())
        with timer.stage("decoder"):
            for (x, y), prob in zip(chunk, predictor.predict_masks(), strict=True):
                prob_sum[:, y : y + win_h, x : x + win_w] += prob * weights
                weight_sum[y : y + win_h, x : x + win_w] += weights
        if on_window is not None:
            on_window(start + len(chunk), total)
    with timer.stage("nms"):
        probs = prob_sum / np.maximum(weight_sum, 1e-6)
        if road_probability_image is not None:
            probs[MASK_NAMES.index("road")] = road_probability_image
        verts = coupled_nms(
            probs[0], probs[1], probs[2], t_k=p.t_k, t_r=p.t_r, d_k_px=p.d_k_px, d_r_px=p.d_r_px
        )

    windows = []
    pts = verts.points_xy_px
    for start, state in zip(range(0, len(origins), batch_size), cached, strict=True):
        chunk = origins[start : start + batch_size]
        predictor._restore_embedding_state(state)
        members = [
            np.flatnonzero(np.all((pts >= [x, y]) & (pts < [x + win_w, y + win_h]), axis=1))
            for x, y in chunk
        ]
        scored = predictor.score_vertices(
            [pts[m] - np.array([x, y]) for m, (x, y) in zip(members, chunk, strict=True)],
            p.d_nei_px,
            p.max_neighbors,
            timer=timer,
        )
        for m, (edge_index, edge_prob) in zip(members, scored, strict=True):
            windows.append(
                WindowGraph(
                    points_xy_px=pts[m],
                    edge_index=edge_index,
                    edge_prob=edge_prob,
                    scores=verts.scores[m],
                    is_keypoint=verts.is_keypoint[m],
                    is_overpass=verts.is_overpass[m],
                )
            )
        if on_window is not None:
            on_window(len(origins) + start + len(chunk), total)
    predictor.reset_image()
    # Windows share the global vertices, so duplicates are identical points: merge exactly.
    with timer.stage("stitching"):
        graph = stitch_window_graphs(windows, merge_radius_px=0.5, edge_threshold=edge_threshold)
    return ImageGraphPrediction(probs=probs, graph=graph, window_origins_xy_px=origins)
