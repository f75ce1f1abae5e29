"""Anchor-SAM training: data, augmentation, metrics, a tiny real run, resume, export.

Real pairs come from ``../shared/data/roads/massachusetts_400`` (``shared_data`` skips when
absent).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sam2")

from backend.train import anchor_sam as t  # noqa: E402
from backend.train import datasets  # noqa: E402


@pytest.fixture(scope="module")
def mass400(shared_data: Path) -> Path:
    return shared_data / "roads" / "massachusetts_400"


@pytest.fixture(scope="module")
def real_samples(mass400):
    sources = t.discover_samples(mass400, ["tr_img-1002", "tr_img-1003"])
    assert len(sources) == 2
    return t.load_samples(sources, line_width_px=5.0)


def test_real_pairs_load_with_labels_and_nodata(real_samples):
    for sample in real_samples:
        assert sample.image.shape == (400, 400, 3) and sample.image.dtype == np.uint8
        assert sample.label.shape == sample.valid.shape == (400, 400)
        assert sample.label.dtype == bool and sample.valid.dtype == bool
    assert any(s.label.any() for s in real_samples)


def test_augmentation_moves_image_label_and_valid_together():
    # The label is the image's red channel: any flip/rotation/crop must keep them equal.
    rng = np.random.default_rng(1)
    label = rng.random((70, 90)) > 0.7
    image = np.zeros((70, 90, 3), np.uint8)
    image[..., 0] = label * 255
    sample = t.SegmentationSample("synthetic", image, label, ~label)
    for seed in range(8):
        img, lab, val = t.augment_crop(sample, 64, np.random.default_rng(seed))
        assert img.shape == (3, 64, 64) and lab.shape == val.shape == (1, 64, 64)
        red_is_max = img[0] >= img[1:].max(axis=0) + 1e-6
        np.testing.assert_array_equal(red_is_max, lab[0] > 0)
        np.testing.assert_array_equal(val[0], 1 - lab[0])


def test_small_images_are_padded_as_invalid():
    sample = t.SegmentationSample(
        "small", np.full((20, 30, 3), 100, np.uint8), np.ones((20, 30), bool),
        np.ones((20, 30), bool),
    )
    _, lab, val = t.augment_crop(sample, 32, np.random.default_rng(0))
    assert val.sum() == lab.sum() == 20 * 30


def test_segmentation_metrics():
    m = t.segmentation_metrics({"tp": 6, "fp": 2, "fn": 4})
    assert m["precision"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx(0.6)
    assert m["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert m["iou"] == pytest.approx(0.5)
    assert t.segmentation_metrics({"tp": 0, "fp": 0, "fn": 0})["f1"] == 0.0


def test_a_few_steps_on_real_pairs_reduce_the_loss(real_samples):
    torch.manual_seed(0)
    model = t.build_anchor_sam("pico")
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    images, labels, valid = t.make_batch(real_samples, 2, 128, np.random.default_rng(0))
    losses = []
    for _ in range(25):
        loss = t.bce_dice_loss(model(model.normalize(images)), labels, valid)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses


def test_skeleton_recall_loss_counts_a_break_in_a_labelled_road():
    labels = torch.zeros(1, 1, 32, 32)
    labels[0, 0, 14:19, 2:30] = 1.0  # a 5 px wide road across the crop
    valid = torch.ones_like(labels)
    whole = torch.where(labels > 0, 8.0, -8.0)
    broken = whole.clone()
    broken[0, 0, :, 14:18] = -8.0  # a 4 px gap cut through the road
    assert t.skeleton_recall_loss(whole, labels, valid).item() < 0.01
    assert t.skeleton_recall_loss(broken, labels, valid).item() > 0.1
    # Invalid pixels do not count: the gap is forgiven where it is not labelled.
    valid[0, 0, :, 12:20] = 0.0
    assert t.skeleton_recall_loss(broken, labels, valid).item() < 0.01
    # A crop without road adds nothing.
    assert t.skeleton_recall_loss(whole, torch.zeros_like(labels), valid).item() == 0.0


def test_skeleton_precision_loss_counts_a_spurious_branch():
    labels = torch.zeros(1, 1, 48, 48)
    labels[0, 0, 20:25, 2:46] = 1.0  # a 5 px wide road across the crop
    valid = torch.ones_like(labels)
    on_road = torch.where(labels > 0, 8.0, -8.0)
    spur = on_road.clone()
    spur[0, 0, 25:46, 30:35] = 8.0  # a branch running off the road, unlabelled
    assert t.skeleton_precision_loss(on_road, labels, valid).item() < 0.05
    assert t.skeleton_precision_loss(spur, labels, valid).item() > 0.2
    # Invalid pixels do not count: the branch is forgiven where nothing is labelled.
    valid[0, 0, 25:, :] = 0.0
    assert t.skeleton_precision_loss(spur, labels, valid).item() < 0.05
    # A crop predicted empty adds nothing.
    empty = torch.full_like(labels, -8.0)
    assert t.skeleton_precision_loss(empty, labels, valid).item() == 0.0


def test_soft_skeleton_thins_a_road_to_its_centreline():
    road = torch.zeros(1, 1, 32, 32)
    road[0, 0, 12:19, 2:30] = 1.0  # 7 px wide
    skeleton = t.soft_skeleton(road)
    rows = skeleton[0, 0, :, 8:24].sum(1)
    assert rows.argmax().item() == 15
    assert skeleton.sum().item() < 0.4 * road.sum().item()
    assert skeleton[0, 0, :12].sum().item() == 0.0


def test_train_validates_resumes_and_exports(mass400, tmp_path):
    cfg = t.TrainConfig(
        data_dirs=[str(mass400)], out_dir=str(tmp_path / "run"),
        train_include=["tr_img-1002"], val_include=["te_img-1"], variant="pico",
        crop_px=96, batch_size=1, max_steps=2, warmup_steps=1, val_every=2,
        checkpoint_every=1, log_every=1, skeleton_recall_weight=1.0,
        skeleton_precision_weight=1.0,
    )
    metrics = t.train(cfg)
    assert set(metrics) >= {"precision", "recall", "f1", "iou"}
    assert (tmp_path / "run" / "best.pt").is_file()
    cfg.max_steps = 3
    t.train(cfg, resume=True)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert state["step"] == 3
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").open()]
    assert [r["step"] for r in history if "loss" in r] == [1, 2, 3]

    card = t.export_fp16(tmp_path / "run" / "last.pt", tmp_path / "m.pt", {"gsd_m": 1.0})
    assert card["parameters"] == t.count_parameters(t.build_anchor_sam("pico"))
    assert json.loads((tmp_path / "m.json").read_text())["sha256"] == card["sha256"]
    reloaded = t.load_trained(tmp_path / "m.pt")
    original = t.load_trained(tmp_path / "run" / "last.pt")
    x = torch.rand(1, 3, 64, 64)
    torch.testing.assert_close(reloaded(x), original(x), atol=2e-2, rtol=0)
    with pytest.raises(ValueError, match="multiple of 32"):
        t.train(t.TrainConfig(data_dirs=[str(mass400)], out_dir=str(tmp_path), crop_px=100))


def test_vector_centerlines_are_rasterised_on_the_geotiff(shared_data):
    folder = shared_data / "roads" / "spacenet_vegas_pan"
    source = t.SampleSource(
        "vegas", folder / "image_pan_uint16.tif", folder / "centerlines_partial.geojson",
        "vector",
    )
    image = datasets.read_rgb_uint8(source.image_path)
    narrow = datasets.read_road_mask(source, image.shape[:2], line_width_px=3.0)
    wide = datasets.read_road_mask(source, image.shape[:2], line_width_px=9.0)
    assert narrow.shape == image.shape[:2] and narrow.any()
    # Three times the width: about three times the road pixels, and a superset.
    assert np.all(wide[narrow]) and 2.0 < wide.sum() / narrow.sum() < 3.5


def test_grown_model_computes_the_shallow_models_logits_then_trains(mass400, tmp_path):
    shallow = t.build_anchor_sam("pico")
    with torch.no_grad():  # non-trivial weights everywhere, as after training
        for p in shallow.parameters():
            p.add_(0.02 * torch.randn_like(p))
    torch.save({"model": shallow.state_dict(), "architecture": shallow.config.to_dict()},
               tmp_path / "pico.pt")
    deep = t.build_anchor_sam("pico_deep")
    origin = t.grow_anchor_sam(deep, tmp_path / "pico.pt")
    assert "identity blocks [2, 4, 6, 8, 10]" in origin
    assert t.count_parameters(deep) > t.count_parameters(shallow) + 1_000_000
    x = torch.randn(2, 3, 96, 64)
    torch.testing.assert_close(deep.eval()(x), shallow.eval()(x), atol=1e-5, rtol=1e-5)

    cfg = t.TrainConfig(
        data_dirs=[str(mass400)], out_dir=str(tmp_path / "run"),
        train_include=["tr_img-1002"], variant="pico_deep", crop_px=96, batch_size=1,
        max_steps=2, warmup_steps=1, lr=1e-2, grow_from=str(tmp_path / "pico.pt"),
    )
    t.train(cfg)
    trained = t.load_trained(tmp_path / "run" / "last.pt").image_encoder.trunk.blocks[4]
    assert trained.attn.proj.weight.abs().sum() > 0  # the identity block has started to learn

    narrower = t.build_anchor_sam(dataclasses.replace(t.VARIANTS["pico_deep"], fpn_dim=32))
    with pytest.raises(ValueError, match="fpn_dim"):
        t.grow_anchor_sam(narrower, tmp_path / "pico.pt")
    moved_global = t.build_anchor_sam(
        dataclasses.replace(t.VARIANTS["pico_deep"], global_att_blocks=(8,)))
    with pytest.raises(ValueError, match="global_att_blocks"):
        t.grow_anchor_sam(moved_global, tmp_path / "pico.pt")


def test_deeper_block_positions_keep_stage_starts_and_refuse_shallowing():
    from backend.models.hiera import deeper_block_positions

    assert deeper_block_positions((1, 1, 3, 1), (1, 2, 6, 2)) == {
        0: 0, 1: 1, 2: 3, 3: 5, 4: 7, 5: 9}
    with pytest.raises(ValueError, match="at least as many blocks"):
        deeper_block_positions((1, 2, 6, 2), (1, 1, 3, 1))


def test_domain_shares_parse_from_the_command_line():
    args = t.build_parser().parse_args(
        ["train", "--roads", "r", "--out", "o", "--domain-shares", "massachusetts=2,deepglobe=1"])
    assert t.parse_domain_shares(args.domain_shares) == {"massachusetts": 2, "deepglobe": 1}
    assert t.parse_domain_shares("") == {}
    with pytest.raises(ValueError, match="DOMAIN=N"):
        t.parse_domain_shares("massachusetts=1.5")
