"""LineGraph2Road network: head shapes, gradient flow, official SAM ViT-B loading, predictor."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("segment_anything")
pytest.importorskip("torch_geometric")

from backend.methods.linegraph2road.candidates import candidate_edges, line_graph  # noqa: E402
from backend.methods.linegraph2road.model import (  # noqa: E402
    CONFIGS,
    MASK_NAMES,
    CandidateGraphBatch,
    LineGraph2RoadConfig,
    build_linegraph2road,
    fp16_size_mb,
    sample_edge_points,
)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """One intra-op thread: on a shared 2-core machine two OpenMP threads contending with
    other processes made a training step 20x slower (measured 10 s vs 0.5 s)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# A very small variant keeps these tests fast on a 2-core CPU.
MICRO = LineGraph2RoadConfig(
    variant="micro",
    input_size_px=64,
    encoder_embed_dim=32,
    encoder_depth=2,
    encoder_num_heads=2,
    encoder_window_size=2,
    encoder_global_attn_indexes=(1,),
    encoder_out_chans=32,
    feature_dim=16,
    decoder_dims=(16, 8, 8, 8),
    edge_mlp_hidden=32,
    gt_hidden=16,
    gt_ff_dim=32,
)


def _graph(n_vertices: int, size_px: int, seed: int) -> dict:
    """Random vertices, candidate edges within 40 px and their line graph."""
    rng = np.random.default_rng(seed)
    verts = rng.uniform(0, size_px, (n_vertices, 2)).astype(np.float32)
    edge_index = candidate_edges(verts, d_nei_px=40.0)
    return {
        "vertices_xy_px": verts,
        "edge_index": edge_index,
        "line_edge_index": line_graph(edge_index, n_vertices),
        "edge_labels": rng.integers(0, 2, edge_index.shape[1]).astype(np.float32),
    }


def test_head_shapes_and_batch_offsets():
    torch.manual_seed(0)
    model = build_linegraph2road(MICRO).eval()
    graphs = [_graph(8, 64, 1), _graph(5, 64, 2)]
    batch = CandidateGraphBatch.from_graphs(graphs)
    n0, n1 = graphs[0]["edge_index"].shape[1], graphs[1]["edge_index"].shape[1]
    assert n0 > 0 and n1 > 0
    assert batch.edge_index.shape == (2, n0 + n1)
    assert batch.edge_index[:, n0:].min() >= 8  # second image's vertices are offset
    assert batch.line_edge_index.shape[1] == (
        graphs[0]["line_edge_index"].shape[1] + graphs[1]["line_edge_index"].shape[1]
    )
    assert batch.edge_counts == [n0, n1]
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = model.encode(images)
        out = model(images, batch)
    assert feats.grid.shape == (2, MICRO.feature_dim, 4, 4) and feats.high_res is None
    assert out["mask_logits"].shape == (2, len(MASK_NAMES), 64, 64)
    assert out["edge_logits"].shape == (n0 + n1,)
    # Other window sizes (multiples of 16) work through position-embedding interpolation.
    with torch.no_grad():
        assert model(torch.randn(1, 3, 96, 80))["mask_logits"].shape == (1, 3, 96, 80)
    with pytest.raises(ValueError, match="multiple of 16"):
        model.encode(torch.randn(1, 3, 70, 64))


def test_edge_sampling_reads_the_feature_map_along_the_segment():
    # A feature map whose channel 0 is the x coordinate of the cell centre (in pixels of a
    # 64 px image with 16 px cells) and channel 1 the y coordinate.
    h = w = 4
    ys, xs = torch.meshgrid(torch.arange(h) * 16 + 8.0, torch.arange(w) * 16 + 8.0, indexing="ij")
    fmap = torch.stack([xs, ys])
    p0 = torch.tensor([[8.0, 8.0]])
    p1 = torch.tensor([[56.0, 8.0]])
    out = sample_edge_points(fmap, p0, p1, (64, 64), n_sampled=4).reshape(4, 2)
    expected_x = torch.linspace(8, 56, 4)
    assert torch.allclose(out[:, 0], expected_x, atol=1e-4)  # first endpoint first
    assert torch.allclose(out[:, 1], torch.full((4,), 8.0), atol=1e-4)


def test_gradients_reach_encoder_decoder_and_graph_transformer():
    torch.manual_seed(0)
    model = build_linegraph2road(MICRO).train()
    batch = CandidateGraphBatch.from_graphs([_graph(8, 64, 3)])
    out = model(torch.randn(1, 3, 64, 64), batch)
    loss = out["mask_logits"].sigmoid().mean() + out["edge_logits"].sigmoid().mean()
    loss.backward()
    for name in (
        "image_encoder.patch_embed.proj.weight",
        "image_encoder.blocks.0.attn.qkv.weight",
        "feature_proj.0.weight",
        "mask_decoder.head.weight",
        "edge_mlp.0.weight",
        "graph_layers.0.attn.lin_query.weight",
        "graph_layers.2.ff.0.weight",
        "edge_head.weight",
    ):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_shipped_config_is_small():
    model = build_linegraph2road("vit_tiny")
    assert fp16_size_mb(model) <= 15.0
    assert CONFIGS["vit_b"].encoder_embed_dim == 768 and CONFIGS["vit_b"].feature_dim == 128
    with pytest.raises(ValueError, match="vit_b"):
        build_linegraph2road("vit_huge")


