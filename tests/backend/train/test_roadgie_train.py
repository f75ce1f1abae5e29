"""Training with simulated interaction: the loss goes down; the CLI resumes; evaluation."""

import json

import numpy as np
import pytest
import torch

from backend.methods.roadgie.losses import tubed_skeleton
from backend.methods.roadgie.model import build_roadgie
from backend.train.datasets import discover_samples, read_pair
from backend.train.roadgie import (
    augment_batch,
    evaluate,
    lr_factor,
    main,
    simulate_rounds,
    synthetic_initial_prediction,
)


@pytest.fixture(scope="module")
def roads(shared_data):
    root = shared_data / "roads" / "massachusetts_400"
    sources = discover_samples(root, ("tr_img-10*",))[:4]
    return root, [read_pair(s) for s in sources]


def test_augment_batch_shapes_and_label_alignment(roads):
    _, data = roads
    rng = np.random.default_rng(0)
    image, label = augment_batch([d[0] for d in data], [d[1] for d in data], 96, rng)
    assert image.shape == (4, 3, 96, 96) and label.shape == (4, 1, 96, 96)
    assert set(torch.unique(label).tolist()) <= {0.0, 1.0}
    # without rotation/photometric changes the crop is the image itself at the same place
    img0, lab0 = data[0]
    crop_img, crop_lab = augment_batch(
        [img0], [lab0], 400, np.random.default_rng(1), rotate=False, photometric=False
    )
    flipped = crop_lab[0, 0].numpy() > 0.5
    candidates = [lab0, lab0[:, ::-1], lab0[::-1], lab0[::-1, ::-1]]
    assert max((flipped == c).mean() for c in candidates) > 0.99


def test_simulated_rounds_prompt_in_errors_and_loss_decreases(roads):
    torch.manual_seed(0)
    _, data = roads
    rng = np.random.default_rng(0)
    image, target = augment_batch(
        [d[0] for d in data[:2]], [d[1] for d in data[:2]], 64, rng, photometric=False
    )
    skel = torch.from_numpy(
        np.stack([tubed_skeleton(t) for t in target[:, 0].numpy() > 0.5]).astype(np.float32)
    )[:, None]
    model = build_roadgie("strip_tiny")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for step in range(12):
        loss, records = simulate_rounds(
            model, image, target, 3, np.random.default_rng(step), skeleton=skel
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert len(records) == 3 and records[0]["pred"].shape == (2, 64, 64)
    assert np.mean(losses[-3:]) < 0.85 * np.mean(losses[:3]), losses


def test_synthetic_initial_prediction_resembles_the_label(roads):
    _, data = roads
    label = max((d[1] for d in data), key=lambda m: m.sum())
    logits = synthetic_initial_prediction(label, np.random.default_rng(0))
    assert logits.shape == label.shape and np.abs(logits).max() <= 6
    pred = logits > 0
    inter = (pred & label).sum()
    assert inter > 0.2 * label.sum()  # keeps part of the roads
    assert not np.array_equal(pred, label)  # but is imperfect


def test_lr_schedule_warms_up_then_follows_a_cosine():
    assert lr_factor(0, 10, 100) == pytest.approx(0.1)
    assert lr_factor(10, 10, 100) == pytest.approx(1.0)
    assert lr_factor(55, 10, 100) == pytest.approx(0.5)
    assert lr_factor(20, 10, 100, time_fraction=1.0) == pytest.approx(0.0)


def test_cli_trains_resumes_evaluates_and_exports(roads, tmp_path, capsys):
    root, _ = roads
    out = tmp_path / "run"
    common = [
        "--data",
        str(root),
        "--out",
        str(out),
        "--train-include",
        "tr_img-10*",
        "--val-include",
        "te_img-1",
        "--variant",
        "strip_tiny",
        "--crop-px",
        "64",
        "--batch-size",
        "2",
        "--rounds",
        "5",
        "--log-every",
        "1",
        "--checkpoint-every",
        "1",
        "--threads",
        "1",
    ]
    assert main(["train", *common, "--max-steps", "2", "--val-every", "3"]) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["step"] == 2
    assert main(["train", *common, "--max-steps", "3", "--resume", "--val-every", "3"]) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["step"] == 3
    history = [json.loads(x) for x in (out / "history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3]
    val = [h for h in history if "val" in h][0]["val"]
    assert set(val["rounds"]) == {"1", "3", "5"}
    card_in = tmp_path / "card.json"
    card_in.write_text(json.dumps({"id": "x", "gsd_m": 1.0}))
    weights = tmp_path / "w.pt"
    assert (
        main(
            [
                "export",
                "--checkpoint",
                str(out / "last.pt"),
                "--output",
                str(weights),
                "--card",
                str(card_in),
            ]
        )
        == 0
    )
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["training"]["steps"] == 3 and card["variant"] == "strip_tiny"
    assert len(card["sha256"]) == 64 and card["size_bytes"] == weights.stat().st_size
    assert all(
        v.dtype == torch.float16
        for v in torch.load(weights, weights_only=True).values()
        if v.is_floating_point()
    )


def test_evaluate_reports_dice_and_apls_after_1_3_5_rounds(roads, shared_data):
    root = shared_data / "roads" / "massachusetts_400"
    samples = [(s.key, *read_pair(s)) for s in discover_samples(root, ("te_img-1",))]
    torch.manual_seed(0)
    result = evaluate(build_roadgie("strip_tiny"), samples)
    assert result["n_images"] == 1
    for r in ("1", "3", "5"):
        row = result["rounds"][r]
        assert 0.0 <= row["dice"] <= 1.0 and 0.0 <= row["dice_pooled"] <= 1.0
        assert row["n_apls"] == 1 and 0.0 <= row["apls"] <= 1.0
