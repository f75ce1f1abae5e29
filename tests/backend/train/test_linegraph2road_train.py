"""LineGraph2Road training: data layouts, crops/rotations, loss, a tiny real run, resume, export.

Real inputs come from ``../shared/data/roads/massachusetts_400`` (the ``shared_data``
fixture skips when absent).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("segment_anything")
pytest.importorskip("torch_geometric")

from backend.train import linegraph2road as t  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def mass400(shared_data: Path) -> Path:
    """The real Massachusetts 400 px crops (``shared_data`` skips when absent)."""
    return shared_data / "roads" / "massachusetts_400"


# Small network so that a few optimisation steps take seconds on a 2-core CPU.
MICRO = {
    "input_size_px": 64,
    "encoder_embed_dim": 48,
    "encoder_depth": 2,
    "encoder_num_heads": 2,
    "encoder_window_size": 2,
    "encoder_global_attn_indexes": [1],
    "encoder_out_chans": 32,
    "feature_dim": 32,
    "decoder_dims": [32, 16, 16, 16],
    "edge_mlp_hidden": 32,
    "gt_hidden": 32,
    "gt_ff_dim": 64,
}
# Three real pairs with roads: tr_img-1004 (sparse), tr_img-1005, te_img-1 (dense).
PAIRS = "tr_img-1004,tr_img-1005,te_img-1"


def _cfg(tmp_path: Path, data_dir: Path, **kw) -> t.TrainConfig:
    base = {
        "data_dir": str(data_dir),
        "out_dir": str(tmp_path / "run"),
        "train_include": tuple(PAIRS.split(",")),
        "cache_dir": str(tmp_path / "cache"),
        "model_overrides": MICRO,
        "crop_px": 64,
        "batch_size": 3,
        "lr": 3e-3,
        "warmup_steps": 2,
        "targets": t.TargetParams(road_width_px=5.0, variants=1),
        "log_every": 2,
        "checkpoint_every": 2,
        "graph_metrics": False,
        "seed": 0,
    }
    base.update(kw)
    return t.TrainConfig(**base)


def test_discover_layouts(tmp_path):
    mass = tmp_path / "mass"
    (mass / "images").mkdir(parents=True)
    (mass / "labels").mkdir()
    for name in ("tr_a", "tr_b", "te_c"):
        (mass / "images" / f"{name}.jpg").touch()
        (mass / "labels" / f"{name}.png").touch()
    (mass / "images" / "tr_nolabel.jpg").touch()
    train = t.discover_samples(mass, ("tr_*",))
    assert [s.key for s in train] == ["tr_a", "tr_b"]
    assert {s.label_kind for s in train} == {"centerline_mask"}
    assert [s.key for s in t.discover_samples(mass, ("*",), exclude=("tr_*",))] == ["te_c"]

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name in (
        "dg_sat.jpg",
        "dg_mask.png",
        "city_sat.png",
        "city_graph_gt.pickle",
        "geo.tif",
        "geo.geojson",
    ):
        (mixed / name).touch()
    kinds = {s.key: s.label_kind for s in t.discover_samples(mixed)}
    assert kinds == {"dg_sat": "centerline_mask", "city_sat": "adjacency_pickle", "geo": "vector"}
    with pytest.raises(ValueError, match="no image/ground-truth pairs"):
        t.discover_samples(mixed, ("nothing*",))


def test_rotation_moves_points_with_the_pixels():
    rng = np.random.default_rng(0)
    h, w = 7, 11
    rows, cols = rng.integers(0, h, 5), rng.integers(0, w, 5)
    mask = np.zeros((h, w), dtype=np.int64)
    mask[rows, cols] = np.arange(1, 6)
    points = np.column_stack([cols + 0.5, rows + 0.5])  # pixel centres, corner origin
    for k in range(4):
        rotated = np.rot90(mask, k)
        moved = t.rotate_points_90(points, k, w, h)
        r = np.floor(moved[:, 1]).astype(int)
        c = np.floor(moved[:, 0]).astype(int)
        np.testing.assert_array_equal(rotated[r, c], np.arange(1, 6))
        np.testing.assert_allclose(moved % 1, 0.5)


def test_crop_sample_keeps_vertices_on_roads_and_labels_consistent(tmp_path, mass400):
    source = t.discover_samples(mass400, ("te_img-1",))[0]
    image = t.read_rgb_uint8(source.image_path)
    cache = t.TargetCache(tmp_path, t.TargetParams(road_width_px=5.0))
    targets = cache.get(source, 0, image.shape[:2])
    assert targets["masks"].shape == (3, 400, 400)
    assert cache.get(source, 0, image.shape[:2])["vertices_xy_px"].shape == (
        targets["vertices_xy_px"].shape
    )  # second call reads the cache file
    rng = np.random.default_rng(1)
    n_positive = 0
    for _ in range(6):
        s = t.make_crop_sample(image, targets, 128, rng, d_nei_px=64.0)
        assert s["image"].shape == (3, 128, 128) and s["masks"].shape == (3, 128, 128)
        v = s["vertices_xy_px"]
        assert np.all((v >= 0) & (v < 128))
        # Vertices lie on ground-truth centerlines: the (rotated) road mask is set there.
        on_road = s["masks"][1][np.floor(v[:, 1]).astype(int), np.floor(v[:, 0]).astype(int)]
        assert on_road.mean() > 0.9
        e = s["edge_index"]
        assert e.shape[1] == s["edge_labels"].shape[0]
        lengths = np.linalg.norm(v[e[0]] - v[e[1]], axis=1)
        assert np.all(lengths <= 64.0 + 1e-6)
        # Positives join nearby vertices (Algorithm 4 spacing <= 2 d_r plus junction slack).
        positive = s["edge_labels"] > 0
        n_positive += int(positive.sum())
        assert np.all(lengths[positive] < 48.0)
    assert n_positive > 0


def test_loss_is_eq4():
    logits = torch.zeros(2, 3, 8, 8)
    masks = torch.ones(2, 3, 8, 8)
    total, parts = t.linegraph2road_loss(logits, masks, torch.zeros(5), torch.ones(5), 0.1)
    assert math.isclose(float(total), math.log(2) * 1.1, rel_tol=1e-6)
    assert set(parts) == {
        "loss",
        "edge",
        "road_dice",
        "mask_keypoint",
        "mask_road",
        "mask_overpass",
    }
    total, parts = t.linegraph2road_loss(logits, masks, torch.zeros(0), torch.zeros(0))
    assert parts["edge"] == 0.0


def test_road_dice_term_adds_weight_times_one_minus_soft_dice():
    logits = torch.zeros(1, 3, 4, 4)  # probability 0.5 everywhere
    masks = torch.zeros(1, 3, 4, 4)
    masks[:, 1, :2] = 1.0  # half the road pixels set
    base, parts = t.linegraph2road_loss(logits, masks, torch.zeros(0), torch.zeros(0))
    dice = (2 * 0.5 * 8 + 1) / (0.5 * 16 + 8 + 1)
    assert math.isclose(parts["road_dice"], 1 - dice, rel_tol=1e-6)
    total, _ = t.linegraph2road_loss(logits, masks, torch.zeros(0), torch.zeros(0), 0.1, 2.0)
    assert math.isclose(float(total), float(base) + 2.0 * (1 - dice), rel_tol=1e-6)
    # A confident, correct road head has (almost) no Dice loss.
    sure = torch.where(masks > 0, 20.0, -20.0)
    _, parts = t.linegraph2road_loss(sure, masks, torch.zeros(0), torch.zeros(0))
    assert parts["road_dice"] < 1e-3


def test_distractor_vertices_are_off_road_and_only_in_negative_edges(tmp_path, mass400):
    source = t.discover_samples(mass400, ("te_img-1",))[0]
    image = t.read_rgb_uint8(source.image_path)
    targets = t.TargetCache(tmp_path, t.TargetParams(road_width_px=5.0)).get(
        source, 0, image.shape[:2]
    )
    for seed in range(4):
        plain = t.make_crop_sample(image, targets, 128, np.random.default_rng(seed), 64.0)
        s = t.make_crop_sample(
            image, targets, 128, np.random.default_rng(seed), 64.0, distractor_ratio=0.5
        )
        n_real = len(plain["vertices_xy_px"])
        v = s["vertices_xy_px"]
        np.testing.assert_array_equal(v[:n_real], plain["vertices_xy_px"])
        extra = v[n_real:]
        assert len(extra) == round(0.5 * max(n_real, 4))
        assert np.all((extra >= 0) & (extra < 128))
        road = s["masks"][1] > 0
        assert not road[np.floor(extra[:, 1]).astype(int), np.floor(extra[:, 0]).astype(int)].any()
        e, labels = s["edge_index"], s["edge_labels"]
        touches = (e >= n_real).any(axis=0)
        assert touches.any() and not labels[touches].any()
        assert labels.sum() == plain["edge_labels"].sum()  # the same positives


def test_own_vertex_sample_labels_the_models_vertices_against_the_ground_truth(tmp_path, mass400):
    """With the ground-truth masks as the "prediction", own vertices lie on the roads and the
    positive edges follow them; a blank prediction gives no vertex."""
    from backend.methods.linegraph2road.targets import _point_segment_distance

    source = t.discover_samples(mass400, ("te_img-1",))[0]
    image = t.read_rgb_uint8(source.image_path)
    params = t.TargetParams(road_width_px=5.0)
    targets = t.TargetCache(tmp_path, params).get(source, 0, image.shape[:2])
    n_positive = 0
    for seed in range(3):
        s = t.make_crop_sample(image, targets, 128, np.random.default_rng(seed), 64.0)
        own = t.own_vertex_sample(s, s["masks"].astype(np.float32), params, t_r=0.5)
        np.testing.assert_array_equal(own["image"], s["image"])
        np.testing.assert_array_equal(own["masks"], s["masks"])
        v, e, labels = own["vertices_xy_px"], own["edge_index"], own["edge_labels"]
        assert own["line_edge_index"].shape[0] == 2 and e.shape[1] == labels.shape[0]
        assert s["masks"][1][np.floor(v[:, 1]).astype(int), np.floor(v[:, 0]).astype(int)].all()
        gt = s["edge_index"][:, s["edge_labels"] > 0]
        segments = s["vertices_xy_px"][gt.T].astype(float)
        positive = e[:, labels > 0]
        mid = (v[positive[0]] + v[positive[1]]) / 2
        assert np.all(_point_segment_distance(mid, segments[:, 0], segments[:, 1]).min(1) <= 8)
        n_positive += int(labels.sum())
        assert 0 < labels.mean() < 0.6  # most candidates skip a vertex or leave the road
    assert n_positive > 0
    blank = t.own_vertex_sample(s, np.zeros((3, 128, 128), np.float32), params, t_r=0.5)
    assert blank["vertices_xy_px"].shape == (0, 2) and blank["edge_index"].shape == (2, 0)


def test_own_vertices_can_come_from_another_models_road_mask(tmp_path, mass400):
    source = t.discover_samples(mass400, ("te_img-1",))[0]
    image = t.read_rgb_uint8(source.image_path)
    params = t.TargetParams(road_width_px=5.0)
    targets = t.TargetCache(tmp_path, params).get(source, 0, image.shape[:2])
    samples = [
        t.make_crop_sample(image, targets, 128, np.random.default_rng(i), 64.0) for i in (0, 1)
    ]
    cfg = t.TrainConfig(data_dir="-", out_dir="-", own_vertex_share=1.0, own_vertex_t_r=(0.5, 0.5))
    silent = torch.full((2, 3, 128, 128), -20.0)  # the model's own masks find nothing
    assert t.own_vertex_graph(samples, silent, cfg, 0, "cpu").vertices_xy_px.shape[0] == 0
    seen = []

    def ground_truth_roads(crops):
        seen.append((crops.shape, crops.dtype))
        return np.stack([s["masks"][1] for s in samples]).astype(np.float32)

    graph = t.own_vertex_graph(samples, silent, cfg, 0, "cpu", ground_truth_roads)
    assert seen == [((2, 128, 128, 3), np.uint8)]
    assert graph.vertices_xy_px.shape[0] > 4 and graph.edge_labels.sum() > 0


def test_training_on_own_vertices_runs_and_resumes_with_its_settings(tmp_path, mass400):
    torch.manual_seed(0)
    anchor = str(REPO / "backend/models/weights/anchor_sam_pico_1m.pt")
    cfg = _cfg(
        tmp_path, mass400, max_steps=4, own_vertex_share=1.0, own_vertex_t_r=(0.3, 0.6),
        road_mask_weights=anchor,
    )  # fmt: skip
    assert t.train(cfg)["step"] == 4
    saved = torch.load(Path(cfg.out_dir) / "last.pt", map_location="cpu", weights_only=True)
    restored = t.TrainConfig.from_dict(saved["config"])
    assert restored.own_vertex_share == 1.0 and restored.own_vertex_t_r == (0.3, 0.6)
    assert restored.road_mask_weights == anchor
    assert t.train(_cfg(tmp_path, mass400, max_steps=6), resume=True)["step"] == 6
    history = [json.loads(line) for line in (Path(cfg.out_dir) / "history.jsonl").open()]
    assert all(math.isfinite(h["train_edge"]) for h in history)


def test_tiny_training_run_reduces_loss_and_resumes(tmp_path, mass400):
    torch.manual_seed(0)
    cfg = _cfg(tmp_path, mass400, max_steps=24)
    sources = t.discover_samples(mass400, cfg.train_include)
    cache = t.TargetCache(cfg.cache_dir, cfg.targets)
    model = t.build_linegraph2road(t.model_config(cfg))
    before = t.validation_loss(model, sources, cache, 64, torch.device("cpu"))["val_loss"]

    summary = t.train(cfg)
    assert summary["step"] == 24
    ckpt = Path(cfg.out_dir) / "last.pt"
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert state["step"] == 24 and state["optimizer"]["state"]
    model = t.build_linegraph2road(t.model_config(cfg))
    t.load_state_dict_strict(model, state["model"])
    after = t.validation_loss(model, sources, cache, 64, torch.device("cpu"))["val_loss"]
    assert after < before * 0.9, (before, after)

    # Resume: continues at step 25 from the saved weights and optimiser state.
    summary = t.train(_cfg(tmp_path, mass400, max_steps=28), resume=True)
    assert summary["step"] == 28
    steps = [json.loads(line)["step"] for line in (Path(cfg.out_dir) / "history.jsonl").open()]
    assert steps == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]
    assert torch.load(ckpt, map_location="cpu", weights_only=True)["step"] == 28

    # Export: fp16 state dict + card whose sha256 matches, loadable strictly.
    card = t.export_fp16(ckpt, tmp_path / "w.pt", {"variant": "vit_tiny", "bands": ["R", "G", "B"]})
    exported = torch.load(tmp_path / "w.pt", map_location="cpu", weights_only=True)
    assert all(v.dtype == torch.float16 for v in exported.values() if v.is_floating_point())
    assert card["sha256"] == t.sha256_of_file(tmp_path / "w.pt")
    assert json.loads((tmp_path / "w.json").read_text())["sha256"] == card["sha256"]
    t.load_state_dict_strict(t.build_linegraph2road(t.model_config(cfg)), exported)


def test_keep_best_saves_the_best_validation(tmp_path, mass400):
    """``keep_best``: best.pt holds the weights of the validation with the best score (here
    the loss: no graph metrics), last.pt those of the last step (issue 12, fine-tuning)."""
    torch.manual_seed(0)
    pairs = PAIRS.split(",")
    cfg = _cfg(tmp_path, mass400, max_steps=6, val_every=2, keep_best=True, batch_size=2,
               train_include=tuple(pairs[1:]), val_include=(pairs[0],))  # fmt: skip
    t.train(cfg)
    rows = [json.loads(line) for line in (Path(cfg.out_dir) / "history.jsonl").open()]
    vals = [r for r in rows if "val_loss" in r]
    best_step = max(vals, key=t.validation_score)["val_step"]
    assert [r["val_step"] for r in vals if r.get("best")][-1] == best_step
    best = torch.load(Path(cfg.out_dir) / "best.pt", map_location="cpu", weights_only=True)
    assert best["step"] == best_step
    assert t.validation_score({"val_road_f1": 0.4, "val_apls": 0.2}) == pytest.approx(0.3)


def test_resume_without_checkpoint_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="cannot resume"):
        t.train(_cfg(tmp_path, tmp_path, max_steps=1), resume=True)


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exc:
        t.main(["--help"])
    assert exc.value.code == 0
    assert "train" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        t.main(["train", "--help"])
    assert "--resume" in capsys.readouterr().out


def test_domains_get_equal_shares_whatever_their_image_counts(tmp_path):
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    from PIL import Image

    names = ["a__train__1", "a__train__2", "a__train__3", "b__train__1"]
    for name in names:
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(images / f"{name}.png")
        Image.fromarray(np.zeros((32, 32), np.uint8)).save(labels / f"{name}.png")
    sources = t.discover_samples(tmp_path, ["*__train__*"])
    dataset = t.CropDataset(sources, t.TargetCache(tmp_path / "cache", t.TargetParams()), 32)
    weights = dict(zip([s.key for s in sources], dataset.domain_weights(), strict=True))
    assert weights["b__train__1"] == pytest.approx(0.5)
    assert weights["a__train__1"] == pytest.approx(0.5 / 3)


def test_hiera_variant_starts_from_an_anchor_sam_encoder(tmp_path, anchor_sam_pico_file, mass400):
    pytest.importorskip("sam2")
    anchor = anchor_sam_pico_file
    encoder_state = {
        k.removeprefix("image_encoder."): v.float()
        for k, v in torch.load(anchor, weights_only=True).items()
        if k.startswith("image_encoder.")
    }

    model = t.build_linegraph2road("hiera_pico")
    model.load_hiera_encoder(anchor)
    for key, value in model.image_encoder.state_dict().items():
        assert torch.equal(value, encoder_state[key]), key
    features = model.encode(torch.zeros(1, 3, 96, 64))
    assert features.grid.shape == (1, 128, 6, 4)  # 1/16 grid whatever the encoder
    with pytest.raises(ValueError, match="multiple of 32"):
        model.encode(torch.zeros(1, 3, 80, 64))
    with pytest.raises(ValueError, match="sam2_hiera"):
        t.build_linegraph2road("vit_tiny").load_hiera_encoder(anchor)

    # The training CLI's --init-encoder-from path: with the encoder learning rate at 0 the
    # trained encoder is still exactly the Anchor-SAM one, while the heads moved.
    cfg = _cfg(
        tmp_path,
        mass400,
        variant="hiera_pico",
        model_overrides={},
        crop_px=64,
        max_steps=2,
        init_encoder_from=str(anchor),
        encoder_lr_scale=0.0,
        weight_decay=0.0,
        balance_domains=True,
        photometric=True,
    )
    t.train(cfg)
    trained = torch.load(Path(cfg.out_dir) / "last.pt", weights_only=True)["model"]
    for key, value in encoder_state.items():
        assert torch.equal(trained[f"image_encoder.{key}"], value), key
    fresh = t.build_linegraph2road("hiera_pico").state_dict()
    assert not torch.equal(trained["edge_head.weight"], fresh["edge_head.weight"])


@pytest.mark.parametrize("variant", ["hiera_pico_hr", "hiera_pico_hr_edge"])
def test_high_res_variants_start_as_their_hiera_pico_file_and_learn(tmp_path, mass400, variant):
    """hiera_pico_hr(_edge) from a hiera_pico file: the same masks and edge logits at step 0
    (zero projections, zero edge-MLP columns), and training moves what they add."""
    pytest.importorskip("sam2")
    from backend.methods.linegraph2road.candidates import candidate_edges, line_graph

    torch.manual_seed(0)
    base = t.build_linegraph2road("hiera_pico").eval()
    start = tmp_path / "hiera_pico.pt"
    torch.save(base.state_dict(), start)

    cfg = _cfg(
        tmp_path,
        mass400,
        variant=variant,
        model_overrides={},
        max_steps=2,
        init_encoder_from=str(start),
        lr=0.0,
        weight_decay=0.0,
    )
    t.train(cfg)
    at_start = t.build_linegraph2road(variant).eval()
    at_start.load_state_dict(torch.load(Path(cfg.out_dir) / "last.pt", weights_only=True)["model"])
    images = torch.randn(1, 3, 64, 64)
    verts = np.array([[5, 5], [30, 8], [40, 40], [10, 50]], np.float32)
    edges = candidate_edges(verts, d_nei_px=64.0)
    graph = t.CandidateGraphBatch.from_graphs(
        [{"vertices_xy_px": verts, "edge_index": edges, "line_edge_index": line_graph(edges, 4)}]
    )
    with torch.no_grad():
        features = at_start.encode(images)
        assert [f.shape[-1] for f in features.high_res] == [16, 8]
        ours, theirs = at_start(images, graph), base(images, graph)
    assert torch.equal(ours["mask_logits"], theirs["mask_logits"])
    assert torch.allclose(ours["edge_logits"], theirs["edge_logits"], atol=1e-6)

    cfg = _cfg(
        tmp_path,
        mass400,
        out_dir=str(tmp_path / "run_hr"),
        variant=variant,
        model_overrides={},
        max_steps=2,
        init_encoder_from=str(start),
    )
    t.train(cfg)
    trained = torch.load(Path(cfg.out_dir) / "last.pt", weights_only=True)["model"]
    for name in ("mask_decoder.high_res_proj.0.weight", "mask_decoder.high_res_proj.1.weight"):
        assert trained[name].abs().sum() > 0, name
    n_paper = t.CONFIGS[variant].n_sampled * t.CONFIGS[variant].feature_dim
    assert trained["edge_mlp.0.weight"].shape[1] > n_paper or variant == "hiera_pico_hr"
    if variant == "hiera_pico_hr_edge":
        assert trained["edge_mlp.0.weight"][:, n_paper:].abs().sum() > 0
    with pytest.raises(ValueError, match="needs high-resolution features"):
        at_start.mask_decoder(features.grid)
    plain = tmp_path / "plain.pt"  # a shipped-style state dict: the variant from its keys
    torch.save(at_start.state_dict(), plain)
    assert t.load_model_file(plain).config.variant == variant
    assert t.load_model_file(start).config.variant == "hiera_pico"


def test_predictor_pads_windows_to_the_hiera_multiple(mass400):
    pytest.importorskip("sam2")
    from backend.methods.linegraph2road.predictor import LineGraph2RoadPredictor

    model = t.build_linegraph2road(
        t.LineGraph2RoadConfig.from_dict({**t.CONFIGS["hiera_pico"].to_dict(), "input_size_px": 64})
    )
    predictor = LineGraph2RoadPredictor(model)
    predictor.set_images(np.zeros((1, 80, 72, 3), np.uint8))
    assert predictor._padded_size_hw_px == (96, 96)


def test_edge_grid_gives_what_each_threshold_gives_alone(tmp_path, mass400):
    """Predicting once and re-thresholding the stitched candidates equals a prediction per
    edge threshold (the report's select grid relies on it)."""
    torch.manual_seed(0)
    model = t.build_linegraph2road(
        t.LineGraph2RoadConfig.from_dict(
            {**t.CONFIGS["vit_tiny"].to_dict(), **MICRO, "input_size_px": 128}
        )
    ).eval()
    from PIL import Image

    data = tmp_path / "data"  # a 192 px corner of te_img-1 keeps the four predictions short
    for sub in ("images", "labels"):
        (data / sub).mkdir(parents=True)
        src = next((mass400 / sub).glob("te_img-1.*"))
        Image.open(src).crop((0, 0, 192, 192)).save(data / sub / src.name)
    sources = t.discover_samples(data)
    cache = t.TargetCache(tmp_path / "cache", t.TargetParams(road_width_px=5.0))
    params = t.PredictorParams(t_r=0.3, t_k=0.3)
    grid = t.evaluate_model_edge_grid(model, sources, cache, params, (0.3, 0.5, 0.7))
    for edge in (0.3, 0.5, 0.7):
        alone = t.evaluate_model(model, sources, cache, params, edge)
        assert grid[edge]["per_image"] == alone["per_image"], edge
        assert grid[edge]["road_mask"] == alone["road_mask"]
    bound = t.evaluate_model_edge_grid(
        model, sources, cache, params, (0.5,), edge_upper_bound=True
    )[0.5]
    row = bound["per_image"][0]
    assert {k: row[k] for k in alone["per_image"][0]} == grid[0.5]["per_image"][0]
    assert 0.0 <= row["apls_gt_edges"] <= 1.0 and "topo_recall_gt_edges" in bound


def test_scored_graph_is_the_jobs_with_its_dead_ends_continued_to_the_border():
    """The report scores the graph the job draws (output.output_graph): collinear vertices
    joined in sequence and, with ``border_extension_px``, the dead ends continued to the
    image border."""
    from types import SimpleNamespace

    stitched = SimpleNamespace(
        points_xy_px=np.array([[10.0, 50.0], [40.0, 50.0], [90.0, 50.0], [40.0, 20.0]]),
        # 0-2 spans 0-1-2 (split away); the edge to (40, 20) is below the threshold.
        candidate_edge_index=np.array([[0, 1, 1, 0], [1, 2, 3, 2]]),
        candidate_edge_prob=np.array([0.9, 0.8, 0.1, 0.7]),
        is_overpass=np.zeros(4, bool),
    )
    plain = t._kept_edges_graph(stitched, 0.5)
    assert sorted(plain.nodes[n]["xy"] for n in plain.nodes) == [(10, 50), (40, 50), (90, 50)]
    assert sorted(plain.edges) == [(0, 1), (1, 2)]
    extended = t._kept_edges_graph(stitched, 0.5, (80, 100), border_extension_px=24.0)
    assert sorted(extended.nodes[n]["xy"] for n in extended.nodes) == [
        (0, 50), (10, 50), (40, 50), (90, 50), (100, 50),
    ]  # fmt: skip
    assert extended.number_of_edges() == 4
    with pytest.raises(ValueError, match="shape_hw"):
        t._kept_edges_graph(stitched, 0.5, border_extension_px=24.0)


def test_graph_report_chooses_thresholds_on_select_and_scores_report(tmp_path, mass400, capsys):
    import shutil

    data = tmp_path / "data"
    for sub in ("images", "labels"):
        (data / sub).mkdir(parents=True)
    for name, split in (("va_img-1000", "select"), ("te_img-1", "report")):
        for sub in ("images", "labels"):
            src = next((mass400 / sub).glob(f"{name}.*"))
            shutil.copy(src, data / sub / f"massachusetts__{split}__{name}{src.suffix}")
    model = t.build_linegraph2road(
        t.LineGraph2RoadConfig.from_dict(
            {**t.CONFIGS["vit_tiny"].to_dict(), **MICRO, "input_size_px": 128}
        )
    ).eval()
    cache = t.TargetCache(tmp_path / "cache", t.TargetParams(road_width_px=5.0))
    report = t.graph_report(model, data, cache, t_r_grid=(0.4, 0.5), edge_grid=(0.5,))
    assert [(g["t_r"], g["edge_threshold"]) for g in report["select_grid"]] == [
        (0.4, 0.5),
        (0.5, 0.5),
    ]
    assert report["chosen_on_select"]["t_r"] in (0.4, 0.5)
    domains = report["report_chosen"]["per_domain"]
    assert list(domains) == ["massachusetts"] and domains["massachusetts"]["n_images"] == 1
    # The edge upper bound is scored with the chosen thresholds only.
    assert 0.0 <= domains["massachusetts"]["apls_gt_edges"] <= 1.0
    assert "apls_gt_edges" not in report["report_0.5"]["per_domain"]["massachusetts"]
    # Per-image APLS (pairwise comparison of two reports): the domain mean is their mean.
    per_image = domains["massachusetts"]["apls_per_image"]
    assert len(per_image) == domains["massachusetts"]["n_graph_scored"] == 1
    assert np.mean(list(per_image.values())) == pytest.approx(domains["massachusetts"]["apls"])
    assert "ground-truth edges" in t.graph_report_markdown(report)
    assert "select split" in t.graph_report_markdown(report)
    assert report["border_extension_px"] == 0.0
    assert "continued" not in t.graph_report_markdown(report)
    extended = t.graph_report(
        model, data, cache, t_r_grid=(0.4,), edge_grid=(0.5,), border_extension_px=24.0
    )
    assert extended["border_extension_px"] == 24.0
    assert "within 24 px of the image border are continued" in t.graph_report_markdown(extended)
    # Diagnostic: the label as the road mask (perfect road F1, the model's keypoints and edges).
    label = t.graph_report(
        model, data, cache, t_r_grid=(0.5,), edge_grid=(0.5,), road_mask_from_labels=True
    )
    assert label["road_mask_model"] == t.LABEL_ROAD_MASK
    assert label["report_0.5"]["per_domain"]["massachusetts"]["road_f1_mean"] == 1.0
    assert "each image's label replaces" in t.graph_report_markdown(label)
    with pytest.raises(ValueError, match="__select__"):
        t.graph_report(model, mass400, cache)

    # Another model's road mask (the shipped Anchor-SAM) in place of the model's own.
    anchor = REPO / "backend/models/weights/anchor_sam_pico_1m.pt"
    road_probability = t.anchor_sam_road_probability(anchor)
    with_anchor = t.graph_report(
        model, data, cache, t_r_grid=(0.3,), edge_grid=(0.5,), road_probability=road_probability
    )
    assert with_anchor["road_mask_model"] == str(anchor)
    assert f"road probability of {anchor}" in t.graph_report_markdown(with_anchor)
    f1 = with_anchor["report_0.5"]["per_domain"]["massachusetts"]["road_f1_mean"]
    assert f1 != report["report_0.5"]["per_domain"]["massachusetts"]["road_f1_mean"]
    assert f1 > 0.3  # the trained road model finds the roads the random decoder does not
    # compare: paired bootstrap of two reports on the same images, each at its own thresholds.
    paths = []
    for name, rep in (("anchor", with_anchor), ("own", report)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(rep))
    capsys.readouterr()
    assert t.main(["compare", *map(str, paths), "--part", "report", "--draws", "200"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert compared["paired_difference"] and compared["part"] == "report"
    assert compared["estimate"] == pytest.approx(
        with_anchor["report_chosen"]["apls_mean_of_domains"]
        - report["report_chosen"]["apls_mean_of_domains"]
    )
    assert t.main(["compare", str(paths[0]), "--draws", "200"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert alone["estimate"] == pytest.approx(
        next(
            g["apls_mean_of_domains"]
            for g in with_anchor["select_grid"]
            if g["t_r"] == with_anchor["chosen_on_select"]["t_r"]
        )
    )
    # With test-time views: the averaged probability of predict_probability, named as such.
    two_views = t.anchor_sam_road_probability(anchor, test_time_augmentation=2)
    assert two_views.source == f"{anchor} (2 test-time views)"
    windows = np.stack([t.read_rgb_uint8(p)[:64, :64] for p in sorted((data / "images").iterdir())])
    from backend.methods.anchor_sam.predict import predict_probability

    np.testing.assert_allclose(
        two_views(windows),
        predict_probability(road_probability.args[0], windows, test_time_augmentation=2),
        atol=1e-6,
    )