@pytest.fixture(scope="session")
def official_sam_vit_b(tmp_path_factory):
    """A full ``Sam`` ViT-B state dict (random weights) saved like the official file."""
    from segment_anything import sam_model_registry

    torch.manual_seed(0)
    sam = sam_model_registry["vit_b"]()
    path = tmp_path_factory.mktemp("sam") / "sam_vit_b_01ec64.pth"
    state = sam.state_dict()
    torch.save(state, path)
    keys = {k: state[k].clone() for k in ("image_encoder.blocks.0.attn.qkv.weight",)}
    del sam, state
    return path, keys


def test_official_vit_b_checkpoint_loads_strictly(official_sam_vit_b):
    path, keys = official_sam_vit_b
    model = build_linegraph2road("vit_b", sam_checkpoint=path)
    enc = model.image_encoder
    qkv = keys["image_encoder.blocks.0.attn.qkv.weight"]
    assert torch.equal(enc.blocks[0].attn.qkv.weight, qkv)
    # 1024 px checkpoint -> 512 px model: 64x64 -> 32x32 tokens, global rel-pos 127 -> 63.
    assert enc.pos_embed.shape == (1, 32, 32, 768)
    assert enc.blocks[2].attn.rel_pos_h.shape == (63, 64)
    assert enc.blocks[0].attn.rel_pos_h.shape == (27, 64)  # window blocks: unchanged


def test_wrong_sam_file_gives_clear_error(official_sam_vit_b, tmp_path):
    path, _ = official_sam_vit_b
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = build_linegraph2road("vit_b")
    broken = {k: v for k, v in state.items() if not k.startswith("image_encoder.blocks.11.")}
    broken["image_encoder.extra_head.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"missing keys.*blocks\.11\.attn.*unexpected.*extra_head"):
        model.load_sam_encoder(broken)
    no_encoder = {k: v for k, v in state.items() if not k.startswith("image_encoder.")}
    with pytest.raises(ValueError, match="no 'image_encoder"):
        model.load_sam_encoder(no_encoder)
    with pytest.raises(ValueError, match="sha256 mismatch"):
        model.load_sam_encoder(path, expected_sha256="0" * 64)


def test_predictor_order_shapes_and_batched_path():
    from backend.methods.linegraph2road.predictor import LineGraph2RoadPredictor, PredictorParams

    torch.manual_seed(0)
    predictor = LineGraph2RoadPredictor(build_linegraph2road(MICRO), device="cpu")
    with pytest.raises(RuntimeError, match="set_image"):
        predictor.predict()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)  # padded to 64 x 80 inside
    with pytest.raises(ValueError, match="uint8"):
        predictor.set_image(image.astype(np.float32))
    predictor.set_image(image)
    # Low thresholds so that the untrained model yields vertices and candidate edges.
    params = PredictorParams(t_k=0.0, t_r=0.0, d_k_px=8, d_r_px=16, d_nei_px=40)
    pred = predictor.predict(params)
    for prob in (pred.keypoint_prob, pred.road_prob, pred.overpass_prob):
        assert prob.shape == (50, 70) and prob.dtype == np.float32
        assert 0.0 <= prob.min() and prob.max() <= 1.0
    n_vertices = pred.vertices_xy_px.shape[0]
    assert n_vertices > 2
    assert np.all((pred.vertices_xy_px >= 0) & (pred.vertices_xy_px <= [70, 50]))
    assert pred.edge_index.shape[0] == 2 and pred.edge_index.shape[1] > 0
    assert pred.edge_index.max() < n_vertices
    assert pred.edge_prob.shape == (pred.edge_index.shape[1],)
    assert np.all((pred.edge_prob >= 0) & (pred.edge_prob <= 1))

    predictor.set_images(np.stack([image, image]))
    with pytest.raises(RuntimeError, match="predict_batch"):
        predictor.predict(params)
    both = predictor.predict_batch(params)
    assert len(both) == 2
    np.testing.assert_allclose(both[1].road_prob, pred.road_prob, atol=1e-5)
    np.testing.assert_allclose(both[1].edge_prob, pred.edge_prob, atol=1e-5)
    predictor.reset_image()
    assert not predictor.is_image_set


def test_sliding_window_graph_matches_single_window_and_covers_large_images():
    from backend.methods.linegraph2road.predictor import (
        LineGraph2RoadPredictor,
        PredictorParams,
        predict_image_graph,
    )

    torch.manual_seed(0)
    predictor = LineGraph2RoadPredictor(build_linegraph2road(MICRO))
    params = PredictorParams(t_k=0.0, t_r=0.0, d_nei_px=24)
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)

    # One window covering the image: the same graph as set_image + predict.
    whole = predict_image_graph(
        predictor, image, params, window_px=64, overlap_px=32, edge_threshold=0.0
    )
    predictor.set_image(image)
    single = predictor.predict(params)
    np.testing.assert_allclose(whole.probs[1], single.road_prob, atol=1e-5)

    def rows_sorted(a):
        return a[np.lexsort(a.T)]

    np.testing.assert_array_equal(
        rows_sorted(whole.graph.points_xy_px), rows_sorted(single.vertices_xy_px)
    )
    np.testing.assert_allclose(
        np.sort(whole.graph.candidate_edge_prob), np.sort(single.edge_prob), atol=1e-5
    )

    # A larger image: several windows, fused maps of the image size, edges inside it.
    big = rng.integers(0, 256, (150, 170, 3), dtype=np.uint8)
    out = predict_image_graph(predictor, big, params, window_px=64, overlap_px=32)
    assert out.probs.shape == (3, 150, 170)
    assert len(out.window_origins_xy_px) > 4
    pts = out.graph.points_xy_px
    assert np.all((pts >= 0) & (pts <= [170, 150]))
    cand = out.graph.candidate_edge_index
    assert cand.shape[1] > 0 and cand.max() < len(pts)
    lengths = np.linalg.norm(pts[cand[0]] - pts[cand[1]], axis=1)
    assert lengths.max() <= 24 + 1e-6
    assert np.all(out.graph.edge_prob > 0.5)


def test_road_probability_of_another_model_replaces_the_road_mask_in_nms():
    from backend.methods.linegraph2road.predictor import (
        LineGraph2RoadPredictor,
        PredictorParams,
        predict_image_graph,
    )

    torch.manual_seed(0)
    model = build_linegraph2road(MICRO)
    rng = np.random.default_rng(2)
    image = rng.integers(0, 200, (96, 120, 3), dtype=np.uint8)
    image[40] = 255  # the road: one white row
    seen = []

    def one_road_row(windows):
        # A stand-in road model: road where the window is white.
        seen.append(windows.shape)
        return np.where(windows.min(axis=3) == 255, 0.9, 0.0).astype(np.float32)

    predictor = LineGraph2RoadPredictor(model, road_probability=one_road_row)
    # t_k 1.0: no keypoint vertex, so every vertex comes from the road mask.
    params = PredictorParams(t_k=1.0, t_r=0.5, d_nei_px=40)
    predictor.set_image(image)
    pred = predictor.predict(params)
    assert seen == [(1, 96, 120, 3)]  # the unpadded window
    assert pred.road_prob.max() == pytest.approx(0.9) and pred.road_prob[0, 0] == 0.0
    assert len(pred.vertices_xy_px) >= 3
    np.testing.assert_allclose(pred.vertices_xy_px[:, 1], 40.5)
    # The keypoint mask and the edge scores are still the model's own.
    own = LineGraph2RoadPredictor(model)
    own.set_image(image)
    own_pred = own.predict(params)
    np.testing.assert_allclose(pred.keypoint_prob, own_pred.keypoint_prob, atol=1e-6)
    assert not np.allclose(own_pred.road_prob, pred.road_prob)
    # Sliding windows give each window the road model's map of that window (48 px windows).
    whole = predict_image_graph(
        predictor, image, params, window_px=48, overlap_px=44, edge_threshold=0.0
    )
    assert whole.probs[1, 40].min() == pytest.approx(0.9)
    np.testing.assert_allclose(whole.graph.points_xy_px[:, 1], 40.5)

    def wrong_shape(windows):
        return np.zeros((1, 8, 8), np.float32)

    with pytest.raises(ValueError, match="one \\(H, W\\) map per window"):
        LineGraph2RoadPredictor(model, road_probability=wrong_shape).set_image(image)


def test_a_whole_image_road_probability_replaces_the_blended_road_mask():
    """``road_probability_image`` (e.g. the label, for the report's road-mask ceiling) is
    what coupled NMS sees: its vertices lie on that map's road, not the model's."""
    from backend.methods.linegraph2road.predictor import (
        LineGraph2RoadPredictor,
        PredictorParams,
        predict_image_graph,
    )

    torch.manual_seed(0)
    predictor = LineGraph2RoadPredictor(build_linegraph2road(MICRO))
    image = np.random.default_rng(3).integers(0, 256, (96, 120, 3), dtype=np.uint8)
    road = np.zeros((96, 120), np.float32)
    road[:, 70] = 1.0  # one vertical road, column 70
    params = PredictorParams(t_k=1.0, t_r=0.5, d_nei_px=40)
    out = predict_image_graph(
        predictor, image, params, window_px=48, overlap_px=44, road_probability_image=road
    )
    np.testing.assert_array_equal(out.probs[1], road)
    assert len(out.graph.points_xy_px) >= 3
    np.testing.assert_allclose(out.graph.points_xy_px[:, 0], 70.5)
    with pytest.raises(ValueError, match="one probability per image pixel"):
        predict_image_graph(predictor, image, params, road_probability_image=road[:50])
